"""Fast convolutions: ``kernels/conv.py``'s functions, the same numbers, chosen by shape.

What each road buys (see ``tflearn-kit bench``, which times each convolution against
its matmul floor, and ``tflearn-kit bench --against REV`` for before/after in one run):

- one group, stride 1 along the first spatial axis (the bench's Conv1D/2D/3D): the
  lead-axis road (``conv_forward_lead``, ``kernel_grad_lead``, ``input_grad_lead``).
  Shifting along the first axis is a contiguous slice of an image's rows, so only the
  other axes' taps are gathered (Conv2D 3x3: 3 of 9; Conv3D: 9 of 27; Conv1D: none)
  and each product is k0 stacked matmuls of those slices, a block of images at a time,
  each core's OpenBLAS on one thread (``parallel.blas_on_one_thread``) so one core
  gathers while the other multiplies. Same run against the branch base: Conv2D -32%,
  Conv1D -33%, Conv3D -40%.
- strided convolutions off that road (Conv2DTranspose's stride 2, a strided Conv2D's dx):
  the strided road (``input_grad_blocks``, ``conv_blocks_backward``), a block of images
  at a time on both cores, one matmul per block, its product scattered (or its cols
  gathered) while in cache, the padding clipped instead of built and cut off again, and
  the taps that reach a whole stride phase written rather than added into a zeroed dx.
  Conv2DTranspose's bench step 41.6 -> 26-28 ms, 1.6x -> 1.14-1.19x its floor.
  (An earlier blocks road, im2col-then-matmul with a padded grid per block, had been
  17-38% slower than whole-batch col2im; this one differs by the clipping, the fused
  backward that never forms the batch's cols, and the writes. Which of them made the
  difference was not measured apart.)
- other convolutions (groups, small images at stride 1): whole-batch ``im2col`` and
  ``col2im`` below, one big matmul each.
- ``im2col``: a 1x1 stride-1 convolution is a plain matmul on x itself (no copy at
  all); otherwise the tap copies, independent of each other, run on every core.
- ``col2im``: the two halves of the batch scatter on two cores (overlapping
  windows add into the same inputs, so the split is by image, not by tap).
- ``input_grad_shifted``: a stride-1 dx off the lead-axis road (1x1 kernels, small
  images) as T shifted ``dy @ kernel[t].T`` on the padded grid, no col2im. (On the
  Conv2D bench its nine K=64 matmuls and nine adds took 60 ms, three times the floor's
  input-gradient product: the lead-axis road won there.)
- ``depthwise_forward`` / ``depthwise_backward``: tap by tap, broadcast multiply-adds
  over the channels instead of C thin matmuls, a few images at a time so that each
  block's nine passes stay in cache (``parallel.batch_chunks``), the blocks shared by
  the cores; with multiplier 1 the forward and the kernel gradient are one einsum
  each over a sliding-window view of the block (-9% in the same run), with stride 1
  dx too (a correlation of the zero-extended dy with the flipped kernel: no scatter),
  and the bias and its gradient join the blocks while they are in cache.
  DepthwiseConv2D 32x32x64 3x3 same, batch 32: 11x its floor on main, 1.1x now
  (busy machine, paired in one process).
"""
import dataclasses
import itertools
import math

import numpy as np

from ..kernels import conv as readable
from ..kernels.conv import (_bias_grad, _kernel_matrix, _padded, _rows, _unpad, apply_kernel,
                            conv_geometry, kernel_grad)
from .parallel import batch_chunks, batch_halves, matmul_rows, matmul_t_rows, on_every_core


def im2col(x, geom):
    """readable.im2col, with the 1x1 shortcut and the taps copied on every core."""
    n, c, g = x.shape[0], x.shape[-1], geom.groups
    rows = n * math.prod(geom.out_spatial)
    if _pointwise(geom) and x.flags.c_contiguous and tuple(x.shape[1:-1]) == geom.out_spatial:
        return x.reshape(1, rows, c)                 # a 1x1 convolution is a plain matmul: no copy
    xp = readable._pad(x, geom.pads)
    cols = np.empty((g, n, *geom.out_spatial, geom.taps, c // g), dtype=x.dtype)

    def copy_tap(tap):
        t, window = tap
        view = xp[window]                            # (N, *out, C), a strided view
        cols[..., t, :] = np.moveaxis(view.reshape(*view.shape[:-1], g, c // g), -2, 0)

    on_every_core(copy_tap, enumerate(geom.windows()), cols.size)     # the taps are independent copies
    return cols.reshape(g, rows, geom.taps * (c // g))


def col2im(dcols, geom, channels):
    """readable.col2im, the two halves of the batch on two cores."""
    g = geom.groups
    n = dcols.shape[1] // math.prod(geom.out_spatial)
    dxp = np.zeros((n, *_padded(geom.in_spatial, geom.pads), channels), dtype=dcols.dtype)
    per_tap = dcols.reshape(g, n, *geom.out_spatial, geom.taps, channels // g)

    def add_taps(images):
        for t, window in enumerate(geom.windows()):
            view = dxp[images][window]
            target = np.moveaxis(view.reshape(*view.shape[:-1], g, channels // g), -2, 0)
            target += per_tap[:, images, ..., t, :]      # writes through the views into dxp

    on_every_core(add_taps, batch_halves(n), dcols.size)
    return _unpad(dxp, geom.in_spatial, geom.pads)


def input_grad(dy, kernel, geom, channels):
    """dx = col2im(dy @ kernel.T): on the lead-axis road when it applies, else with stride 1 and
    one group the shifted sum (no col2im), else col2im on two cores."""
    if _lead_road(geom):
        return input_grad_lead(dy, kernel, geom, channels)
    if _blocks_road(geom):
        return input_grad_blocks(dy, kernel, geom, channels)
    if _pointwise(geom) and tuple(dy.shape[1:-1]) == tuple(geom.in_spatial):
        # a 1x1 convolution (SeparableConv2D's pointwise part): dx is one matmul on dy itself,
        # no zero grid, no copy of dy, no unpad
        dx = matmul_rows(dy.reshape(-1, dy.shape[-1]), kernel.reshape(channels, dy.shape[-1]).T)
        return dx.reshape(*dy.shape[:-1], channels)
    if geom.groups == 1 and all(s == 1 for s in geom.strides):
        return input_grad_shifted(dy, kernel, geom, channels)
    g = geom.groups
    k, d = _kernel_matrix(kernel, g), _rows(dy, g)
    dcols = d[0] @ k[0].T if g == 1 else np.matmul(d, k.transpose(0, 2, 1))
    return col2im(dcols.reshape(g, *dcols.shape[-2:]), geom, channels)


def input_grad_shifted(dy, kernel, geom, channels):
    """dx of a stride-1 convolution as T shifted matmuls, with no col2im.

    Lay the padded input grid out as rows, one per position: ``(N * prod(padded), C)``.
    With stride 1, output position ``r`` (numbered on that same grid) reads, through
    tap t, input row ``r + offset[t]``, where ``offset[t]`` is the tap's position
    flattened with the grid's row strides. So col2im's "add tap t's block of dcols
    back into its window" becomes "add ``dy_grid @ kernel[t].T`` into the rows
    shifted by ``offset[t]``": a contiguous slice, no strided scatter, and a
    (rows, C) temporary instead of a (M, T*C) one.

    ``dy_grid`` is dy placed on the padded grid with zeros elsewhere; those grid
    positions that are not outputs (their window would cross an edge) add nothing.
    """
    n, f = dy.shape[0], dy.shape[-1]
    grid = _padded(geom.in_spatial, geom.pads)
    row_strides = [math.prod(grid[i + 1:]) for i in range(len(grid))]
    offsets = [sum(t * d * s for t, d, s in zip(tap, geom.dilation, row_strides))
               for tap in itertools.product(*(range(k) for k in geom.kernel_size))]
    rows = n * math.prod(grid)
    reach = rows - offsets[-1]              # every real output sits in the first `reach` rows
    outputs = (slice(None),) + tuple(slice(0, o) for o in geom.out_spatial)

    dy_grid = np.zeros((n, *grid, f), dtype=dy.dtype)
    dy_grid[outputs] = dy
    dy_rows = dy_grid.reshape(rows, f)[:reach]
    per_tap = kernel.reshape(geom.taps, channels, f)

    dxp = np.empty((rows, channels), dtype=dy.dtype)
    np.matmul(dy_rows, per_tap[0].T, out=dxp[:reach])     # tap 0 has offset 0: write, don't add
    dxp[reach:] = 0
    block = np.empty((reach, channels), dtype=dy.dtype)
    for offset, kernel_t in zip(offsets[1:], per_tap[1:]):
        np.matmul(dy_rows, kernel_t.T, out=block)
        dxp[offset:offset + reach] += block
    return _unpad(dxp.reshape(n, *grid, channels), geom.in_spatial, geom.pads)


# ---- one block of images at a time: gather, multiply, scatter while the block is in cache --

# ---- stride 1 along the first spatial axis: shift along it instead of gathering it -------

LEAD_ROWS = 256
"""Output positions per image below which the lead-axis road's per-image products are too
small for BLAS (the fit bench's 8x8 digits): those convolutions take im2col and one matmul."""


def _lead_road(geom):
    """Whether the lead-axis road applies: one group, several taps, stride 1 along the first
    axis, images of at least LEAD_ROWS outputs."""
    return (geom.groups == 1 and geom.taps > 1 and geom.strides[0] == 1
            and math.prod(geom.out_spatial) >= LEAD_ROWS)


def _rest_windows(geom):
    """For each tap of the axes after the first: its index into a padded (n, P0, *rest, C) block."""
    for tap in itertools.product(*(range(k) for k in geom.kernel_size[1:])):
        yield (slice(None), slice(None)) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, geom.dilation[1:], geom.out_spatial[1:], geom.strides[1:])
        ) + (slice(None),)


def _lead_shape(geom, batch, channels):
    """The lead cols' shape: every padded position of the first axis, the other axes' outputs,
    the other axes' taps, the channels."""
    rest = math.prod(geom.kernel_size[1:])
    p0 = geom.in_spatial[0] + sum(geom.pads[0])
    return (batch, p0, *geom.out_spatial[1:], rest, channels)


def _lead_rows(block, geom, d):
    """A block (n, P0, *out_rest, R, C) -> the (n, D * prod(out_rest), R * C) rows that tap d of
    the first axis multiplies: in each image a contiguous slice, since that axis leads (a view)."""
    start = d * geom.dilation[0]
    rows = block[:, start:start + geom.out_spatial[0]]
    return rows.reshape(rows.shape[0], -1, rows.shape[-2] * rows.shape[-1])


def conv_forward_lead(x, kernel, geom, bias=None):
    """(y, lead cols): the forward on the lead-axis road, the bias added block by block.

    With stride 1 along the first spatial axis, tap d of that axis reads the padded
    input shifted by d * dilation, and within one image the rows of that shift are a
    contiguous slice. So only the other axes' taps are gathered, once per padded
    position of the first axis (Conv2D 3x3: 3 taps gathered, not 9; Conv3D: 9, not 27;
    Conv1D: none, x's padded rows are the cols), and y adds k0 matmuls of those slices by
    the kernel's k0 slabs. Block by block on both cores, each core's BLAS on one thread.
    """
    n, c = x.shape[0], x.shape[-1]
    f, k0 = kernel.shape[-1], geom.kernel_size[0]
    xp = np.empty((n, *_padded(geom.in_spatial, geom.pads), c), dtype=x.dtype)
    shape = _lead_shape(geom, n, c)
    plain = len(geom.kernel_size) == 1               # nothing to gather: the padded x is the cols
    cols = xp.reshape(shape) if plain else np.empty(shape, dtype=x.dtype)
    y = np.empty((n, *geom.out_spatial, f), dtype=np.result_type(x, kernel))
    slabs = kernel.reshape(k0, -1, f)

    def work(images):
        _pad_into(xp, x, geom.pads, images)
        block = cols[images]
        if not plain:
            for t, window in enumerate(_rest_windows(geom)):
                block[..., t, :] = xp[images][window]
        out = y[images].reshape(block.shape[0], -1, f)
        np.matmul(_lead_rows(block, geom, 0), slabs[0], out=out)      # a stack: one product per image
        for d in range(1, k0):
            out += _lead_rows(block, geom, d) @ slabs[d]
        if bias is not None:
            out += bias                              # while the block's rows are in cache

    on_every_core(work, batch_chunks(n, x[0].nbytes), cols.size, one_blas_thread=True)
    return y, ("lead", cols)


def kernel_grad_lead(cols, dy, kernel_shape, geom, bias_too=False):
    """dkernel from the lead cols: slab d is the sum over images of (tap d's rows).T @ dy;
    with ``bias_too``, (dkernel, dbias), dy's sum taken in the same blocks."""
    f, k0 = dy.shape[-1], geom.kernel_size[0]
    chunks = batch_chunks(dy.shape[0], cols[0].nbytes)
    partial = np.empty((len(chunks), k0, cols.shape[-2] * cols.shape[-1], f), dtype=np.result_type(cols, dy))
    bias_partial = np.empty((len(chunks), f), dtype=dy.dtype)

    def work(chunk):
        j, images = chunk
        block, grad = cols[images], dy[images]
        if bias_too:
            grad.reshape(-1, f).sum(axis=0, out=bias_partial[j])
        rows_dy = grad.reshape(grad.shape[0], -1, f)
        for d in range(k0):
            partial[j, d] = np.matmul(_lead_rows(block, geom, d).transpose(0, 2, 1), rows_dy).sum(axis=0)

    on_every_core(work, enumerate(chunks), cols.size, one_blas_thread=True)
    dkernel = partial.sum(axis=0).reshape(kernel_shape)
    return (dkernel, bias_partial.sum(axis=0)) if bias_too else dkernel


def input_grad_lead(dy, kernel, geom, channels):
    """dx on the lead-axis road: per block, dy @ slab[d].T (one product per image) written (d = 0)
    or added (d > 0, through one buffer) into the lead cols' gradient at shift d, then scattered
    over the other axes' taps straight into dx, the padding clipped (``_clipped_taps``) and the
    taps that reach all of dx writing first (no zeroing); 1-D: dx is that gradient's interior.
    Before, each block zeroed its 5 MB lead gradient (a Conv3D image), made a fresh product per
    tap and scattered into a zeroed padded dx, returned as a strided view: Conv3D's input
    gradient 24-25 ms -> 22.5 (its floor product 17-18), same process."""
    n, f, k0 = dy.shape[0], dy.shape[-1], geom.kernel_size[0]
    dtype = np.result_type(dy, kernel)
    dx = np.empty((n, *geom.in_spatial, channels), dtype=dtype)
    slabs_t = kernel.reshape(k0, -1, f).transpose(0, 2, 1)
    lo0 = geom.pads[0][0]
    interior = slice(lo0, lo0 + geom.in_spatial[0])        # dx's rows among the lead axis's padded ones
    rest = dataclasses.replace(geom, in_spatial=geom.in_spatial[1:], out_spatial=geom.out_spatial[1:],
                               kernel_size=geom.kernel_size[1:], strides=geom.strides[1:],
                               dilation=geom.dilation[1:], pads=geom.pads[1:])
    taps = list(_clipped_taps(rest))
    writes = _first_writes(rest, taps)
    order = sorted(range(len(taps)), key=lambda t: t not in writes)

    def work(images):
        grad, target = dy[images], dx[images]
        dlead = np.empty(_lead_shape(geom, grad.shape[0], channels), dtype=dtype)
        dlead[:, geom.out_spatial[0]:] = 0                  # the rows tap 0 does not write
        rows_dy = grad.reshape(grad.shape[0], -1, f)
        np.matmul(rows_dy, slabs_t[0], out=_lead_rows(dlead, geom, 0))
        product = np.empty(_lead_rows(dlead, geom, 0).shape, dtype=dtype)
        for d in range(1, k0):
            np.matmul(rows_dy, slabs_t[d], out=product)
            rows = _lead_rows(dlead, geom, d)
            rows += product
        if not rest.kernel_size:                            # 1-D: nothing to scatter
            target[...] = dlead[:, interior, 0]
            return
        if not writes:
            target[...] = 0
        for t in order:
            outs, ins = taps[t]
            source = dlead[(slice(None), interior, *outs[1:], t)]
            view = target[(slice(None), slice(None), *ins[1:])]
            if t in writes:
                view[...] = source
            else:
                view += source

    on_every_core(work, batch_chunks(n, dx[0].nbytes), dx.size, one_blas_thread=True)
    return dx


# ---- strided convolutions: a block of images at a time, padding clipped, not copied -------

BLOCK_ROWS = 1024
"""Matmul rows a block of images gives at least (four of Conv2DTranspose's 16x16 inputs). On its
bench, kit step with 512 / 1024 / 2048: 28.5-28.8 / 26.8-27.6 / 27.8-28.0 ms: smaller blocks are
more hand-offs between the cores (gathering 1 image per block took 6.7 ms, 4 per block 1.5)."""


def _blocks_road(geom):
    """Whether the strided road applies: one group, a stride above 1, off the lead-axis road."""
    return geom.groups == 1 and any(s > 1 for s in geom.strides) and not _lead_road(geom)


def _blocks(geom, batch, bytes_per_image):
    return batch_chunks(batch, bytes_per_image, at_least=-(-BLOCK_ROWS // math.prod(geom.out_spatial)))


def _clipped_taps(geom):
    """For each tap: (outputs, inputs), the index of the outputs whose window has that tap inside
    the unpadded input, into (n, *out, ...), and the index of those inputs, into (n, *in, C).

    Output i reads, through tap u, padded position i * s + u * d, input position
    i * s + u * d - lo; those outside [0, in) are padding and read zeros. So col2im's
    "add into the padded grid, then cut the padding off" is "add into the input, over the
    outputs whose position falls inside it": no padded grid, no copy out of it."""
    for tap in itertools.product(*(range(k) for k in geom.kernel_size)):
        pairs = [clip_tap(u * d - lo, s, o, n) for u, d, s, (lo, _), o, n in zip(
            tap, geom.dilation, geom.strides, geom.pads, geom.out_spatial, geom.in_spatial)]
        yield (slice(None), *(o for o, _ in pairs)), (slice(None), *(i for _, i in pairs), slice(None))


def clip_tap(shift, stride, outputs, size):
    """Along one axis, for a tap that reads position ``shift + i * stride`` for output i (shift =
    the tap's offset minus the low padding): (the outputs i whose position is inside
    [0, size), those positions), two slices; both empty for a tap that only reads padding."""
    first = -(shift // stride) if shift < 0 else 0
    last = min(outputs - 1, (size - 1 - shift) // stride)
    if last < first:
        return slice(0, 0), slice(0, 0)
    return slice(first, last + 1), slice(first * stride + shift, last * stride + shift + 1, stride)


def _first_writes(geom, taps):
    """Taps whose product can be written, not added: one per stride phase of the input (the
    positions i with i % s equal per axis), each reaching every position of its phase. The set
    is empty unless every phase has one; then nothing needs zeroing first."""
    writers = {}
    for t, (_, ins) in enumerate(taps):
        phase = tuple(whole_phase(index, n, s) for index, n, s in zip(ins[1:-1], geom.in_spatial, geom.strides))
        if None not in phase:
            writers.setdefault(phase, t)
    phases = math.prod(min(s, n) for s, n in zip(geom.strides, geom.in_spatial))
    return set(writers.values()) if len(writers) == phases else set()


def whole_phase(index, size, stride):
    """The stride phase p (the positions i of [0, size) with i % stride == p) that the slice
    ``index`` picks all of, and nothing else; None if it picks no such whole phase."""
    picked = range(size)[index]
    if len(picked) and picked.start < stride and picked == range(picked.start, size, stride):
        return picked.start
    return None


def input_grad_blocks(dy, kernel, geom, channels, bias=None):
    """dx = col2im(dy @ kernel.T) a block of images at a time (a transposed convolution's y, with
    ``bias`` its bias): each block's (rows, T*C) product is added tap by tap into its images
    while it is in cache, straight into dx (``_clipped_taps``), the blocks shared by the cores,
    each core's BLAS on one thread. Whole-batch, col2im streamed the 19 MB product of
    Conv2DTranspose's bench through memory twice more, and then copied dx out of its padding."""
    f = dy.shape[-1]
    kernel_t = _kernel_matrix(kernel, 1)[0].T                    # (F, T*C)
    dx = np.empty((dy.shape[0], *geom.in_spatial, channels), dtype=np.result_type(dy, kernel))
    taps = list(_clipped_taps(geom))
    writes = _first_writes(geom, taps)      # these go first, and write (the bias with them)
    order = sorted(range(len(taps)), key=lambda t: t not in writes)

    def work(images):
        grad, target = dy[images], dx[images]
        per_tap = (grad.reshape(-1, f) @ kernel_t).reshape(*grad.shape[:-1], geom.taps, channels)
        if not writes:
            target[...] = 0 if bias is None else bias
        for t in order:
            outs, ins = taps[t]
            view = target[ins]
            if t not in writes:
                view += per_tap[outs + (t,)]
            elif bias is None:
                view[...] = per_tap[outs + (t,)]
            else:
                np.add(per_tap[outs + (t,)], bias, out=view)

    on_every_core(work, _blocks(geom, dy.shape[0], dy[0].nbytes), dx.size, one_blas_thread=True)
    return dx


def conv_blocks_backward(dy, x, kernel, geom, bias_too=False):
    """(dx, [dkernel, dbias]) of a transposed convolution (``conv_transpose_backward``) a block of
    images at a time: each block gathers its cols from dy (the padding clipped: zeros written
    where a window leaves the image), multiplies them by the kernel for dx and by x for its
    share of dkernel while they are in cache. The whole batch's cols are never formed."""
    f = kernel.shape[-1]
    k = _kernel_matrix(kernel, 1)[0]                             # (T*C, F)
    channels = dy.shape[-1]
    dx = np.empty((dy.shape[0], *geom.out_spatial, f), dtype=np.result_type(dy, kernel))
    chunks = _blocks(geom, dy.shape[0], dy[0].nbytes)
    dkernel = np.empty((len(chunks), *k.shape), dtype=dx.dtype)
    dbias = np.empty((len(chunks), channels), dtype=dy.dtype)
    taps = list(_clipped_taps(geom))

    def work(chunk):
        j, images = chunk
        grad = dy[images]
        cols = np.empty((grad.shape[0], *geom.out_spatial, geom.taps, channels), dtype=dy.dtype)
        for t, (outs, ins) in enumerate(taps):
            _zero_outside(cols[..., t, :], outs)
            cols[outs + (t,)] = grad[ins]
        rows = cols.reshape(-1, geom.taps * channels)
        np.matmul(rows, k, out=dx[images].reshape(-1, f))
        np.matmul(rows.T, x[images].reshape(-1, f), out=dkernel[j])
        if bias_too:
            grad.reshape(-1, channels).sum(axis=0, out=dbias[j])

    on_every_core(work, enumerate(chunks), dx.size, one_blas_thread=True)
    grads = [dkernel.sum(axis=0).reshape(kernel.shape)]
    if bias_too:
        grads.append(dbias.sum(axis=0))
    return dx, grads


def _zero_outside(tap_cols, outs):
    """Zero a tap's cols (n, *out, C) at the outputs outside ``outs`` (their window reads padding)."""
    for axis, kept in enumerate(outs[1:], start=1):
        before = (slice(None),) * axis
        tap_cols[before + (slice(0, kept.start),)] = 0
        tap_cols[before + (slice(kept.stop, None),)] = 0


# ---- 1x1, stride 1 (SeparableConv2D's pointwise part): plain matmuls by halves of the rows --

def _pointwise(geom):
    """A 1x1 stride-1 convolution of one group: im2col's cols are x itself, and its three products
    are plain matmuls, run by ``parallel.matmul_rows`` / ``matmul_t_rows``."""
    return geom.taps == 1 and geom.groups == 1 and all(s == 1 for s in geom.strides)


# ---- the layers' entry points: readable's compositions over the pieces above ---------------

def _gather_and_multiply(x, kernel, geom):
    """(y, cols) = (cols @ kernel, cols) for cols = im2col(x): on the lead-axis road (its own cols,
    tagged "lead") when the first axis has stride 1; else im2col (the 1x1 shortcut, the taps on
    every core), then the matmul."""
    if _lead_road(geom):
        return conv_forward_lead(x, kernel, geom)
    cols = im2col(x, geom)
    return apply_kernel(cols, kernel, geom, x.shape[0]), cols


def _kernel_grad(cols, dy, kernel_shape, geom):
    if isinstance(cols, tuple):                  # ("lead", lead cols)
        return kernel_grad_lead(cols[1], dy, kernel_shape, geom)
    if _pointwise(geom):
        return matmul_t_rows(cols[0], dy.reshape(-1, dy.shape[-1])).reshape(kernel_shape)
    return kernel_grad(cols, dy, kernel_shape, geom)


def conv_forward(x, kernel, bias=None, geom=None):
    """readable.conv_forward (the same cache, but for the lead-axis road's cols)."""
    if _lead_road(geom):
        y, cols = conv_forward_lead(x, kernel, geom, bias)
    elif _pointwise(geom) and x.flags.c_contiguous and tuple(x.shape[1:-1]) == geom.out_spatial:
        cols = x.reshape(1, -1, x.shape[-1])    # im2col's 1x1 shortcut: x itself
        y = matmul_rows(cols[0], kernel.reshape(x.shape[-1], -1), bias)
        y = y.reshape(*x.shape[:-1], y.shape[-1])
    else:
        y, cols = _gather_and_multiply(x, kernel, geom)
        if bias is not None:
            y += bias
    return y, (cols, kernel, geom, x.shape[-1], bias is not None)


def conv_backward(dy, cache):
    """readable.conv_backward."""
    cols, kernel, geom, channels, has_bias = cache
    if isinstance(cols, tuple) and has_bias:     # the lead-axis road: dbias in the same blocks
        grads = list(kernel_grad_lead(cols[1], dy, kernel.shape, geom, bias_too=True))
    else:
        grads = [_kernel_grad(cols, dy, kernel.shape, geom)]
        if has_bias:
            grads.append(_bias_grad(dy))
    return input_grad(dy, kernel, geom, channels), grads


def conv_transpose_forward(x, kernel, bias=None, geom=None):
    """readable.conv_transpose_forward."""
    if _blocks_road(geom):                                  # the bias goes in block by block
        return input_grad_blocks(x, kernel, geom, kernel.shape[-2], bias), (x, kernel, geom, bias is not None)
    y = input_grad(x, kernel, geom, kernel.shape[-2])      # a fresh array: the bias can go in place
    if bias is not None:
        y += bias
    return y, (x, kernel, geom, bias is not None)


def conv_transpose_backward(dy, cache):
    """readable.conv_transpose_backward."""
    x, kernel, geom, has_bias = cache
    if _blocks_road(geom):
        return conv_blocks_backward(dy, x, kernel, geom, bias_too=has_bias)
    dx, cols = _gather_and_multiply(dy, kernel, geom)       # the convolution's forward
    grads = [_kernel_grad(cols, x, kernel.shape, geom)]
    if has_bias:
        grads.append(_bias_grad(dy))
    return dx, grads


def separable_forward(x, depthwise_kernel, pointwise_kernel, bias=None, geom=None):
    """readable.separable_forward."""
    z, depth_cache = depthwise_forward(x, depthwise_kernel, None, geom)
    point_geom = conv_geometry(geom.out_spatial, pointwise_kernel.shape[:-2])
    y, point_cache = conv_forward(z, pointwise_kernel, bias, point_geom)
    return y, (depth_cache, point_cache)


def separable_backward(dy, cache):
    """readable.separable_backward."""
    depth_cache, point_cache = cache
    dz, (dpointwise, *dbias) = conv_backward(dy, point_cache)
    dx, (ddepthwise,) = depthwise_backward(dz, depth_cache)
    return dx, [ddepthwise, dpointwise, *dbias]


# ---- depthwise: one product per channel, so no matmul ------------------------------------

def depthwise_forward(x, kernel, bias=None, geom=None):
    """readable.depthwise_forward (its own cache): tap by tap, each a broadcast multiply-add.

    As a grouped convolution a depthwise one is C matmuls of (M, T) @ (T, m): BLAS
    calls too thin to run fast (the readable road took 250 ms on the bench). Tap t
    contributes ``x_padded[window t] * kernel[t]`` to every output at once, the
    kernel broadcast over the channels, so the whole forward is T multiply-adds over
    (N, *out, C) with no im2col copy; the batch halves run on two cores.
    """
    *ks, c, m = kernel.shape
    xp = np.empty((x.shape[0], *_padded(geom.in_spatial, geom.pads), c), dtype=x.dtype)
    taps, lanes = _depthwise_lanes(kernel)
    y = np.empty((x.shape[0], *geom.out_spatial, c * m), dtype=x.dtype)

    def forward(images):
        _pad_into(xp, x, geom.pads, images)
        if m == 1:          # every window's taps as one strided view: one einsum, no temporary
            np.einsum(_depthwise_sums(geom, "x,k->y"), _window_view(xp[images], geom),
                      kernel[..., 0], out=y[images])
            if bias is not None:
                y[images] += bias                   # while the block is in cache
            return
        part = lanes(y[images])
        spread = np.empty(part.shape, dtype=x.dtype)
        for t, window in enumerate(geom.windows()):
            np.multiply(lanes(xp[images][window], x_side=True), taps[t], out=part if t == 0 else spread)
            if t:
                part += spread

    on_every_core(forward, batch_chunks(x.shape[0], xp[0].nbytes), y.size)
    if bias is not None and m > 1:
        y += bias
    return y, ("taps", xp, kernel, geom, bias is not None)


def _window_view(block, geom):
    """A padded (n, *P, C) block as (n, *out, C, *k): every window's taps, a view (no copy)."""
    spans = [(k - 1) * d + 1 for k, d in zip(geom.kernel_size, geom.dilation)]
    axes = tuple(range(1, block.ndim - 1))
    view = np.lib.stride_tricks.sliding_window_view(block, spans, axis=axes)
    return view[(slice(None),) + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(geom.out_spatial, geom.strides))
                + (slice(None),) + tuple(slice(None, None, d) for d in geom.dilation)]


def _depthwise_sums(geom, which):
    """The einsum subscripts of a depthwise product with multiplier 1, for ``which`` of
    "x,k->y" (forward) and "x,y->k" (kernel gradient): x (n, *out, c, *taps), y (n, *out, c),
    k (*taps, c)."""
    out, taps = "defg"[:len(geom.kernel_size)], "pqrs"[:len(geom.kernel_size)]
    names = {"x": f"n{out}c{taps}", "y": f"n{out}c", "k": f"{taps}c"}
    (a, b), result = which.split("->")[0].split(","), which.split("->")[1]
    return f"{names[a]},{names[b]}->{names[result]}"


def _pad_into(xp, x, pads, images):
    """xp[images] = x[images] zero-padded: readable._pad for a block of images, into xp."""
    block = xp[images]
    for axis, (lo, hi) in enumerate(pads):
        lead = (slice(None),) * (axis + 1)
        block[lead + (slice(0, lo),)] = 0
        block[lead + (slice(block.shape[axis + 1] - hi, None),)] = 0
    block[(slice(None), *(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1])))] = x[images]


def _depthwise_lanes(kernel):
    """(taps, lanes): the kernel per tap, and how an (..., C) or (..., C*m) array lines up with it.

    With multiplier 1 everything stays (..., C) against a (C,) tap: a trailing axis of
    length 1 would make NumPy's inner loop one element long.
    """
    *ks, c, m = kernel.shape
    if m == 1:
        return kernel.reshape(-1, c), lambda a, x_side=False: a
    return kernel.reshape(-1, c, m), lambda a, x_side=False: (
        a[..., None] if x_side else a.reshape(*a.shape[:-1], c, m))


def depthwise_backward(dy, cache):
    """readable.depthwise_backward, tap by tap: dkernel[t] sums x's tap times dy over the batch and
    positions, dx adds dy times kernel[t] back into tap t's window."""
    if not isinstance(cache[0], str):
        conv_cache, kernel_shape = cache
        dx, (dkernel, *dbias) = conv_backward(dy, conv_cache)
        return dx, [dkernel.reshape(kernel_shape), *dbias]
    _, xp, kernel, geom, has_bias = cache
    *ks, c, m = kernel.shape
    taps, lanes = _depthwise_lanes(kernel)
    d = lanes(dy)
    lead = "abdefg"[:dy.ndim - 1]         # batch and spatial axes: summed over for dkernel (m > 1)
    sums = f"{lead}c,{lead}cm->cm"
    chunks = batch_chunks(dy.shape[0], xp[0].nbytes)
    gathered = m == 1 and all(s == 1 for s in geom.strides)
    dxp = np.empty(((dy.shape[0], *geom.in_spatial, c) if gathered else xp.shape), dtype=dy.dtype)
    dkernel = np.empty((len(chunks), len(taps), c, m), dtype=dy.dtype)
    dbias = np.empty((len(chunks), c * m), dtype=dy.dtype)
    if gathered:
        # stride 1: dx[i] = sum_u dy[i + lo - (k-1-u)*d] * kernel[k-1-u], a correlation of dy,
        # zero-extended, with the flipped kernel: one einsum over its windows, no scatter
        extend = tuple(((k - 1) * dl - lo, n + lo - o) for k, dl, (lo, _), n, o in zip(
            geom.kernel_size, geom.dilation, geom.pads, geom.in_spatial, geom.out_spatial))
        over_dy = conv_geometry(_padded(geom.out_spatial, extend), geom.kernel_size,
                                dilation=geom.dilation)
        flipped = kernel[(slice(None, None, -1),) * len(geom.kernel_size)][..., 0]

    def backward(chunk):
        i, images = chunk
        grad = d[images]
        if has_bias:
            dy[images].reshape(-1, c * m).sum(axis=0, out=dbias[i])     # while the block is in cache
        if m == 1:
            np.einsum(_depthwise_sums(geom, "x,y->k"), _window_view(xp[images], geom), grad,
                      out=dkernel[i, ..., 0].reshape(*geom.kernel_size, c))
        if gathered:
            np.einsum(_depthwise_sums(over_dy, "x,k->y"), _window_view(readable._pad(grad, extend), over_dy),
                      flipped, out=dxp[images])
            return
        dxp[images] = 0
        product = np.empty(grad.shape, dtype=dy.dtype)
        for t, window in enumerate(geom.windows()):
            if m > 1:
                np.einsum(sums, xp[images][window], grad, out=dkernel[i, t])
            np.multiply(grad, taps[t], out=product)
            target = dxp[images][window]
            target += product.sum(axis=-1) if m > 1 else product

    on_every_core(backward, enumerate(chunks), xp.size)
    grads = [dkernel.sum(axis=0).reshape(kernel.shape)]
    if has_bias:
        grads.append(dbias.sum(axis=0))
    return (dxp if gathered else _unpad(dxp, geom.in_spatial, geom.pads)), grads
