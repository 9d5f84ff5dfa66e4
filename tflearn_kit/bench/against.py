"""``tflearn-kit bench --against REV``: another revision's kit and this tree's, in one run.

Two runs of the bench an hour apart measure the machine as much as the change: on
the shared 2-core machine the same Conv2D step took 56 ms in one run and 300 ms in
the next. So the two trees run side by side instead, row by row, their turns
alternating (before then after, after then before, ...), and each row prints both
times and the change. Both sides get the same load, whatever it is.

How: REV's ``tflearn_kit/`` is unpacked from ``git archive`` into a temporary
directory (not a ``git worktree``: that registers the worktree in the repository,
and an interrupted run would leave it there), and each tree gets its own worker
process, the same code (``WORKER``) with that tree first on PYTHONPATH. The worker
reads only what every revision's bench has had, ``REGISTRY`` and a benchmark's
``setup()["kit"]``, so REV may be any commit since the bench existed. A row that REV
does not have (a new benchmark) runs from this tree's definition of it, loaded into
REV's worker on REV's kit, and is marked "*"; if REV's kit cannot run it (a layer it
lacks), its side prints "-". Only the kit's side runs: TensorFlow is the same on both.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .engine import WARMUP

WORKER = r"""
import importlib.util, json, statistics, sys, time
from tflearn_kit.bench import REGISTRY
reply = sys.stdout
sys.stdout = sys.stderr                  # a setup may print (the fit row does): keep replies apart


def borrowed(name, path):
    # A row this tree lacks: the asking tree's definition of it, run on this tree's kit.
    # Its Benchmark(...) may name goals this tree's Benchmark lacks: only name and setup matter here.
    import dataclasses
    from tflearn_kit.bench import engine
    known = {f.name for f in dataclasses.fields(engine.Benchmark)}
    original = engine.Benchmark

    def lenient(*args, **kwargs):
        return original(*args, **{k: v for k, v in kwargs.items() if k in known})

    spec = importlib.util.spec_from_file_location("tflearn_kit.bench._borrowed", path)
    module = importlib.util.module_from_spec(spec)
    engine.Benchmark = lenient
    try:
        spec.loader.exec_module(module)
        return {b.name: b for b in module.BENCHMARKS}.get(name)
    except Exception:
        return None
    finally:
        engine.Benchmark = original


current = None
for line in sys.stdin:
    ask = json.loads(line)
    row = REGISTRY.get(ask["name"])
    lent = row is None
    if lent:
        row = borrowed(ask["name"], ask["module"])
    if row is None:
        answer = {"missing": True}
    else:
        if current is None or current[0] != ask["name"]:
            current = None                   # let the previous row's arrays go first
            try:
                current = (ask["name"], row.setup()["kit"])
            except Exception:
                if not lent:
                    raise
                current = (ask["name"], None)    # the borrowed row needs what this kit lacks
        kit = current[1]
    if row is not None and kit is None:
        answer = {"missing": True}
    elif row is not None:
        for _ in range(ask["warmup"]):
            kit()
        times = []
        for _ in range(ask["repeat"]):
            start = time.perf_counter()
            kit()
            times.append(time.perf_counter() - start)
        answer = {"kit_s": statistics.median(times), "borrowed": lent}
    reply.write(json.dumps(answer) + "\n")
    reply.flush()
"""


def _git(root, *args, **kwargs):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, **kwargs)


def checkout_root():
    """The git checkout this package runs from (where REV is looked up)."""
    root = Path(__file__).resolve().parents[2]
    try:
        return Path(_git(root, "rev-parse", "--show-toplevel", text=True).stdout.strip())
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise ValueError(f"bench --against needs the kit run from a git checkout; {root} is not one.") from None


def export_revision(rev, into):
    """REV's package unpacked into ``into``; returns REV's short commit."""
    root = checkout_root()
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", text=True).stdout.strip()
    except subprocess.CalledProcessError:
        raise ValueError(f"bench --against: {rev!r} is not a commit of {root}.") from None
    archive = Path(into) / "rev.tar"
    with open(archive, "wb") as f:
        subprocess.run(["git", "-C", str(root), "archive", "--format=tar", commit, "tflearn_kit"],
                       check=True, stdout=f)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return commit[:9]


def _module_file(benchmark):
    """The file of the family module (in this tree) that defines ``benchmark``."""
    from .families import FAMILIES
    return next((family.__file__ for family in FAMILIES if benchmark in family.BENCHMARKS), None)


class Worker:
    """One tree's kit in its own process: ``time(name, repeat)`` -> seconds, or None if the row is unknown."""

    def __init__(self, root):
        env = dict(os.environ, PYTHONPATH=str(root))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self.log = tempfile.TemporaryFile(mode="w+")
        # cwd=root: `python -c` puts the working directory first on sys.path
        self.process = subprocess.Popen([sys.executable, "-c", WORKER], cwd=root, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)

    def time(self, benchmark, repeat, warmup=WARMUP):
        """(seconds, borrowed) for one turn of ``benchmark``'s kit side; (None, False) if this tree can't run it."""
        name = benchmark.name
        ask = {"name": name, "repeat": repeat, "warmup": warmup, "module": _module_file(benchmark)}
        self.process.stdin.write(json.dumps(ask) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.log.seek(0)
            raise RuntimeError(f"bench --against: a worker stopped on {name!r}:\n{self.log.read()[-3000:]}")
        answer = json.loads(line)
        return (None, False) if answer.get("missing") else (answer["kit_s"], answer["borrowed"])

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def run_against(benchmarks, rev, repeat=7, rounds=2, out=print):
    """Time each benchmark's kit side in REV and in this tree, turns alternating; print and return the rows."""
    here = checkout_root()
    tmp = tempfile.mkdtemp(prefix="tflearn-kit-bench-")
    workers = []
    try:
        commit = export_revision(rev, tmp)
        before, after = Worker(tmp), Worker(here)
        workers = [before, after]
        out(f"before: {rev} ({commit}), unpacked from git archive; after: this tree ({here}). "
            f"Kit side only; per row and side: {rounds} turns (alternating) of {repeat} calls, median.")
        header = f"{'benchmark':48} {'before ms':>10} {'after ms':>10} {'after/before':>13} {'change':>8}"
        out(header)
        out("-" * len(header))
        rows = []
        for b in benchmarks:
            times, lent = {before: [], after: []}, False
            for i in range(rounds):
                for worker in (before, after) if i % 2 == 0 else (after, before):
                    seconds, borrowed = worker.time(b, repeat)
                    times[worker].append(seconds)
                    lent |= borrowed and worker is before
            before_s = None if None in times[before] else statistics.median(times[before])
            after_s = statistics.median(times[after])
            row = {"name": b.name, "before_s": before_s, "after_s": after_s, "borrowed": lent,
                   "ratio": after_s / before_s if before_s else None}
            rows.append(row)
            if before_s:
                out(f"{b.name:48} {before_s * 1e3:10.2f} {after_s * 1e3:10.2f} {row['ratio']:12.2f}x "
                    f"{100 * (row['ratio'] - 1):+7.0f}%" + ("   *" if lent else ""))
            else:
                out(f"{b.name:48} {'-':>10} {after_s * 1e3:10.2f} {'-':>13} {'new':>8}")
        if any(row["borrowed"] for row in rows):
            out(f"* a row {rev} does not have: this tree's definition of it, run on {rev}'s kit.")
        return rows
    finally:
        for worker in workers:
            worker.close()
        shutil.rmtree(tmp, ignore_errors=True)
