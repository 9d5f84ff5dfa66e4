"""Exercises of 03_convolutions: the output-size formula, the naive 2-D convolution forward and backward,
and the vectorized (im2col) forward."""
import numpy as np

from ...kernels import conv as K
from ...tolerances import STUDENT as RTOL
from ..exercises import Case, Exercise, seeded


def size_case(seed, padding, stride=1, dilation=1, odd=False, even_gap=False):
    """(n, k, stride, dilation, padding) with n and k drawn from ``seed`` (salted when graded).

    ``odd``: n odd, so that with stride 2 rounding n / 2 up and down differ; ``even_gap``: n - span
    even, so that with stride 2 (n - span) // 2 + 1 and (n - span + 1) // 2 differ.
    """
    g = seeded(seed)
    k = int(g.integers(2, 6))      # k >= 2: with k = 1 every padding gives the same size
    span = (k - 1) * dilation + 1
    n = int(g.integers(span, span + 13))
    if odd:
        n |= 1
    if even_gap:
        n -= (n - span) % 2
    return n, k, stride, dilation, padding


CONV_OUTPUT_SIZE = Exercise(
    function="conv_output_size",
    reference=K.conv_output_size,
    visible=[
        Case("n7-k3-valid", lambda: (7, 3, 1, 1, "valid")),
        Case("n7-k3-stride2-same", lambda: (7, 3, 2, 1, "same")),
        Case("n10-k3-dilated2-valid", lambda: (10, 3, 1, 2, "valid")),
        Case("n7-k3-stride2-valid", lambda: (7, 3, 2, 1, "valid")),
        Case("n6-k3-causal", lambda: (6, 3, 1, 1, "causal")),
    ],
    hidden=[
        Case("stride3-valid", lambda: size_case(seed=70, padding="valid", stride=3)),
        Case("stride2-same", lambda: size_case(seed=71, padding="same", stride=2)),
        Case("dilated3-causal", lambda: size_case(seed=72, padding="causal", dilation=3)),
        Case("n1-k1", lambda: (1, 1, 1, 1, "valid")),
        # dilation 3 and stride 2: a span of k, or of k * dilation, always gives another size
        Case("dilated3-stride2-valid", lambda: size_case(seed=73, padding="valid", stride=2, dilation=3,
                                                                    even_gap=True)),
        Case("odd-n-stride2-same", lambda: size_case(seed=74, padding="same", stride=2, odd=True)),
    ],
    points=1,
    look="the window's span with dilation, the rounding (floor for valid, ceil for same/causal), and causal's size",
    hint="valid: the window's span is (k - 1) * dilation + 1, so floor((n - span) / stride) + 1 windows fit; "
         "same and causal: ceil(n / stride) (use -(-n // stride)).",
)


NO_PADS = ((0, 0), (0, 0))


def conv_case(seed, batch, hw, channels, kernel_hw, filters, strides=(1, 1), pads=NO_PADS, bias=True):
    """(x, kernel, bias, strides, pads) for a 2-D convolution, the numbers drawn from ``seed``."""
    g = seeded(seed)
    x = g.standard_normal((batch, *hw, channels))
    kernel = g.standard_normal((*kernel_hw, channels, filters))
    b = g.standard_normal(filters) if bias else None
    return x, kernel, b, strides, pads


def _conv_forward_ref(x, kernel, bias, strides, pads):
    geom = K.conv_geometry(x.shape[1:3], kernel.shape[:2], strides, pads=pads)
    return K.conv_forward(x, kernel, bias, geom)[0]


def _pads_read_as(order):
    """The forward pass with pads misread: ((t, b), (l, r)) taken as ((t, l), (b, r)), or each side's first amount twice."""
    def wrong(x, kernel, bias, strides, pads):
        (t, b), (l, r) = pads
        misread = ((t, l), (b, r)) if order == "top-left" else ((t, t), (l, l))
        return _conv_forward_ref(x, kernel, bias, strides, misread)
    return wrong


PADS_SIGNATURES = [
    ("padding read as ((top, left), (bottom, right))", _pads_read_as("top-left"),
     "pads are ((top, bottom), (left, right)), one pair per axis"),
    ("padding split symmetrically (top on both sides, left on both sides)", _pads_read_as("symmetric"),
     "the pads may differ: pad (top, bottom) rows and (left, right) columns, as given"),
    ("strides read as (cols, rows)",
     lambda x, kernel, bias, strides, pads: _conv_forward_ref(x, kernel, bias, strides[::-1], pads),
     "strides are (rows, cols): sh moves down, sw moves right"),
]

CONV2D_FORWARD = Exercise(
    function="conv2d_forward",
    reference=_conv_forward_ref,
    visible=[
        Case("3x3-valid", lambda: conv_case(seed=0, batch=2, hw=(5, 5), channels=2, kernel_hw=(3, 3), filters=3)),
        Case("3x3-padded1", lambda: conv_case(seed=1, batch=1, hw=(4, 5), channels=3, kernel_hw=(3, 3), filters=2,
                                              pads=((1, 1), (1, 1)))),
        Case("stride2-no-bias", lambda: conv_case(seed=2, batch=2, hw=(7, 6), channels=2, kernel_hw=(3, 2),
                                                  filters=4, strides=(2, 2), bias=False)),
        # pads ((top, bottom), (left, right)) with bottom != left: read in another order, they differ
        Case("stride2x1-asymmetric-pads", lambda: conv_case(seed=6, batch=1, hw=(6, 7), channels=2, kernel_hw=(2, 3),
                                                            filters=2, strides=(2, 1), pads=((1, 0), (2, 1)))),
    ],
    hidden=[
        Case("stride2x1-asymmetric-pads",
             lambda: conv_case(seed=3, batch=2, hw=(6, 7), channels=3, kernel_hw=(2, 3), filters=2, strides=(2, 1),
                               pads=((0, 1), (1, 1)))),
        Case("1x1", lambda: conv_case(seed=4, batch=3, hw=(4, 4), channels=5, kernel_hw=(1, 1), filters=3)),
        Case("kernel-covers-input", lambda: conv_case(seed=5, batch=1, hw=(3, 3), channels=2, kernel_hw=(3, 3),
                                                      filters=2)),
        Case("stride1x2-asymmetric-pads", lambda: conv_case(seed=7, batch=2, hw=(5, 6), channels=2, kernel_hw=(3, 2),
                                                            filters=3, strides=(1, 2), pads=((2, 0), (1, 2)))),
    ],
    points=3,
    answers=("tflearn_kit.kernels.conv.conv2d_forward_loops",),
    look="the order of pads: ((top, bottom), (left, right)); strides (rows, cols); non-square kernels",
    signatures=PADS_SIGNATURES,
    hint="Pad x first (np.pad on axes 1 and 2). Output (i, j) sees the window "
         "xp[n, i*sh : i*sh + kh, j*sw : j*sw + kw, :]; "
         "y[n, i, j, f] = sum(window * kernel[..., f]) + bias[f].",
)


def conv_bwd_case(seed, batch, hw, channels, kernel_hw, filters, strides=(1, 1), pads=NO_PADS):
    """(dy, x, kernel, strides, pads): conv_case's inputs and an upstream gradient of the output's shape."""
    x, kernel, _, strides, pads = conv_case(seed=seed, batch=batch, hw=hw, channels=channels, kernel_hw=kernel_hw,
                                            filters=filters, strides=strides, pads=pads, bias=False)
    out = K.conv_geometry(hw, kernel_hw, strides, pads=pads).out_spatial
    dy = seeded(seed + 100).standard_normal((batch, *out, filters))
    return dy, x, kernel, strides, pads


def _conv_backward_ref(dy, x, kernel, strides, pads):
    geom = K.conv_geometry(x.shape[1:3], kernel.shape[:2], strides, pads=pads)
    _, cache = K.conv_forward(x, kernel, None, geom)
    dx, (dkernel,) = K.conv_backward(dy, cache)
    return dx, dkernel, dy.sum(axis=(0, 1, 2))


CONV2D_BACKWARD = Exercise(
    function="conv2d_backward",
    reference=_conv_backward_ref,
    visible=[
        Case("3x3-valid", lambda: conv_bwd_case(seed=10, batch=2, hw=(5, 5), channels=2, kernel_hw=(3, 3),
                                                filters=3)),
        Case("3x3-padded1", lambda: conv_bwd_case(seed=11, batch=1, hw=(4, 5), channels=3, kernel_hw=(3, 3),
                                                  filters=2, pads=((1, 1), (1, 1)))),
        # bottom > top: padded symmetrically from top, the last windows run off the input
        Case("stride2x1-asymmetric-pads", lambda: conv_bwd_case(seed=14, batch=1, hw=(6, 7), channels=2,
                                                                kernel_hw=(2, 3), filters=2, strides=(2, 1),
                                                                pads=((0, 2), (1, 1)))),
    ],
    hidden=[
        Case("stride2", lambda: conv_bwd_case(seed=12, batch=2, hw=(7, 6), channels=2, kernel_hw=(3, 2), filters=4,
                                              strides=(2, 2))),
        Case("stride2x1-asymmetric-pads", lambda: conv_bwd_case(seed=13, batch=2, hw=(6, 7), channels=3,
                                                                kernel_hw=(2, 3), filters=2, strides=(2, 1),
                                                                pads=((0, 1), (1, 1)))),
        Case("stride1x2-asymmetric-pads", lambda: conv_bwd_case(seed=15, batch=2, hw=(5, 6), channels=2,
                                                                kernel_hw=(3, 2), filters=3, strides=(1, 2),
                                                                pads=((0, 2), (1, 0)))),
    ],
    points=3,
    answers=("tflearn_kit.kernels.conv.conv2d_backward_loops", "tflearn_kit.kernels.conv.conv_backward",
             "tflearn_kit.kernels.conv.col2im"),
    look="the stride between windows, the pads' order ((top, bottom), (left, right)), and where dx is cropped",
    outputs=("dx", "dkernel", "dbias"),
    hint="Loop as in the forward pass. Each y[n, i, j, f] adds dy[n, i, j, f] * kernel[..., f] to its window "
         "of dx_padded and dy[n, i, j, f] * window to dkernel[..., f]; crop the padding off dx at the end. "
         "Return (dx, dkernel, dbias).",
)

def conv_case32(**kw):
    """conv_case in float32: the vectorized forward must keep the inputs' dtype."""
    x, kernel, bias, strides, pads = conv_case(**kw)
    return (x.astype(np.float32), kernel.astype(np.float32), None if bias is None else bias.astype(np.float32),
            strides, pads)


def _columns_channel_first(x, kernel, bias, strides, pads):
    """Columns ordered (C, kh, kw) against kernel.reshape(kh * kw * C, F), which reads (kh, kw, C): the same as
    the right forward pass with the kernel's rows renumbered that way."""
    kh, kw, c, f = kernel.shape
    misread = kernel.reshape(c, kh, kw, f).transpose(1, 2, 0, 3)
    return _conv_forward_ref(x, misread, bias, strides, pads)


def _kernel_filters_first(x, kernel, bias, strides, pads):
    """kernel.reshape(F, -1).T: the kernel read as if it were laid out (F, kh, kw, C), PyTorch-style."""
    kh, kw, c, f = kernel.shape
    return _conv_forward_ref(x, kernel.reshape(f, kh * kw * c).T.reshape(kh, kw, c, f), bias, strides, pads)


def _im2col_misarranged(taps_axis, swap_out=False):
    """im2col with the taps stacked on ``taps_axis`` of (N, OH, OW, C) before the rows are cut, or its output
    reshaped (N, OW, OH, F) and transposed: what those two arrangements compute, to recognize them."""
    def wrong(x, kernel, bias, strides, pads):
        (sh, sw), (rows, cols) = strides, pads
        xp = np.pad(x, ((0, 0), rows, cols, (0, 0)))
        kh, kw, c, f = kernel.shape
        n, oh, ow = x.shape[0], (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
        taps = [xp[:, u: u + sh * (oh - 1) + 1: sh, v: v + sw * (ow - 1) + 1: sw, :] for u in range(kh)
                for v in range(kw)]
        y = np.stack(taps, axis=taps_axis).reshape(n * oh * ow, kh * kw * c) @ kernel.reshape(kh * kw * c, f)
        y = y.reshape(n, ow, oh, f).transpose(0, 2, 1, 3) if swap_out else y.reshape(n, oh, ow, f)
        return y if bias is None else y + bias
    return wrong


CONV2D_FORWARD_IM2COL = Exercise(
    function="conv2d_forward_im2col",
    reference=_conv_forward_ref,
    visible=[
        Case("3x3-valid", lambda: conv_case(seed=20, batch=2, hw=(5, 6), channels=3, kernel_hw=(3, 3), filters=4)),
        # float32 in, float32 out; the pads ((top, bottom), (left, right)) all differ, the output is not square
        Case("float32-stride2x1-asymmetric-pads",
             lambda: conv_case32(seed=21, batch=2, hw=(6, 7), channels=2, kernel_hw=(2, 3), filters=3,
                                 strides=(2, 1), pads=((1, 0), (2, 1)))),
        Case("stride1x2-asymmetric-pads-no-bias",
             lambda: conv_case(seed=22, batch=1, hw=(5, 7), channels=2, kernel_hw=(3, 2), filters=2,
                               strides=(1, 2), pads=((0, 2), (1, 0)), bias=False)),
    ],
    hidden=[
        Case("stride2-asymmetric-pads", lambda: conv_case(seed=23, batch=3, hw=(7, 6), channels=3, kernel_hw=(3, 2),
                                                          filters=2, strides=(2, 2), pads=((2, 1), (0, 1)))),
        Case("float32-stride1x2-asymmetric-pads",
             lambda: conv_case32(seed=24, batch=2, hw=(6, 5), channels=4, kernel_hw=(2, 3), filters=3,
                                 strides=(1, 2), pads=((0, 1), (2, 0)))),
        Case("batch1-kernel-covers-input", lambda: conv_case(seed=25, batch=1, hw=(3, 4), channels=2,
                                                             kernel_hw=(3, 4), filters=3)),
        Case("1x1-stride2", lambda: conv_case(seed=26, batch=2, hw=(5, 4), channels=3, kernel_hw=(1, 1), filters=2,
                                              strides=(2, 2))),
    ],
    points=2,
    rtol=RTOL["float32"],            # float32 cases: the matmul sums in another order than the reference
    answers=("tflearn_kit.kernels.conv.im2col", "tflearn_kit.kernels.conv.conv_forward",
             "tflearn_kit.kernels.conv.apply_kernel"),
    look="the columns' order against kernel.reshape(kh * kw * C, F), which reads the kernel (kh, kw, C); "
         "the stride between windows; the dtype of what you build",
    signatures=[
        *PADS_SIGNATURES,
        ("columns ordered (C, kh, kw) while kernel.reshape(kh * kw * C, F) reads (kh, kw, C)", _columns_channel_first,
         "put the channel last in each row: cols[m, (p, q, c)], as the kernel's own layout (kh, kw, C, F) is"),
        ("the kernel read as (F, kh, kw, C) (kernel.reshape(F, -1).T)", _kernel_filters_first,
         "Keras's kernel is (kh, kw, C, F): kernel.reshape(kh * kw * C, F) keeps the filters as columns"),
        ("the taps stacked first (axis 0) and reshaped to rows without moving that axis", _im2col_misarranged(0),
         "a reshape never moves an axis: stack the taps just before the channel axis (axis=3), or move it there"),
        ("the rows reshaped to (N, OW, OH, F), then transposed", _im2col_misarranged(3, swap_out=True),
         "the rows come out in the order (n, i, j): reshape them to (N, OH, OW, F) directly"),
    ],
    grade_adds="stride 2 both ways, float32 with other pads, a kernel as large as the input, a 1x1 kernel",
    hint="Pad x, then cols[(n, i, j), (p, q, c)] = xp[n, i*sh + p, j*sw + q, c]: for each tap (p, q) the slice "
         "xp[:, p : p + sh*(OH-1) + 1 : sh, q : q + sw*(OW-1) + 1 : sw, :] is that tap of every window; stack the "
         "taps before the channel axis, reshape to (N*OH*OW, kh*kw*C), multiply by kernel.reshape(kh*kw*C, F), "
         "reshape to (N, OH, OW, F) and add the bias.",
)

EXERCISES = [CONV_OUTPUT_SIZE, CONV2D_FORWARD, CONV2D_BACKWARD, CONV2D_FORWARD_IM2COL]
