"""Inverted dropout: zero each element with probability ``rate``, scale the survivors by 1 / (1 - rate).

The scaling keeps the expected value of every element unchanged, so at
inference the layer is the identity and nothing has to be rescaled.
Mirrors tf.nn.dropout (behind tf.keras.layers.Dropout and tf.compat.v1.layers.dropout).
"""
import numpy as np


def keep_scale(rate, dtype):
    """1 / (1 - rate), computed as a Python float and then cast to dtype, as tf.nn.dropout does."""
    return np.dtype(dtype).type(1.0 / (1.0 - rate))


def dropout_mask(shape, rate, rng):
    """A keep mask of ``shape``: True where a uniform draw in [0, 1) is >= rate (TF's rule)."""
    return rng.random(shape) >= rate


def dropout_forward(x, rate, keep_mask):
    """y = x * keep_mask / (1 - rate).

    x: any shape   keep_mask: bool, broadcastable to x (a noise_shape mask drops whole
    rows or channels)  ->  y: like x
    """
    scale = keep_scale(rate, x.dtype)
    y = np.where(keep_mask, x * scale, x.dtype.type(0))
    return y, (keep_mask, scale)


def dropout_backward(dy, cache):
    """dy -> dx: the gradient flows through the kept elements only, with the same scale."""
    keep_mask, scale = cache
    return np.where(keep_mask, dy * scale, dy.dtype.type(0)), []
