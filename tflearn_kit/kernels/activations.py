"""Activation functions and their derivatives, elementwise except softmax.

Each activation is a pair: ``f(x) -> y`` and ``grad(dy, x, y) -> dx``. The
gradient receives both the input and the output, because some derivatives are
cheapest in terms of the output (sigmoid: y (1 - y); tanh: 1 - y^2; softmax).
Formulas and constants follow ``keras.activations`` (Keras 3).
"""
import math

import numpy as np

from .numerics import tf_float32_constant

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)

# TensorFlow writes two GELU constants as math_ops.cast(python_float, dtype), which
# rounds them through float32 even in float64 (see numerics.py). So does the kit.
TF_INV_SQRT2 = tf_float32_constant(0.7071067811865476)
TF_GELU_COEFF = tf_float32_constant(0.044715)


def _erfc(x):
    # NumPy has no erfc; math.erfc is accurate to double precision, vectorized here.
    return np.vectorize(math.erfc, otypes=[x.dtype])(x) if x.size else x.copy()


def linear(x):
    return x


def linear_grad(dy, x, y):
    return dy


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0) by default; keras.activations.relu's three options as Keras 3 composes them:
    x above ``threshold`` (capped at ``max_value``), ``negative_slope * (x - threshold)`` below."""
    if negative_slope == 0 and max_value is None and threshold == 0:
        return np.maximum(x, 0)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return leaky_relu(x, negative_slope)      # Keras calls tf.nn.leaky_relu here
    t = x.dtype.type
    y = np.where(x > t(threshold), x, t(0))
    if max_value is not None:
        y = np.minimum(y, t(max_value))
    if negative_slope != 0:
        y = y - t(negative_slope) * np.maximum(t(threshold) - x, 0)
    return y


def relu_grad(dy, x, y, negative_slope=0.0, max_value=None, threshold=0.0):
    # TF's convention: the derivative at a kink is the one of the lower branch (0 at x = 0)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return leaky_relu_grad(dy, x, y, negative_slope)
    t = x.dtype.type
    above = x > t(threshold)
    if max_value is not None:
        above = above & (x < t(max_value))
    below = t(negative_slope) * dy if negative_slope != 0 else 0
    return np.where(above, dy, np.where(x < t(threshold), below, 0)).astype(dy.dtype)


def leaky_relu(x, negative_slope=0.2):
    return np.where(x > 0, x, x * x.dtype.type(tf_float32_constant(negative_slope)))


def leaky_relu_grad(dy, x, y, negative_slope=0.2):
    return np.where(x > 0, dy, dy * x.dtype.type(tf_float32_constant(negative_slope)))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, x.dtype.type(alpha) * np.expm1(np.minimum(x, 0)))


def elu_grad(dy, x, y, alpha=1.0):
    # for x <= 0, y = alpha (e^x - 1), so dy/dx = alpha e^x = y + alpha
    return np.where(x > 0, dy, dy * (y + x.dtype.type(alpha)))


def selu(x):
    return x.dtype.type(SELU_SCALE) * elu(x, SELU_ALPHA)


def selu_grad(dy, x, y):
    t = x.dtype.type
    return np.where(x > 0, dy * t(SELU_SCALE), dy * (y + t(SELU_SCALE * SELU_ALPHA)))


def gelu(x):
    """Exact GELU: x Phi(x) = x/2 erfc(-x/sqrt 2) (keras.activations.gelu's default)."""
    return 0.5 * x * _erfc(-x * x.dtype.type(TF_INV_SQRT2))


def gelu_grad(dy, x, y):
    c = x.dtype.type(TF_INV_SQRT2)
    cdf = 0.5 * _erfc(-x * c)
    pdf_term = x * c * np.exp(-(x * c) ** 2) / x.dtype.type(math.sqrt(math.pi))
    return dy * (cdf + pdf_term)


def gelu_approximate(x):
    """Tanh GELU (keras.activations.gelu(x, approximate=True))."""
    t = x.dtype.type
    inner = t(SQRT_2_OVER_PI) * (x + t(TF_GELU_COEFF) * x ** 3)
    return 0.5 * x * (1 + np.tanh(inner))


def gelu_approximate_grad(dy, x, y):
    t = x.dtype.type
    inner = t(SQRT_2_OVER_PI) * (x + t(TF_GELU_COEFF) * x ** 3)
    th = np.tanh(inner)
    dinner = t(SQRT_2_OVER_PI) * (1 + t(3 * TF_GELU_COEFF) * x * x)
    return dy * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * dinner)


def sigmoid(x):
    # Two branches so that exp never overflows: e^-|x| is always <= 1.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(dy, x, y):
    return dy * y * (1 - y)


def hard_sigmoid(x):
    """Keras 3: relu6(x + 3) / 6, a slope of 1/6 (Keras 2 used 0.2 x + 0.5)."""
    return np.clip(x + 3, 0, 6) / 6


def hard_sigmoid_grad(dy, x, y):
    return dy * ((x > -3) & (x < 3)) / 6


def tanh(x):
    return np.tanh(x)


def tanh_grad(dy, x, y):
    return dy * (1 - y * y)


def softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softplus_grad(dy, x, y):
    return dy * sigmoid(x)


def softsign(x):
    return x / (1 + np.abs(x))


def softsign_grad(dy, x, y):
    return dy / (1 + np.abs(x)) ** 2


def silu(x):
    return x * sigmoid(x)


def silu_grad(dy, x, y):
    s = sigmoid(x)
    return dy * (s + x * s * (1 - s))


def softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)   # e^(x - max) <= 1: no overflow
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_grad(dy, x, y, axis=-1):
    # Jacobian-vector product without the Jacobian: dx = y * (dy - <dy, y>)
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


def exponential(x):
    return np.exp(x)


def exponential_grad(dy, x, y):
    return dy * y


def relu6(x):
    return np.clip(x, 0, 6)


def relu6_grad(dy, x, y):
    return dy * ((x > 0) & (x < 6))


def celu(x, alpha=1.0):
    """max(x, 0) + alpha (e^(min(x, 0)/alpha) - 1): ELU with the slope at 0 kept at 1."""
    t = x.dtype.type
    return np.maximum(x, 0) + t(alpha) * np.expm1(np.minimum(x, 0) / t(alpha))


def celu_grad(dy, x, y, alpha=1.0):
    return np.where(x > 0, dy, dy * np.exp(np.minimum(x, 0) / x.dtype.type(alpha)))


def glu(x, axis=-1):
    """Gated linear unit: split ``axis`` into halves a, b and return a * sigmoid(b)."""
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the axis {axis} must have an even size to split in two; "
                         f"got shape {x.shape}.")
    a, b = np.split(x, 2, axis=axis)
    return a * sigmoid(b)


def glu_grad(dy, x, y, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    s = sigmoid(b)
    return np.concatenate([dy * s, dy * a * s * (1 - s)], axis=axis)


def hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > x.dtype.type(threshold), x, 0).astype(x.dtype)


def hard_shrink_grad(dy, x, y, threshold=0.5):
    return dy * (np.abs(x) > x.dtype.type(threshold))


def soft_shrink(x, threshold=0.5):
    """x moved towards 0 by ``threshold``, 0 inside [-threshold, threshold]."""
    t = x.dtype.type(threshold)
    return np.where(x > t, x - t, np.where(x < -t, x + t, 0)).astype(x.dtype)


def soft_shrink_grad(dy, x, y, threshold=0.5):
    return dy * (np.abs(x) > x.dtype.type(threshold))


def hard_silu(x):
    """x * hard_sigmoid(x), Keras 3's hard_silu (alias hard_swish)."""
    return x * hard_sigmoid(x)


def hard_silu_grad(dy, x, y):
    return dy * (hard_sigmoid(x) + x * ((x > -3) & (x < 3)) / 6)


def hard_tanh(x):
    return np.clip(x, -1, 1)


def hard_tanh_grad(dy, x, y):
    # tf.clip_by_value passes the gradient where the bounds are not active (inclusive)
    return dy * ((x >= -1) & (x <= 1))


def log_sigmoid(x):
    """log sigmoid(x) = -softplus(-x), finite for every x."""
    return -softplus(-x)


def log_sigmoid_grad(dy, x, y):
    return dy * sigmoid(-x)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_grad(dy, x, y, axis=-1):
    # y = x - logsumexp(x): dx = dy - softmax(x) * sum(dy), with softmax = e^y
    return dy - np.exp(y) * dy.sum(axis=axis, keepdims=True)


def mish(x):
    """x tanh(softplus(x))."""
    return x * np.tanh(softplus(x))


def mish_grad(dy, x, y):
    th = np.tanh(softplus(x))
    return dy * (th + x * (1 - th * th) * sigmoid(x))


def sparse_plus(x):
    """0 below -1, (x + 1)^2 / 4 on [-1, 1), x above: a softplus made of pieces."""
    return np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)).astype(x.dtype)


def sparse_plus_grad(dy, x, y):
    return dy * np.where(x <= -1, 0, np.where(x < 1, (x + 1) / 2, 1)).astype(x.dtype)


def sparse_sigmoid(x):
    """0 below -1, (x + 1) / 2 on (-1, 1), 1 above: a sigmoid made of pieces."""
    return np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)).astype(x.dtype)


def sparse_sigmoid_grad(dy, x, y):
    return dy * ((x > -1) & (x < 1)) / 2


def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the simplex along ``axis`` (Martins & Astudillo, 2016).

    max(x - tau, 0), tau chosen so each row sums to 1: sort descending, keep the
    k largest where 1 + k z_(k) > z_(1) + ... + z_(k), tau = (that sum - 1) / k.
    """
    z = np.moveaxis(x, axis, -1)
    zs = -np.sort(-z, axis=-1)
    cum = np.cumsum(zs, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
    support = 1 + k * zs > cum
    k_max = support.sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cum, k_max - 1, axis=-1) - 1) / k_max.astype(x.dtype)
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis)


def sparsemax_grad(dy, x, y, axis=-1):
    # On the support S (y > 0) the Jacobian is I - 1 1^T / |S|: dx = dy - mean_S(dy) there, 0 off it
    on = y > 0
    mean = (dy * on).sum(axis=axis, keepdims=True) / on.sum(axis=axis, keepdims=True)
    return np.where(on, dy - mean, 0).astype(dy.dtype)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2: a smooth relu with only a square root."""
    return (x + np.sqrt(x * x + x.dtype.type(b))) / 2


def squareplus_grad(dy, x, y, b=4):
    return dy * (1 + x / np.sqrt(x * x + x.dtype.type(b))) / 2


def tanh_shrink(x):
    return x - np.tanh(x)


def tanh_shrink_grad(dy, x, y):
    return dy * np.tanh(x) ** 2


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    t = x.dtype.type
    return np.where(x > t(threshold), x, t(default_value))


def threshold_grad(dy, x, y, threshold, default_value):
    return dy * (x > x.dtype.type(threshold))


def activation_forward(x, fn, **kwargs):
    """y = fn(x). Returns (y, cache) like every kernel."""
    y = fn(x, **kwargs)
    return y, (x, y)


def activation_backward(dy, cache, grad, **kwargs):
    x, y = cache
    return grad(dy, x, y, **kwargs)
