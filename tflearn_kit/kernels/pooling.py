"""Max and average pooling in any number of spatial dimensions, channels last.

A pooling window walks the input exactly as a convolution's kernel does (dilation 1):
the same output sizes, the same 'same' padding as TensorFlow, the same strided view
per tap. So the geometry is the convolution's (``kernels/conv.py``), and only the
reduction differs: a max or a mean instead of a dot product with a kernel.

The kernels loop over the pool's *taps* (4 for a 2x2 pool), never over the batch
or the output positions: tap (i, j) of every window, across the whole batch, is the
strided view ``x[:, i::stride, j::stride, :]``, so each step is one vectorized
NumPy operation.

This module reads straight through; the layers run ``tflearn_kit/fast/pooling.py``,
the same numbers (tests/test_fast.py): the batch halves on two cores, and when the
windows tile the input (the common 2x2 pool) max pooling's backward in one pass
over the whole array instead of one per tap.

Mirrors tf.nn.max_pool / tf.nn.avg_pool (behind tf.keras.layers.MaxPooling2D,
tf.compat.v1.layers.max_pooling2d and their 1-D/3-D siblings).
"""
import math

import numpy as np

from .conv import _pad, _unpad, conv_geometry, conv_output_size, conv_padding


def pool_geometry(spatial, pool_size, strides, padding="valid"):
    """The convolution Geometry of a pool: output sizes, TF's padding, one view per tap."""
    geom = conv_geometry(spatial, pool_size, strides, padding=padding)
    for n, k, o in zip(spatial, pool_size, geom.out_spatial):
        if o <= 0:
            raise ValueError(f"pooling: a window of {k} does not fit an axis of length {n} "
                             "with padding='valid'.")
    return geom


def output_size(n, k, s, padding):
    """Windows along one axis of length n (pool k, stride s): the convolution's formula."""
    return conv_output_size(n, k, s, 1, padding)


def max_pool_forward(x, pool_size, strides, padding="valid"):
    """The largest element of each window.

    x: (batch, *spatial, channels)  ->  y: (batch, *out, channels)
    """
    geom = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
    xp = _pad(x, geom.pads, -np.inf)     # a padded element never wins (every window holds a real one)
    windows = list(geom.windows())
    y = xp[windows[0]].copy()
    for window in windows[1:]:
        np.maximum(y, xp[window], out=y)
    # the cache keeps its own copy of y: a caller may change the returned array in place
    return y, (xp, geom, y.copy())


def max_pool_backward(dy, cache):
    """dy: (batch, *out, channels) -> dx: (batch, *spatial, channels).

    Each window's dy goes to one element: the first maximum in the window's
    row-major order, the one TF's MaxPoolGrad picks. The taps are visited in that
    order; ``taken`` marks the windows already served, so a later tie gets nothing.

    The fast path is ``fast.pooling.max_pool_backward``: when the windows tile the
    input it does each step once over the whole array, and it splits the batch
    between the cores.
    """
    xp, geom, y = cache
    dxp = np.zeros(xp.shape, dtype=dy.dtype)
    taken = np.zeros(y.shape, dtype=bool)
    for window in geom.windows():
        hit = (xp[window] == y) & ~taken          # a maximum, and its window not yet served
        taken |= hit
        dxp[window] += dy * hit                   # overlapping windows add up
    return _unpad(dxp, geom.in_spatial, geom.pads), []


def window_counts(spatial, pool_size, strides, padding):
    """How many real (not padded) elements each window holds: (*out,).

    With padding='same' the windows at the border overlap the padding, and TF
    averages over the real elements only. The count is a product of one count
    per axis, since a window is a box.
    """
    counts = np.ones((), dtype=np.int64)
    pads = conv_padding(spatial, pool_size, strides, (1,) * len(spatial), padding)
    for n, k, s, (before, _) in zip(spatial, pool_size, strides, pads):
        start = np.arange(output_size(n, k, s, padding)) * s - before
        per_axis = np.minimum(start + k, n) - np.maximum(start, 0)
        counts = np.multiply.outer(counts, per_axis)
    return counts


def avg_pool_forward(x, pool_size, strides, padding="valid"):
    """The mean of the real elements of each window.

    x: (batch, *spatial, channels)  ->  y: (batch, *out, channels)
    """
    geom = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
    xp = _pad(x, geom.pads)
    windows = list(geom.windows())
    total = xp[windows[0]].copy()
    for window in windows[1:]:
        total += xp[window]
    counts = window_counts(x.shape[1:-1], pool_size, strides, padding)
    # with 'valid' every window is full: divide by one number rather than by an array
    counts = x.dtype.type(counts.flat[0]) if np.all(counts == counts.flat[0]) else \
        counts.astype(x.dtype)[..., None]
    total /= counts
    return total, (xp.shape, geom, counts)


def avg_pool_backward(dy, cache):
    """dy: (batch, *out, channels) -> dx: each element of a window receives dy / count.

    The fast path (``fast.pooling``) writes instead of adding when the windows do not overlap.
    """
    xp_shape, geom, counts = cache
    share = dy / counts
    dxp = np.zeros(xp_shape, dtype=dy.dtype)
    for window in geom.windows():
        dxp[window] += share
    return _unpad(dxp, geom.in_spatial, geom.pads), []


def max_pool2d_loops(x, pool_size, strides, padding="valid"):
    """2-D max pooling written as loops, for reading; tested equal to max_pool_forward.

    x: (batch, height, width, channels). Returns (y, dx_of) where dx_of(dy) is the
    backward pass, also by loops: each dy goes to the first maximum of its window.
    """
    (kh, kw), (sh, sw) = pool_size, strides
    batch, height, width, channels = x.shape
    geom = pool_geometry((height, width), pool_size, strides, padding)
    (oh, ow), ((top, _), (left, _)) = geom.out_spatial, geom.pads
    y = np.zeros((batch, oh, ow, channels), dtype=x.dtype)
    where = np.zeros((batch, oh, ow, channels, 2), dtype=np.int64)
    for n in range(batch):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    best, best_at = -np.inf, None
                    for di in range(kh):
                        for dj in range(kw):
                            r, q = i * sh + di - top, j * sw + dj - left
                            if 0 <= r < height and 0 <= q < width and x[n, r, q, c] > best:
                                best, best_at = x[n, r, q, c], (r, q)
                    y[n, i, j, c] = best
                    where[n, i, j, c] = best_at

    def dx_of(dy):
        dx = np.zeros_like(x)
        for n in range(batch):
            for i in range(oh):
                for j in range(ow):
                    for c in range(channels):
                        r, q = where[n, i, j, c]
                        dx[n, r, q, c] += dy[n, i, j, c]
        return dx

    return y, dx_of


def global_pool_forward(x, mode, keepdims=False):
    """Max or mean over every spatial axis. x: (batch, *spatial, channels) -> (batch, channels)."""
    axes = tuple(range(1, x.ndim - 1))
    y = x.max(axis=axes, keepdims=True) if mode == "max" else x.mean(axis=axes, keepdims=True)
    out = y if keepdims else y.reshape(x.shape[0], x.shape[-1])
    return out, (x, y, mode)


def global_pool_backward(dy, cache):
    """dy: (batch, channels) or keepdims -> dx: (batch, *spatial, channels).

    Global max splits dy evenly among tied maxima: that is TF's gradient of
    reduce_max (unlike MaxPool's single winner).
    """
    x, y, mode = cache
    dy = dy.reshape(y.shape)
    if mode == "max":
        hits = (x == y).astype(x.dtype)
        return hits * (dy / hits.sum(axis=tuple(range(1, x.ndim - 1)), keepdims=True)), []
    count = math.prod(x.shape[1:-1])
    return np.broadcast_to(dy / x.dtype.type(count), x.shape).copy(), []
