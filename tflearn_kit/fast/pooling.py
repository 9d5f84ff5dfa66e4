"""Fast pooling: ``kernels/pooling.py``'s functions, the same numbers, chosen by shape.

What each road buys (32x64x64x32, 2 cores; see ``tflearn-kit bench``):

- ``max_pool_forward``: the two halves of the batch on two cores.
- ``max_pool_backward``: when the windows tile the input (stride == pool, sizes
  divisible: the common 2x2 pool) every step runs once over the whole array, viewed
  as (batch, o1, k1, o2, k2, ..., channels), instead of once per tap; on two cores.
  Otherwise the readable taps loop, writing instead of adding when windows do not overlap.
- ``avg_pool_backward``: writes instead of adding when the windows do not overlap,
  and skips zeroing dx when they tile it.
- overlapping windows (3x3, stride 2, same: the ResNet stem's pool), max and average,
  forward and backward: a box is a 1-D window along each axis in turn (3x3: 2 + 2
  operations over shrinking arrays, not 8 over the output), and the backward walks the
  stages back; blocks of about 4 MB of images on both cores (``POOL_BLOCK_BYTES``).
  Same-run before/after on the busy machine (``bench --against main``): max 322 ms ->
  32, average 196 -> 20. Then (issue 15, third pass, quiet machine): the padding is
  clipped instead of built and cut off (``fast.conv.clip_tap``); the taps that reach a
  whole stride phase write instead of adding into a zeroed array; the passes with short
  inner loops (a tap along the last spatial axis steps over the channels: inner loops
  of C elements, about 3.5x slower per element than a row) run on shrunk arrays
  (average: the first axis first) or on stride-phase copies (max: the last axis's
  phases copied out once, each of its taps then a stride-1 slice). Average 12.7 ->
  6.0 ms, max 19 -> 13 ms on the bench.
"""
import itertools

import numpy as np

from ..kernels.conv import _pad, _unpad
from ..kernels.pooling import avg_pool_forward as _readable_avg_pool_forward
from ..kernels.pooling import pool_geometry, window_counts
from .conv import clip_tap, whole_phase
from .parallel import batch_chunks, batch_halves, on_every_core


def _tiles(xp_shape, geom):
    """Whether the windows tile the (padded) input exactly: each element is in one window."""
    return all(s == k and o * s == n for s, k, o, n in zip(geom.strides, geom.kernel_size,
                                                            geom.out_spatial, xp_shape[1:-1]))


def _disjoint(geom):
    return all(s >= k for s, k in zip(geom.strides, geom.kernel_size))


def _new_gradient(xp_shape, geom, dtype):
    """An array for dx: no zeroing when the windows tile it (the taps write all of it)."""
    return np.empty(xp_shape, dtype) if _tiles(xp_shape, geom) else np.zeros(xp_shape, dtype)


def max_pool_forward(x, pool_size, strides, padding="valid"):
    """readable.max_pool_forward (same cache), the batch halves on two cores; when the
    windows overlap, over the stride phases (their own cache)."""
    geom = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
    if _overlapping(geom):
        return max_pool_forward_axes(x, geom)
    xp = _pad(x, geom.pads, -np.inf)
    windows = list(geom.windows())
    y = np.empty((x.shape[0], *geom.out_spatial, x.shape[-1]), dtype=x.dtype)

    def fill(images):
        # two taps make y (rather than a copy of one), the others update it in place
        part, image = y[images], xp[images]
        np.maximum(image[windows[0]], image[windows[-1]], out=part)
        for window in windows[1:-1]:
            np.maximum(part, image[window], out=part)

    on_every_core(fill, batch_halves(x.shape[0]), xp.size)     # the images are independent
    return y, (xp, geom, y.copy())


def max_pool_backward(dy, cache):
    """readable.max_pool_backward: tiled in one pass on two cores, the taps loop, or the phases."""
    if isinstance(cache[0], str):              # "axes": the overlapping road
        return max_pool_backward_axes(dy, cache)
    xp, geom, y = cache
    if _tiles(xp.shape, geom):
        dxp = np.empty(xp.shape, dtype=dy.dtype)

        def fill(images):
            max_pool_backward_tiled(dy[images], xp[images], geom, y[images], out=dxp[images])

        on_every_core(fill, batch_halves(dy.shape[0]), xp.size)   # the images are independent
    else:
        dxp = _max_pool_backward_taps(dy, xp, geom, y)
    return _unpad(dxp, geom.in_spatial, geom.pads), []


def _max_pool_backward_taps(dy, xp, geom, y):
    """The readable loop, with preallocated masks, and writes instead of adds when windows do not overlap."""
    dxp = _new_gradient(xp.shape, geom, dy.dtype)
    disjoint = _disjoint(geom)
    taken = np.zeros(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    share = None if disjoint else np.empty(y.shape, dtype=dy.dtype)
    for window in geom.windows():
        np.equal(xp[window], y, out=hit)
        np.greater(hit, taken, out=hit)          # a maximum, and its window not yet served
        taken |= hit
        # dy * hit rather than np.where(hit, dy, 0): no branch on a random mask, 20x faster
        if disjoint:
            np.multiply(dy, hit, out=dxp[window])
        else:
            # within one tap the windows touch distinct elements, so this += never collides
            np.multiply(dy, hit, out=share)
            dxp[window] += share
    return dxp


def _windows(a, pool_size):
    """(batch, *spatial, channels) whose windows tile it -> (batch, o1, k1, o2, k2, ..., channels).

    A view (splitting an axis never copies): element (i, j) of every window is
    ``[:, :, i, :, j, :]``, and a (batch, *out, channels) array reshaped to
    (batch, o1, 1, o2, 1, ..., channels) broadcasts over each window.
    """
    shape = [a.shape[0]]
    for n, k in zip(a.shape[1:-1], pool_size):
        shape += [n // k, k]
    return a.reshape(shape + [a.shape[-1]])


def _element_of_every_window(tap):
    """The index of element ``tap`` of every window in a _windows view: [:, :, i, :, j, :]."""
    index = [slice(None)]
    for i in tap:
        index += [slice(None), i]
    return tuple(index + [slice(None)])


def max_pool_backward_tiled(dy, xp, geom, y, out=None):
    """Windows that tile xp: each step is one operation over the whole array, not one per tap.

    hit = every maximum of every window; keep only the first of each window if
    some window holds several; out = hit * dy, with y and dy broadcast over the windows.
    """
    pool_size = geom.kernel_size
    once = (1,) * len(pool_size)
    hit = _windows(xp, pool_size) == _windows(y, once)
    # y is one of its window's elements, so every window holds at least one hit, and as
    # many hits as windows means one each. Except NaN: it equals nothing, so a NaN window
    # has no hit and could hide a tied window from the count; NaNs take the careful way.
    if np.count_nonzero(hit) > y.size or np.isnan(y).any():
        taken = np.zeros(y.shape, dtype=bool)
        for tap in itertools.product(*(range(k) for k in pool_size)):   # row-major in the window
            at_tap = hit[_element_of_every_window(tap)]
            np.greater(at_tap, taken, out=at_tap)  # in place: a maximum, its window not yet served
            taken |= at_tap
    # dx = hit * dy, as 0/1 in dy's dtype (written straight into out) times dy in place:
    # a broadcast multiply that also converts bool to float is slower than the two steps
    if out is None:
        out = np.empty(xp.shape, dtype=dy.dtype)
    dx = _windows(out, pool_size)
    np.copyto(dx, hit)
    dx *= _windows(dy, once)
    return out


def avg_pool_backward(dy, cache):
    """readable.avg_pool_backward, writing instead of adding when the windows do not overlap;
    over the phases when they do."""
    if isinstance(cache[0], str):              # "axes": the overlapping road
        return avg_pool_backward_axes(dy, cache[1], cache[2]), []
    xp_shape, geom, counts = cache
    share = dy / counts
    dxp = _new_gradient(xp_shape, geom, dy.dtype)
    disjoint = _disjoint(geom)
    for window in geom.windows():
        if disjoint:
            dxp[window] = share
        else:
            dxp[window] += share
    return _unpad(dxp, geom.in_spatial, geom.pads), []


# ---- overlapping windows: one axis at a time -----------------------------------------------

def _overlapping(geom):
    return any(s < k for s, k in zip(geom.strides, geom.kernel_size))


def avg_pool_forward(x, pool_size, strides, padding="valid"):
    """readable.avg_pool_forward; for float32 overlapping windows, one box sum per axis (its own cache)."""
    geom = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
    # float64 is what finite differences check (gradcheck, tests): it keeps readable's
    # order of the sum, so their rounding noise is readable's; summing one axis at a
    # time rounds differently, enough to move a float64 check's noise over its bound
    if not _overlapping(geom) or x.dtype != np.float32:
        return _readable_avg_pool_forward(x, pool_size, strides, padding)
    counts = window_counts(x.shape[1:-1], pool_size, strides, padding)
    counts = x.dtype.type(counts.flat[0]) if np.all(counts == counts.flat[0]) else \
        counts.astype(x.dtype)[..., None]
    return avg_pool_forward_axes(x, geom, counts), ("axes", geom, counts)


# ---- overlapping windows, one axis at a time: the pieces both pools share -----------------

POOL_BLOCK_BYTES = 2 ** 22
"""Input bytes per block on the overlapping roads (8 of the bench's 64x64x32 images). Measured
(avg forward / backward, ms) with 256 KB blocks 4.5 / 5.0, 1 MB 3.2-3.5 / 3.2-3.7, 2 MB 2.6-2.7 /
2.6-2.8, 4 MB 2.3-2.6 / 2.4-2.6, 8 MB 2.7 / 2.9, halves of the batch 5.0 / 5.2: each block is a
dozen short NumPy calls, and the hand-offs between the cores cost more than the cache saves."""


def _pool_blocks(n, bytes_per_image):
    """Blocks of about POOL_BLOCK_BYTES, at least four when the batch has four images."""
    return batch_chunks(n, bytes_per_image, target=min(POOL_BLOCK_BYTES, bytes_per_image * -(-n // 4)))


def _axis_taps(geom, axis, split=False):
    """The 1-D window along spatial ``axis`` over the unpadded input, the padding clipped: per
    tap, (outputs, r, inputs, key, whole). The tap reads source ``r`` at ``inputs``; with
    ``split`` the sources are the input's stride phases along the axis (position i in
    phase i % s, at i // s), so every tap is a stride-1 slice of one phase; else the one
    source is the input itself, read with the stride. ``key`` names the positions the tap
    can reach (its phase) and ``whole`` says whether it reaches all of them."""
    k, s, o = geom.kernel_size[axis - 1], geom.strides[axis - 1], geom.out_spatial[axis - 1]
    n, lo = geom.in_spatial[axis - 1], geom.pads[axis - 1][0]
    lead = (slice(None),) * axis
    for d in range(k):
        key = (d - lo) % s
        if split:
            length = len(range(key, n, s))
            outs, ins = clip_tap((d - lo) // s, 1, o, length)
            r, whole = key, whole_phase(ins, length, 1) == 0
        else:
            outs, ins = clip_tap(d - lo, s, o, n)
            r, whole = 0, whole_phase(ins, n, s) is not None
        yield lead + (outs,), r, lead + (ins,), key, whole


def _phases_of(x, geom):
    """The stride phases along the last spatial axis, as arrays shaped like x but for that axis:
    [x] itself with stride 1 (no copy), else empty arrays for ``_split_into``."""
    s, n = geom.strides[-1], geom.in_spatial[-1]
    if s == 1:
        return [x]
    return [np.empty((*x.shape[:-2], len(range(r, n, s)), x.shape[-1]), dtype=x.dtype)
            for r in range(min(s, n))]


def _last_axis(s, r):
    return (Ellipsis, slice(r, None, s), slice(None))


def _reduce_axis(op, empty, sources, taps, target):
    """target = op over the taps (``_axis_taps``) of their sources: the taps that reach every
    output first (two of them make target, no fill), then the clipped ones into their outputs."""
    o = target.shape[len(taps[0][0]) - 1]
    taps = sorted(taps, key=lambda tap: not _full(tap[0], o))
    full = sum(_full(tap[0], o) for tap in taps)
    if full >= 2:
        op(sources[taps[0][1]][taps[0][2]], sources[taps[1][1]][taps[1][2]], out=target)
    elif full:
        np.copyto(target, sources[taps[0][1]][taps[0][2]])
    else:
        target[...] = empty
    for outs, r, ins, _, _ in taps[min(full, 2):]:
        view = target[outs]
        op(view, sources[r][ins], out=view)


def _full(outs, o):
    return range(o)[outs[-1]] == range(o)


def _first_writes(taps, phases):
    """The taps that may write into their phase instead of adding: the first tap to reach each
    phase, when it reaches all of it. Also the set of phases they cover (of ``phases``)."""
    first = {}
    for t, tap in enumerate(taps):
        first.setdefault(tap[3], t)
    writes = {t for t in first.values() if taps[t][4]}
    return writes, {taps[t][3] for t in writes} & set(phases)


# ---- overlapping average pooling: a box sum is a sum along each axis in turn -------------

def avg_pool_forward_axes(x, geom, counts):
    """The mean of each window as one 1-D box sum per axis, the first axis first.

    A box's sum is the sum over its rows of each row's sum, so a 3x3 window costs
    2 + 2 additions (over shrinking arrays) instead of 8. The first axis goes first: its
    taps are strided slices whose rows are contiguous (long inner loops), while the last
    axis's taps step over the channels (inner loops of C elements, about 3.5x slower per
    element), so those run on the array the first axis has already shrunk (forward /
    backward 5.2 / 5.7 -> 4.5 / 5.0 ms on the bench). Padding adds nothing to a sum,
    so it is clipped, not built: a tap adds into the outputs whose window has it inside
    the input. Block by block on both cores.
    """
    y = np.empty((x.shape[0], *geom.out_spatial, x.shape[-1]), dtype=x.dtype)
    last = x.ndim - 2

    def work(images):
        z = x[images]
        for axis in range(1, last + 1):
            shape = list(z.shape)
            shape[axis] = geom.out_spatial[axis - 1]
            total = y[images] if axis == last else np.empty(shape, dtype=x.dtype)
            _reduce_axis(np.add, 0, [z], list(_axis_taps(geom, axis)), total)
            z = total
        z /= counts

    on_every_core(work, _pool_blocks(x.shape[0], x[0].nbytes), x.size)
    return y


def avg_pool_backward_axes(dy, geom, counts):
    """The adjoint of avg_pool_forward_axes: each axis's box sum spread back, the last axis first.
    The first tap to reach a stride phase writes into it when it reaches all of it (3x3
    stride 2: taps 0 and 1), so nothing is zeroed first; the others add. The last stage
    writes dx itself."""
    dx = np.empty((dy.shape[0], *geom.in_spatial, dy.shape[-1]), dtype=dy.dtype)

    def work(images):
        g = dy[images] / counts
        for axis in reversed(range(1, dy.ndim - 1)):
            n, s = geom.in_spatial[axis - 1], geom.strides[axis - 1]
            shape = list(g.shape)
            shape[axis] = n
            spread = dx[images] if axis == 1 else np.empty(shape, dtype=dy.dtype)
            taps = list(_axis_taps(geom, axis))
            writes, reached = _first_writes(taps, range(min(s, n)))
            if len(reached) < min(s, n):
                writes = set()
                spread[...] = 0
            for t, (outs, _, ins, _, _) in enumerate(taps):
                if t in writes:
                    spread[ins] = g[outs]
                else:
                    view = spread[ins]
                    view += g[outs]
            g = spread

    on_every_core(work, _pool_blocks(dy.shape[0], dx[0].nbytes), dx.size)
    return dx


# ---- overlapping max pooling: a box max is a max along each axis in turn ------------------

def max_pool_forward_axes(x, geom):
    """y and the cache of max_pool_backward_axes: one 1-D max per axis, the last axis first.

    Padding with -inf never wins a max, so it is clipped, not built. The last axis's taps
    step over the channels, and NumPy's passes over such strided views (inner loops of C
    elements) run about 3.5x slower per element than over rows; so its stride phases are
    copied out once (one strided pass), and each of its taps is then a stride-1 slice of
    one phase. The cache keeps every stage's input (the phases, then the array each later
    axis reads): the backward walks the stages back, the first axis first, each window's
    dy going to the first of its tap's maxima, so it ends on the element readable's
    row-major scan picks (the first row holding the maximum, and that row's first maximum).
    """
    last, s = x.ndim - 2, geom.strides[-1]
    y = np.empty((x.shape[0], *geom.out_spatial, x.shape[-1]), dtype=x.dtype)
    stages = [None] * (last + 1)
    stages[last] = _phases_of(x, geom)
    shape = list(x.shape)
    for axis in reversed(range(1, last)):
        shape[axis + 1] = geom.out_spatial[axis]
        stages[axis] = np.empty(shape, dtype=x.dtype)

    def work(images):
        if s > 1:
            for r, phase in enumerate(stages[last]):
                np.copyto(phase[images], x[images][_last_axis(s, r)])
        for axis in reversed(range(1, last + 1)):
            sources = [p[images] for p in stages[last]] if axis == last else [stages[axis][images]]
            target = (stages[axis - 1] if axis > 1 else y)[images]
            _reduce_axis(np.maximum, -np.inf, sources, list(_axis_taps(geom, axis, axis == last)), target)

    on_every_core(work, _pool_blocks(x.shape[0], x[0].nbytes), x.size)
    return y, ("axes", geom, stages, y.copy())


def max_pool_backward_axes(dy, cache):
    """Each window's dy to its first maximum in row-major order, one axis at a time.

    Along each axis, in tap order, a tap's hits are its maxima whose window no earlier tap
    served. The first tap to reach a phase writes into it when it reaches all of that
    phase (3x3 stride 2: taps 0 and 1), so nothing is zeroed first; the others add. The
    last axis reads its phases (stride-1 slices) and writes dx through one strided view of
    it per phase (-5% against contiguous phase gradients copied into dx at the end, same
    run, 7 alternating rounds).
    """
    _, geom, stages, y = cache
    last, s = dy.ndim - 2, geom.strides[-1]
    dx = np.empty((dy.shape[0], *geom.in_spatial, dy.shape[-1]), dtype=dy.dtype)

    def work(images):
        g, out = dy[images], y[images]
        for axis in range(1, last + 1):
            split = axis == last
            sources = [p[images] for p in stages[last]] if split else [stages[axis][images]]
            if split:
                spreads = [dx[images][_last_axis(s, r)] for r in range(len(sources))]
            else:
                spreads = [np.empty(z.shape, dtype=dy.dtype) for z in sources]
            taps = list(_axis_taps(geom, axis, split))
            phases = range(min(geom.strides[axis - 1], geom.in_spatial[axis - 1]))
            writes, reached = _first_writes(taps, phases)
            if split:                                   # each phase is its own array
                for r, spread in enumerate(spreads):
                    if r not in reached:
                        spread[...] = 0
            elif len(reached) < len(phases):
                writes = set()
                spreads[0][...] = 0
            taken = np.zeros(out.shape, dtype=bool)
            for t, (outs, r, ins, _, _) in enumerate(taps):
                hit = np.equal(sources[r][ins], out[outs])
                if t:
                    np.greater(hit, taken[outs], out=hit)    # a maximum, and its window not yet served
                if t < len(taps) - 1:
                    seen = taken[outs]
                    seen |= hit
                if t in writes:
                    np.multiply(g[outs], hit, out=spreads[r][ins])
                else:
                    view = spreads[r][ins]
                    view += g[outs] * hit
            g, out = spreads[0], sources[0]          # the next axis's (the split one is the last)

    on_every_core(work, _pool_blocks(dy.shape[0], dx[0].nbytes), dx.size)
    return dx, []
