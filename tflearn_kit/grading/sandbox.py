"""Run a student's definitions in a separate, limited process and call their functions.

``StudentProcess(chunks)`` starts ``_worker.py`` in a sandbox (isolation.py), which
limits itself (address space, CPU time, file size) and then executes the student's
top-level statements there, and ``call(name, args, timeout)`` returns what the
function returned, as plain arrays. Everything that can go wrong on the
student's side comes back as a ``Call`` with a plain-words ``error``: an
infinite loop (timeout), ``sys.exit``, ``os._exit``, a killed process, a huge
allocation, garbage on the pipe. After a crash or a timeout the process is
restarted for the next call, without the statement that killed it at load time.
"""
import os
import resource
import select
import signal
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import isolation as isolation_module
from . import wire

WORKER = Path(__file__).with_name("_worker.py")
MEMORY_LIMIT_MB = 2048      # a NumPy worker peaks near 150 MB of address space
IMPORT_TIMEOUT = 60.0      # seconds for one import statement while loading
OUTPUT_KEPT = 20_000        # characters of the student's printing kept for feedback
THREAD_ENV = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def apply_limits(memory_mb, cpu_seconds, file_mb=100):
    """Limit this process (and what it starts): address space, CPU time, file size, no core dumps.

    The child calls this on itself before running anything of the student's: a
    ``preexec_fn`` would do the same from the parent, but is unsafe when the
    parent grades with several threads (``--jobs``).
    """
    if memory_mb:
        limit = int(memory_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 2**20, file_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def describe_exit(code):
    """A dead process's return code in plain words."""
    if code is None:
        return "the process is still running"
    if code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig == signal.SIGKILL:
            return f"the process was killed ({name}; out of memory, or killed by the grader)"
        if sig == signal.SIGXCPU:
            return f"the process used up its CPU time ({name})"
        if sig == signal.SIGXFSZ:
            return f"the process wrote a file larger than the limit ({name})"
        if sig == signal.SIGSEGV:
            return f"the process crashed ({name})"
        return f"the process was stopped by {name}"
    return f"the process exited with code {code} (os._exit or a crash)"


class OutputTail:
    """Drains a pipe in a thread, keeping the first OUTPUT_KEPT characters and counting the rest."""

    def __init__(self, stream):
        self.stream, self.kept, self.total = stream, [], 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        kept = 0
        fd = self.stream.fileno()
        try:
            # os.read returns what is there: a short print arrives at once, not after 64 KB or EOF
            for chunk in iter(lambda: os.read(fd, 65536), b""):
                self.total += len(chunk)
                if kept < OUTPUT_KEPT:
                    self.kept.append(chunk[: OUTPUT_KEPT - kept])
                    kept += len(self.kept[-1])
        except (OSError, ValueError):
            pass

    def text(self):
        self.thread.join(timeout=5)        # the process is gone by now: the pipe is at its end
        out = b"".join(self.kept).decode("utf-8", "replace")
        if self.total > OUTPUT_KEPT:
            out += f"\n... ({self.total - OUTPUT_KEPT} more bytes of output not kept)"
        return out


@dataclass
class Call:
    ok: bool
    value: object = None
    error: str = ""              # plain words, e.g. "raised ValueError: ... (line 3 of cell 5)"
    not_implemented: bool = False
    fatal: bool = False          # the process died or was killed during the call
    timed_out: bool = False      # it did not return within its time limit (an infinite loop, or far too slow)


@dataclass
class LoadReport:
    errors: list = field(default_factory=list)      # plain-words problems while loading
    callables: list = field(default_factory=list)


class StudentProcess:
    """The student's definitions, loaded in a limited, isolated process. Use as a context manager.

    ``isolation`` (isolation.py) is the wall around the process: bubblewrap by
    default. ``exports`` are the kit helpers the exercises may import there;
    ``with_tensorflow`` binds TensorFlow's packages too; ``private`` are more paths
    that must stay out of sight; ``deadline`` (time.monotonic) bounds loading too.
    """

    def __init__(self, chunks, memory_mb=MEMORY_LIMIT_MB, load_timeout=30.0, cpu_seconds=600, isolation=None,
                 exports=(), with_tensorflow=False, private=(), deadline=None):
        self.chunks = list(chunks)              # [{"cell": n, "source": text, "label": ...}]
        self.memory_mb, self.load_timeout, self.cpu_seconds = memory_mb, load_timeout, cpu_seconds
        self.isolation = isolation or isolation_module.choose()
        self.exports, self.with_tensorflow, self.private = tuple(exports), with_tensorflow, tuple(private)
        self.deadline = deadline if deadline is not None else float("inf")
        self.skipped = {}                       # chunk index -> why it was left out
        self.proc = None
        self.outputs = []
        self.load = LoadReport()
        self.restarts = 0
        self.failed = False
        self._cwd = None

    # -- process lifecycle ----------------------------------------------------

    def _spawn(self):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        env = {"LANG": "C.UTF-8", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3", **THREAD_ENV,
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        if "VIRTUAL_ENV" in os.environ and not self.isolation.isolated:
            env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
        argv, options = isolation_module.worker_command(
            self.isolation, [req_r, rep_w, self.memory_mb or 0, self.cpu_seconds or 0], env,
            exports=self.exports, with_tensorflow=self.with_tensorflow, private=self.private)
        if self._cwd is None:
            self._cwd = _tempdir()
            if "user" in options:                      # the unprivileged user works in its own folder
                os.chown(self._cwd, options["user"], options["group"])
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(req_r, rep_w), cwd=self._cwd, start_new_session=True, **options)
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.req, self.rep = req_w, rep_r
        self.outputs.append(OutputTail(self.proc.stdout))

    def _kill(self):
        if self.proc is None:
            return
        try:
            # the whole session; under bubblewrap, killing it ends its PID namespace: every process
            # the student started, daemons and new sessions included
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.req, self.rep):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None

    def _exit_words(self):
        try:
            code = self.proc.wait(timeout=2)
            if self.isolation.mode == isolation_module.BUBBLEWRAP and 128 < code < 160:
                code = 128 - code        # bubblewrap exits 128 + N when the worker dies of signal N
            return describe_exit(code)
        except subprocess.TimeoutExpired:
            return "the process stopped answering"

    def close(self):
        self._kill()
        if self._cwd:
            import shutil
            shutil.rmtree(self._cwd, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def output(self):
        """What the student's code printed (call after close(): the pipes are then at their end)."""
        return "\n".join(t.text() for t in self.outputs if t.total)

    # -- talking to the worker --------------------------------------------------

    def _receive(self, deadline):
        """The next message, or raises TimeoutError / EOFError / wire.WireError."""
        def read(n):
            chunks, got = [], 0
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                ready, _, _ = select.select([self.rep], [], [], left)
                if not ready:
                    raise TimeoutError
                chunk = os.read(self.rep, min(n - got, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)
        (length,) = struct.unpack("<Q", read(8))
        if length > wire.MAX_MESSAGE:
            raise wire.WireError(f"a message of {length} bytes is too large")
        return wire.unpack(read(length))

    def _statement_deadline(self, chunk_index):
        slow = chunk_index is not None and self.chunks[chunk_index].get("kind") == "import"
        limit = max(self.load_timeout, IMPORT_TIMEOUT if slow else 0)    # importing TensorFlow takes a while
        return min(time.monotonic() + limit, self.deadline)

    def _load_once(self, index_map):
        """Send the definitions and wait for "loaded"; returns its header. Raises on a stuck or dead worker,
        with ``self._current`` the statement being run."""
        self._current = None
        wire.send(self.req, {"op": "load", "chunks": [self.chunks[i] for i in index_map]})
        deadline = self._statement_deadline(None)
        while True:
            header, _ = self._receive(deadline)
            if header.get("event") == "chunk":
                self._current = index_map[int(header["index"])]
                deadline = self._statement_deadline(self._current)
            elif header.get("event") == "loaded":
                return header
            else:
                raise wire.WireError("unexpected message while loading")

    def start(self):
        """Start the worker and load the definitions, leaving out any statement that hangs or kills it."""
        while True:
            self._spawn()
            index_map = [i for i in range(len(self.chunks)) if i not in self.skipped]
            try:
                header = self._load_once(index_map)
            except (TimeoutError, EOFError, wire.WireError, OSError) as exc:
                why = (f"did not finish within {self.load_timeout:.0f} s" if isinstance(exc, TimeoutError)
                       else "stopped the grader's process: " + self._exit_words()
                       if isinstance(exc, (EOFError, BrokenPipeError)) else f"sent garbage ({exc})")
                self._kill()
                self.restarts += 1
                out_of_time = time.monotonic() >= self.deadline
                if self._current is None or out_of_time or self.restarts > len(self.chunks) + 1:
                    if out_of_time:
                        why = "ran out of the time limit for the whole submission while loading"
                    self.load = LoadReport(errors=[f"your definitions could not be loaded: {why}"])
                    self.failed = True
                    return self
                self.skipped[self._current] = why
                continue
            self.failed = False
            self.load = LoadReport(
                errors=[f"{self._label(index_map[e['index']])} {e['error']}"
                        + (f" ({e['where']})" if e.get("where") else "") for e in header.get("errors", [])]
                + [f"{self._label(i)} {why}; it was left out" for i, why in sorted(self.skipped.items())],
                callables=list(header.get("callables", [])))
            return self

    def _label(self, index):
        chunk = self.chunks[index]
        return f"{chunk.get('name') or 'cell ' + str(chunk['cell'])} ({chunk.get('label', 'a statement')}):"

    def call(self, function, args, timeout=10.0):
        """Call the student's ``function(*args)``; never raises."""
        if self.proc is None:
            self.start()
        if self.failed:
            return Call(False, error=self.load.errors[0] if self.load.errors else "could not be loaded",
                        fatal=True)
        arrays = {}
        tree = wire.encode(tuple(args), arrays)
        try:
            wire.send(self.req, {"op": "call", "function": function, "args": tree}, arrays)
            header, out = self._receive(time.monotonic() + timeout)
        except TimeoutError:
            self._kill()
            return Call(False, error=f"did not finish within {timeout:g} s (an infinite loop, or far too slow)",
                        fatal=True, timed_out=True)
        except (EOFError, BrokenPipeError, OSError):
            words = self._exit_words()
            self._kill()
            return Call(False, error=f"stopped the grader's process: {words}", fatal=True)
        except wire.WireError as exc:
            self._kill()
            return Call(False, error=f"the grader could not read the result ({exc})", fatal=True)
        event = header.get("event")
        if event == "result":
            try:
                return Call(True, value=wire.decode(header["value"], out))
            except (KeyError, TypeError, AttributeError):
                self._kill()
                return Call(False, error="the grader could not read the result", fatal=True)
        if event == "raised":
            where = f" ({header['where']})" if header.get("where") else ""
            return Call(False, error=f"{header.get('error', 'raised an error')}{where}",
                        not_implemented=bool(header.get("not_implemented")))
        self._kill()
        return Call(False, error="the grader could not read the result (unexpected message)", fatal=True)


def _tempdir():
    import tempfile
    return tempfile.mkdtemp(prefix="tflearn-kit-sandbox-")
