"""Exercises of 02_dense_and_activations: Dense forward and backward, sigmoid and its derivative."""
import numpy as np

from ...kernels import activations as A
from ...kernels.dense import dense_backward, dense_forward
from ..exercises import Case, Exercise, seeded



def dense_case(seed, lead, n_in, units, bias=True):
    g = seeded(seed)
    x = g.standard_normal((*lead, n_in))
    kernel = g.standard_normal((n_in, units))
    b = g.standard_normal(units) if bias else None
    return x, kernel, b


def dense_bwd_case(seed, lead, n_in, units):
    x, kernel, _ = dense_case(seed=seed, lead=lead, n_in=n_in, units=units)
    dy = seeded(seed + 100).standard_normal((*lead, units))
    return dy, x, kernel


DENSE_FORWARD = Exercise(
    function="dense_forward",
    reference=lambda x, kernel, bias: dense_forward(x, kernel, bias)[0],
    visible=[
        Case("batch2-in3-units4", lambda: dense_case(seed=0, lead=(2,), n_in=3, units=4)),
        Case("batch1", lambda: dense_case(seed=1, lead=(1,), n_in=5, units=2)),
        Case("no-bias", lambda: dense_case(seed=2, lead=(4,), n_in=3, units=3, bias=False)),
        Case("batch2x3-in4-units4", lambda: dense_case(seed=6, lead=(2, 3), n_in=4, units=4)),
    ],
    hidden=[
        Case("rank3", lambda: dense_case(seed=3, lead=(2, 3), n_in=4, units=5)),
        Case("rank4", lambda: dense_case(seed=4, lead=(2, 2, 3), n_in=4, units=2)),
        Case("units1", lambda: dense_case(seed=5, lead=(6,), n_in=7, units=1)),
        Case("in-equals-units", lambda: dense_case(seed=7, lead=(3,), n_in=5, units=5)),
    ],
    points=2,
    look="the kernel's layout (in, units), the bias when it is None, and inputs with more than 2 axes",
    hint="y = x @ kernel, then add the bias when it is not None; @ works on any leading axes.",
)


def _dense_backward_ref(dy, x, kernel):
    dx, (dkernel, dbias) = dense_backward(dy, (x, kernel, True))
    return dx, dkernel, dbias


DENSE_BACKWARD = Exercise(
    function="dense_backward",
    reference=_dense_backward_ref,
    visible=[
        Case("batch2-in3-units4", lambda: dense_bwd_case(seed=10, lead=(2,), n_in=3, units=4)),
        Case("batch1", lambda: dense_bwd_case(seed=11, lead=(1,), n_in=5, units=2)),
        Case("batch2x3-in3-units2", lambda: dense_bwd_case(seed=14, lead=(2, 3), n_in=3, units=2)),
    ],
    hidden=[
        Case("rank3", lambda: dense_bwd_case(seed=12, lead=(2, 3), n_in=4, units=5)),
        Case("units1", lambda: dense_bwd_case(seed=13, lead=(6,), n_in=7, units=1)),
    ],
    points=3,
    look="which axes each gradient sums over: every axis but the last, for any rank of x",
    outputs=("dx", "dkernel", "dbias"),
    hint="dx = dy @ kernel.T; dkernel sums x^T dy over every batch row; dbias sums dy over them. "
         "Return (dx, dkernel, dbias).",
)


def act_case(seed, shape):
    return (seeded(seed).standard_normal(shape) * 3,)


SIGMOID_FORWARD = Exercise(
    id="sigmoid_forward", function="sigmoid",
    reference=A.sigmoid,
    look="very large positive and negative inputs: does any exp overflow to inf?",
    visible=[Case("vector", lambda: act_case(seed=20, shape=(7,))),
             Case("matrix", lambda: act_case(seed=21, shape=(3, 4))),
             Case("extremes", lambda: (np.array([-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0]),))],
    hidden=[Case("large-inputs", lambda: (seeded(22).standard_normal((5,)) * 40,)),
            # beyond +-709 (exp overflows float64) whatever the salt draws
            Case("huge-inputs", lambda: (seeded(24).uniform(710, 1000, 6) * np.array([1, -1] * 3),)),
            Case("rank3", lambda: act_case(seed=23, shape=(2, 3, 4)))],
    points=1,
    hint="1 / (1 + exp(-x)); for large negative x, exp(-x) overflows: use exp(-|x|) in two branches.",
)


def act_grad_case(seed, shape):
    g = seeded(seed)
    return g.standard_normal(shape), g.standard_normal(shape) * 3


SIGMOID_BACKWARD = Exercise(
    function="sigmoid_backward",
    reference=lambda dy, x: A.sigmoid_grad(dy, x, A.sigmoid(x)),
    visible=[Case("vector", lambda: act_grad_case(seed=30, shape=(7,))),
             Case("matrix", lambda: act_grad_case(seed=31, shape=(3, 4)))],
    hidden=[Case("rank3", lambda: act_grad_case(seed=32, shape=(2, 3, 4)))],
    points=1,
    look="the derivative is a function of sigmoid(x), not of x; then the chain rule",
    hint="sigmoid'(x) = s (1 - s) with s = sigmoid(x); multiply by dy (the chain rule).",
)

EXERCISES = [DENSE_FORWARD, DENSE_BACKWARD, SIGMOID_FORWARD, SIGMOID_BACKWARD]
