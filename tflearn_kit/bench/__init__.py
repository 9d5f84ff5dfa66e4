"""``tflearn-kit bench``: the kit's forward+backward against TensorFlow CPU, on this machine, in one run.

Each family lists its :class:`Benchmark` entries in ``bench/<family>.py``
(``BENCHMARKS = [...]``); ``bench/families.py`` collects them. A run measures the
machine's float32 matmul peak first, so every GFLOP/s figure comes with the fraction
of the peak it reaches on the same machine in the same run. Timings are the median
of several repeats after a warm-up; they live here, never in a test.
"""
from . import engine
from .engine import Benchmark, keras_step, measure_peak, time_call
from .families import REGISTRY, select


def run(names=None, repeat=7, out=print):
    """Run the benchmarks named (default: all; "Conv2D" picks every Conv2D one), print the table."""
    return engine.run(select(names), repeat=repeat, out=out)


__all__ = ["Benchmark", "REGISTRY", "keras_step", "measure_peak", "run", "select", "time_call"]
