"""Exercises of 03_convolutions: the output-size formula, the naive 2-D convolution forward and backward."""
from ...kernels import conv as K
from ..exercises import Case, Exercise, register, seeded

NOTEBOOK = "03_convolutions"

register(Exercise(
    id="conv_output_size", notebook=NOTEBOOK, function="conv_output_size",
    reference=K.conv_output_size,
    visible=[
        Case("n7-k3-valid", lambda: (7, 3, 1, 1, "valid")),
        Case("n7-k3-stride2-same", lambda: (7, 3, 2, 1, "same")),
        Case("n10-k3-dilated2-valid", lambda: (10, 3, 1, 2, "valid")),
    ],
    hidden=[
        Case("n8-k4-stride3-valid", lambda: (8, 4, 3, 1, "valid")),
        Case("n9-k5-stride2-same", lambda: (9, 5, 2, 1, "same")),
        Case("n5-k3-dilated3-causal", lambda: (5, 3, 1, 3, "causal")),
        Case("n1-k1", lambda: (1, 1, 1, 1, "valid")),
    ],
    points=1,
    hint="valid: the window's span is (k - 1) * dilation + 1, so floor((n - span) / stride) + 1 windows fit; "
         "same and causal: ceil(n / stride) (use -(-n // stride)).",
))


def _conv_args(seed, n, h, w, c, kh, kw, f, strides, pads, bias=True):
    g = seeded(seed)
    x = g.standard_normal((n, h, w, c))
    kernel = g.standard_normal((kh, kw, c, f))
    b = g.standard_normal(f) if bias else None
    return x, kernel, b, strides, pads


def _conv_forward_ref(x, kernel, bias, strides, pads):
    geom = K.conv_geometry(x.shape[1:3], kernel.shape[:2], strides, pads=pads)
    return K.conv_forward(x, kernel, bias, geom)[0]


register(Exercise(
    id="conv2d_forward", notebook=NOTEBOOK, function="conv2d_forward",
    reference=_conv_forward_ref,
    visible=[
        Case("3x3-valid", lambda: _conv_args(0, 2, 5, 5, 2, 3, 3, 3, (1, 1), ((0, 0), (0, 0)))),
        Case("3x3-padded1", lambda: _conv_args(1, 1, 4, 5, 3, 3, 3, 2, (1, 1), ((1, 1), (1, 1)))),
        Case("stride2-no-bias", lambda: _conv_args(2, 2, 7, 6, 2, 3, 2, 4, (2, 2), ((0, 0), (0, 0)), False)),
    ],
    hidden=[
        Case("stride2x1-asymmetric-pads",
             lambda: _conv_args(3, 2, 6, 7, 3, 2, 3, 2, (2, 1), ((0, 1), (1, 1)))),
        Case("1x1", lambda: _conv_args(4, 3, 4, 4, 5, 1, 1, 3, (1, 1), ((0, 0), (0, 0)))),
        Case("kernel-covers-input", lambda: _conv_args(5, 1, 3, 3, 2, 3, 3, 2, (1, 1), ((0, 0), (0, 0)))),
    ],
    points=3,
    hint="Pad x first (np.pad on axes 1 and 2). Output (i, j) sees the window "
         "xp[n, i*sh : i*sh + kh, j*sw : j*sw + kw, :]; "
         "y[n, i, j, f] = sum(window * kernel[..., f]) + bias[f].",
))


def _conv_bwd_args(seed, n, h, w, c, kh, kw, f, strides, pads):
    x, kernel, _, strides, pads = _conv_args(seed, n, h, w, c, kh, kw, f, strides, pads, bias=False)
    out = K.conv_geometry((h, w), (kh, kw), strides, pads=pads).out_spatial
    dy = seeded(seed + 100).standard_normal((n, *out, f))
    return dy, x, kernel, strides, pads


def _conv_backward_ref(dy, x, kernel, strides, pads):
    geom = K.conv_geometry(x.shape[1:3], kernel.shape[:2], strides, pads=pads)
    _, cache = K.conv_forward(x, kernel, None, geom)
    dx, (dkernel,) = K.conv_backward(dy, cache)
    return dx, dkernel, dy.sum(axis=(0, 1, 2))


register(Exercise(
    id="conv2d_backward", notebook=NOTEBOOK, function="conv2d_backward",
    reference=_conv_backward_ref,
    visible=[
        Case("3x3-valid", lambda: _conv_bwd_args(10, 2, 5, 5, 2, 3, 3, 3, (1, 1), ((0, 0), (0, 0)))),
        Case("3x3-padded1", lambda: _conv_bwd_args(11, 1, 4, 5, 3, 3, 3, 2, (1, 1), ((1, 1), (1, 1)))),
    ],
    hidden=[
        Case("stride2", lambda: _conv_bwd_args(12, 2, 7, 6, 2, 3, 2, 4, (2, 2), ((0, 0), (0, 0)))),
        Case("stride2x1-asymmetric-pads", lambda: _conv_bwd_args(13, 2, 6, 7, 3, 2, 3, 2, (2, 1),
                                                                 ((0, 1), (1, 1)))),
    ],
    points=3,
    hint="Loop as in the forward pass. Each y[n, i, j, f] adds dy[n, i, j, f] * kernel[..., f] to its window "
         "of dx_padded and dy[n, i, j, f] * window to dkernel[..., f]; crop the padding off dx at the end. "
         "Return (dx, dkernel, dbias).",
))
