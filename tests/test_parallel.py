"""Big inputs take the fast kernels' two-thread path (fast/parallel.py): same numbers as TensorFlow.

The parity grids use small arrays, which run in the calling thread; these cases are
large enough (over parallel.MIN_SIZE elements) that the batch or the taps are split
between threads.
"""
import os

import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.fast import parallel

from .conftest import assert_report_ok

# name: (layer, input shape, elements of the array the kernel splits between threads)
CASES = {
    "maxpool2x2-tiled": (lambda d: kit.layers.MaxPooling2D(2, dtype=d), (4, 128, 128, 16),
                         4 * 128 * 128 * 16),                       # the input
    "maxpool3x3-s2-same": (lambda d: kit.layers.MaxPooling2D(3, 2, padding="same", dtype=d),
                           (4, 128, 128, 16), 4 * 129 * 129 * 16),  # the padded input
    "conv2d-3x3-same": (lambda d: kit.layers.Conv2D(32, 3, padding="same", dtype=d), (6, 32, 32, 64),
                        6 * 34 * 32 * 3 * 64),                      # the lead-axis cols (fast/conv.py)
    "conv2dtranspose-3x3-s2-strided-road": (
        lambda d: kit.layers.Conv2DTranspose(64, 3, strides=2, padding="same", dtype=d), (16, 16, 16, 128),
        16 * 32 * 32 * 64),                                         # its output (input_grad_blocks)
    "separable-pointwise-by-halves": (lambda d: kit.layers.SeparableConv2D(64, 3, padding="same", dtype=d),
                                      (16, 32, 32, 64), 16 * 32 * 32 * 64),   # the pointwise y (matmul_rows)
}


@pytest.mark.parametrize("make, shape, work", CASES.values(), ids=CASES.keys())
def test_threaded_path_matches_tensorflow(make, shape, work, dtype, monkeypatch):
    assert work >= parallel.MIN_SIZE
    monkeypatch.setattr(parallel, "_POOL", None)
    layer = make(dtype)
    assert_report_ok(compare(layer, make_input(shape, dtype, seed=21)))
    if (os.cpu_count() or 1) >= 2:
        assert parallel._POOL is not None, "the kernel did not use the thread pool"


def test_batch_halves():
    assert parallel.batch_halves(1) == [slice(0, 1)]
    assert parallel.batch_halves(5) == [slice(0, 3), slice(3, 5)]


def test_small_work_stays_in_the_calling_thread():
    import threading
    seen = []
    parallel.on_every_core(lambda piece: seen.append(threading.current_thread()), [0, 1], size=10)
    assert seen == [threading.main_thread()] * 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmuls_by_halves_of_the_rows_equal_numpy(dtype):
    import numpy as np
    from tflearn_kit.tolerances import PARITY
    g = np.random.default_rng(4)
    a = g.standard_normal((2 ** 14 + 3, 70)).astype(dtype)     # odd rows: unequal halves
    b, add = g.standard_normal((70, 65)).astype(dtype), g.standard_normal(65).astype(dtype)
    c = g.standard_normal((2 ** 14 + 3, 65)).astype(dtype)
    for got, want in ((parallel.matmul_rows(a, b), a @ b), (parallel.matmul_rows(a, b, add), a @ b + add),
                      (parallel.matmul_t_rows(a, c), a.T @ c)):
        assert got.dtype == np.dtype(dtype) and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=PARITY[dtype] * np.abs(want).max())
