"""The student's side of the sandbox: runs the student's definitions and calls them on request.

Started by ``sandbox.StudentProcess`` as ``python -I [-S] _worker.py REQUEST_FD REPLY_FD
MEMORY_MB CPU_SECONDS PROCESSES USER_ID PATHS``, usually inside the bubblewrap sandbox (isolation.py),
from a staged copy: this file and ``wire.py`` only. It first limits itself and, when
given a USER_ID (not 0), gives up root for that fresh user id; PATHS (``os.pathsep``-separated)
is where it finds NumPy and the kit helpers the exercises may use. Then it loads only
NumPy and ``wire.py`` (by file path), executes the student's top-level statements one by one,
then answers "call function f with these arguments" requests with the raw result.
It never compares anything: the grader does that in its own process, which no
student code ever runs in.
"""
import builtins
import importlib.util
import os
import sys
import traceback
from pathlib import Path



def _load_wire():
    """wire.py, from beside this file (after sys.path holds NumPy)."""
    spec = importlib.util.spec_from_file_location("_tflearn_kit_wire", Path(__file__).with_name("wire.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STUDENT_FILES = set()     # the file names the student's chunks are compiled under: "<cell [11]>"


def _where(exc):
    """'line 3 of cell [11], in f' for the innermost frame in the student's code (not NumPy's), or ''.

    A cell is named as the submission names it (submission.cell_names): by the execution
    count JupyterLab shows beside it, as the notebook's own check does."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in STUDENT_FILES]
    if not frames:
        return ""
    f = frames[-1]
    where = f"line {f.lineno} of {f.filename[1:-1]}"
    return where if f.name == "<module>" else f"{where}, in {f.name}"


def _describe(exc):
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})" if exc.code is not None else "called sys.exit()"
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"raised {type(exc).__name__}: {text}" if text else f"raised {type(exc).__name__}"


def _changed(fn, originals, args):
    """Names of the array arguments the call modified in place."""
    try:
        code = fn.__code__
        names = list(code.co_varnames[:code.co_argcount])
    except AttributeError:
        names = []
    out = []
    for i, (before, after) in enumerate(zip(originals, args)):
        if before is None:
            continue
        try:
            same = before.shape == after.shape and bool(((before == after) | ((before != before) & (after != after))).all())
        except Exception:                              # noqa: BLE001 (an argument replaced by something odd)
            same = False
        if not same:
            out.append(names[i] if i < len(names) else f"argument {i + 1}")
    return out


def _only_the_worker_answers(worker_pid):
    """A process the student forked that returns into this loop leaves: it must not answer or read requests."""
    if os.getpid() != worker_pid:
        os._exit(0)


def main(request_fd, reply_fd):
    worker_pid = os.getpid()
    wire = _load_wire()
    send, receive, encode, decode = wire.send, wire.receive, wire.encode, wire.decode
    namespace = {"__name__": "__student__", "__builtins__": builtins}
    header, _ = receive(request_fd)
    errors = []
    for index, chunk in enumerate(header["chunks"]):
        send(reply_fd, {"event": "chunk", "index": index})
        try:
            filename = f"<{chunk.get('name') or 'cell ' + str(chunk['cell'])}>"
            STUDENT_FILES.add(filename)
            code = compile(chunk["source"], filename, "exec")
            exec(code, namespace)                      # noqa: S102 (running student code is the point)
        except BaseException as exc:                   # noqa: BLE001 (SystemExit and all)
            _only_the_worker_answers(worker_pid)
            errors.append({"index": index, "error": _describe(exc), "where": _where(exc)})
        _only_the_worker_answers(worker_pid)
    callables = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("__"))
    send(reply_fd, {"event": "loaded", "errors": errors, "callables": callables})
    while True:
        try:
            header, arrays = receive(request_fd)
        except EOFError:                               # the grader is done with us
            return
        if header.get("op") != "call":
            return
        fn = namespace.get(header["function"])
        args = decode(header["args"], arrays)
        originals = [a.copy() if hasattr(a, "copy") and hasattr(a, "shape") else None for a in args]
        try:
            value = fn(*args)
        except NotImplementedError:
            _only_the_worker_answers(worker_pid)
            send(reply_fd, {"event": "raised", "not_implemented": True, "error": "not implemented yet",
                            "where": ""})
            continue
        except BaseException as exc:                   # noqa: BLE001
            _only_the_worker_answers(worker_pid)
            send(reply_fd, {"event": "raised", "not_implemented": False, "error": _describe(exc),
                            "where": _where(exc)})
            continue
        _only_the_worker_answers(worker_pid)
        changed = _changed(fn, originals, args)
        if changed:
            # a layer keeps its inputs for backward: modifying one in place is a bug even when the result is right
            send(reply_fd, {"event": "raised", "not_implemented": False, "where": "",
                            "error": f"changed its input {', '.join(changed)} in place; a layer keeps its inputs "
                                     f"for backward, so compute into a new array (x = x * 2, not x *= 2)"})
            continue
        out = {}
        try:
            tree = encode(value, out)
            size = sum(a.nbytes for a in out.values())
            if size > wire.MAX_MESSAGE // 2:
                tree, out = {"t": "other", "type": f"result of {size} bytes (too large)"}, {}
            send(reply_fd, {"event": "result", "value": tree}, out)
        except BaseException as exc:                   # noqa: BLE001 (a result that cannot be sent)
            send(reply_fd, {"event": "raised", "not_implemented": False,
                            "error": f"returned a value the grader cannot read ({_describe(exc)})",
                            "where": ""})


def apply_limits(memory_mb, cpu_seconds, file_mb=100, processes=None):
    """The same limits as sandbox.apply_limits (this file does not import the package)."""
    import resource
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 2**20, file_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def become(user_id):
    """Give up root for a user id of our own: the process limit does not hold for root."""
    os.setgroups([])
    os.setgid(user_id)
    os.setuid(user_id)


if __name__ == "__main__":
    request_fd, reply_fd, memory_mb, cpu_seconds, processes, user_id = map(int, sys.argv[1:7])
    apply_limits(memory_mb, cpu_seconds, processes=processes)     # before any student code runs
    if user_id:
        become(user_id)
    if sys.argv[7:] and sys.argv[7]:
        sys.path[:0] = sys.argv[7].split(os.pathsep)
    main(request_fd, reply_fd)
    os._exit(0)      # skip atexit handlers the student's code may have registered
