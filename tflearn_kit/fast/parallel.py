"""Big memory-bound passes split between the cores.

The matmuls already use every core (BLAS threads). A gather, a scatter or an
elementwise pass over a 16 MB array would use one: NumPy runs it in one thread,
but releases the GIL while it does, so two Python threads working on two halves
of the batch really run at once. That is the only reason for this module; it pays
only for big arrays, so small ones (tests, notebooks) run in the calling thread.
"""
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

MIN_SIZE = 2 ** 20          # elements; below this a thread hand-off costs more than it saves

_POOL = None


def _forget_pool():
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)     # a forked child has none of the parent's threads


def on_every_core(work, pieces, size, one_blas_thread=False):
    """Run ``work(piece)`` for each piece, on a thread per core when ``size`` elements justify it.

    ``one_blas_thread``: the pieces do their own matmuls, one core each, so OpenBLAS is
    set to one thread for the duration (``blas_on_one_thread``) when they run in parallel.
    """
    global _POOL
    pieces = list(pieces)
    if len(pieces) < 2 or (os.cpu_count() or 1) < 2 or size < MIN_SIZE:
        for piece in pieces:
            work(piece)
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count(), thread_name_prefix="tflearn-kit")
    with (blas_on_one_thread() if one_blas_thread else contextlib.nullcontext(lambda w: w)) as wrap:
        for future in [_POOL.submit(wrap(work), piece) for piece in pieces]:
            future.result()


def batch_halves(n):
    """[slice(0, n/2), slice(n/2, n)]: the two halves of a batch (one slice when n == 1)."""
    half = (n + 1) // 2
    return [slice(0, half), slice(half, n)] if n > 1 else [slice(0, n)]


CHUNK_BYTES = 2 ** 18       # an image block's input: its taps' passes then stay in the core's cache


def batch_chunks(n, bytes_per_image, target=CHUNK_BYTES, at_least=1):
    """Slices of the batch, each about ``target`` bytes of input (at least one image).

    A loop over the taps that runs each pass over half the batch streams 8-16 MB
    through memory per pass: measured on the depthwise bench, 9 taps x 5 passes took
    120 ms where the same passes on data in cache add up to 20. Run the whole tap loop
    on one small block of images at a time instead, and its passes hit the cache; the
    blocks go to the cores in turn. ``at_least`` images per block, whatever their size
    (a block's matmul needs enough rows to run well).
    """
    per = max(at_least, target // max(1, bytes_per_image))
    return [slice(i, min(i + per, n)) for i in range(0, n, per)]


@contextlib.contextmanager
def blas_on_one_thread():
    """OpenBLAS's global thread count set to 1 inside the block and restored after, for pool
    threads that each run their own matmuls; yields how to wrap their work (unchanged).

    Set once, by the calling thread. Measured in one process, Conv2D / Conv3D steps and the
    Conv2D floor after them (3 rounds, medians): this, 63 / 64 ms and a 56 ms floor;
    ``openblas_set_num_threads_local(1)`` saved and restored inside each pool thread,
    62 / 65 ms, but with this OpenBLAS that count is the process's, the two threads'
    saves and restores interleave, and it stayed at 1 afterwards (the floor 103 ms); the
    same restoring a count read beforehand, 113 / 115 ms (each restore gives the other
    thread's matmuls two threads again); no setting at all, 93 / 121 ms.
    """
    threads = _openblas_threads()
    if threads is None:
        yield lambda work: work
        return
    get, set_ = threads
    previous = get()
    set_(1)
    try:
        yield lambda work: work
    finally:
        set_(previous)


# ---- stacks of small matmuls ----------------------------------------------------------------

SMALL_MATMUL = 2 ** 22      # m * k * n below which one matrix is "small" (attention: 128*32*128)


def _find_openblas_threads():
    """(get, set) of OpenBLAS's global thread count, from the library NumPy loaded, or None."""
    import ctypes
    import glob

    import numpy as np
    root = os.path.dirname(os.path.dirname(np.__file__))
    for path in sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*.so*"))
                       + glob.glob(os.path.join(os.path.dirname(np.__file__), ".libs", "*openblas*.so*"))):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in (("openblas_get_num_threads", "openblas_set_num_threads"),
                                   ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                                   ("openblas_get_num_threads64_", "openblas_set_num_threads64_")):
            try:
                get, set_ = getattr(library, get_name), getattr(library, set_name)
            except AttributeError:
                continue
            get.argtypes, get.restype = [], ctypes.c_int
            set_.argtypes, set_.restype = [ctypes.c_int], None
            return get, set_
    return None


_OPENBLAS_THREADS = []


def _openblas_threads():
    if not _OPENBLAS_THREADS:
        _OPENBLAS_THREADS.append(_find_openblas_threads())
    return _OPENBLAS_THREADS[0]


def stacked_matmul(a, b):
    """a @ b for a stack of small matrices (one per example and head in attention).

    NumPy hands each matrix of a stack to BLAS on its own, and a multithreaded OpenBLAS
    spends far longer waking its threads than multiplying a (128, 32) by a (32, 128):
    measured on 2 busy cores, 256 of them took 314 ms with `a @ b` and 7.6 ms here. So
    each core takes half the stack in its own Python thread, with OpenBLAS kept to one
    thread there. Same BLAS kernel, same numbers; plain `a @ b` when OpenBLAS is not found.
    """
    if _openblas_threads() is None or a.ndim < 3 or a.shape[-2] * a.shape[-1] * b.shape[-1] > SMALL_MATMUL:
        return a @ b
    import numpy as np
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, lead + a.shape[-2:])
    b = np.broadcast_to(b, lead + b.shape[-2:])
    out = np.empty(lead + (a.shape[-2], b.shape[-1]), np.result_type(a, b))

    def work(rows):
        np.matmul(a[rows], b[rows], out=out[rows])

    on_every_core(work, batch_halves(lead[0]), out.size, one_blas_thread=True)
    return out


def matmul_rows(a, b, add=None):
    """a @ b (plus ``add``, broadcast over the rows) for a 2-D ``a`` of many rows: each core
    multiplies half of a's rows, its OpenBLAS on one thread.

    The same BLAS kernel as ``a @ b``, and no faster alone. What it avoids is what a
    threaded OpenBLAS call leaves behind: its threads spin for a while after returning,
    and the NumPy passes that come next on the other core run slower. Measured: the
    depthwise forward 9.6 ms alone, 13.9 ms right after a two-thread matmul, 10.6 ms
    after the same matmul on one thread. SeparableConv2D runs its depthwise passes right
    after its pointwise matmuls, so those take this road.
    """
    import numpy as np
    out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))

    def work(rows):
        np.matmul(a[rows], b, out=out[rows])
        if add is not None:
            out[rows] += add                    # while those rows are in cache

    on_every_core(work, batch_halves(a.shape[0]), out.size, one_blas_thread=True)
    return out


def matmul_t_rows(a, b):
    """a.T @ b for 2-D ``a`` and ``b`` of many rows (a kernel gradient): each core takes half of
    the rows, its OpenBLAS on one thread, and the two partial products are added
    (``matmul_rows`` says why)."""
    import numpy as np
    halves = batch_halves(a.shape[0])
    partial = np.empty((len(halves), a.shape[1], b.shape[1]), np.result_type(a, b))

    def work(half):
        i, rows = half
        np.matmul(a[rows].T, b[rows], out=partial[i])

    on_every_core(work, enumerate(halves), a.shape[0] * (a.shape[1] + b.shape[1]), one_blas_thread=True)
    return partial.sum(axis=0)
