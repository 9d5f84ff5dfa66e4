"""Max and average pooling in any number of spatial dimensions, channels last.

One implementation serves 1-D, 2-D and 3-D: the spatial axes are the ones
between the batch axis and the channel axis. The kernels loop over the pool's
*taps* (4 for a 2x2 pool), never over the batch or the output positions: tap
(i, j) of every window, across the whole batch, is the strided view
``x[:, i::stride, j::stride, :]``, so each step is one vectorized NumPy operation.
When the windows tile the input (stride == pool, sizes divisible: the common 2x2
pool), max pooling's backward does each step once over the whole array instead
(see _max_pool_backward_tiled).

Mirrors tf.nn.max_pool / tf.nn.avg_pool (behind tf.keras.layers.MaxPooling2D,
tf.compat.v1.layers.max_pooling2d and their 1-D/3-D siblings).
"""
import itertools
import math

import numpy as np

from .parallel import batch_halves, on_every_core


def output_length(n, k, s, padding):
    """Windows along one axis of length n (pool k, stride s), and the padding before it.

    valid: ceil((n - k + 1) / s) windows, no padding.
    same: ceil(n / s) windows; TF pads (out - 1) s + k - n in total, the smaller
    half before (so an odd total puts the extra element after).
    """
    if padding == "valid":
        return (n - k) // s + 1, 0, 0
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def _geometry(spatial, pool_size, strides, padding):
    outs, pads = [], []
    for n, k, s in zip(spatial, pool_size, strides):
        out, before, after = output_length(n, k, s, padding)
        if out <= 0:
            raise ValueError(f"pooling: a window of {k} does not fit an axis of length {n} "
                             "with padding='valid'.")
        outs.append(out)
        pads.append((before, after))
    return tuple(outs), pads


def _tap(tap, strides, outs):
    """The index that picks tap ``tap`` of every window: x[:, i : i + s (out - 1) + 1 : s, ..., :]."""
    return (slice(None),) + tuple(slice(i, i + s * (o - 1) + 1, s)
                                  for i, s, o in zip(tap, strides, outs)) + (slice(None),)


def pool_size_of(taps):
    """The last tap is (k1 - 1, k2 - 1, ...)."""
    return tuple(t + 1 for t in taps[-1])


def _tiles(xp_shape, pool_size, strides, outs):
    """Whether the windows tile the (padded) input exactly: stride == pool and they cover it.

    Then each element belongs to exactly one window.
    """
    return all(s == k and o * s == n for s, k, o, n in zip(strides, pool_size, outs,
                                                            xp_shape[1:-1]))


def _new_gradient(xp_shape, pool_size, strides, outs, dtype):
    """An array for dx, and whether the windows tile it exactly (then each tap writes instead of adds).

    When the windows tile the input, the taps write disjoint parts that cover dx,
    so dx needs no zeroing.
    """
    disjoint = all(s >= k for s, k in zip(strides, pool_size))
    dxp = np.empty(xp_shape, dtype) if _tiles(xp_shape, pool_size, strides, outs) else \
        np.zeros(xp_shape, dtype)
    return dxp, disjoint


def _pad(x, pads, value):
    return np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=value) if any(
        b or a for b, a in pads) else x


def max_pool_forward(x, pool_size, strides, padding="valid"):
    """The largest element of each window.

    x: (batch, *spatial, channels)  ->  y: (batch, *out, channels)
    """
    outs, pads = _geometry(x.shape[1:-1], pool_size, strides, padding)
    # padding with -inf: a padded element never wins (every window holds a real one)
    xp = _pad(x, pads, -np.inf)
    taps = list(itertools.product(*(range(k) for k in pool_size)))
    y = np.empty((x.shape[0], *outs, x.shape[-1]), dtype=x.dtype)

    def fill(images):
        # two taps make y (rather than a copy of one), the others update it in place
        part, window = y[images], xp[images]
        np.maximum(window[_tap(taps[0], strides, outs)], window[_tap(taps[-1], strides, outs)], out=part)
        for tap in taps[1:-1]:
            np.maximum(part, window[_tap(tap, strides, outs)], out=part)

    on_every_core(fill, batch_halves(x.shape[0]), xp.size)     # the images are independent
    # the cache keeps its own copy of y: a caller may change the returned array in place
    return y, (x.shape, xp, pads, taps, strides, outs, y.copy())


def max_pool_backward(dy, cache):
    """dy: (batch, *out, channels) -> dx: (batch, *spatial, channels).

    Each window's dy goes to one element: the first maximum in the window's
    row-major order, the one TF's MaxPoolGrad picks. Windows that tile the input
    (the common 2x2 pool, stride 2, even sizes) take a faster path; both paths
    give the same dx (tests/test_pooling.py checks it).
    """
    x_shape, xp, pads, taps, strides, outs, y = cache
    if _tiles(xp.shape, pool_size_of(taps), strides, outs):
        dxp = np.empty(xp.shape, dtype=dy.dtype)

        def fill(images):
            _max_pool_backward_tiled(dy[images], xp[images], taps, y[images], out=dxp[images])

        on_every_core(fill, batch_halves(dy.shape[0]), xp.size)   # the images are independent
    else:
        dxp = _max_pool_backward_taps(dy, xp, taps, strides, outs, y)
    return _crop(dxp, pads), []


def _max_pool_backward_taps(dy, xp, taps, strides, outs, y):
    """Any windows: visit the taps in row-major order; ``taken`` marks the windows
    already served, so a later tie gets nothing."""
    dxp, disjoint = _new_gradient(xp.shape, pool_size_of(taps), strides, outs, dy.dtype)
    taken = np.zeros(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    share = None if disjoint else np.empty(y.shape, dtype=dy.dtype)
    for tap in taps:
        index = _tap(tap, strides, outs)
        np.equal(xp[index], y, out=hit)
        np.greater(hit, taken, out=hit)          # a maximum, and its window not yet served
        taken |= hit
        # dy * hit rather than np.where(hit, dy, 0): no branch on a random mask, 20x faster
        if disjoint:
            np.multiply(dy, hit, out=dxp[index])
        else:
            # within one tap the windows touch distinct elements, so this += never collides
            np.multiply(dy, hit, out=share)
            dxp[index] += share
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


def _max_pool_backward_tiled(dy, xp, taps, y, out=None):
    """Windows that tile xp: each step is one operation over the whole array, not one per tap.

    hit = every maximum of every window; keep only the first of each window if
    some window holds several; out = hit * dy, with y and dy broadcast over the windows.
    """
    pool_size = pool_size_of(taps)
    once = (1,) * len(pool_size)
    hit = _windows(xp, pool_size) == _windows(y, once)
    # y is one of its window's elements, so every window holds at least one hit, and as
    # many hits as windows means one each. Except NaN: it equals nothing, so a NaN window
    # has no hit and could hide a tied window from the count; NaNs take the careful way.
    if np.count_nonzero(hit) > y.size or np.isnan(y).any():
        taken = np.zeros(y.shape, dtype=bool)
        for tap in taps:                          # row-major order within the window
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


def _crop(xp, pads):
    index = (slice(None),) + tuple(slice(b, xp.shape[1 + i] - a) for i, (b, a) in enumerate(pads))
    return xp[index]


def window_counts(spatial, pool_size, strides, padding):
    """How many real (not padded) elements each window holds: (*out,).

    With padding='same' the windows at the border overlap the padding, and TF
    averages over the real elements only. The count is a product of one count
    per axis, since a window is a box.
    """
    counts = np.ones((), dtype=np.int64)
    for n, k, s in zip(spatial, pool_size, strides):
        out, before, _ = output_length(n, k, s, padding)
        start = np.arange(out) * s - before
        per_axis = np.minimum(start + k, n) - np.maximum(start, 0)
        counts = np.multiply.outer(counts, per_axis)
    return counts


def avg_pool_forward(x, pool_size, strides, padding="valid"):
    """The mean of the real elements of each window.

    x: (batch, *spatial, channels)  ->  y: (batch, *out, channels)
    """
    outs, pads = _geometry(x.shape[1:-1], pool_size, strides, padding)
    xp = _pad(x, pads, 0)
    taps = list(itertools.product(*(range(k) for k in pool_size)))
    total = xp[_tap(taps[0], strides, outs)].copy()
    for tap in taps[1:]:
        total += xp[_tap(tap, strides, outs)]
    counts = window_counts(x.shape[1:-1], pool_size, strides, padding)
    # with 'valid' every window is full: divide by one number rather than by an array
    counts = x.dtype.type(counts.flat[0]) if np.all(counts == counts.flat[0]) else \
        counts.astype(x.dtype)[..., None]
    total /= counts
    return total, (xp.shape, pads, taps, strides, outs, counts)


def avg_pool_backward(dy, cache):
    """dy: (batch, *out, channels) -> dx: each element of a window receives dy / count."""
    xp_shape, pads, taps, strides, outs, counts = cache
    share = dy / counts
    dxp, disjoint = _new_gradient(xp_shape, pool_size_of(taps), strides, outs, dy.dtype)
    for tap in taps:
        if disjoint:                    # windows that do not overlap: write, don't add
            dxp[_tap(tap, strides, outs)] = share
        else:
            dxp[_tap(tap, strides, outs)] += share
    return _crop(dxp, pads), []


def max_pool2d_loops(x, pool_size, strides, padding="valid"):
    """2-D max pooling written as loops, for reading; tested equal to max_pool_forward.

    x: (batch, height, width, channels). Returns (y, dx_of) where dx_of(dy) is the
    backward pass, also by loops: each dy goes to the first maximum of its window.
    """
    (kh, kw), (sh, sw) = pool_size, strides
    batch, height, width, channels = x.shape
    oh, top, _ = output_length(height, kh, sh, padding)
    ow, left, _ = output_length(width, kw, sw, padding)
    y = np.zeros((batch, oh, ow, channels), dtype=x.dtype)
    where = np.zeros((batch, oh, ow, channels, 2), dtype=np.int64)
    for n in range(batch):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    best, best_at = -np.inf, None
                    for di in range(kh):
                        for dj in range(kw):
                            r, q = i * sh + di - top, j * sw + dj - left
                            if 0 <= r < height and 0 <= q < width and x[n, r, q, c] > best:
                                best, best_at = x[n, r, q, c], (r, q)
                    y[n, i, j, c] = best
                    where[n, i, j, c] = best_at

    def dx_of(dy):
        dx = np.zeros_like(x)
        for n in range(batch):
            for i in range(oh):
                for j in range(ow):
                    for c in range(channels):
                        r, q = where[n, i, j, c]
                        dx[n, r, q, c] += dy[n, i, j, c]
        return dx

    return y, dx_of


def global_pool_forward(x, mode, keepdims=False):
    """Max or mean over every spatial axis. x: (batch, *spatial, channels) -> (batch, channels)."""
    axes = tuple(range(1, x.ndim - 1))
    y = x.max(axis=axes, keepdims=True) if mode == "max" else x.mean(axis=axes, keepdims=True)
    out = y if keepdims else y.reshape(x.shape[0], x.shape[-1])
    return out, (x, y, mode)


def global_pool_backward(dy, cache):
    """dy: (batch, channels) or keepdims -> dx: (batch, *spatial, channels).

    Global max splits dy evenly among tied maxima: that is TF's gradient of
    reduce_max (unlike MaxPool's single winner).
    """
    x, y, mode = cache
    dy = dy.reshape(y.shape)
    if mode == "max":
        hits = (x == y).astype(x.dtype)
        return hits * (dy / hits.sum(axis=tuple(range(1, x.ndim - 1)), keepdims=True)), []
    count = math.prod(x.shape[1:-1])
    return np.broadcast_to(dy / x.dtype.type(count), x.shape).copy(), []
