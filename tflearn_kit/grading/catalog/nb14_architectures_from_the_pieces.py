"""Exercises of 14_architectures_from_the_pieces: nearest-neighbour upsampling forward and
backward, the bidirectional merge and its gradient, and the group normalization forward.

The references are written out here in plain NumPy, formula first, so that a reader can hold
them against the notebook's text; tests/test_catalog_nb14.py checks them against Keras's
UpSampling2D, Bidirectional and GroupNormalization (and TensorFlow's gradients), and against
the kit's kernels.

Conventions (Keras's): images are channels-last ``(batch, rows, cols, channels)``; ``size`` is
``(rows factor, cols factor)``. A Bidirectional's backward layer reads the sequence last step
first, so its output sequence comes out reversed in time: ``y_backward[:, 0]`` describes the
*last* input step, and the merge flips it back before joining it to ``y_forward``. Group
normalization splits the channels into ``groups`` consecutive blocks (channels
``0 .. C/groups - 1`` form group 0) and normalizes each example's group over its channels and
every position, with the biased variance and ``epsilon`` inside the square root.
"""
import numpy as np

from ..exercises import Case, Exercise, seeded

NOTEBOOK = "14_architectures_from_the_pieces"
MERGE_MODES = ("concat", "sum", "mul", "ave")


def upsample_nearest(x, size):
    """(batch, H, W, C) -> (batch, H * size[0], W * size[1], C): every pixel becomes a block."""
    return np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2)


def upsample_nearest_backward(dy, size):
    """(batch, H * size[0], W * size[1], C) -> (batch, H, W, C): each pixel's block of dy, summed."""
    batch, rows, cols, channels = dy.shape
    blocks = dy.reshape(batch, rows // size[0], size[0], cols // size[1], size[1], channels)
    return blocks.sum(axis=(2, 4))


def bidirectional_merge(y_forward, y_backward, merge_mode):
    """y_forward (batch, T, u), y_backward (batch, T, u) last step first -> the merged sequence."""
    aligned = y_backward[:, ::-1]             # step t of both halves now describes input step t
    if merge_mode == "concat":
        return np.concatenate([y_forward, aligned], axis=-1)
    if merge_mode == "sum":
        return y_forward + aligned
    if merge_mode == "mul":
        return y_forward * aligned
    if merge_mode == "ave":
        return (y_forward + aligned) / 2
    raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {merge_mode!r}")


def bidirectional_merge_backward(d_merged, y_forward, y_backward, merge_mode):
    """d_merged: the merged output's gradient -> (dy_forward, dy_backward), each shaped like its half
    and in its half's own time order (dy_backward last step first, as y_backward)."""
    aligned = y_backward[:, ::-1]
    units = y_forward.shape[-1]
    if merge_mode == "concat":
        d_f, d_aligned = d_merged[..., :units], d_merged[..., units:]
    elif merge_mode == "sum":
        d_f, d_aligned = d_merged, d_merged
    elif merge_mode == "mul":
        d_f, d_aligned = d_merged * aligned, d_merged * y_forward      # each half scales the other
    elif merge_mode == "ave":
        d_f, d_aligned = d_merged / 2, d_merged / 2
    else:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {merge_mode!r}")
    return d_f, d_aligned[:, ::-1]


def group_norm(x, gamma, beta, groups, epsilon):
    """x (batch, ..., C), gamma and beta (C,) -> y like x: each example's groups normalized."""
    channels = x.shape[-1]
    grouped = x.reshape(x.shape[0], -1, groups, channels // groups)    # (batch, positions, G, C/G)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    x_hat = ((grouped - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    return gamma * x_hat + beta


# ---- cases -----------------------------------------------------------------------------------

def image_case(seed, shape, size, dtype="float64"):
    """(x, size): x drawn from a standard normal in ``dtype``."""
    return seeded(seed).standard_normal(shape).astype(dtype), size


def upsampled_case(seed, shape, size, dtype="float64"):
    """(dy, size): an upstream gradient shaped like the upsampled output of ``shape``."""
    batch, rows, cols, channels = shape
    dy = seeded(seed).standard_normal((batch, rows * size[0], cols * size[1], channels))
    return dy.astype(dtype), size


UPSAMPLE_FORWARD = Exercise(
    function="upsample_nearest_forward", notebook=NOTEBOOK,
    reference=upsample_nearest,
    visible=[Case("batch2-3x5-size2x3-C2", lambda: image_case(seed=0, shape=(2, 3, 5, 2), size=(2, 3))),
             Case("batch1-4x2-size3x1-C3-float32",
                  lambda: image_case(seed=1, shape=(1, 4, 2, 3), size=(3, 1), dtype="float32"))],
    hidden=[Case("batch3-1x1-size4x2", lambda: image_case(seed=2, shape=(3, 1, 1, 1), size=(4, 2))),
            Case("batch2-5x3-size1x4-C2", lambda: image_case(seed=3, shape=(2, 5, 3, 2), size=(1, 4))),
            Case("batch1-2x6-size2x2-C5-float32",
                 lambda: image_case(seed=4, shape=(1, 2, 6, 5), size=(2, 2), dtype="float32"))],
    points=1,
    look="which pixel each output pixel copies: row r of the output comes from row r // size[0] "
         "(neighbours repeated next to each other, not the whole image tiled), and the output's dtype",
    hint="y = np.repeat(np.repeat(x, size[0], axis=1), size[1], axis=2): rows repeated size[0] "
         "times, columns size[1] times; np.tile would repeat the whole image instead.",
    signatures=[
        ("the whole image tiled (np.tile) instead of each pixel repeated",
         lambda x, size: np.tile(x, (1, size[0], size[1], 1)),
         "np.repeat(x, size[0], axis=1) puts the copies of a row next to each other"),
    ],
    grade_adds="a 1x1 image, a factor of 1 on the rows, float32 again",
)

UPSAMPLE_BACKWARD = Exercise(
    function="upsample_nearest_backward", notebook=NOTEBOOK,
    reference=upsample_nearest_backward,
    visible=[Case("batch2-3x5-size2x3-C2", lambda: upsampled_case(seed=10, shape=(2, 3, 5, 2), size=(2, 3))),
             Case("batch1-4x2-size3x1-C3-float32",
                  lambda: upsampled_case(seed=11, shape=(1, 4, 2, 3), size=(3, 1), dtype="float32"))],
    hidden=[Case("batch3-1x1-size4x2", lambda: upsampled_case(seed=12, shape=(3, 1, 1, 1), size=(4, 2))),
            Case("batch2-5x3-size1x4-C2", lambda: upsampled_case(seed=13, shape=(2, 5, 3, 2), size=(1, 4))),
            Case("batch1-2x6-size2x2-C5-float32",
                 lambda: upsampled_case(seed=14, shape=(1, 2, 6, 5), size=(2, 2), dtype="float32"))],
    points=2,
    look="every input pixel was copied into a size[0] x size[1] block of the output: its gradient "
         "gathers the whole block (a sum, not one value of it, not a mean)",
    hint="dy.reshape(batch, H, size[0], W, size[1], C).sum(axis=(2, 4)), with H = rows // size[0] "
         "and W = cols // size[1]: the block of pixel (i, j) is rows i*size[0] .. (i+1)*size[0]-1.",
    signatures=[
        ("one value of each block (dy[:, ::size[0], ::size[1]]) instead of the block's sum",
         lambda dy, size: dy[:, ::size[0], ::size[1]],
         "the pixel was copied into every position of its block, so add them all"),
        ("the block's mean instead of its sum",
         lambda dy, size: upsample_nearest_backward(dy, size) / (size[0] * size[1]),
         "each copy passes its whole gradient back: sum, do not divide"),
    ],
    grade_adds="a 1x1 image, a factor of 1 on the rows, float32 again",
)


def merge_case(seed, batch, steps, units, merge_mode, dtype="float64"):
    """(y_forward, y_backward, merge_mode): the two halves of a Bidirectional's output sequences."""
    g = seeded(seed)
    y_f, y_b = (g.standard_normal((batch, steps, units)).astype(dtype) for _ in range(2))
    return y_f, y_b, merge_mode


def merge_backward_case(seed, batch, steps, units, merge_mode, dtype="float64"):
    """(d_merged, y_forward, y_backward, merge_mode)."""
    y_f, y_b, _ = merge_case(seed, batch, steps, units, merge_mode, dtype)
    width = 2 * units if merge_mode == "concat" else units
    d = seeded(seed + 100).standard_normal((batch, steps, width)).astype(dtype)
    return d, y_f, y_b, merge_mode


def _in_mode(wanted, mistake):
    """A signature that exists in one merge mode only (elsewhere it raises, and is skipped)."""
    def make(*args):
        if args[-1] != wanted:
            raise ValueError(f"only in merge_mode={wanted!r}")
        return mistake(*args)
    return make


MERGE_VISIBLE = [("concat-batch2-T3-u4", 20, 2, 3, 4, "concat"),
                 ("sum-batch1-T5-u2", 21, 1, 5, 2, "sum"),
                 ("mul-batch2-T4-u3", 22, 2, 4, 3, "mul"),
                 ("ave-batch3-T3-u1", 23, 3, 3, 1, "ave")]
MERGE_HIDDEN = [("concat-batch1-T6-u1", 24, 1, 6, 1, "concat"),
                ("mul-batch3-T2-u5", 25, 3, 2, 5, "mul"),
                ("ave-batch2-T5-u3-float32", 26, 2, 5, 3, "ave", "float32"),
                ("sum-batch2-T7-u2", 27, 2, 7, 2, "sum"),
                ("concat-batch2-T4-u3-float32", 28, 2, 4, 3, "concat", "float32")]


def _merge_cases(rows, make):
    return [Case(name, lambda args=args: make(*args)) for name, *args in rows]


MERGE = Exercise(
    function="bidirectional_merge", notebook=NOTEBOOK,
    reference=bidirectional_merge,
    visible=_merge_cases(MERGE_VISIBLE, merge_case), hidden=_merge_cases(MERGE_HIDDEN, merge_case),
    points=1,
    look="y_backward comes out last step first: flip it in time (axis 1) before you join it, and "
         "in concat the forward half comes first",
    hint="aligned = y_backward[:, ::-1]; concat: np.concatenate([y_forward, aligned], axis=-1); "
         "sum: y_forward + aligned; mul: y_forward * aligned; ave: (y_forward + aligned) / 2.",
    signatures=[
        ("the backward half joined without flipping it in time",
         lambda y_f, y_b, mode: bidirectional_merge(y_f, y_b[:, ::-1], mode),
         "y_backward[:, 0] describes the last input step; use y_backward[:, ::-1]"),
        ("the halves concatenated backward first",
         _in_mode("concat", lambda y_f, y_b, mode: np.concatenate([y_b[:, ::-1], y_f], axis=-1)),
         "Keras puts the forward half first: np.concatenate([y_forward, aligned], axis=-1)"),
    ],
    grade_adds="a single unit, float32, longer sequences",
)

MERGE_BACKWARD = Exercise(
    function="bidirectional_merge_backward", notebook=NOTEBOOK,
    reference=bidirectional_merge_backward,
    visible=_merge_cases(MERGE_VISIBLE, merge_backward_case),
    hidden=_merge_cases(MERGE_HIDDEN, merge_backward_case),
    points=2,
    look="dy_backward goes back in the backward layer's own order (flipped in time again); in mul, "
         "each half's gradient is d_merged times the *other* half, aligned in time; ave halves it",
    outputs=("dy_forward", "dy_backward"),
    hint="With aligned = y_backward[:, ::-1]: concat: d[..., :u] and d[..., u:]; sum: d and d; "
         "mul: d * aligned and d * y_forward; ave: d / 2 and d / 2. Then flip the backward half's "
         "gradient back: dy_backward = d_aligned[:, ::-1].",
    signatures=[
        ("dy_backward left in the forward order (not flipped back in time)",
         lambda d, y_f, y_b, mode: (lambda r: (r[0], r[1][:, ::-1]))(
             bidirectional_merge_backward(d, y_f, y_b, mode)),
         "the backward layer produced its output last step first, so its gradient must be too"),
        ("mul's gradient computed from the half itself, not the other half",
         _in_mode("mul", lambda d, y_f, y_b, mode: (d * y_f, (d * y_b[:, ::-1])[:, ::-1])),
         "d(y_f * y_b)/d y_f = y_b: each half's gradient is d_merged times the other half"),
    ],
    grade_adds="a single unit, float32, longer sequences",
)


def group_norm_case(seed, shape, groups, epsilon=1e-3, dtype="float64"):
    """(x, gamma, beta, groups, epsilon): x with a mean and spread of its own per channel."""
    g = seeded(seed)
    channels = shape[-1]
    x = g.standard_normal(shape) * g.uniform(0.5, 3.0, channels) + g.standard_normal(channels)
    gamma, beta = g.uniform(0.5, 1.5, channels), g.standard_normal(channels) * 0.5
    return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype), groups, epsilon


GROUP_NORM = Exercise(
    function="group_norm_forward", notebook=NOTEBOOK,
    reference=group_norm,
    visible=[Case("batch2-3x5-C6-groups3", lambda: group_norm_case(seed=30, shape=(2, 3, 5, 6), groups=3)),
             Case("batch1-2x3-C8-groups2-float32",
                  lambda: group_norm_case(seed=31, shape=(1, 2, 3, 8), groups=2, dtype="float32"))],
    hidden=[Case("batch3-T7-C4-groups4", lambda: group_norm_case(seed=32, shape=(3, 7, 4), groups=4)),
            Case("batch2-4x4-C6-groups1", lambda: group_norm_case(seed=33, shape=(2, 4, 4, 6), groups=1)),
            Case("batch2-1x3-C12-groups4-eps0.5",
                 lambda: group_norm_case(seed=34, shape=(2, 1, 3, 12), groups=4, epsilon=0.5)),
            Case("batch2-2x2x3-C6-groups2-float32",
                 lambda: group_norm_case(seed=35, shape=(2, 2, 2, 3, 6), groups=2, dtype="float32"))],
    points=2,
    look="the axes of the statistics: per example and per group, over the group's channels and "
         "every position (never the batch); group 0 is channels 0 .. C/groups - 1, in a row",
    hint="g = x.reshape(batch, -1, groups, C // groups); mean and (biased) var over axes (1, 3) "
         "with keepdims=True; x_hat = ((g - mean) / sqrt(var + epsilon)).reshape(x.shape); "
         "y = gamma * x_hat + beta.",
    signatures=[
        ("channel c put in group c % groups (the reshape (C // groups, groups))",
         lambda x, gamma, beta, groups, eps: _group_norm_interleaved(x, gamma, beta, groups, eps),
         "consecutive channels form a group: reshape to (..., groups, C // groups)"),
        ("the statistics taken over the batch too",
         lambda x, gamma, beta, groups, eps: _group_norm_over_batch(x, gamma, beta, groups, eps),
         "group norm is per example: keep axis 0 out of the mean and the variance"),
    ],
    grade_adds="a sequence (batch, T, C), groups = channels and groups = 1, a large epsilon, 3-D "
               "volumes in float32",
)


def _group_norm_interleaved(x, gamma, beta, groups, epsilon):
    channels = x.shape[-1]
    grouped = x.reshape(x.shape[0], -1, channels // groups, groups)
    x_hat = (grouped - grouped.mean(axis=(1, 2), keepdims=True)) / \
        np.sqrt(grouped.var(axis=(1, 2), keepdims=True) + epsilon)
    return gamma * x_hat.reshape(x.shape) + beta


def _group_norm_over_batch(x, gamma, beta, groups, epsilon):
    channels = x.shape[-1]
    grouped = x.reshape(x.shape[0], -1, groups, channels // groups)
    x_hat = (grouped - grouped.mean(axis=(0, 1, 3), keepdims=True)) / \
        np.sqrt(grouped.var(axis=(0, 1, 3), keepdims=True) + epsilon)
    return gamma * x_hat.reshape(x.shape) + beta


EXERCISES = [UPSAMPLE_FORWARD, UPSAMPLE_BACKWARD, MERGE, MERGE_BACKWARD, GROUP_NORM]
