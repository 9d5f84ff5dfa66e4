"""Convolutions in any number of spatial dimensions: one implementation for 1-D, 2-D and 3-D.

Mirrors tf.keras.layers.Conv{1,2,3}D, Conv{1,2,3}DTranspose, DepthwiseConv{1,2}D,
SeparableConv{1,2}D and their tf.compat.v1.layers twins.

Layout: channels_last throughout, ``x: (batch, *spatial, channels)`` and Keras's
kernel layout ``(*kernel_size, in_channels // groups, filters)``. The layers
transpose channels_first inputs at their boundary.

A convolution is a matmul in disguise. Each output position sees a window of
``T = prod(kernel_size)`` input positions; gather every window into one row ("im2col"):

    cols[n, o, (t, c)] = x_padded[n, o * stride + t * dilation, c]     (M = batch * prod(out) rows)
    y = cols @ kernel.reshape(T * C, F)                                 one (M, T*C) @ (T*C, F) matmul

The gather is a Python loop over the T kernel taps, each step copying one strided
view of the whole batch; no loop ever runs over the batch or the output positions.
Backward is two more matmuls with the same ``cols``:

    dkernel = cols.T @ dy          dcols = dy @ kernel.T, then scattered back ("col2im") to dx

The scatter is the *adjoint* of the gather. That is the whole story of the
transposed convolution: its forward pass is the convolution's dx (col2im of
``x @ kernel.T``), and its backward pass is the convolution's forward. The
functions below are written once and used both ways.

Groups split the channels into ``g`` independent convolutions; the matmuls then
carry a leading group axis: ``(g, M, T*C/g) @ (g, T*C/g, F/g)``. A depthwise
convolution is the grouped one with ``g = channels``; a separable convolution
is a depthwise one followed by a 1x1 ("pointwise") one.

This module reads straight through; the layers run ``tflearn_kit/fast/conv.py``,
the same functions with the same numbers (tests/test_fast.py), faster on big
arrays: gather, matmul and scatter a block of images at a time while it is in
cache, on both cores; a depthwise convolution tap by tap with no matmul; a 1x1
convolution as a plain matmul.
"""
import itertools
import math
from dataclasses import dataclass

import numpy as np


# ---- geometry ---------------------------------------------------------------------------

def effective_kernel_size(k, dilation=1):
    """A kernel of k taps spaced ``dilation`` apart spans (k - 1) * dilation + 1 inputs."""
    return (k - 1) * dilation + 1


def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
    """Output length of a convolution along one axis (Keras's compute_conv_output_shape).

    valid:         floor((n - k_eff) / stride) + 1       (may be <= 0: the input is too small)
    same, causal:  ceil(n / stride)
    """
    if padding == "valid":
        return (n - effective_kernel_size(k, dilation)) // stride + 1
    if padding in ("same", "causal"):
        return -(-n // stride)
    raise ValueError(f"conv_output_size: padding must be 'valid', 'same' or 'causal'; got {padding!r}.")


def conv_padding(in_sizes, kernel_size, strides, dilation, padding):
    """Explicit (before, after) zero padding per spatial axis, as TensorFlow pads.

    same:   total = max((out - 1) * stride + k_eff - n, 0), the odd one goes *after*
    causal: k_eff - 1 before, nothing after, so output t sees only inputs <= t
    """
    pads = []
    for n, k, s, d in zip(in_sizes, kernel_size, strides, dilation):
        k_eff = effective_kernel_size(k, d)
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((k_eff - 1, 0))
        elif padding == "same":
            total = max((conv_output_size(n, k, s, d, "same") - 1) * s + k_eff - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"conv_padding: padding must be 'valid', 'same' or 'causal'; got {padding!r}.")
    return tuple(pads)


def conv_transpose_output_size(n, k, stride=1, dilation=1, padding="valid", output_padding=None):
    """Output length of a transposed convolution along one axis (Keras's formula).

    valid: (n - 1) * stride + k_eff + output_padding    (output_padding default: max(k_eff, stride) - k_eff)
    same:  n * stride when output_padding is None, else (n - 1) * stride + k_eff % 2 + output_padding
    """
    k_eff = effective_kernel_size(k, dilation)
    if padding == "valid":
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        return (n - 1) * stride + k_eff + extra
    if padding == "same":
        if output_padding is None:
            return n * stride
        return (n - 1) * stride + k_eff % 2 + output_padding
    raise ValueError(f"conv_transpose_output_size: padding must be 'valid' or 'same'; got {padding!r}.")


@dataclass(frozen=True)
class Geometry:
    """Everything about one convolution but the numbers: input -> output sizes and how."""
    in_spatial: tuple
    out_spatial: tuple
    kernel_size: tuple
    strides: tuple
    dilation: tuple
    pads: tuple
    groups: int = 1

    @property
    def taps(self):
        return math.prod(self.kernel_size)

    def windows(self):
        """For each kernel tap: the index that picks, for every output position, its input."""
        ranges = [range(k) for k in self.kernel_size]
        for tap in itertools.product(*ranges):
            yield (slice(None),) + tuple(
                slice(t * d, t * d + (o - 1) * s + 1, s)
                for t, d, o, s in zip(tap, self.dilation, self.out_spatial, self.strides)
            ) + (slice(None),)


def conv_geometry(in_spatial, kernel_size, strides=None, dilation=None, padding="valid", groups=1,
                  pads=None):
    """A Geometry from sizes and a padding mode (or explicit ``pads``)."""
    rank = len(in_spatial)
    strides = tuple(strides or (1,) * rank)
    dilation = tuple(dilation or (1,) * rank)
    if pads is None:
        pads = conv_padding(in_spatial, kernel_size, strides, dilation, padding)
    out = tuple((n + lo + hi - effective_kernel_size(k, d)) // s + 1
                for n, (lo, hi), k, s, d in zip(in_spatial, pads, kernel_size, strides, dilation))
    return Geometry(tuple(in_spatial), out, tuple(kernel_size), strides, dilation, tuple(pads), groups)


# ---- the three building blocks ------------------------------------------------------------

def _padded(spatial, pads):
    """Spatial sizes after zero padding."""
    return tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))


def _interior(spatial, pads):
    """The index of the unpadded part of a padded (N, *spatial_padded, C) array."""
    return (slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, pads))


def _pad(x, pads, value=0):
    """Pad the spatial axes of (N, *spatial, C) with ``value`` (max pooling pads with -inf);
    no copy when there is nothing to pad."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = np.full((x.shape[0], *_padded(x.shape[1:-1], pads), x.shape[-1]), value, dtype=x.dtype)
    xp[_interior(x.shape[1:-1], pads)] = x
    return xp


def _unpad(xp, spatial, pads):
    """The inverse of _pad: the interior view of xp (xp itself when nothing was padded)."""
    return xp[_interior(spatial, pads)] if any(lo or hi for lo, hi in pads) else xp


def im2col(x, geom):
    """Gather every window: x (N, *in, C) -> cols (g, M, T * C/g), M = N * prod(out).

    Row m of group j holds the T taps of channels j*C/g .. (j+1)*C/g - 1 of one
    output position, tap-major, so a kernel (*k, C/g, F) reshaped to (T*C/g, F)
    lines up with it. One step per tap: tap t of every window, across the whole
    batch, is one strided view of the padded input.

    The fast path is ``fast.conv.im2col``: it copies the taps on every core and
    makes a 1x1 convolution a plain matmul on x (no copy).
    """
    n, c, g = x.shape[0], x.shape[-1], geom.groups
    xp = _pad(x, geom.pads)
    cols = np.empty((g, n, *geom.out_spatial, geom.taps, c // g), dtype=x.dtype)
    for t, window in enumerate(geom.windows()):
        view = xp[window]                            # (N, *out, C): tap t of every window
        cols[..., t, :] = np.moveaxis(view.reshape(*view.shape[:-1], g, c // g), -2, 0)
    return cols.reshape(g, n * math.prod(geom.out_spatial), geom.taps * (c // g))


def col2im(dcols, geom, channels):
    """The adjoint of im2col: add every window's row back where it came from.

    dcols (g, M, T * C/g) -> dx (N, *in, C). Overlapping windows add up; inputs no
    window touched (trailing rows a stride skips) stay zero.

    The fast path is ``fast.conv.col2im`` (the two halves of the batch on two cores).
    """
    g = geom.groups
    n = dcols.shape[1] // math.prod(geom.out_spatial)
    dxp = np.zeros((n, *_padded(geom.in_spatial, geom.pads), channels), dtype=dcols.dtype)
    per_tap = dcols.reshape(g, n, *geom.out_spatial, geom.taps, channels // g)
    for t, window in enumerate(geom.windows()):
        view = dxp[window]
        target = np.moveaxis(view.reshape(*view.shape[:-1], g, channels // g), -2, 0)
        target += per_tap[..., t, :]                 # writes through the view into dxp
    return _unpad(dxp, geom.in_spatial, geom.pads)


def _kernel_matrix(kernel, g):
    """(*k, C/g, F) -> (g, T * C/g, F/g): the kernel as one matrix per group."""
    *ks, cg, f = kernel.shape
    return kernel.reshape(math.prod(ks), cg, g, f // g).transpose(2, 0, 1, 3).reshape(g, -1, f // g)


def _rows(y, g):
    """(N, *out, F) -> (g, M, F/g), a view when g == 1."""
    f = y.shape[-1]
    if g == 1:
        return y.reshape(1, -1, f)
    return np.moveaxis(y.reshape(-1, g, f // g), 1, 0)


def _unrows(rows, lead_shape):
    """(g, M, F/g) -> (N, *out, F)."""
    g, m, fg = rows.shape
    if g == 1:
        return rows.reshape(*lead_shape, fg)
    return rows.transpose(1, 0, 2).reshape(*lead_shape, g * fg)


def apply_kernel(cols, kernel, geom, batch):
    """y = cols @ kernel, per group: (g, M, T*C/g) -> (N, *out, F)."""
    k = _kernel_matrix(kernel, geom.groups)
    y = cols[0] @ k[0] if geom.groups == 1 else np.matmul(cols, k)
    return _unrows(y.reshape(geom.groups, *y.shape[-2:]), (batch, *geom.out_spatial))


def kernel_grad(cols, dy, kernel_shape, geom):
    """dkernel = cols.T @ dy, per group, in Keras's layout (*k, C/g, F)."""
    g = geom.groups
    d = _rows(dy, g)
    dk = cols[0].T @ d[0] if g == 1 else np.matmul(cols.transpose(0, 2, 1), d)
    *ks, cg, f = kernel_shape
    return dk.reshape(g, math.prod(ks), cg, f // g).transpose(1, 2, 0, 3).reshape(kernel_shape)


def input_grad(dy, kernel, geom, channels):
    """dx = col2im(dy @ kernel.T): dy (N, *out, F) -> dx (N, *in, C), for any stride and groups.

    The fast path is ``fast.conv.input_grad``: with one group, each core multiplies
    and scatters a block of images at a time, so the (M, T*C) product never leaves
    the cache (``input_grad_blocks``).
    """
    g = geom.groups
    k, d = _kernel_matrix(kernel, g), _rows(dy, g)
    dcols = d[0] @ k[0].T if g == 1 else np.matmul(d, k.transpose(0, 2, 1))
    return col2im(dcols.reshape(g, *dcols.shape[-2:]), geom, channels)


def _bias_grad(dy):
    return dy.reshape(-1, dy.shape[-1]).sum(axis=0)      # the bias is shared by every position


# ---- convolution ------------------------------------------------------------------------

def conv_forward(x, kernel, bias=None, geom=None):
    """y[n, o, f] = sum_{t, c} x_padded[n, o * stride + t * dilation, c] kernel[t, c, f] + bias[f].

    x: (N, *in, C)   kernel: (*k, C/g, F)   bias: (F,)   geom: conv_geometry(...)  ->  y: (N, *out, F)
    """
    cols = im2col(x, geom)
    y = apply_kernel(cols, kernel, geom, x.shape[0])
    if bias is not None:
        y += bias
    return y, (cols, kernel, geom, x.shape[-1], bias is not None)


def conv_backward(dy, cache):
    """dy: (N, *out, F) -> dx: (N, *in, C), [dkernel (*k, C/g, F), dbias (F,)]"""
    cols, kernel, geom, channels, has_bias = cache
    grads = [kernel_grad(cols, dy, kernel.shape, geom)]
    if has_bias:
        grads.append(_bias_grad(dy))
    return input_grad(dy, kernel, geom, channels), grads


# ---- transposed convolution: the adjoint of the convolution -----------------------------

def conv_transpose_geometry(in_spatial, kernel_size, strides=None, dilation=None, padding="valid",
                            output_padding=None):
    """The Geometry of the convolution whose adjoint this transposed convolution is.

    That convolution runs backwards: from the transpose's *output* (size given by
    Keras's formula) to its input, with TensorFlow's padding for that size.
    """
    rank = len(in_spatial)
    strides = tuple(strides or (1,) * rank)
    dilation = tuple(dilation or (1,) * rank)
    output_padding = output_padding or (None,) * rank
    out = tuple(conv_transpose_output_size(n, k, s, d, padding, p)
                for n, k, s, d, p in zip(in_spatial, kernel_size, strides, dilation, output_padding))
    geom = conv_geometry(out, kernel_size, strides, dilation, "same" if padding == "same" else "valid")
    if geom.out_spatial != tuple(in_spatial):
        raise ValueError(
            f"conv_transpose_geometry: an output of spatial size {out} does not convolve back to the "
            f"input size {tuple(in_spatial)} (kernel {tuple(kernel_size)}, strides {strides}, "
            f"padding {padding!r}, output_padding {tuple(output_padding)}).")
    return geom


def conv_transpose_forward(x, kernel, bias=None, geom=None):
    """y = A^T x, where A is the convolution of ``geom`` with ``kernel``: the conv's dx.

    x: (N, *in, C)   kernel: (*k, F, C) (Keras's transpose layout: the conv kernel from F to C)
    bias: (F,)   geom: conv_transpose_geometry(...)  ->  y: (N, *out, F)
    """
    y = input_grad(x, kernel, geom, kernel.shape[-2])      # a fresh array: the bias can go in place
    if bias is not None:
        y += bias
    return y, (x, kernel, geom, bias is not None)


def conv_transpose_backward(dy, cache):
    """dx = A dy (the convolution's forward), dkernel = the convolution's kernel gradient.

    dy: (N, *out, F) -> dx: (N, *in, C), [dkernel (*k, F, C), dbias (F,)]
    """
    x, kernel, geom, has_bias = cache
    cols = im2col(dy, geom)                      # gathered once, used by both matmuls
    dx = apply_kernel(cols, kernel, geom, dy.shape[0])
    grads = [kernel_grad(cols, x, kernel.shape, geom)]
    if has_bias:
        grads.append(_bias_grad(dy))
    return dx, grads


# ---- depthwise and separable ------------------------------------------------------------

def depthwise_forward(x, kernel, bias=None, geom=None):
    """Each channel convolved on its own, depth_multiplier times: a conv with groups = C.

    x: (N, *in, C)   kernel: (*k, C, m)   bias: (C*m,)   geom with groups=C  ->  y: (N, *out, C*m)
    Output channel c*m + j is channel c convolved with kernel[..., c, j], as tf.nn.depthwise_conv2d.
    """
    *ks, c, m = kernel.shape
    y, cache = conv_forward(x, kernel.reshape(*ks, 1, c * m), bias, geom)
    return y, (cache, kernel.shape)


def depthwise_backward(dy, cache):
    """dy: (N, *out, C*m) -> dx: (N, *in, C), [dkernel (*k, C, m), dbias (C*m,)]"""
    conv_cache, kernel_shape = cache
    dx, (dkernel, *dbias) = conv_backward(dy, conv_cache)
    return dx, [dkernel.reshape(kernel_shape), *dbias]


def separable_forward(x, depthwise_kernel, pointwise_kernel, bias=None, geom=None):
    """A depthwise convolution, then a 1x1 convolution mixing the C*m channels into F.

    x: (N, *in, C)   depthwise_kernel: (*k, C, m)   pointwise_kernel: (1, .., 1, C*m, F)
    bias: (F,)  ->  y: (N, *out, F)
    """
    z, depth_cache = depthwise_forward(x, depthwise_kernel, None, geom)
    point_geom = conv_geometry(geom.out_spatial, pointwise_kernel.shape[:-2])
    y, point_cache = conv_forward(z, pointwise_kernel, bias, point_geom)
    return y, (depth_cache, point_cache)


def separable_backward(dy, cache):
    """dy: (N, *out, F) -> dx, [ddepthwise_kernel, dpointwise_kernel, dbias]"""
    depth_cache, point_cache = cache
    dz, (dpointwise, *dbias) = conv_backward(dy, point_cache)
    dx, (ddepthwise,) = depthwise_backward(dz, depth_cache)     # the depthwise step has no bias
    return dx, [ddepthwise, dpointwise, *dbias]


# ---- the naive loop, for reading --------------------------------------------------------

def conv2d_forward_loops(x, kernel, bias=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """2-D convolution as the definition reads, one output number at a time.

    x: (N, H, W, C)   kernel: (kh, kw, C, F)   bias: (F,)  ->  y: (N, OH, OW, F)
    Slow on purpose (loops over batch, positions and filters); tested equal to conv_forward.
    """
    (sh, sw), (dh, dw) = strides, dilation
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    n_batch, hp, wp, _ = xp.shape
    kh, kw, _, n_filters = kernel.shape
    oh = (hp - effective_kernel_size(kh, dh)) // sh + 1
    ow = (wp - effective_kernel_size(kw, dw)) // sw + 1
    y = np.zeros((n_batch, oh, ow, n_filters), dtype=x.dtype)
    for n in range(n_batch):
        for i in range(oh):
            for j in range(ow):
                # the window this output sees: kh x kw taps, dilation apart, all channels
                rows = slice(i * sh, i * sh + (kh - 1) * dh + 1, dh)
                cols = slice(j * sw, j * sw + (kw - 1) * dw + 1, dw)
                window = xp[n, rows, cols, :]
                for f in range(n_filters):
                    y[n, i, j, f] = np.sum(window * kernel[:, :, :, f]) + (bias[f] if bias is not None else 0)
    return y


def conv2d_backward_loops(dy, x, kernel, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """The chain rule, one output number at a time: each y[n, i, j, f] sends dy back to its window.

    dy: (N, OH, OW, F)   x: (N, H, W, C)   kernel: (kh, kw, C, F)  ->  (dx, dkernel, dbias)
    """
    (sh, sw), (dh, dw) = strides, dilation
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    kh, kw, _, n_filters = kernel.shape
    n_batch, oh, ow, _ = dy.shape
    for n in range(n_batch):
        for i in range(oh):
            for j in range(ow):
                rows = slice(i * sh, i * sh + (kh - 1) * dh + 1, dh)
                cols = slice(j * sw, j * sw + (kw - 1) * dw + 1, dw)
                for f in range(n_filters):
                    g = dy[n, i, j, f]
                    dxp[n, rows, cols, :] += g * kernel[:, :, :, f]     # y depends on x through kernel
                    dkernel[:, :, :, f] += g * xp[n, rows, cols, :]     # ... and on kernel through x
    h, w = x.shape[1:3]
    dx = dxp[:, pads[0][0]: pads[0][0] + h, pads[1][0]: pads[1][0] + w, :]
    return dx, dkernel, dy.sum(axis=(0, 1, 2))
