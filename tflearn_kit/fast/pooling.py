"""Fast pooling: ``kernels/pooling.py``'s functions, the same numbers, chosen by shape.

What each road buys (32x64x64x32, 2 cores; see ``tflearn-kit bench``):

- ``max_pool_forward``: the two halves of the batch on two cores.
- ``max_pool_backward``: when the windows tile the input (stride == pool, sizes
  divisible: the common 2x2 pool) every step runs once over the whole array, viewed
  as (batch, o1, k1, o2, k2, ..., channels), instead of once per tap; on two cores.
  Otherwise the readable taps loop, writing instead of adding when windows do not overlap.
- ``avg_pool_backward``: writes instead of adding when the windows do not overlap,
  and skips zeroing dx when they tile it.
"""
import itertools

import numpy as np

from ..kernels.conv import _pad, _unpad
from ..kernels.pooling import avg_pool_forward, pool_geometry  # noqa: F401  (avg forward: no faster road)
from .parallel import batch_halves, on_every_core


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
    """readable.max_pool_forward (same cache), the batch halves on two cores."""
    geom = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
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
    """readable.max_pool_backward: tiled in one pass on two cores, or the taps loop."""
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
    """readable.avg_pool_backward, writing instead of adding when the windows do not overlap."""
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
