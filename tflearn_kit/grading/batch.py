"""Grade many submissions into a directory: gradebook, feedback, results.json; parallel and resumable.

    DIR/gradebook.csv               one row per submission (see report.GRADEBOOK_COLUMNS)
    DIR/feedback/<student>.md       what the student reads
    DIR/results/<student>.json      Gradescope's results.json for that submission
    DIR/records/<key>.json          the full result, keyed by the file's content hash and
                                    the grading settings: a rerun skips what is already there

``<student>`` is the submission's path relative to the common folder of all
submissions, with '/' turned into '__' (``alice/02.ipynb`` -> ``alice__02``).

Every submission is read once (a regular file only: not a symlink, FIFO or
device, and not larger than MAX_BYTES), hashed, and copied into a private
staging folder; it is graded from that copy. After the run each original is
read again and compared with its hash. No student process can see DIR, the
staging folder or the originals (isolation.py), so a record cannot be forged.
"""
import hashlib
import json
import os
import stat
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from . import report
from .autograde import CASE_TIMEOUT, TOTAL_TIMEOUT, ExtraTests, Result, _ungradable, grade_submission

GRADER_VERSION = "2"          # bump when grading changes, so old records are not reused
MAX_BYTES = 50 * 2**20        # a notebook larger than this is not read (a real one is well under 1 MB)
NAME_LIMIT = 120              # characters of a student's name kept in file names (the file system allows 255 bytes)


def printable(path):
    """A path as text that any file or CSV can hold (bytes that are not UTF-8 become U+FFFD)."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def student_names(paths):
    """A unique, file-name-safe name for each submission path, from its folders below the common one."""
    absolute = [Path(os.path.abspath(p)) for p in paths]      # not resolved: a symlink must not move the base
    common = Path(os.path.commonpath([str(p.parent) for p in absolute])) if absolute else Path("/")
    bases = []
    for p in absolute:
        rel = p.relative_to(common)
        parts = rel.with_suffix("").parts if rel.suffix == ".ipynb" else rel.parts
        name = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "_"
                       for ch in "__".join(printable(part) for part in parts)) or "submission"
        if len(name) > NAME_LIMIT:               # keep it short, and still one per path
            name = name[: NAME_LIMIT - 9] + "-" + hashlib.sha256(str(rel).encode("utf-8", "surrogateescape")
                                                                  ).hexdigest()[:8]
        bases.append(name)
    taken, names = set(), []
    for name in bases:
        unique, count = name, 1
        while unique in taken or (unique != name and unique in bases):
            count += 1
            unique = f"{name}-{count}"
        taken.add(unique)
        names.append(unique)
    return names


@dataclass
class Staged:
    """One submission, read once: its private copy (or why it could not be read) and its hash."""
    original: Path
    copy: Path = None
    sha256: str = ""
    problem: str = ""


def read_regular_file(path, limit=MAX_BYTES):
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; else ValueError saying why."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if os.path.islink(path):
            raise ValueError("it is a symbolic link; the grader reads only regular files") from None
        raise ValueError(f"the file could not be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file (a folder, pipe or device)")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"the file is larger than {limit // 2**20} MB, far more than a notebook")
    return data


def stage(path, folder, index):
    """Read ``path`` once and copy it into ``folder``/index/, keeping its file name."""
    staged = Staged(Path(path))
    try:
        data = read_regular_file(path)
    except ValueError as exc:
        staged.problem = str(exc)
        staged.sha256 = ""
        return staged
    staged.sha256 = hashlib.sha256(data).hexdigest()
    target = Path(folder) / str(index)
    target.mkdir()
    staged.copy = target / Path(path).name
    staged.copy.write_bytes(data)
    return staged


def record_key(staged, settings):
    content = staged.sha256 or "unreadable-" + hashlib.sha256(os.fsencode(str(staged.original))).hexdigest()
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


def _write_atomically(target, text):
    """Replace ``target`` with ``text`` through a fresh temporary file (whatever lies around in the folder)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, target)


class Gradebook:
    """The output folder: records, feedback, results.json and gradebook.csv, written as results arrive."""

    def __init__(self, out, names):
        self.out, self.names = Path(out), names
        for sub in ("feedback", "results", "records"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self.results = [None] * len(names)
        self.lock = threading.Lock()

    def resumed(self, i, key):
        """The recorded result for submission ``i`` under ``key``, or None."""
        record = self.out / "records" / f"{key}.json"
        try:
            return Result.from_dict(json.loads(record.read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            return None                                # none yet, or damaged: grade again

    def add(self, i, result, key=None):
        with self.lock:
            self.results[i] = result
            if key is not None:                        # atomic: an interrupted run leaves no half record
                _write_atomically(self.out / "records" / f"{key}.json", json.dumps(result.to_dict()))
            name = self.names[i]
            _write_atomically(self.out / "feedback" / f"{name}.md", report.feedback_markdown(result, name))
            _write_atomically(self.out / "results" / f"{name}.json",
                              json.dumps(report.gradescope_results(result, name), indent=1))
            self.write_csv()

    def write_csv(self):
        rows = [report.gradebook_row(r, n) for r, n in zip(self.results, self.names) if r is not None]
        _write_atomically(self.out / "gradebook.csv", report.gradebook_csv(rows))


def _settings_key(assignment, extra, timeout, case_timeout, memory_mb, execute, isolation, salt):
    salt_digest = hashlib.sha256(salt.encode()).hexdigest()[:16] if salt else ""
    return (f"v{GRADER_VERSION}|{assignment}|{extra.digest()}|{timeout}|{case_timeout}|{memory_mb}|{execute}"
            f"|{isolation.mode}|{salt_digest}")


def _check_originals(staged, results):
    """Each original must still be what was hashed before grading: say so in its row when it is not."""
    for s, result in zip(staged, results):
        if not s.sha256 or result is None:
            continue
        try:
            now = hashlib.sha256(read_regular_file(s.original)).hexdigest()
        except ValueError:
            now = ""
        if now != s.sha256:
            result.flags.append("the submitted file changed on disk while it was graded "
                                "(graded as it was when read)")


def grade_many(paths, out, jobs=1, timeout=TOTAL_TIMEOUT, case_timeout=CASE_TIMEOUT, extra=None,
               assignment=None, memory_mb=None, quiet=False, execute=False, isolation=None, salt=""):
    """Grade every path into ``out``; returns the list of Results in the order of ``paths``."""
    from . import sandbox
    from .isolation import choose
    isolation = isolation or choose()
    extra = extra or ExtraTests()
    memory_mb = memory_mb or sandbox.MEMORY_LIMIT_MB
    settings = _settings_key(assignment, extra, timeout, case_timeout, memory_mb, execute, isolation, salt)
    names = student_names(paths)
    book = Gradebook(out, names)
    progress = Progress(len(paths), quiet=quiet)
    with tempfile.TemporaryDirectory(prefix="tflearn-kit-staging-") as staging:
        staged = [stage(p, staging, i) for i, p in enumerate(paths)]
        keys = [record_key(s, settings) for s in staged]
        todo = []
        for i, s in enumerate(staged):
            result = book.resumed(i, keys[i]) if not s.problem else None
            if s.problem:
                result = _ungradable(printable(s.original), "", s.problem, assignment or "")
                book.add(i, result)
                progress.update(names[i], result)
            elif result is not None:
                result.submission = printable(s.original)
                book.add(i, result)
                progress.update(names[i], result, skipped=True)
            else:
                todo.append(i)
        private = [book.out, staging, *{str(Path(os.path.abspath(p)).parent) for p in paths}]

        def work(i):
            result = grade_submission(staged[i].copy, assignment=assignment, extra=extra, timeout=timeout,
                                      case_timeout=case_timeout, memory_mb=memory_mb, execute=execute,
                                      isolation=isolation, salt=salt, private=private, sha256=staged[i].sha256)
            result.submission = printable(staged[i].original)
            return i, result

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in as_completed([pool.submit(work, i) for i in todo]):
                i, result = future.result()             # grade_submission never raises
                book.add(i, result, keys[i])
                progress.update(names[i], result)
    _check_originals(staged, book.results)
    book.write_csv()
    return book.results
