"""``tflearn-kit bench``: the kit's forward+backward against TensorFlow CPU, on this machine, in one run.

Each family registers :class:`Benchmark` entries in ``bench/<family>.py`` (one
import line in ``bench/families.py``). A run measures the machine's float32
matmul peak first, so every GFLOP/s figure comes with the fraction of the peak it
reaches on the same machine in the same run. Timings are the median of several
repeats after a warm-up; they live here, never in a test.
"""
from .engine import Benchmark, keras_step, measure_peak, register, run, time_call

__all__ = ["Benchmark", "keras_step", "measure_peak", "register", "run", "time_call"]
