"""The student's side of the sandbox: runs the student's definitions and calls them on request.

Started by ``sandbox.StudentProcess`` as ``python -I _worker.py REQUEST_FD REPLY_FD
MEMORY_MB CPU_SECONDS``; it first limits itself. It loads only NumPy and ``wire.py`` (by file path, not the
tflearn_kit package), executes the student's top-level statements one by one,
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

_spec = importlib.util.spec_from_file_location("_tflearn_kit_wire", Path(__file__).with_name("wire.py"))
wire = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wire)


def _where(exc):
    """'line 3 of cell 5' for the innermost frame in the student's code, or ''."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    if not frames:
        return ""
    f = frames[-1]
    return f"line {f.lineno} of {f.filename.strip('<>')}"


def _describe(exc):
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})" if exc.code is not None else "called sys.exit()"
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"raised {type(exc).__name__}: {text}" if text else f"raised {type(exc).__name__}"


def main(request_fd, reply_fd):
    send, receive, encode, decode = wire.send, wire.receive, wire.encode, wire.decode
    namespace = {"__name__": "__student__", "__builtins__": builtins}
    header, _ = receive(request_fd)
    errors = []
    for index, chunk in enumerate(header["chunks"]):
        send(reply_fd, {"event": "chunk", "index": index})
        try:
            code = compile(chunk["source"], f"<cell {chunk['cell']}>", "exec")
            exec(code, namespace)                      # noqa: S102 (running student code is the point)
        except BaseException as exc:                   # noqa: BLE001 (SystemExit and all)
            errors.append({"index": index, "error": _describe(exc), "where": _where(exc)})
    callables = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("__"))
    send(reply_fd, {"event": "loaded", "errors": errors, "callables": callables})
    while True:
        header, arrays = receive(request_fd)
        if header.get("op") != "call":
            return
        fn = namespace.get(header["function"])
        args = decode(header["args"], arrays)
        try:
            value = fn(*args)
        except NotImplementedError:
            send(reply_fd, {"event": "raised", "not_implemented": True, "error": "not implemented yet",
                            "where": ""})
            continue
        except BaseException as exc:                   # noqa: BLE001
            send(reply_fd, {"event": "raised", "not_implemented": False, "error": _describe(exc),
                            "where": _where(exc)})
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


def apply_limits(memory_mb, cpu_seconds, file_mb=100):
    """The same limits as sandbox.apply_limits (this file does not import the package)."""
    import resource
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 2**20, file_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


if __name__ == "__main__":
    apply_limits(int(sys.argv[3]), int(sys.argv[4]))       # before any student code runs
    main(int(sys.argv[1]), int(sys.argv[2]))
    os._exit(0)      # skip atexit handlers the student's code may have registered
