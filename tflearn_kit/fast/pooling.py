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
  stages back; a block of images at a time (``parallel.batch_chunks``) so each block's
  passes stay in cache, the blocks on both cores. Same-run before/after on the busy
  machine (``bench --against main``): max 322 ms -> 32, average 196 -> 20. Tried on
  the way: splitting the input by stride phase so each tap is a contiguous slice
  (max: 4.8x TF -> 1.7x with blocks; the axes beat it by 9% and need no split).
"""
import itertools

import numpy as np

from ..kernels.conv import _pad, _padded, _unpad
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


# ---- overlapping average pooling: a box sum is a sum along each axis in turn -------------

def _axis_taps(length, k, s, o, axis, ndim):
    """The k strided views along ``axis`` (of an array with that axis ``length`` long, padded)
    that a 1-D window of k taps, stride s, o outputs reads: one index per tap."""
    for d in range(k):
        index = [slice(None)] * ndim
        index[axis] = slice(d, d + (o - 1) * s + 1, s)
        yield tuple(index)


def _clipped_axis_taps(geom, axis):
    """The 1-D window along spatial ``axis`` (1: the first spatial axis of (N, *spatial, C)) over
    the unpadded input: per tap, (outputs, inputs, whole) with outputs/inputs indexing the
    stage before/after that axis (``clip_tap``: the padding clipped, never built) and
    ``whole`` the stride phase of the input the tap covers entirely, or None."""
    k, s, o = geom.kernel_size[axis - 1], geom.strides[axis - 1], geom.out_spatial[axis - 1]
    n, lo = geom.in_spatial[axis - 1], geom.pads[axis - 1][0]
    lead = (slice(None),) * axis
    for d in range(k):
        outs, ins = clip_tap(d - lo, s, o, n)
        yield lead + (outs,), lead + (ins,), whole_phase(ins, n, s)


POOL_BLOCK_BYTES = 2 ** 22
"""Input bytes per block on the overlapping roads (8 of the bench's 64x64x32 images). Measured
(avg forward / backward, ms) with 256 KB blocks 4.5 / 5.0, 1 MB 3.2-3.5 / 3.2-3.7, 2 MB 2.6-2.7 /
2.6-2.8, 4 MB 2.3-2.6 / 2.4-2.6, 8 MB 2.7 / 2.9, halves of the batch 5.0 / 5.2: each block is a
dozen short NumPy calls, and the hand-offs between the cores cost more than the cache saves."""


def _pool_blocks(n, bytes_per_image):
    """Blocks of about POOL_BLOCK_BYTES, at least four when the batch has four images."""
    return batch_chunks(n, bytes_per_image, target=min(POOL_BLOCK_BYTES, bytes_per_image * -(-n // 4)))


def _full(outs, o):
    return range(o)[outs[-1]] == range(o)


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
            o = geom.out_spatial[axis - 1]
            shape = list(z.shape)
            shape[axis] = o
            total = y[images] if axis == last else np.empty(shape, dtype=x.dtype)
            taps = sorted(_clipped_axis_taps(geom, axis), key=lambda tap: not _full(tap[0], o))
            full = sum(_full(outs, o) for outs, _, _ in taps)
            if full >= 2:                            # two taps every output has make the total
                np.add(z[taps[0][1]], z[taps[1][1]], out=total)
            elif full:
                np.copyto(total, z[taps[0][1]])
            else:
                total[...] = 0
            for outs, ins, _ in taps[min(full, 2):]:
                view = total[outs]
                view += z[ins]
            z = total
        z /= counts

    on_every_core(work, _pool_blocks(x.shape[0], x[0].nbytes), x.size)
    return y


def avg_pool_backward_axes(dy, geom, counts):
    """The adjoint of avg_pool_forward_axes: each axis's box sum spread back, the last axis first.
    The taps that cover a whole stride phase (3x3 stride 2: taps 0 and 1) write, one per
    phase, when every phase has one; the others add. The last stage writes dx itself."""
    dx = np.empty((dy.shape[0], *geom.in_spatial, dy.shape[-1]), dtype=dy.dtype)

    def work(images):
        g = dy[images] / counts
        for axis in reversed(range(1, dy.ndim - 1)):
            n, s = geom.in_spatial[axis - 1], geom.strides[axis - 1]
            shape = list(g.shape)
            shape[axis] = n
            spread = dx[images] if axis == 1 else np.empty(shape, dtype=dy.dtype)
            taps = list(_clipped_axis_taps(geom, axis))
            writers = {}
            for t, (_, _, phase) in enumerate(taps):
                if phase is not None:
                    writers.setdefault(phase, t)
            if len(writers) < min(s, n):
                writers = {}
                spread[...] = 0
            writes = set(writers.values())
            for t in sorted(range(len(taps)), key=lambda t: t not in writes):
                outs, ins, _ = taps[t]
                if t in writes:
                    spread[ins] = g[outs]
                else:
                    view = spread[ins]
                    view += g[outs]
            g = spread

    on_every_core(work, _pool_blocks(dy.shape[0], dx[0].nbytes), dx.size)
    return dx


# ---- overlapping max pooling: a box max is a max along each axis in turn ------------------

def _pad_block(block, x, pads, fill):
    """block = x padded with ``fill``: _pad into an array that exists already (no copy after)."""
    for axis, (lo, hi) in enumerate(pads):
        lead = (slice(None),) * (axis + 1)
        block[lead + (slice(0, lo),)] = fill
        block[lead + (slice(block.shape[axis + 1] - hi, None),)] = fill
    block[(slice(None), *(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1])))] = x


def max_pool_forward_axes(x, geom):
    """y and the cache of max_pool_backward_axes: one 1-D max per axis, the last axis first.

    The cache keeps every stage's input (``stages[a]``, the array the max along axis a
    reads; each stage writes straight into the next one's): the backward walks the
    stages back, the first axis first, each window's dy going to the first of its tap's
    maxima, so it ends on the element readable's row-major scan picks (the first row
    holding the maximum, and that row's first maximum).
    """
    last = x.ndim - 2
    y = np.empty((x.shape[0], *geom.out_spatial, x.shape[-1]), dtype=x.dtype)
    stages = [None] * (x.ndim - 1)
    shape = [x.shape[0], *_padded(geom.in_spatial, geom.pads), x.shape[-1]]
    for axis in reversed(range(1, last + 1)):
        stages[axis] = np.empty(shape, dtype=x.dtype)
        shape[axis] = geom.out_spatial[axis - 1]

    def work(images):
        _pad_block(stages[last][images], x[images], geom.pads, -np.inf)    # a padded element never wins
        for axis in reversed(range(1, last + 1)):
            k, s, o = geom.kernel_size[axis - 1], geom.strides[axis - 1], geom.out_spatial[axis - 1]
            z, target = stages[axis][images], (stages[axis - 1] if axis > 1 else y)[images]
            views = list(_axis_taps(z.shape[axis], k, s, o, axis, z.ndim))
            if k > 1:
                np.maximum(z[views[0]], z[views[1]], out=target)
            else:
                np.copyto(target, z[views[0]])
            for view in views[2:]:
                np.maximum(target, z[view], out=target)

    on_every_core(work, batch_chunks(x.shape[0], x[0].nbytes), x.size)
    return y, ("axes", geom, stages, y.copy())


def max_pool_backward_axes(dy, cache):
    """Each window's dy to its first maximum in row-major order, one axis at a time.

    Along an axis whose taps k reach at least the stride s, taps 0..s-1 touch disjoint
    positions that cover all but the tail: they write, the tail is zeroed, later taps add
    (no zeroing pass over the whole stage). The last stage writes into the padded dx.
    """
    _, geom, stages, y = cache
    last = dy.ndim - 2
    dxp = np.empty(stages[last].shape, dtype=dy.dtype)

    def work(images):
        g, out = dy[images], y[images]
        for axis in range(1, last + 1):
            k, s, o = geom.kernel_size[axis - 1], geom.strides[axis - 1], geom.out_spatial[axis - 1]
            z = stages[axis][images]
            spread = dxp[images] if axis == last else np.empty(z.shape, dtype=dy.dtype)
            writes = s if k >= s else 0
            if writes:
                spread[(slice(None),) * axis + (slice(s * o, None),)] = 0
            else:
                spread[...] = 0
            taken = np.zeros(out.shape, dtype=bool)
            hit = np.empty(out.shape, dtype=bool)
            share = np.empty(out.shape, dtype=dy.dtype)
            for d, view in enumerate(_axis_taps(z.shape[axis], k, s, o, axis, z.ndim)):
                np.equal(z[view], out, out=hit)
                np.greater(hit, taken, out=hit)          # a maximum, and its window not yet served
                taken |= hit
                if d < writes:
                    np.multiply(g, hit, out=spread[view])
                else:
                    np.multiply(g, hit, out=share)
                    spread[view] += share
            g, out = spread, z

    on_every_core(work, batch_chunks(dy.shape[0], dxp[0].nbytes), dxp.size)
    return _unpad(dxp, geom.in_spatial, geom.pads), []
