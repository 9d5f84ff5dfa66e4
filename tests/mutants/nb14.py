"""14_architectures_from_the_pieces: upsample_nearest_forward, upsample_nearest_backward,
bidirectional_merge, bidirectional_merge_backward, group_norm_forward."""
from . import Variant as V

# ---- nearest-neighbour upsampling --------------------------------------------------------------

_UP = """
def upsample_nearest_forward(x, size):
    {body}
"""


def up(body):
    return _UP.format(body=body)


_UB = """
def upsample_nearest_backward(dy, size):
    batch, rows, cols, channels = dy.shape
    h, w = rows // size[0], cols // size[1]
    {body}
"""


def ub(body):
    return _UB.format(body=body)


# ---- the bidirectional merge ------------------------------------------------------------------

_M = """
def bidirectional_merge(y_forward, y_backward, merge_mode):
    aligned = {aligned}
    if merge_mode == "concat":
        return {concat}
    if merge_mode == "sum":
        return y_forward + aligned
    if merge_mode == "mul":
        return y_forward * aligned
    return {ave}
"""


def m(aligned="y_backward[:, ::-1]", concat="np.concatenate([y_forward, aligned], axis=-1)",
      ave="(y_forward + aligned) / 2"):
    return _M.format(aligned=aligned, concat=concat, ave=ave)


_MB = """
def bidirectional_merge_backward(d_merged, y_forward, y_backward, merge_mode):
    aligned = y_backward[:, ::-1]
    u = y_forward.shape[-1]
    if merge_mode == "concat":
        d_f, d_b = {concat}
    elif merge_mode == "sum":
        d_f, d_b = {sum}
    elif merge_mode == "mul":
        d_f, d_b = {mul}
    else:
        d_f, d_b = {ave}
    return {ret}
"""


def mb(concat="d_merged[..., :u], d_merged[..., u:]", sum="d_merged, d_merged",
       mul="d_merged * aligned, d_merged * y_forward", ave="d_merged / 2, d_merged / 2",
       ret="d_f, d_b[:, ::-1]"):
    return _MB.format(concat=concat, sum=sum, mul=mul, ave=ave, ret=ret)


# ---- group normalization ----------------------------------------------------------------------

_G = """
def group_norm_forward(x, gamma, beta, groups, epsilon):
    c = x.shape[-1]
    g = {grouped}
    mean = g.mean(axis={axes}, keepdims=True)
    var = {var}
    x_hat = {x_hat}
    return {ret}
"""


def gn(grouped="x.reshape(x.shape[0], -1, groups, c // groups)", axes="(1, 3)",
       var="g.var(axis={axes}, keepdims=True)", x_hat="((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape)",
       ret="gamma * x_hat + beta"):
    return _G.format(grouped=grouped, axes=axes, var=var.format(axes=axes), x_hat=x_hat, ret=ret)


MUTANTS = [
    V("upsample_nearest_forward", "tile", "np.tile: the whole image repeated, not each pixel",
      up("return np.tile(x, (1, size[0], size[1], 1))")),
    V("upsample_nearest_forward", "factors-swapped", "size[1] on the rows and size[0] on the columns",
      up("return np.repeat(np.repeat(x, size[1], axis=1), size[0], axis=2)")),
    V("upsample_nearest_forward", "rows-only", "repeats the rows by both factors, one after the other",
      up("return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=1)")),
    V("upsample_nearest_forward", "blocks-outer", "broadcasts the copies outside the pixels: "
      "(batch, s0, H, s1, W, C) reshaped, which is a tile",
      up("""b, h, w, c = x.shape
    big = np.broadcast_to(x[:, None, :, None], (b, size[0], h, size[1], w, c))
    return big.reshape(b, size[0] * h, size[1] * w, c)""")),
    V("upsample_nearest_forward", "kron-float64", "np.kron with np.ones: float64 even for float32 input",
      up("return np.kron(x, np.ones((1, size[0], size[1], 1)))")),
    V("upsample_nearest_forward", "zeros-float64", "fills np.zeros(shape), which is float64 whatever x is",
      up("""b, h, w, c = x.shape
    y = np.zeros((b, h * size[0], w * size[1], c))
    for i in range(size[0]):
        for j in range(size[1]):
            y[:, i::size[0], j::size[1]] = x
    return y""")),
    V("upsample_nearest_backward", "strided-pick", "keeps one value of each block: the gradient not "
      "summed over the repeated block", ub("return dy[:, ::size[0], ::size[1]]")),
    V("upsample_nearest_backward", "block-mean", "the block's mean instead of its sum",
      ub("return dy.reshape(batch, h, size[0], w, size[1], channels).mean(axis=(2, 4))")),
    V("upsample_nearest_backward", "tile-gradient", "sums the blocks of a tile: reshape (batch, s0, H, s1, W, C)",
      ub("return dy.reshape(batch, size[0], h, size[1], w, channels).sum(axis=(1, 3))")),
    V("upsample_nearest_backward", "rows-only", "sums over the row copies, picks one column copy",
      ub("return dy.reshape(batch, h, size[0], cols, channels).sum(axis=2)[:, :, ::size[1]]")),
    V("upsample_nearest_backward", "factors-swapped", "size[1] taken for the rows and size[0] for the columns",
      ub("return dy.reshape(batch, rows // size[1], size[1], cols // size[0], size[0], channels).sum(axis=(2, 4))")),
    V("upsample_nearest_backward", "zeros-float64", "accumulates into np.zeros(shape): float64 for float32 input",
      ub("""dx = np.zeros((batch, h, w, channels))
    for i in range(size[0]):
        for j in range(size[1]):
            dx += dy[:, i::size[0], j::size[1]]
    return dx""")),
    V("upsample_nearest_backward", "in-place", "accumulates into a view of dy, so dy changes under it",
      ub("""dx = dy[:, ::size[0], ::size[1]]
    for i in range(size[0]):
        for j in range(size[1]):
            if i or j:
                dx += dy[:, i::size[0], j::size[1]]
    return dx""")),
    V("bidirectional_merge", "not-reversed", "the backward half joined as it came out, last step first",
      m(aligned="y_backward")),
    V("bidirectional_merge", "halves-swapped", "concat puts the backward half first",
      m(concat="np.concatenate([aligned, y_forward], axis=-1)")),
    V("bidirectional_merge", "ave-without-half", "ave returns the sum (the 1/2 forgotten)",
      m(ave="y_forward + aligned")),
    V("bidirectional_merge", "flip-units", "flips the units axis instead of time (y_backward[..., ::-1])",
      m(aligned="y_backward[..., ::-1]")),
    V("bidirectional_merge", "flip-batch", "flips the first axis (y_backward[::-1]), the batch, not time",
      m(aligned="y_backward[::-1]")),
    V("bidirectional_merge", "concat-time-axis", "concatenates along time (axis 1) instead of the units",
      m(concat="np.concatenate([y_forward, aligned], axis=1)")),
    V("bidirectional_merge_backward", "not-reversed", "dy_backward left in the forward time order",
      mb(ret="d_f, d_b")),
    V("bidirectional_merge_backward", "halves-swapped", "concat's gradient split backward half first",
      mb(concat="d_merged[..., u:], d_merged[..., :u]")),
    V("bidirectional_merge_backward", "ave-without-half", "ave's gradient without the 1/2",
      mb(ave="d_merged, d_merged")),
    V("bidirectional_merge_backward", "mul-own-half", "mul's gradient from the half itself, not the other half",
      mb(mul="d_merged * y_forward, d_merged * aligned")),
    V("bidirectional_merge_backward", "mul-other-not-aligned", "mul's gradient from the other half as it came "
      "out, not flipped into step", mb(mul="d_merged * y_backward, d_merged * y_forward")),
    V("bidirectional_merge_backward", "sum-halved", "sum's gradient split in two, as if it were ave",
      mb(sum="d_merged / 2, d_merged / 2")),
    V("bidirectional_merge_backward", "swapped-return", "returns (dy_backward, dy_forward)",
      mb(ret="d_b[:, ::-1], d_f")),
    V("group_norm_forward", "interleaved-groups", "channels reshaped (C // groups, groups): channel c in group c % groups",
      gn(grouped="x.reshape(x.shape[0], -1, c // groups, groups)", axes="(1, 2)")),
    V("group_norm_forward", "over-batch", "statistics over the batch too",
      gn(axes="(0, 1, 3)")),
    V("group_norm_forward", "per-channel", "statistics per channel (instance norm): the group's channels apart",
      gn(axes="1")),
    V("group_norm_forward", "all-channels", "statistics over every channel (layer norm): groups ignored",
      gn(axes="(1, 2, 3)")),
    V("group_norm_forward", "no-keepdims", "mean and var without keepdims",
      gn(var="g.var(axis={axes})", x_hat="((g - g.mean(axis=(1, 3))[:, None]) / np.sqrt(var[:, None] + epsilon))"
                                         ".reshape(x.shape)")),
    V("group_norm_forward", "eps-outside-sqrt", "divides by sqrt(var) + epsilon",
      gn(x_hat="((g - mean) / (np.sqrt(var) + epsilon)).reshape(x.shape)")),
    V("group_norm_forward", "unbiased-variance", "np.var(ddof=1)",
      gn(var="g.var(axis={axes}, keepdims=True, ddof=1)")),
    V("group_norm_forward", "float64", "casts x to float64 first, so a float32 input comes back float64",
      gn(grouped="x.astype(np.float64).reshape(x.shape[0], -1, groups, c // groups)")),
    V("group_norm_forward", "in-place", "centres the grouped view in place, which changes x",
      gn(x_hat="(g.__isub__(mean) / np.sqrt(var + epsilon)).reshape(x.shape)")),
    V("group_norm_forward", "gamma-before-norm", "scales by gamma before normalizing (gamma cancels)",
      gn(grouped="(x * gamma).reshape(x.shape[0], -1, groups, c // groups)", ret="x_hat + beta")),
]

CORRECT = [
    V("upsample_nearest_forward", "repeat", "np.repeat on each axis", up(
        "return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)")),
    V("upsample_nearest_forward", "index", "each output pixel indexes its source: rows r // s0, columns c // s1", up(
        """rows = np.arange(x.shape[1] * size[0]) // size[0]
    cols = np.arange(x.shape[2] * size[1]) // size[1]
    return x[:, rows][:, :, cols]""")),
    V("upsample_nearest_forward", "broadcast", "the copies broadcast inside each pixel, then reshaped", up(
        """b, h, w, c = x.shape
    big = np.broadcast_to(x[:, :, None, :, None], (b, h, size[0], w, size[1], c))
    return big.reshape(b, h * size[0], w * size[1], c)""")),
    V("upsample_nearest_forward", "loops", "strided assignment into an array of x's dtype", up(
        """b, h, w, c = x.shape
    y = np.empty((b, h * size[0], w * size[1], c), dtype=x.dtype)
    for i in range(size[0]):
        for j in range(size[1]):
            y[:, i::size[0], j::size[1]] = x
    return y""")),
    V("upsample_nearest_backward", "reshape-sum", "blocks as axes, summed",
      ub("return dy.reshape(batch, h, size[0], w, size[1], channels).sum(axis=(2, 4))")),
    V("upsample_nearest_backward", "loops", "adds the strided slices into zeros of dy's dtype", ub(
        """dx = np.zeros((batch, h, w, channels), dtype=dy.dtype)
    for i in range(size[0]):
        for j in range(size[1]):
            dx += dy[:, i::size[0], j::size[1]]
    return dx""")),
    V("upsample_nearest_backward", "reduceat", "np.add.reduceat over the rows, then the columns", ub(
        """rows_summed = np.add.reduceat(dy, np.arange(0, rows, size[0]), axis=1)
    return np.add.reduceat(rows_summed, np.arange(0, cols, size[1]), axis=2)""")),
    V("bidirectional_merge", "if-chain", "an if per mode", m()),
    V("bidirectional_merge", "flip-dict", "np.flip and a table of the modes", """
        def bidirectional_merge(y_forward, y_backward, merge_mode):
            b = np.flip(y_backward, axis=1)
            return {"concat": lambda: np.concatenate((y_forward, b), axis=2),
                    "sum": lambda: y_forward + b,
                    "mul": lambda: y_forward * b,
                    "ave": lambda: 0.5 * (y_forward + b)}[merge_mode]()
    """),
    V("bidirectional_merge", "stack", "stacked halves reduced by mean, sum or product", """
        def bidirectional_merge(y_forward, y_backward, merge_mode):
            halves = np.stack([y_forward, y_backward[:, ::-1]])
            if merge_mode == "concat":
                return np.concatenate(list(halves), axis=-1)
            return {"sum": halves.sum(axis=0), "mul": halves.prod(axis=0), "ave": halves.mean(axis=0)}[merge_mode]
    """),
    V("bidirectional_merge_backward", "if-chain", "an if per mode", mb()),
    V("bidirectional_merge_backward", "flip-first", "flips d_merged into the backward order first", """
        def bidirectional_merge_backward(d_merged, y_forward, y_backward, merge_mode):
            d_rev = np.flip(d_merged, axis=1)              # the merged gradient in the backward layer's order
            if merge_mode == "concat":
                u = y_forward.shape[2]
                return d_merged[:, :, :u], d_rev[:, :, u:]
            if merge_mode == "sum":
                return d_merged, d_rev
            if merge_mode == "ave":
                return 0.5 * d_merged, 0.5 * d_rev
            return d_merged * np.flip(y_backward, axis=1), d_rev * np.flip(y_forward, axis=1)
    """),
    V("bidirectional_merge_backward", "split", "concat through np.split, copies for sum", """
        def bidirectional_merge_backward(d_merged, y_forward, y_backward, merge_mode):
            if merge_mode == "concat":
                d_f, d_b = np.split(d_merged, 2, axis=-1)
            elif merge_mode == "mul":
                d_f, d_b = d_merged * y_backward[:, ::-1], d_merged * y_forward
            else:
                scale = 0.5 if merge_mode == "ave" else 1.0
                d_f, d_b = d_merged * scale, d_merged * scale
            return d_f, d_b[:, ::-1]
    """),
    V("group_norm_forward", "reshape", "groups as an axis", gn()),
    V("group_norm_forward", "loop-groups", "a loop over the groups' channel slices", """
        def group_norm_forward(x, gamma, beta, groups, epsilon):
            per = x.shape[-1] // groups
            axes = tuple(range(1, x.ndim))
            x_hat = np.empty_like(x)
            for k in range(groups):
                block = x[..., k * per:(k + 1) * per]
                mu = block.mean(axis=axes, keepdims=True)
                sd = np.sqrt(((block - mu) ** 2).mean(axis=axes, keepdims=True) + epsilon)
                x_hat[..., k * per:(k + 1) * per] = (block - mu) / sd
            return x_hat * gamma + beta
    """),
    V("group_norm_forward", "einsum", "group sums through a one-hot (C, groups) matrix and einsum", """
        def group_norm_forward(x, gamma, beta, groups, epsilon):
            c = x.shape[-1]
            member = (np.arange(c)[:, None] // (c // groups) == np.arange(groups)).astype(x.dtype)
            flat = x.reshape(x.shape[0], -1, c)
            count = flat.shape[1] * (c // groups)
            mean = np.einsum("bpc,cg->bg", flat, member) / count
            centred = flat - np.einsum("bg,cg->bc", mean, member)[:, None]
            var = np.einsum("bpc,cg->bg", centred ** 2, member) / count
            std = np.sqrt(np.einsum("bg,cg->bc", var, member) + epsilon)[:, None]
            return (gamma * centred / std + beta).reshape(x.shape)
    """),
]
