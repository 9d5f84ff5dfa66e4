"""Optional: run a submission top to bottom in a fresh kernel, under limits (``grade --execute``).

This does not change the score (the exercises are graded from the student's
definitions in a clean process, see autograde.py); it tells the student and the
instructor whether the notebook as submitted runs, and which cell fails.

The kernel is started by a separate process (``python -m
tflearn_kit.grading.execute IN OUT CELL_TIMEOUT MEMORY_MB``) in its own session,
which sets an address-space limit on itself that the kernel inherits. TensorFlow reserves about 2 GB of address space on
import (measured: VmPeak 1.9 GB, resident 0.65 GB), so the limit is 6 GB: TF
imports, a 10 GB array does not. Each cell has a timeout; the whole run has
one too, after which the session is killed.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import isolation as isolation_module
from .sandbox import THREAD_ENV, apply_limits, describe_exit

EXEC_MEMORY_MB = 6144
CELL_TIMEOUT = 60
TOTAL_TIMEOUT = 300
MAX_OUTPUT = 1_000_000        # characters of a cell's output kept; the rest is dropped


@dataclass
class Execution:
    ok: bool
    reason: str                       # plain words
    errors: list = field(default_factory=list)     # ["cell 5: NameError: name 'x' is not defined", ...]
    seconds: float = 0.0


def execute_notebook(path, cell_timeout=CELL_TIMEOUT, timeout=TOTAL_TIMEOUT, memory_mb=EXEC_MEMORY_MB,
                     isolation=None, private=()):
    """Run the notebook at ``path`` in a fresh kernel under limits (in the sandbox, with bubblewrap); never raises."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tflearn-kit-exec-") as tmp:
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        report = out_dir / "report.json"
        env = {"TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg", "LANG": "C.UTF-8", **THREAD_ENV}
        if isolation is not None and isolation.mode == isolation_module.BUBBLEWRAP:
            out_dir.chmod(0o777)                       # the kernel's fresh user writes its report there
            argv = isolation_module.execute_command(path, out_dir, cell_timeout, memory_mb, env, private)
            env = {}
        else:
            argv = [sys.executable, "-m", "tflearn_kit.grading.execute", str(Path(path).resolve()), str(report),
                    str(cell_timeout), str(memory_mb), "0"]
            env = {**os.environ, **env}
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=tmp, env=env, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)       # the kernel too
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        seconds = round(time.monotonic() - started, 1)
        if code is None:
            return Execution(False, f"the notebook did not finish running within {timeout:g} s", [], seconds)
        try:
            data = json.loads(report.read_bytes()[:1_000_000])
            ok, reason = bool(data["ok"]), str(data["reason"])[:300]
            errors = [str(e)[:300] for e in data["errors"]][:20]
        except (OSError, ValueError, KeyError, TypeError):
            return Execution(False, f"the notebook could not be run: {describe_exit(code)}", [], seconds)
    return Execution(ok, reason, errors, seconds)


def _run(path, report, cell_timeout):
    """In the limited child: execute with nbclient, write a short JSON report."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    def write(ok, reason, errors=()):
        Path(report).write_text(json.dumps({"ok": ok, "reason": reason, "errors": list(errors)}))

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:                           # noqa: BLE001
        return write(False, f"the notebook could not be read ({type(exc).__name__})")
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            record_timing=False, resources={"metadata": {"path": str(Path.cwd())}})
    try:
        client.execute()
    except CellTimeoutError:
        return write(False, f"a cell did not finish within {cell_timeout} s", _errors(nb))
    except DeadKernelError:
        return write(False, "the kernel died (sys.exit/os._exit in a cell, or out of memory)", _errors(nb))
    except Exception as exc:                           # noqa: BLE001
        return write(False, f"the notebook could not be run ({type(exc).__name__}: {str(exc)[:200]})",
                     _errors(nb))
    errors = _errors(nb)
    write(not errors, "ran top to bottom without an error" if not errors else
          f"{len(errors)} cell(s) raised an error", errors)


def _errors(nb):
    out = []
    for number, cell in enumerate(nb.cells, start=1):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "error":
                out.append(f"cell {number}: {o.get('ename')}: {str(o.get('evalue'))[:200]}")
    return out


if __name__ == "__main__":
    apply_limits(int(sys.argv[4]), None)       # inherited by the kernel this process starts
    user_id = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    if user_id:                                # in the sandbox, as root: a fresh user, like the worker
        import resource
        resource.setrlimit(resource.RLIMIT_NPROC, (isolation_module.PROCESS_LIMIT * 2,) * 2)
        os.setgroups([])
        os.setgid(user_id)
        os.setuid(user_id)
    _run(sys.argv[1], sys.argv[2], int(float(sys.argv[3])))
