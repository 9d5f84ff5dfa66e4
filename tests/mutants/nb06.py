"""06_pooling_and_flatten: max_pool2d_forward, avg_pool2d_forward, max_pool2d_backward."""
from . import Variant as V

_POOL = """
def {name}(x, pool_size, strides):
    (kh, kw), (sh, sw) = pool_size, strides
    {pre}
    out_h = {oh}
    out_w = (x.shape[2] - kw) // sw + 1
    y = np.full((x.shape[0], out_h, out_w, x.shape[3]), {init})
    for i in range(kh):
        for j in range(kw):
            tap = x[:, i:i + sh * (out_h - 1) + 1:sh, j:j + sw * (out_w - 1) + 1:sw, :]
            y = {combine}
    return {ret}
"""


def mx(pre="", oh="(x.shape[1] - kh) // sh + 1"):
    return _POOL.format(name="max_pool2d_forward", pre=pre, oh=oh, init="-np.inf", combine="np.maximum(y, tap)", ret="y")


def av(pre="", oh="(x.shape[1] - kh) // sh + 1", ret="y / (kh * kw)"):
    return _POOL.format(name="avg_pool2d_forward", pre=pre, oh=oh, init="0.0", combine="y + tap", ret=ret)


_BWD = """
def max_pool2d_backward(dy, x, pool_size, strides):
    (kh, kw), (sh, sw) = pool_size, strides
    dx = np.zeros_like(x)
    for oi in range(dy.shape[1]):
        for oj in range(dy.shape[2]):
            win = x[:, oi * sh: oi * sh + kh, oj * sw: oj * sw + kw, :]
            mask = win == win.max(axis=(1, 2), keepdims=True)
            dx[:, oi * sh: oi * sh + kh, oj * sw: oj * sw + kw, :] {op} mask * dy[:, oi:oi + 1, oj:oj + 1, :]
    return dx
"""

MUTANTS = [
    V("max_pool2d_forward", "stride-is-pool", "stride taken equal to the pool size", mx(pre="sh, sw = kh, kw")),
    V("max_pool2d_forward", "ceil-size", "output size rounded up (n - k) // s + 1 -> ceil(n / s)",
      mx(oh="-(-x.shape[1] // sh)", pre="x = np.pad(x, ((0, 0), (0, kh), (0, kw), (0, 0)), constant_values=-np.inf)")),
    V("max_pool2d_forward", "square-pool", "pool_size[0] for both axes", mx(pre="kw, sw = kh, sh")),
    V("max_pool2d_forward", "zero-init", "running max starts at 0, not -inf", mx().replace("-np.inf)", "0.0)")),
    V("max_pool2d_forward", "channels-mixed", "max also over channels", mx().replace("    return y", "    return np.broadcast_to(y.max(axis=-1, keepdims=True), y.shape).copy()")),
    V("avg_pool2d_forward", "divide-by-kh", "divides by kh only", av(ret="y / kh / kh")),
    V("avg_pool2d_forward", "square-pool", "pool_size[0] for both axes", av(pre="kw, sw = kh, sh")),
    V("avg_pool2d_forward", "stride-is-pool", "stride taken equal to the pool size", av(pre="sh, sw = kh, kw")),
    V("avg_pool2d_forward", "float32", "returns float32", av(ret="(y / (kh * kw)).astype(np.float32)")),
    V("max_pool2d_backward", "assign-not-add", "overlapping windows assigned (=), not added", _BWD.format(op="=")),
    V("max_pool2d_backward", "every-element", "dy spread over the whole window", _BWD.format(op="+=").replace(
        "mask = win == win.max(axis=(1, 2), keepdims=True)", "mask = np.ones_like(win)")),
    V("max_pool2d_backward", "average-gradient", "dy divided among the window (average pooling's gradient)", _BWD.format(op="+=").replace(
        "mask = win == win.max(axis=(1, 2), keepdims=True)", "mask = np.ones_like(win) / (kh * kw)")),
    V("max_pool2d_backward", "stride-is-pool", "stride taken equal to the pool size",
      _BWD.format(op="+=").replace("(sh, sw) = pool_size, strides", "(sh, sw) = pool_size, pool_size")),
    V("max_pool2d_backward", "max-over-all-channels", "max taken over the channels too", _BWD.format(op="+=").replace(
        "axis=(1, 2), keepdims", "axis=(1, 2, 3), keepdims")),
]

CORRECT = [
    V("max_pool2d_forward", "window-loops", "loops over output positions", """
        def max_pool2d_forward(x, pool_size, strides):
            (kh, kw), (sh, sw) = pool_size, strides
            oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
            y = np.empty((x.shape[0], oh, ow, x.shape[3]))
            for i in range(oh):
                for j in range(ow):
                    y[:, i, j] = x[:, i * sh: i * sh + kh, j * sw: j * sw + kw].max(axis=(1, 2))
            return y
    """),
    V("max_pool2d_forward", "stacked-taps", "all taps stacked, one max", """
        def max_pool2d_forward(x, pool_size, strides):
            (kh, kw), (sh, sw) = pool_size, strides
            oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
            taps = [x[:, i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw] for i in range(kh) for j in range(kw)]
            return np.max(np.stack(taps), axis=0)
    """),
    V("avg_pool2d_forward", "window-loops", "loops over output positions", """
        def avg_pool2d_forward(x, pool_size, strides):
            (kh, kw), (sh, sw) = pool_size, strides
            oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
            y = np.empty((x.shape[0], oh, ow, x.shape[3]))
            for i in range(oh):
                for j in range(ow):
                    y[:, i, j] = x[:, i * sh: i * sh + kh, j * sw: j * sw + kw].mean(axis=(1, 2))
            return y
    """),
    V("avg_pool2d_forward", "stacked-taps", "all taps stacked, one mean", """
        def avg_pool2d_forward(x, pool_size, strides):
            (kh, kw), (sh, sw) = pool_size, strides
            oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
            taps = [x[:, i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw] for i in range(kh) for j in range(kw)]
            return np.mean(taps, axis=0)
    """),
    V("max_pool2d_backward", "window-mask", "per window, a mask of its maximum", _BWD.format(op="+=")),
    V("max_pool2d_backward", "argmax", "np.argmax per window and channel", """
        def max_pool2d_backward(dy, x, pool_size, strides):
            (kh, kw), (sh, sw) = pool_size, strides
            dx = np.zeros_like(x)
            n, oh, ow, c = dy.shape
            for b in range(n):
                for i in range(oh):
                    for j in range(ow):
                        for ch in range(c):
                            win = x[b, i * sh: i * sh + kh, j * sw: j * sw + kw, ch]
                            a, bb = np.unravel_index(np.argmax(win), win.shape)
                            dx[b, i * sh + a, j * sw + bb, ch] += dy[b, i, j, ch]
            return dx
    """),
]
