"""The timing engine: what a benchmark is, how it is timed, and the table a run prints."""
import statistics
import time
from dataclasses import dataclass

import numpy as np

@dataclass
class Benchmark:
    name: str                  # "Conv2D 32x32x64->64 3x3 same"
    setup: object              # f() -> dict(kit=callable, tf=callable, naive=callable|None, flops=float|None,
                               #          naive_scale=float (default 1), floor=callable|None, note=str|None)
    goal: float = None         # kit time / TF time must be at most this
    goal_naive: float = None   # naive time / kit time must be at least this
    goal_floor: float = None   # kit time / floor time must be at most this (see bench/conv.py)
    group: str = "layers"

    def goal_text(self):
        """The goal that applies, for the table: "1.3x floor", "2.0x TF" or "-"."""
        goals = [f"{self.goal_floor:.1f}x floor"] if self.goal_floor else []
        goals += [f"{self.goal:.1f}x TF"] if self.goal else []
        return ", ".join(goals) or "-"


WARMUP = 3
"""Calls before timing starts. The kit's first calls of a big layer run up to 2x slower while
the allocator maps its 75 MB work arrays; TF's first calls trace and compile. Both sides get
the same warm-up."""


def time_call(fn, repeat=7, warmup=WARMUP, budget=None):
    """Median wall time of fn() in seconds, after warm-up; fewer repeats when one call exceeds budget."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if budget is not None and sum(times) > budget:
            break
    return statistics.median(times)


def time_paired(fn, other, repeat=7, warmup=WARMUP, rounds=2):
    """(median of fn, median of other, their ratio): blocks of calls, fn's then other's, twice.

    Both are NumPy on the same cores, so a load that comes and goes on a shared machine
    reaches both; alternating blocks (not single calls) keeps each side in its own steady
    state. Call for call was tried: after each floor call OpenBLAS's threads still spin
    on both cores while the kit's first gather starts, and the Conv2D step measured
    106 ms instead of 63 against a 57 ms floor.
    """
    times, others = [], []
    for _ in range(rounds):
        for f, into in ((fn, times), (other, others)):
            for _ in range(warmup):
                f()
            for _ in range(repeat):
                start = time.perf_counter()
                f()
                into.append(time.perf_counter() - start)
    a, b = statistics.median(times), statistics.median(others)
    return a, b, a / b


def measure_peak(n=2048, dtype=np.float32):
    """The machine's float32 matmul rate (GFLOP/s) through NumPy's BLAS: the ceiling for any kernel."""
    g = np.random.default_rng(0)
    a, b = g.standard_normal((n, n)).astype(dtype), g.standard_normal((n, n)).astype(dtype)
    seconds = time_call(lambda: a @ b, repeat=5)
    return 2 * n ** 3 / seconds / 1e9


def keras_step(layer, x, dy, training=True):
    """A compiled TF function doing the Keras layer's forward and backward (dx and every weight).

    It returns the forward output too. tf.function drops every op whose result
    nobody uses, and a convolution's gradients do not need its output: a step that
    returned only the gradients would time TensorFlow's backward pass against the
    kit's forward and backward (measured: Conv2D 17 ms that way, 26 ms with the output).
    """
    from ..reference.tf import modules
    tf, _, _ = modules()
    x, dy = tf.constant(x), tf.constant(dy)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
        return [y] + tape.gradient(y, [x] + layer.trainable_weights, output_gradients=dy)

    return lambda: [t.numpy() for t in step()]


def run(benchmarks, repeat=7, out=print):
    """Run ``benchmarks`` (a list of :class:`Benchmark`), print the table, return the rows.

    Each side runs its warm-up and repeats back to back, as it would in its own
    training loop. Interleaving kit and TF calls was tried and is unfair to TF: right
    after a kit call its caches are cold and OpenBLAS's threads still spin, and TF's
    Conv2D step measured 37-44 ms instead of 26-28.

    A row with a floor (the matmuls its algorithm cannot avoid, ``bench/conv.py``)
    times it in blocks alternating with the kit's side (``time_paired``): both are NumPy
    on the same cores, so on a loaded machine kit/floor moves less than either time.
    """
    chosen = list(benchmarks)
    peak = measure_peak()
    out(f"float32 matmul peak on this machine (NumPy BLAS, 2048^3): {peak:.0f} GFLOP/s")
    header = (f"{'benchmark':48} {'kit ms':>9} {'floor ms':>9} {'kit/floor':>9} {'TF ms':>9} {'kit/TF':>7} "
              f"{'goal':>11} {'naive ms':>10} {'naive/kit':>9} {'GFLOP/s':>8} {'% peak':>7}")
    out(header)
    out("-" * len(header))
    rows = []
    for b in chosen:
        parts = b.setup()
        floor_s = floor_ratio = None
        if parts.get("floor"):
            kit_s, floor_s, floor_ratio = time_paired(parts["kit"], parts["floor"], repeat)
        else:
            kit_s = time_call(parts["kit"], repeat)
        tf_s = time_call(parts["tf"], repeat)
        naive_s = time_call(parts["naive"], repeat=1, warmup=0) if parts.get("naive") else None
        if naive_s is not None:
            naive_s *= parts.get("naive_scale", 1)   # naive timed on a smaller problem, scaled by FLOPs
        flops = parts.get("flops")
        row = {"name": b.name, "kit_s": kit_s, "tf_s": tf_s, "ratio": kit_s / tf_s, "goal": b.goal,
               "floor_s": floor_s, "floor_ratio": floor_ratio,
               "goal_floor": b.goal_floor,
               "naive_s": naive_s, "naive_ratio": naive_s / kit_s if naive_s else None,
               "gflops": flops / kit_s / 1e9 if flops else None, "peak": peak}
        row["meets_goal"] = (b.goal is None or row["ratio"] <= b.goal) and (
            b.goal_floor is None or (row["floor_ratio"] or float("inf")) <= b.goal_floor) and (
            b.goal_naive is None or (row["naive_ratio"] or 0) >= b.goal_naive)
        rows.append(row)
        floor = (f"{floor_s * 1e3:9.2f} {row['floor_ratio']:8.2f}x" if floor_s
                 else f"{'-':>9} {'-':>9}")
        naive = f"{naive_s * 1e3:10.0f}" if naive_s else f"{'-':>10}"
        nratio = f"{row['naive_ratio']:8.0f}x" if naive_s else f"{'-':>9}"
        gf = f"{row['gflops']:8.1f}" if flops else f"{'-':>8}"
        pk = f"{100 * row['gflops'] / peak:6.0f}%" if flops else f"{'-':>7}"
        out(f"{b.name:48} {kit_s * 1e3:9.2f} {floor} {tf_s * 1e3:9.2f} {row['ratio']:6.2f}x "
            f"{b.goal_text():>11} {naive} {nratio} {gf} {pk}"
            + ("" if row["meets_goal"] else "   <- misses its goal"))
        if parts.get("note"):
            out(f"    note: {parts['note']}")
    return rows
