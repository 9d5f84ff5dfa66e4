"""Exercises of 04_transposed_convolution: the transposed convolution as the gradient of a convolution."""
from ...kernels import conv as K
from ..exercises import Case, Exercise, seeded



def _args(seed, n, h, w, c, kh, kw, f, strides):
    g = seeded(seed)
    return g.standard_normal((n, h, w, c)), g.standard_normal((kh, kw, f, c)), strides


def _reference(x, kernel, strides):
    geom = K.conv_transpose_geometry(x.shape[1:3], kernel.shape[:2], strides, padding="valid")
    return K.conv_transpose_forward(x, kernel, None, geom)[0]


CONV2D_TRANSPOSE = Exercise(
    function="conv2d_transpose",
    reference=_reference,
    visible=[
        Case("3x3-stride2", lambda: _args(0, 2, 3, 4, 2, 3, 3, 3, (2, 2))),
        Case("2x2-stride2", lambda: _args(1, 1, 3, 3, 3, 2, 2, 2, (2, 2))),
        Case("3x3-stride1", lambda: _args(2, 2, 4, 3, 2, 3, 3, 2, (1, 1))),
        Case("2x3-stride1x2", lambda: _args(6, 1, 3, 2, 2, 2, 3, 3, (1, 2))),
    ],
    hidden=[
        Case("3x2-stride2x1", lambda: _args(3, 2, 3, 4, 3, 3, 2, 4, (2, 1))),
        Case("4x4-stride3", lambda: _args(4, 1, 2, 3, 2, 4, 4, 3, (3, 3))),
        Case("1x1-input", lambda: _args(5, 2, 1, 1, 3, 3, 3, 2, (2, 2))),
    ],
    points=3,
    look="the output size (H - 1) * stride + kh per axis, strides (rows, cols), and the kernel's layout (kh, kw, F, C)",
    hint="The output has (H - 1) * stride + kh rows. Each input pixel x[n, i, j, :] scatters the patch "
         "kernel[a, b] @ x[n, i, j, :] (shape (filters,)) into y[n, i*sh + a, j*sw + b, :]. "
         "Equivalently: it is the dx of a valid convolution whose input has the output's size.",
)

EXERCISES = [CONV2D_TRANSPOSE]
