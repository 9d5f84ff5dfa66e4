"""Grade many submissions into a directory: gradebook, feedback, results.json; parallel and resumable.

    DIR/gradebook.csv               one row per submission (see report.GRADEBOOK_COLUMNS)
    DIR/feedback/<student>.md       what the student reads
    DIR/results/<student>.json      Gradescope's results.json for that submission
    DIR/records/<key>.json          the full result, keyed by the file's content hash and
                                    the grading settings: a rerun skips what is already there

``<student>`` is the submission's path relative to the common folder of all
submissions, with '/' turned into '__' (``alice/02.ipynb`` -> ``alice__02``).
"""
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import report
from .autograde import CASE_TIMEOUT, TOTAL_TIMEOUT, ExtraTests, Result, grade_submission

GRADER_VERSION = "1"          # bump when grading changes, so old records are not reused


def student_names(paths):
    """A unique, file-name-safe name for each submission path."""
    resolved = [Path(p).resolve() for p in paths]
    parents = [p.parent for p in resolved]
    common = Path(os.path.commonpath([str(p) for p in parents])) if parents else Path("/")
    names, seen = [], {}
    for p in resolved:
        rel = p.relative_to(common)
        name = "__".join(rel.with_suffix("").parts) if rel.suffix == ".ipynb" else "__".join(rel.parts)
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "submission"
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}-{count + 1}")
    return names


def record_key(path, settings):
    try:
        content = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        content = "unreadable-" + hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()
    return hashlib.sha256(f"{content}|{settings}".encode()).hexdigest()[:32]


class Progress:
    """A one-line progress bar on a terminal, one line per submission otherwise."""

    def __init__(self, total, stream=None, quiet=False):
        self.total, self.done, self.stream, self.quiet = total, 0, stream or sys.stderr, quiet
        self.started = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, name, result, skipped=False):
        self.done += 1
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started
        what = "already graded" if skipped else f"{result.score:g}/{result.max_score:g} {result.status}"
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total} {elapsed:5.0f}s")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {name}: {what} ({elapsed:.0f}s)\n")
        self.stream.flush()


def grade_many(paths, out, jobs=1, timeout=TOTAL_TIMEOUT, case_timeout=CASE_TIMEOUT, extra=None,
               assignment=None, memory_mb=None, quiet=False, execute=False):
    """Grade every path into ``out``; returns the list of Results in the order of ``paths``."""
    from . import sandbox
    out = Path(out)
    for sub in ("feedback", "results", "records"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    extra = extra or ExtraTests()
    memory_mb = memory_mb or sandbox.MEMORY_LIMIT_MB
    settings = f"v{GRADER_VERSION}|{assignment}|{extra.digest()}|{timeout}|{case_timeout}|{memory_mb}|{execute}"
    names = student_names(paths)
    keys = [record_key(p, settings) for p in paths]
    results = [None] * len(paths)
    lock = threading.Lock()
    progress = Progress(len(paths), quiet=quiet)

    def write_outputs(i):
        name, result = names[i], results[i]
        (out / "feedback" / f"{name}.md").write_text(report.feedback_markdown(result, name))
        (out / "results" / f"{name}.json").write_text(
            json.dumps(report.gradescope_results(result, name), indent=1))

    def write_gradebook():
        rows = [report.gradebook_row(r, n) for r, n in zip(results, names) if r is not None]
        tmp = out / "gradebook.csv.tmp"
        tmp.write_text(report.gradebook_csv(rows))
        tmp.replace(out / "gradebook.csv")

    todo = []
    for i, (path, key) in enumerate(zip(paths, keys)):
        record = out / "records" / f"{key}.json"
        if record.exists():
            try:
                results[i] = Result.from_dict(json.loads(record.read_text()))
                results[i].submission = str(path)
                write_outputs(i)
                progress.update(names[i], results[i], skipped=True)
                continue
            except (ValueError, TypeError, KeyError):
                pass                                    # a damaged record: grade again
        todo.append(i)

    def work(i):
        return i, grade_submission(paths[i], assignment=assignment, extra=extra, timeout=timeout,
                                   case_timeout=case_timeout, memory_mb=memory_mb, execute=execute)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(work, i) for i in todo]
        for future in as_completed(futures):
            i, result = future.result()                 # grade_submission never raises
            with lock:
                results[i] = result
                record = out / "records" / f"{keys[i]}.json"
                tmp = record.with_suffix(".tmp")
                tmp.write_text(json.dumps(result.to_dict()))
                tmp.replace(record)                     # atomic: an interrupted run leaves no half record
                write_outputs(i)
                write_gradebook()
                progress.update(names[i], result)
    write_gradebook()
    return results
