"""The fully connected kernel. Mirrors tf.keras.layers.Dense and tf.compat.v1.layers.dense."""
import numpy as np


def dense_forward(x, kernel, bias=None):
    """y = x @ kernel + bias.

    x: (batch, ..., in)   kernel: (in, units)   bias: (units,)  ->  y: (batch, ..., units)
    """
    y = x @ kernel
    if bias is not None:
        y = y + bias
    return y, (x, kernel, bias is not None)


def dense_backward(dy, cache):
    """dy: (batch, ..., units) -> dx: (batch, ..., in), [dkernel (in, units), dbias (units,)]"""
    x, kernel, has_bias = cache
    rows_x = x.reshape(-1, x.shape[-1])        # every leading axis is a batch axis
    rows_dy = dy.reshape(-1, dy.shape[-1])
    dx = dy @ kernel.T
    grads = [rows_x.T @ rows_dy]
    if has_bias:
        grads.append(rows_dy.sum(axis=0))      # the bias is shared by every row
    return dx, grads


def dense_forward_loops(x, kernel, bias=None):
    """The same product written as loops, for reading: y[n, j] = sum_i x[n, i] kernel[i, j] + bias[j].

    x: (batch, in) only. Slow on purpose; tested equal to dense_forward.
    """
    batch, n_in = x.shape
    units = kernel.shape[1]
    y = np.zeros((batch, units), dtype=x.dtype)
    for n in range(batch):
        for j in range(units):
            total = bias[j] if bias is not None else 0.0
            for i in range(n_in):
                total += x[n, i] * kernel[i, j]
            y[n, j] = total
    return y
