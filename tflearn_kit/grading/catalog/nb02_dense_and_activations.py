"""Exercises of 02_dense_and_activations: Dense forward and backward, sigmoid and its derivative."""
from ...kernels import activations as A
from ...kernels.dense import dense_backward, dense_forward
from ..exercises import Case, Exercise, register, seeded

NOTEBOOK = "02_dense_and_activations"


def _dense_args(seed, lead, n_in, units, bias=True):
    g = seeded(seed)
    x = g.standard_normal((*lead, n_in))
    kernel = g.standard_normal((n_in, units))
    b = g.standard_normal(units) if bias else None
    return x, kernel, b


def _dense_bwd_args(seed, lead, n_in, units):
    x, kernel, _ = _dense_args(seed, lead, n_in, units)
    dy = seeded(seed + 100).standard_normal((*lead, units))
    return dy, x, kernel


register(Exercise(
    id="dense_forward", notebook=NOTEBOOK, function="dense_forward",
    reference=lambda x, kernel, bias: dense_forward(x, kernel, bias)[0],
    visible=[
        Case("batch2-in3-units4", lambda: _dense_args(0, (2,), 3, 4)),
        Case("batch1", lambda: _dense_args(1, (1,), 5, 2)),
        Case("no-bias", lambda: _dense_args(2, (4,), 3, 3, bias=False)),
    ],
    hidden=[
        Case("rank3", lambda: _dense_args(3, (2, 3), 4, 5)),
        Case("rank4", lambda: _dense_args(4, (2, 2, 3), 4, 2)),
        Case("units1", lambda: _dense_args(5, (6,), 7, 1)),
    ],
    points=2,
    hint="y = x @ kernel, then add the bias when it is not None; @ works on any leading axes.",
))


def _dense_backward_ref(dy, x, kernel):
    dx, (dkernel, dbias) = dense_backward(dy, (x, kernel, True))
    return dx, dkernel, dbias


register(Exercise(
    id="dense_backward", notebook=NOTEBOOK, function="dense_backward",
    reference=_dense_backward_ref,
    visible=[
        Case("batch2-in3-units4", lambda: _dense_bwd_args(10, (2,), 3, 4)),
        Case("batch1", lambda: _dense_bwd_args(11, (1,), 5, 2)),
    ],
    hidden=[
        Case("rank3", lambda: _dense_bwd_args(12, (2, 3), 4, 5)),
        Case("units1", lambda: _dense_bwd_args(13, (6,), 7, 1)),
    ],
    points=3,
    hint="dx = dy @ kernel.T; dkernel sums x^T dy over every batch row; dbias sums dy over them. "
         "Return (dx, dkernel, dbias).",
))


def _act_args(seed, shape):
    return (seeded(seed).standard_normal(shape) * 3,)


register(Exercise(
    id="sigmoid_forward", notebook=NOTEBOOK, function="sigmoid",
    reference=A.sigmoid,
    visible=[Case("vector", lambda: _act_args(20, (7,))), Case("matrix", lambda: _act_args(21, (3, 4)))],
    hidden=[Case("large-inputs", lambda: (seeded(22).standard_normal((5,)) * 40,)),
            Case("rank3", lambda: _act_args(23, (2, 3, 4)))],
    points=1,
    hint="1 / (1 + exp(-x)); for large negative x, exp(-x) overflows: use exp(-|x|) in two branches.",
))


def _act_grad_args(seed, shape):
    g = seeded(seed)
    return g.standard_normal(shape), g.standard_normal(shape) * 3


register(Exercise(
    id="sigmoid_backward", notebook=NOTEBOOK, function="sigmoid_backward",
    reference=lambda dy, x: A.sigmoid_grad(dy, x, A.sigmoid(x)),
    visible=[Case("vector", lambda: _act_grad_args(30, (7,))),
             Case("matrix", lambda: _act_grad_args(31, (3, 4)))],
    hidden=[Case("rank3", lambda: _act_grad_args(32, (2, 3, 4)))],
    points=1,
    hint="sigmoid'(x) = s (1 - s) with s = sigmoid(x); multiply by dy (the chain rule).",
))
