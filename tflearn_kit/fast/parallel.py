"""Big memory-bound passes split between the cores.

The matmuls already use every core (BLAS threads). A gather, a scatter or an
elementwise pass over a 16 MB array would use one: NumPy runs it in one thread,
but releases the GIL while it does, so two Python threads working on two halves
of the batch really run at once. That is the only reason for this module; it pays
only for big arrays, so small ones (tests, notebooks) run in the calling thread.
"""
import os
from concurrent.futures import ThreadPoolExecutor

MIN_SIZE = 2 ** 20          # elements; below this a thread hand-off costs more than it saves

_POOL = None


def _forget_pool():
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)     # a forked child has none of the parent's threads


def on_every_core(work, pieces, size):
    """Run ``work(piece)`` for each piece, on a thread per core when ``size`` elements justify it."""
    global _POOL
    pieces = list(pieces)
    if len(pieces) < 2 or (os.cpu_count() or 1) < 2 or size < MIN_SIZE:
        for piece in pieces:
            work(piece)
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count(), thread_name_prefix="tflearn-kit")
    for future in [_POOL.submit(work, piece) for piece in pieces]:
        future.result()


def batch_halves(n):
    """[slice(0, n/2), slice(n/2, n)]: the two halves of a batch (one slice when n == 1)."""
    half = (n + 1) // 2
    return [slice(0, half), slice(half, n)] if n > 1 else [slice(0, n)]
