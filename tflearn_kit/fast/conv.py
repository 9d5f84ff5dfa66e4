"""Fast convolutions: ``kernels/conv.py``'s functions, the same numbers, chosen by shape.

What each road buys (Conv2D 32x32x64->64 3x3 same, batch 32, 2 cores; see ``tflearn-kit bench``):

- ``im2col``: a 1x1 stride-1 convolution is a plain matmul on x itself (no copy at
  all); otherwise the tap copies, independent of each other, run on every core.
- ``col2im``: the two halves of the batch scatter on two cores (overlapping windows
  add into the same inputs, so the split is by image, not by tap).
- ``input_grad``: with stride 1 and one group, dx is a sum of T shifted
  ``dy @ kernel[t].T`` on the padded grid (``input_grad_shifted``): no (M, T*C)
  ``dcols`` and no strided scatter; about 20 ms instead of col2im's 45 on the bench.
"""
import itertools
import math

import numpy as np

from ..kernels import conv as readable
from ..kernels.conv import (_bias_grad, _kernel_matrix, _padded, _rows, _unpad, apply_kernel,
                            conv_geometry, kernel_grad)
from .parallel import batch_halves, on_every_core


def im2col(x, geom):
    """readable.im2col, with the 1x1 shortcut and the taps copied on every core."""
    n, c, g = x.shape[0], x.shape[-1], geom.groups
    rows = n * math.prod(geom.out_spatial)
    if geom.taps == 1 and all(s == 1 for s in geom.strides) and g == 1 and x.flags.c_contiguous \
            and tuple(x.shape[1:-1]) == geom.out_spatial:
        return x.reshape(1, rows, c)                 # a 1x1 convolution is a plain matmul: no copy
    xp = readable._pad(x, geom.pads)
    cols = np.empty((g, n, *geom.out_spatial, geom.taps, c // g), dtype=x.dtype)

    def copy_tap(tap):
        t, window = tap
        view = xp[window]                            # (N, *out, C), a strided view
        cols[..., t, :] = np.moveaxis(view.reshape(*view.shape[:-1], g, c // g), -2, 0)

    on_every_core(copy_tap, enumerate(geom.windows()), cols.size)     # the taps are independent copies
    return cols.reshape(g, rows, geom.taps * (c // g))


def col2im(dcols, geom, channels):
    """readable.col2im, the two halves of the batch on two cores."""
    g = geom.groups
    n = dcols.shape[1] // math.prod(geom.out_spatial)
    dxp = np.zeros((n, *_padded(geom.in_spatial, geom.pads), channels), dtype=dcols.dtype)
    per_tap = dcols.reshape(g, n, *geom.out_spatial, geom.taps, channels // g)

    def add_taps(images):
        for t, window in enumerate(geom.windows()):
            view = dxp[images][window]
            target = np.moveaxis(view.reshape(*view.shape[:-1], g, channels // g), -2, 0)
            target += per_tap[:, images, ..., t, :]      # writes through the views into dxp

    on_every_core(add_taps, batch_halves(n), dcols.size)
    return _unpad(dxp, geom.in_spatial, geom.pads)


def input_grad(dy, kernel, geom, channels):
    """dx = col2im(dy @ kernel.T): the shifted sum when the stride is 1 with one group, else col2im."""
    if geom.groups == 1 and all(s == 1 for s in geom.strides):
        return input_grad_shifted(dy, kernel, geom, channels)
    g = geom.groups
    k, d = _kernel_matrix(kernel, g), _rows(dy, g)
    dcols = d[0] @ k[0].T if g == 1 else np.matmul(d, k.transpose(0, 2, 1))
    return col2im(dcols.reshape(g, *dcols.shape[-2:]), geom, channels)


def input_grad_shifted(dy, kernel, geom, channels):
    """dx of a stride-1 convolution as T shifted matmuls, with no col2im.

    Lay the padded input grid out as rows, one per position: ``(N * prod(padded), C)``.
    With stride 1, output position ``r`` (numbered on that same grid) reads, through
    tap t, input row ``r + offset[t]``, where ``offset[t]`` is the tap's position
    flattened with the grid's row strides. So col2im's "add tap t's block of dcols
    back into its window" becomes "add ``dy_grid @ kernel[t].T`` into the rows
    shifted by ``offset[t]``": a contiguous slice, no strided scatter, and a
    (rows, C) temporary instead of a (M, T*C) one.

    ``dy_grid`` is dy placed on the padded grid with zeros elsewhere; those grid
    positions that are not outputs (their window would cross an edge) add nothing.
    """
    n, f = dy.shape[0], dy.shape[-1]
    grid = _padded(geom.in_spatial, geom.pads)
    row_strides = [math.prod(grid[i + 1:]) for i in range(len(grid))]
    offsets = [sum(t * d * s for t, d, s in zip(tap, geom.dilation, row_strides))
               for tap in itertools.product(*(range(k) for k in geom.kernel_size))]
    rows = n * math.prod(grid)
    reach = rows - offsets[-1]              # every real output sits in the first `reach` rows
    outputs = (slice(None),) + tuple(slice(0, o) for o in geom.out_spatial)

    dy_grid = np.zeros((n, *grid, f), dtype=dy.dtype)
    dy_grid[outputs] = dy
    dy_rows = dy_grid.reshape(rows, f)[:reach]
    per_tap = kernel.reshape(geom.taps, channels, f)

    dxp = np.empty((rows, channels), dtype=dy.dtype)
    np.matmul(dy_rows, per_tap[0].T, out=dxp[:reach])     # tap 0 has offset 0: write, don't add
    dxp[reach:] = 0
    block = np.empty((reach, channels), dtype=dy.dtype)
    for offset, kernel_t in zip(offsets[1:], per_tap[1:]):
        np.matmul(dy_rows, kernel_t.T, out=block)
        dxp[offset:offset + reach] += block
    return _unpad(dxp.reshape(n, *grid, channels), geom.in_spatial, geom.pads)


# ---- the layers' entry points: readable's compositions over the pieces above ---------------

def conv_forward(x, kernel, bias=None, geom=None):
    """readable.conv_forward (same cache)."""
    cols = im2col(x, geom)
    y = apply_kernel(cols, kernel, geom, x.shape[0])
    if bias is not None:
        y += bias
    return y, (cols, kernel, geom, x.shape[-1], bias is not None)


def conv_backward(dy, cache):
    """readable.conv_backward."""
    cols, kernel, geom, channels, has_bias = cache
    grads = [kernel_grad(cols, dy, kernel.shape, geom)]
    if has_bias:
        grads.append(_bias_grad(dy))
    return input_grad(dy, kernel, geom, channels), grads


def conv_transpose_forward(x, kernel, bias=None, geom=None):
    """readable.conv_transpose_forward."""
    y = input_grad(x, kernel, geom, kernel.shape[-2])      # a fresh array: the bias can go in place
    if bias is not None:
        y += bias
    return y, (x, kernel, geom, bias is not None)


def conv_transpose_backward(dy, cache):
    """readable.conv_transpose_backward."""
    x, kernel, geom, has_bias = cache
    cols = im2col(dy, geom)
    dx = apply_kernel(cols, kernel, geom, dy.shape[0])
    grads = [kernel_grad(cols, x, kernel.shape, geom)]
    if has_bias:
        grads.append(_bias_grad(dy))
    return dx, grads


def depthwise_forward(x, kernel, bias=None, geom=None):
    """readable.depthwise_forward."""
    *ks, c, m = kernel.shape
    y, cache = conv_forward(x, kernel.reshape(*ks, 1, c * m), bias, geom)
    return y, (cache, kernel.shape)


def depthwise_backward(dy, cache):
    """readable.depthwise_backward."""
    conv_cache, kernel_shape = cache
    dx, (dkernel, *dbias) = conv_backward(dy, conv_cache)
    return dx, [dkernel.reshape(kernel_shape), *dbias]


def separable_forward(x, depthwise_kernel, pointwise_kernel, bias=None, geom=None):
    """readable.separable_forward."""
    z, depth_cache = depthwise_forward(x, depthwise_kernel, None, geom)
    point_geom = conv_geometry(geom.out_spatial, pointwise_kernel.shape[:-2])
    y, point_cache = conv_forward(z, pointwise_kernel, bias, point_geom)
    return y, (depth_cache, point_cache)


def separable_backward(dy, cache):
    """readable.separable_backward."""
    depth_cache, point_cache = cache
    dz, (dpointwise, *dbias) = conv_backward(dy, point_cache)
    dx, (ddepthwise,) = depthwise_backward(dz, depth_cache)
    return dx, [ddepthwise, dpointwise, *dbias]
