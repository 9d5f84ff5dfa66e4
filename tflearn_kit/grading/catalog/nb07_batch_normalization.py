"""Exercises of 07_batch_normalization: the training-mode forward and the full backward."""
from ...kernels.normalization import normalize_backward, normalize_forward
from ..exercises import Case, Exercise, register, seeded

NOTEBOOK = "07_batch_normalization"


def _forward_args(seed, batch, features, eps=1e-3):
    g = seeded(seed)
    x = g.standard_normal((batch, features)) * 3 + 1
    return x, g.standard_normal(features), g.standard_normal(features), eps


def _reference_forward(x, gamma, beta, eps):
    return normalize_forward(x, (0,), gamma, beta, eps)[0]


def _backward_args(seed, batch, features, eps=1e-3):
    x, gamma, _, eps = _forward_args(seed, batch, features, eps)
    return seeded(seed + 100).standard_normal((batch, features)), x, gamma, eps


def _reference_backward(dy, x, gamma, eps):
    _, cache = normalize_forward(x, (0,), gamma, None, eps)
    dx, (dgamma,) = normalize_backward(dy, cache, param_axes=(1,))
    return dx, dgamma.reshape(-1), dy.sum(axis=0)


register(Exercise(
    id="batchnorm_forward", notebook=NOTEBOOK, function="batchnorm_forward",
    reference=_reference_forward,
    visible=[Case("batch8-features3", lambda: _forward_args(0, 8, 3)),
             Case("batch2", lambda: _forward_args(1, 2, 4))],
    hidden=[Case("eps0.1", lambda: _forward_args(2, 5, 6, 0.1)),
            Case("features1", lambda: _forward_args(3, 16, 1))],
    points=1,
    hint="Statistics over the batch axis (axis 0): mean, and the *biased* variance (np.var's default). "
         "x_hat = (x - mean) / sqrt(var + eps); y = gamma * x_hat + beta.",
))

register(Exercise(
    id="batchnorm_backward", notebook=NOTEBOOK, function="batchnorm_backward",
    reference=_reference_backward,
    visible=[Case("batch8-features3", lambda: _backward_args(10, 8, 3)),
             Case("batch3-features5", lambda: _backward_args(11, 3, 5))],
    hidden=[Case("eps0.1", lambda: _backward_args(12, 6, 2, 0.1)),
            Case("batch32", lambda: _backward_args(13, 32, 4))],
    points=3,
    hint="dbeta = sum(dy), dgamma = sum(dy * x_hat) over the batch; "
         "dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat)), means over the batch.",
))
