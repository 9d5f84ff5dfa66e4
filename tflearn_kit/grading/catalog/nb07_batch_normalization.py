"""Exercises of 07_batch_normalization: the training-mode forward and the full backward."""
from ...kernels.normalization import normalize_backward, normalize_forward
from ..exercises import Case, Exercise, seeded


def forward_case(seed, batch, features, eps=1e-3):
    g = seeded(seed)
    x = g.standard_normal((batch, features)) * 3 + 1
    return x, g.standard_normal(features), g.standard_normal(features), eps


def _reference_forward(x, gamma, beta, eps):
    return normalize_forward(x, (0,), gamma, beta, eps)[0]


def backward_case(seed, batch, features, eps=1e-3):
    x, gamma, _, eps = forward_case(seed=seed, batch=batch, features=features, eps=eps)
    return seeded(seed + 100).standard_normal((batch, features)), x, gamma, eps


def _reference_backward(dy, x, gamma, eps):
    _, cache = normalize_forward(x, (0,), gamma, None, eps)
    dx, (dgamma,) = normalize_backward(dy, cache, param_axes=(1,))
    return dx, dgamma.reshape(-1), dy.sum(axis=0)


BATCHNORM_FORWARD = Exercise(
    function="batchnorm_forward",
    reference=_reference_forward,
    visible=[Case("batch8-features3", lambda: forward_case(seed=0, batch=8, features=3)),
             Case("batch2", lambda: forward_case(seed=1, batch=2, features=4))],
    hidden=[Case("eps0.1", lambda: forward_case(seed=2, batch=5, features=6, eps=0.1)),
            Case("features1", lambda: forward_case(seed=3, batch=16, features=1))],
    points=1,
    answers=("tflearn_kit.kernels.normalization.normalize_forward",),
    look="the axis of the statistics (the batch, axis 0) and which variance (biased) with eps inside the sqrt",
    hint="Statistics over the batch axis (axis 0): mean, and the *biased* variance (np.var's default). "
         "x_hat = (x - mean) / sqrt(var + eps); y = gamma * x_hat + beta.",
)

BATCHNORM_BACKWARD = Exercise(
    function="batchnorm_backward",
    reference=_reference_backward,
    visible=[Case("batch8-features3", lambda: backward_case(seed=10, batch=8, features=3)),
             Case("batch3-features5", lambda: backward_case(seed=11, batch=3, features=5))],
    hidden=[Case("eps0.1", lambda: backward_case(seed=12, batch=6, features=2, eps=0.1)),
            Case("batch32", lambda: backward_case(seed=13, batch=32, features=4))],
    points=3,
    answers=("tflearn_kit.kernels.normalization.normalize_backward",),
    look="the mean and variance depend on x too: dx has three terms",
    outputs=("dx", "dgamma", "dbeta"),
    hint="dbeta = sum(dy), dgamma = sum(dy * x_hat) over the batch; "
         "dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat)), means over the batch.",
)

EXERCISES = [BATCHNORM_FORWARD, BATCHNORM_BACKWARD]
