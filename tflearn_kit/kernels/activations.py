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


def relu(x):
    return np.maximum(x, 0)


def relu_grad(dy, x, y):
    return dy * (x > 0)          # TF's convention: the derivative at 0 is 0


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


def activation_forward(x, fn, **kwargs):
    """y = fn(x). Returns (y, cache) like every kernel."""
    y = fn(x, **kwargs)
    return y, (x, y)


def activation_backward(dy, cache, grad, **kwargs):
    x, y = cache
    return grad(dy, x, y, **kwargs)
