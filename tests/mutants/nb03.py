"""03_convolutions: conv_output_size, conv2d_forward, conv2d_backward, conv2d_forward_im2col."""
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


_IM2COL = """
def conv2d_forward_im2col(x, kernel, bias, strides, pads):
    (sh, sw), ((top, bottom), (left, right)) = strides, pads
    {pad}
    n = x.shape[0]
    kh, kw, c, f = kernel.shape
    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    {size}
    taps = [xp[:, {rows}, {cols}, :] for p in range(kh) for q in range(kw)]
    cols = {stack}
    y = cols @ {kmat}
    y = {out}
    return y if bias is None else y + bias
"""
_TAP_ROWS, _TAP_COLS = "p: p + sh * (oh - 1) + 1: sh", "q: q + sw * (ow - 1) + 1: sw"


def im2col(pad=_PAD, size="", rows=_TAP_ROWS, cols=_TAP_COLS,
           stack="np.stack(taps, axis=3).reshape(n * oh * ow, kh * kw * c)",
           kmat="kernel.reshape(kh * kw * c, f)", out="y.reshape(n, oh, ow, f)"):
    return _IM2COL.format(pad=pad, size=size, rows=rows, cols=cols, stack=stack, kmat=kmat, out=out)


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
    V("conv2d_forward_im2col", "columns-channel-first", "columns ordered (C, kh, kw) against the kernel's (kh, kw, C)",
      im2col(stack="np.stack(taps, axis=4).reshape(n * oh * ow, c * kh * kw)")),
    V("conv2d_forward_im2col", "reshape-not-transpose", "taps stacked first, then reshaped to rows without moving "
      "the tap axis next to the channels", im2col(stack="np.stack(taps).reshape(n * oh * ow, kh * kw * c)")),
    V("conv2d_forward_im2col", "window-view-reshaped", "sliding_window_view's (N, OH, OW, C, kh, kw) reshaped "
      "to rows without the transpose", """
        def conv2d_forward_im2col(x, kernel, bias, strides, pads):
            (sh, sw), (ph, pw) = strides, pads
            xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
            kh, kw, c, f = kernel.shape
            win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
            n, oh, ow = win.shape[:3]
            y = win.reshape(n * oh * ow, kh * kw * c) @ kernel.reshape(kh * kw * c, f)
            y = y.reshape(n, oh, ow, f)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward_im2col", "stride-in-size-only", "OH windows taken one row apart: the stride counted in the "
      "size, not in the slice", im2col(rows="p: p + oh", cols="q: q + ow")),
    V("conv2d_forward_im2col", "stride-ignored", "every window at stride 1",
      im2col(size="sh = sw = 1\n    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1")),
    V("conv2d_forward_im2col", "pads-top-left-order", "pads read as ((top, left), (bottom, right))",
      im2col(pad="(top, left), (bottom, right) = pads\n    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), "
                 "(0, 0)))")),
    V("conv2d_forward_im2col", "pads-symmetric", "both sides padded with the first amount, PyTorch-style",
      im2col(pad="xp = np.pad(x, ((0, 0), (top, top), (left, left), (0, 0)))")),
    V("conv2d_forward_im2col", "size-from-unpadded", "the output size computed from x, not from the padded input",
      im2col(size="oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1")),
    V("conv2d_forward_im2col", "kernel-filters-first", "kernel.reshape(F, -1).T: the kernel read as (F, kh, kw, C)",
      im2col(kmat="kernel.reshape(f, kh * kw * c).T")),
    V("conv2d_forward_im2col", "output-hw-swapped", "rows reshaped to (N, OW, OH, F), then transposed",
      im2col(out="y.reshape(n, ow, oh, f).transpose(0, 2, 1, 3)")),
    V("conv2d_forward_im2col", "float64-columns", "the columns allocated with np.zeros (float64) and filled per tap: "
      "float64 out for float32 in", """
        def conv2d_forward_im2col(x, kernel, bias, strides, pads):
            (sh, sw), ((top, bottom), (left, right)) = strides, pads
            xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
            n = x.shape[0]
            kh, kw, c, f = kernel.shape
            oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            cols = np.zeros((n * oh * ow, kh * kw * c))
            for p in range(kh):
                for q in range(kw):
                    t = p * kw + q
                    tap = xp[:, p: p + sh * (oh - 1) + 1: sh, q: q + sw * (ow - 1) + 1: sw, :]
                    cols[:, t * c: (t + 1) * c] = tap.reshape(-1, c)
            y = (cols @ kernel.reshape(kh * kw * c, f)).reshape(n, oh, ow, f)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward_im2col", "bias-ignored", "the bias never added",
      im2col(out="y.reshape(n, oh, ow, f)\n    bias = None")),
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
    V("conv2d_forward_im2col", "stacked-taps", "a list of strided slices, stacked before the channels", im2col()),
    V("conv2d_forward_im2col", "as-strided", "as_strided: a (N, OH, OW, kh, kw, C) view of the padded input", """
        def conv2d_forward_im2col(x, kernel, bias, strides, pads):
            (sh, sw), (ph, pw) = strides, pads
            xp = np.ascontiguousarray(np.pad(x, ((0, 0), ph, pw, (0, 0))))
            n, hp, wp, c = xp.shape
            kh, kw, _, f = kernel.shape
            oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
            s0, s1, s2, s3 = xp.strides
            win = np.lib.stride_tricks.as_strided(xp, (n, oh, ow, kh, kw, c), (s0, sh * s1, sw * s2, s1, s2, s3),
                                                  writeable=False)
            y = win.reshape(n * oh * ow, kh * kw * c) @ kernel.reshape(kh * kw * c, f)
            y = y.reshape(n, oh, ow, f)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward_im2col", "preallocated-tap-loop", "columns preallocated in x's dtype, filled one tap at a time", """
        def conv2d_forward_im2col(x, kernel, bias, strides, pads):
            (sh, sw), ((t, b), (l, r)) = strides, pads
            xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
            n = x.shape[0]
            kh, kw, c, f = kernel.shape
            oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
            cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
            for p in range(kh):
                for q in range(kw):
                    cols[:, :, :, p, q, :] = xp[:, p: p + sh * (oh - 1) + 1: sh, q: q + sw * (ow - 1) + 1: sw, :]
            y = cols.reshape(-1, kh * kw * c) @ kernel.reshape(-1, f)
            y = y.reshape(n, oh, ow, f)
            return y if bias is None else y + bias
    """),
    V("conv2d_forward_im2col", "window-view-einsum", "sliding_window_view, then einsum over (C, kh, kw)", """
        def conv2d_forward_im2col(x, kernel, bias, strides, pads):
            (sh, sw), (ph, pw) = strides, pads
            xp = np.pad(x, ((0, 0), ph, pw, (0, 0)))
            kh, kw = kernel.shape[:2]
            win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
            y = np.einsum("nhwcpq,pqcf->nhwf", win, kernel)
            return y if bias is None else y + bias
    """),
]
