"""03_convolutions: conv_output_size, conv2d_forward, conv2d_backward."""
from . import Variant as V

_FWD = """
def conv2d_forward(x, kernel, bias, strides, pads):
    (sh, sw), ((top, bottom), (left, right)) = strides, pads
    {pad}
    kh, kw, _, nf = kernel.shape
    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    {size}
    y = np.zeros((x.shape[0], oh, ow, nf))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, {rows}, {cols}, :]
            y[:, i, j, :] = np.tensordot(win, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        y += bias
    return y
"""
_PAD = "xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))"
_ROWS, _COLS = "i * sh: i * sh + kh", "j * sw: j * sw + kw"


def fwd(pad=_PAD, size="", rows=_ROWS, cols=_COLS):
    return _FWD.format(pad=pad, size=size, rows=rows, cols=cols)


_BWD = """
def conv2d_backward(dy, x, kernel, strides, pads):
    (sh, sw), ((top, bottom), (left, right)) = strides, pads
    {pad}
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    kh, kw = kernel.shape[:2]
    oh, ow = dy.shape[1:3]
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice({rows}), slice({cols})
            dxp[:, rows, cols, :] += np.einsum("nf,abcf->nabc", dy[:, i, j, :], kernel)
            dkernel += np.einsum("nabc,nf->abcf", xp[:, rows, cols, :], dy[:, i, j, :])
    h, w = x.shape[1:3]
    dx = {crop}
    return dx, dkernel, {dbias}
"""
_CROP = "dxp[:, top: top + h, left: left + w, :]"


def bwd(pad=_PAD, rows="i * sh, i * sh + kh", cols="j * sw, j * sw + kw", crop=_CROP, dbias="dy.sum(axis=(0, 1, 2))"):
    return _BWD.format(pad=pad, rows=rows, cols=cols, crop=crop, dbias=dbias)


MUTANTS = [
    V("conv_output_size", "causal-as-valid", "causal treated like valid", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = (k - 1) * dilation + 1
            if padding == "same":
                return -(-n // stride)
            return (n - span) // stride + 1
    """),
    V("conv_output_size", "valid-plus-one-inside", "valid as (n - span + 1) // stride", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = (k - 1) * dilation + 1
            if padding == "valid":
                return (n - span + 1) // stride
            return -(-n // stride)
    """),
    V("conv_output_size", "dilation-ignored", "the span is k, dilation ignored", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            if padding == "valid":
                return (n - k) // stride + 1
            return -(-n // stride)
    """),
    V("conv_output_size", "span-k-times-d", "span as k * dilation", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            if padding == "valid":
                return (n - k * dilation) // stride + 1
            return -(-n // stride)
    """),
    V("conv_output_size", "same-floor", "same as n // stride (floor, not ceil)", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = (k - 1) * dilation + 1
            if padding == "valid":
                return (n - span) // stride + 1
            return n // stride
    """),
    V("conv_output_size", "stride-ignored-same", "same returns n whatever the stride", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = (k - 1) * dilation + 1
            if padding == "valid":
                return (n - span) // stride + 1
            return n
    """),
    V("conv_output_size", "float", "true division: returns a float", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = (k - 1) * dilation + 1
            if padding == "valid":
                return (n - span) / stride + 1
            return np.ceil(n / stride)
    """),
    V("conv2d_forward", "pads-top-left-order", "pads read as ((top, left), (bottom, right))",
      fwd(pad="(top, left), (bottom, right) = pads\n    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))")),
    V("conv2d_forward", "pads-symmetric", "both sides padded with the first amount, PyTorch-style",
      fwd(pad="xp = np.pad(x, ((0, 0), (top, top), (left, left), (0, 0)))")),
    V("conv2d_forward", "stride-ignored", "every position computed, stride ignored",
      fwd(size="sh = sw = 1\n    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1")),
    V("conv2d_forward", "strides-swapped", "strides read as (sw, sh)",
      fwd(size="sh, sw = sw, sh\n    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1")),
    V("conv2d_forward", "kernel-flipped", "true convolution: the kernel flipped (Keras correlates)", """
        def conv2d_forward(x, kernel, bias, strides, pads):
            (sh, sw), ((top, bottom), (left, right)) = strides, pads
            xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
            k = kernel[::-1, ::-1]
            kh, kw, _, nf = k.shape
            oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            y = np.zeros((x.shape[0], oh, ow, nf))
            for i in range(oh):
                for j in range(ow):
                    y[:, i, j, :] = np.tensordot(xp[:, i * sh: i * sh + kh, j * sw: j * sw + kw, :], k, 3)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward", "bias-ignored", "the bias never added", """
        def conv2d_forward(x, kernel, bias, strides, pads):
            (sh, sw), ((top, bottom), (left, right)) = strides, pads
            xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
            kh, kw, _, nf = kernel.shape
            oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            y = np.zeros((x.shape[0], oh, ow, nf))
            for i in range(oh):
                for j in range(ow):
                    y[:, i, j, :] = np.tensordot(xp[:, i * sh: i * sh + kh, j * sw: j * sw + kw, :], kernel, 3)
            return y
    """),
    V("conv2d_backward", "stride-ignored", "windows taken at stride 1 in the backward pass",
      bwd(rows="i, i + kh", cols="j, j + kw")),
    V("conv2d_backward", "pads-top-left-order", "pads read as ((top, left), (bottom, right))",
      bwd(pad="(top, left), (bottom, right) = pads\n    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))")),
    V("conv2d_backward", "pads-symmetric", "both sides padded with the first amount",
      bwd(pad="bottom, right = top, left\n    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))")),
    V("conv2d_backward", "crop-from-zero", "dx cropped from the corner, not after the padding",
      bwd(crop="dxp[:, :h, :w, :]")),
    V("conv2d_backward", "dbias-keeps-space", "dbias summed over the batch only: (OH, OW, F)",
      bwd(dbias="dy.sum(axis=0)")),
    V("conv2d_backward", "dbias-mean", "dbias as a mean", bwd(dbias="dy.mean(axis=(0, 1, 2))")),
    V("conv2d_backward", "dx-not-cropped", "dx keeps the padding", bwd(crop="dxp")),
]

CORRECT = [
    V("conv_output_size", "ceil-valid", "valid as ceil((n - span + 1) / stride)", """
        import math
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            span = dilation * (k - 1) + 1
            if padding in ("same", "causal"):
                return math.ceil(n / stride)
            return math.ceil((n - span + 1) / stride)
    """),
    V("conv_output_size", "count-windows", "counts the window starts one by one", """
        def conv_output_size(n, k, stride=1, dilation=1, padding="valid"):
            if padding != "valid":
                return len(range(0, n, stride))
            span = dilation * (k - 1) + 1
            return len(range(0, n - span + 1, stride))
    """),
    V("conv2d_forward", "tensordot-loops", "loops over positions, tensordot over the window", fwd()),
    V("conv2d_forward", "im2col", "im2col and one matmul", """
        def conv2d_forward(x, kernel, bias, strides, pads):
            (sh, sw), (ph, pw) = strides, pads
            xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
            n, H, W, c = xp.shape
            kh, kw, _, f = kernel.shape
            oh, ow = (H - kh) // sh + 1, (W - kw) // sw + 1
            cols = np.stack([xp[:, a: a + sh * (oh - 1) + 1: sh, b: b + sw * (ow - 1) + 1: sw, :]
                             for a in range(kh) for b in range(kw)], axis=3)       # (n, oh, ow, taps, c)
            y = cols.reshape(n, oh, ow, kh * kw * c) @ kernel.reshape(kh * kw * c, f)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward", "einsum-taps", "einsum per tap", """
        def conv2d_forward(x, kernel, bias, strides, pads):
            (sh, sw), ((t, b), (l, r)) = strides, pads
            xp = np.pad(x, [(0, 0), (t, b), (l, r), (0, 0)])
            kh, kw, c, f = kernel.shape
            oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            y = np.zeros((x.shape[0], oh, ow, f))
            for a in range(kh):
                for bb in range(kw):
                    tap = xp[:, a: a + sh * (oh - 1) + 1: sh, bb: bb + sw * (ow - 1) + 1: sw, :]
                    y += np.einsum("nhwc,cf->nhwf", tap, kernel[a, bb])
            return y if bias is None else y + bias
    """),
    V("conv2d_backward", "einsum-loops", "loops over positions, einsum over the batch", bwd()),
    V("conv2d_backward", "per-tap", "one einsum per kernel tap", """
        def conv2d_backward(dy, x, kernel, strides, pads):
            (sh, sw), ((t, b), (l, r)) = strides, pads
            xp = np.pad(x, [(0, 0), (t, b), (l, r), (0, 0)])
            kh, kw, c, f = kernel.shape
            oh, ow = dy.shape[1:3]
            dxp, dk = np.zeros_like(xp), np.zeros_like(kernel)
            for a in range(kh):
                for bb in range(kw):
                    idx = (slice(None), slice(a, a + sh * (oh - 1) + 1, sh), slice(bb, bb + sw * (ow - 1) + 1, sw))
                    dk[a, bb] = np.einsum("nhwc,nhwf->cf", xp[idx], dy)
                    dxp[idx] += dy @ kernel[a, bb].T
            return dxp[:, t: t + x.shape[1], l: l + x.shape[2]], dk, dy.sum(axis=(0, 1, 2))
    """),
]
