"""04_transposed_convolution: conv2d_transpose."""
from . import Variant as V

_T = """
def conv2d_transpose(x, kernel, strides):
    n, h, w, _ = x.shape
    kh, kw, f, _ = kernel.shape
    sh, sw = strides
    {pre}
    y = np.zeros((n, {oh}, {ow}, f))
    for a in range(kh):
        for b in range(kw):
            y[:, {ra}: {ra} + (h - 1) * sh + 1: sh, {cb}: {cb} + (w - 1) * sw + 1: sw, :] += x @ {k}
    return y
"""


def t(pre="", oh="(h - 1) * sh + kh", ow="(w - 1) * sw + kw", ra="a", cb="b", k="kernel[a, b].T"):
    return _T.format(pre=pre, oh=oh, ow=ow, ra=ra, cb=cb, k=k)


MUTANTS = [
    V("conv2d_transpose", "kernel-flipped", "the kernel taps flipped", t(k="kernel[kh - 1 - a, kw - 1 - b].T")),
    V("conv2d_transpose", "size-h-times-s", "output size H * stride (the 'same' size) with taps cropped",
      t(oh="h * sh + kh", ow="w * sw + kw", pre="", ra="a", cb="b").replace("    return y", "    return y[:, :h * sh, :w * sw]")),
    V("conv2d_transpose", "strides-swapped", "strides read as (sw, sh)", t(pre="sh, sw = sw, sh")),
    V("conv2d_transpose", "square-kernel", "kh used for both axes", t(pre="kw = kh", cb="b").replace(
        "for b in range(kw)", "for b in range(kernel.shape[1])")),
    V("conv2d_transpose", "f-c-layout", "the kernel read as (kh, kw, C, F)", """
        def conv2d_transpose(x, kernel, strides):
            n, h, w, _ = x.shape
            kh, kw, f, c = kernel.shape
            sh, sw = strides
            k = kernel.reshape(kh, kw, c, f)
            y = np.zeros((n, (h - 1) * sh + kh, (w - 1) * sw + kw, f))
            for a in range(kh):
                for b in range(kw):
                    y[:, a: a + (h - 1) * sh + 1: sh, b: b + (w - 1) * sw + 1: sw, :] += x @ k[a, b]
            return y
    """),
    V("conv2d_transpose", "assign-not-add", "overlapping taps assigned (=) instead of added", t().replace("] += x", "] = x")),
]

CORRECT = [
    V("conv2d_transpose", "scatter-loops", "each input pixel scatters its patch", """
        def conv2d_transpose(x, kernel, strides):
            n, h, w, c = x.shape
            kh, kw, f, _ = kernel.shape
            sh, sw = strides
            y = np.zeros((n, (h - 1) * sh + kh, (w - 1) * sw + kw, f))
            for i in range(h):
                for j in range(w):
                    y[:, i * sh: i * sh + kh, j * sw: j * sw + kw, :] += np.einsum("nc,abfc->nabf", x[:, i, j], kernel)
            return y
    """),
    V("conv2d_transpose", "dilate-and-correlate", "zeros between pixels, full padding, flipped kernel", """
        def conv2d_transpose(x, kernel, strides):
            n, h, w, c = x.shape
            kh, kw, f, _ = kernel.shape
            sh, sw = strides
            up = np.zeros((n, (h - 1) * sh + 1, (w - 1) * sw + 1, c))
            up[:, ::sh, ::sw] = x
            up = np.pad(up, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
            k = kernel[::-1, ::-1]
            oh, ow = up.shape[1] - kh + 1, up.shape[2] - kw + 1
            y = np.zeros((n, oh, ow, f))
            for a in range(kh):
                for b in range(kw):
                    y += up[:, a: a + oh, b: b + ow, :] @ k[a, b].T
            return y
    """),
]
