"""Resampling kernels: nearest and bilinear upsampling, zero padding, cropping.

Every kernel works on channels_last arrays (batch, *spatial, channels); the layers
transpose channels_first inputs around them. Padding and cropping are each other's
gradient: the gradient of a zero pad is a crop of dy, and of a crop a zero pad.
"""
import numpy as np


def upsample_nearest_forward(x, size):
    """x: (batch, *spatial, C), size: one factor per spatial axis -> each value repeated size times."""
    y = x
    for axis, factor in enumerate(size, start=1):
        y = np.repeat(y, factor, axis=axis)
    return y, (x.shape, tuple(size))


def upsample_nearest_backward(dy, cache):
    """Each input value was copied into a block of the output: its gradient is the block's sum."""
    shape, size = cache
    split = [shape[0]]
    for n, f in zip(shape[1:-1], size):
        split += [n, f]
    blocks = dy.reshape(split + [shape[-1]])
    return blocks.sum(axis=tuple(range(2, 2 * len(size) + 1, 2))), []


def bilinear_matrix(n_in, factor, dtype):
    """(n_in * factor, n_in): row o holds the weights of output o on the inputs (half-pixel centres).

    The output pixel o sits at input coordinate (o + 0.5) / factor - 0.5 (clamped at
    0); it mixes its two neighbours linearly. TensorFlow computes those positions in
    float32 whatever the data's dtype (tf.image.resize); so does the kit.
    """
    n_out = n_in * factor
    scale = np.float32(n_in) / np.float32(n_out)
    pos = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    low = np.floor(pos)
    lerp = (pos - low).astype(dtype)
    i0 = np.clip(low, 0, n_in - 1).astype(int)
    i1 = np.clip(np.ceil(pos), 0, n_in - 1).astype(int)
    m = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), 1 - lerp)
    np.add.at(m, (rows, i1), lerp)
    return m


def upsample_bilinear_forward(x, size):
    """x: (batch, H, W, C) -> (batch, H*sh, W*sw, C): separable, one interpolation matrix per axis."""
    mh = bilinear_matrix(x.shape[1], size[0], x.dtype)
    mw = bilinear_matrix(x.shape[2], size[1], x.dtype)
    y = np.einsum("oh,bhwc->bowc", mh, x)
    y = np.einsum("pw,bowc->bopc", mw, y)
    return y, (mh, mw)


def upsample_bilinear_backward(dy, cache):
    """The transpose of each interpolation matrix, applied in the reverse order."""
    mh, mw = cache
    dx = np.einsum("pw,bopc->bowc", mw, dy)
    return np.einsum("oh,bowc->bhwc", mh, dx), []


def zero_pad_forward(x, padding):
    """padding: ((before, after), ...) per spatial axis of x (batch, *spatial, C)."""
    return np.pad(x, ((0, 0),) + tuple(padding) + ((0, 0),)), tuple(padding)


def zero_pad_backward(dy, cache):
    return crop_forward(dy, cache)[0], []


def crop_forward(x, cropping):
    """cropping: ((before, after), ...) per spatial axis: the slices that are kept."""
    index = (slice(None),) + tuple(slice(a, n - b) for (a, b), n in zip(cropping, x.shape[1:-1]))
    return x[index + (slice(None),)], tuple(cropping)


def crop_backward(dy, cache):
    return zero_pad_forward(dy, cache)[0], []
