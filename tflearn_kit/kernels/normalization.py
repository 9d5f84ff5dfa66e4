"""Normalization: subtract a mean, divide by a standard deviation, then scale and shift.

    x_hat = (x - mean) / sqrt(variance + epsilon)        y = gamma * x_hat + beta

Batch normalization takes the statistics over every axis but the channel axis
(the batch and the spatial positions); layer normalization over the feature axes
of each example. Both are the same kernel with different ``axes``.

Backward. When the statistics come from x itself (training-mode batch norm,
layer norm), mean and variance depend on every x in the group, and the chain
rule through them gives, with N elements per group and g = dy * gamma,

    dx = (1 / sqrt(variance + epsilon)) * (g - mean(g) - x_hat * mean(g * x_hat))

(the two subtracted terms are the paths through the mean and the variance).
With fixed statistics (inference), dx = g / sqrt(variance + epsilon) only.

Mirrors tf.nn.moments + tf.nn.batch_normalization, which tf.keras.layers.BatchNormalization,
tf.keras.layers.LayerNormalization and tf.compat.v1.layers.batch_normalization use.
"""
import numpy as np

def reduce_sum(a, axes, times=None):
    """The sum over ``axes`` of a (or of a * times), kept as size-1 axes.

    Accumulated in float64: NumPy adds a float32 column one number after another, and
    over 100,000 rows that loses about 1e-5 of relative precision (TensorFlow reduces
    in a tree and does not).
    """
    product = a if times is None else a * times
    return product.sum(axis=axes, keepdims=True, dtype=np.float64).astype(a.dtype)


def reduce_mean(a, axes, times=None):
    """The mean over ``axes`` of a (or of a * times), kept as size-1 axes, accumulated in float64."""
    product = a if times is None else a * times
    return product.mean(axis=axes, keepdims=True, dtype=np.float64).astype(a.dtype)


def moments(x, axes):
    """Mean and *biased* variance (divided by N, not N - 1) over ``axes``, kept as size-1 axes.

    tf.nn.moments computes the same: the mean of the squared deviations.
    Also returns x - mean, which the forward pass reuses.

    The layers run ``fast.normalization.moments``: for batch norm with channels last it
    adds the rows in slabs (float32 inner loops, float64 partial sums) and never stores
    the squared deviations: on a (32, 64, 64, 32) float32 batch 13 ms against
    this version's 47 ms (about 3.7x), within float32 rounding of it (tests/test_fast.py).
    """
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64).astype(x.dtype)
    centered = x - mean
    variance = (centered * centered).mean(axis=axes, keepdims=True, dtype=np.float64).astype(x.dtype)
    return mean, variance, centered


def normalize_forward(x, axes, gamma=None, beta=None, epsilon=1e-3, mean=None, variance=None):
    """y = gamma * (x - mean) / sqrt(variance + epsilon) + beta.

    x: any shape   axes: the axes the statistics are taken over
    gamma, beta: broadcastable to x (or None)
    mean, variance: broadcastable to x; None means "compute them from x over axes".
    """
    from_batch = mean is None
    if from_batch:
        mean, variance, x_hat = moments(x, axes)
    else:
        x_hat = x - mean
    inv_std = 1.0 / np.sqrt(variance + epsilon)     # epsilon: a weak Python float, x's dtype
    x_hat *= inv_std                                 # in place: x_hat was x - mean
    y = x_hat * gamma if gamma is not None else x_hat.copy()
    if beta is not None:
        y += beta
    return y, (x_hat, inv_std, gamma, axes, from_batch, beta is not None, (mean, variance))


def normalize_backward(dy, cache, param_axes):
    """dy: like x -> dx: like x, [dgamma, dbeta] summed over every axis not in ``param_axes``.

    ``param_axes``: the axes gamma and beta span (the channel axis for batch norm,
    the normalized axes for layer norm); the result has their broadcast shape.
    """
    x_hat, inv_std, gamma, axes, from_batch, has_beta, _ = cache
    summed = tuple(a for a in range(dy.ndim) if a not in param_axes)
    sum_dy = reduce_sum(dy, summed)
    sum_dy_x_hat = reduce_sum(dy, summed, times=x_hat)
    grads = []                     # one per parameter present, gamma first as the layers create them
    if gamma is not None:
        grads.append(sum_dy_x_hat)
    if has_beta:
        grads.append(sum_dy)
    if not from_batch:
        return dy * (inv_std if gamma is None else inv_std * gamma), grads
    if summed == axes:
        # batch norm: gamma is constant over the statistics' axes, so it factors out, and
        # the two sums the path through the mean and the variance need are dbeta and dgamma
        n = dy.size // sum_dy.size
        dx = x_hat * (-sum_dy_x_hat / n)             # through the variance
        dx += dy
        dx -= sum_dy / n                             # through the mean
        dx *= inv_std if gamma is None else inv_std * gamma
        return dx, grads
    # layer norm: gamma varies along the normalized axes, so it stays inside the means
    g = dy if gamma is None else dy * gamma
    dx = inv_std * (g - reduce_mean(g, axes) - x_hat * reduce_mean(g * x_hat, axes))
    return dx, grads


def moving_average(moving, batch_value, momentum):
    """Keras 3's update: moving * momentum + batch * (1 - momentum).

    momentum is a Python float: like TF, NumPy applies it in the array's dtype.
    """
    return moving * momentum + batch_value * (1.0 - momentum)


def rms_scale_forward(x, axes, gamma=None, epsilon=1e-3):
    """LayerNormalization(rms_scaling=True) as Keras 3 computes it: y = x / sqrt(var + eps) * gamma.

    The variance is the centered one over ``axes``, but x itself is not centered and
    there is no beta. gamma: broadcastable to x (or None).
    """
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + epsilon)
    x_inv = x * inv
    return (x_inv if gamma is None else x_inv * gamma), (x, mu, inv, x_inv, gamma, axes)


def rms_scale_backward(dy, cache):
    """dy -> dx, [dgamma in gamma's broadcast shape] (no dgamma when gamma is None)."""
    x, mu, inv, x_inv, gamma, axes = cache
    g = dy if gamma is None else dy * gamma
    n = np.prod([x.shape[a] for a in axes])
    # d inv / dx = -inv^3 (x - mu) / n: the mean's own term vanishes because sum(x - mu) = 0
    dx = g * inv - inv ** 3 * (x - mu) / x.dtype.type(n) * (g * x).sum(axis=axes, keepdims=True)
    if gamma is None:
        return dx, []
    summed = tuple(a for a in range(x.ndim) if gamma.shape[a] == 1 and x.shape[a] != 1)
    return dx, [(dy * x_inv).sum(axis=summed, keepdims=True)]


# ---- batch norm over the kept entries only (Keras's BatchNormalization(x, mask=...)) ------------

KERAS_EPSILON = 1e-7       # keras.backend.epsilon(): keeps the count of kept entries off zero


def masked_normalize_forward(x, keep, axes, gamma=None, beta=None, epsilon=1e-3):
    """Batch norm whose mean and variance count only the entries where ``keep`` is 1.

    keep: 0/1 like x (the mask spread over the channels)   ->  y like x
    mean = sum(keep x) / (n + 1e-7), variance = sum(keep (x - mean)^2) / (n + 1e-7), n = sum(keep);
    every entry, kept or not, is then normalized with them, as Keras does.
    """
    count = reduce_sum(keep, axes) + x.dtype.type(KERAS_EPSILON)
    mean = reduce_sum(x, axes, times=keep) / count
    centered = x - mean
    variance = reduce_sum(centered * centered, axes, times=keep) / count
    inv_std = 1.0 / np.sqrt(variance + epsilon)
    x_hat = centered * inv_std
    y = x_hat * gamma if gamma is not None else x_hat.copy()
    if beta is not None:
        y += beta
    return y, (x_hat, centered, keep, count, inv_std, gamma, axes, beta is not None, (mean, variance))


def masked_normalize_backward(dy, cache):
    """dy like x -> dx like x, [dgamma, dbeta] (as normalize_backward's, present ones only).

    The chain rule through the weighted mean and variance: with g = dy gamma,
        dL/dvariance = -1/2 inv_std^3 sum(g (x - mean))
        dL/dmean     = -inv_std sum(g) + dL/dvariance * (-2 sum(keep (x - mean)) / count)
        dx = g inv_std + keep (dL/dmean + 2 dL/dvariance (x - mean)) / count
    sum(keep (x - mean)) is mean * 1e-7, not 0: the epsilon in the count makes the mean a hair
    small, and a float64 comparison sees it.
    """
    x_hat, centered, keep, count, inv_std, gamma, axes, has_beta, _ = cache
    grads = []
    if gamma is not None:
        grads.append(reduce_sum(dy, axes, times=x_hat))
    if has_beta:
        grads.append(reduce_sum(dy, axes))
    g = dy if gamma is None else dy * gamma
    d_variance = -0.5 * inv_std ** 3 * reduce_sum(g, axes, times=centered)
    d_mean = -inv_std * reduce_sum(g, axes) - 2 * d_variance * reduce_sum(centered, axes, times=keep) / count
    dx = g * inv_std + keep * (d_mean + 2 * d_variance * centered) / count
    return dx, grads
