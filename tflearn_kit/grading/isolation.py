"""The wall around a student's process: bubblewrap, an unprivileged user, or none (``--no-isolation``).

``StudentProcess`` (sandbox.py) asks this module for the command that starts
``_worker.py``. With bubblewrap (``bwrap``, the sandbox Flatpak uses) the worker
runs in its own mount, PID, network, IPC and UTS namespaces and dies with the
grader. Its file system holds only:

    /usr, /bin, /lib...          the system, read-only (for libc)
    <Python's prefix>            the interpreter and its standard library, read-only
    /sandbox/worker              a staged copy of _worker.py and wire.py, read-only
    /sandbox/site/numpy ...      NumPy (and TensorFlow's packages, for exercises that use it), read-only
    /sandbox/kit/tflearn_kit     the few kit helpers the assignment's exercises may use, read-only
    /tmp                         its own empty, size-limited tmpfs (also its working directory)

So the other submissions, the grader's output and records, the instructor's home,
the source tree, the kit's kernels and the grading catalog do not exist in there.
When the grader runs as root, the worker also drops to a fresh unprivileged user id
before it runs any student code, so that the process limit (a fork bomb) holds.

Without bubblewrap, the Gradescope autograder (which runs as root, one submission
per container) runs the worker as an unprivileged user instead, after making the
autograder's source and the installed package unreadable to others.
"""
import ast
import atexit
import functools
import importlib
import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .submission import parse

BUBBLEWRAP = "bubblewrap"
UNPRIVILEGED_USER = "unprivileged-user"
NONE = "none"

SANDBOX = Path("/sandbox")
TMP_SIZE = 256 * 2**20         # bytes of the sandbox's own /tmp
PROCESS_LIMIT = 128            # processes and threads of the student's user (TensorFlow starts a few dozen)
FRESH_UIDS = (1_000_000, 2**31 - 2)     # user ids no account uses: one per sandbox
WORKER_FILES = ("_worker.py", "wire.py")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
NOT_FOR_STUDENTS = ("tflearn_kit", "__editable__", "_tflearn_kit")     # site-packages entries never bound

REQUIRE_ENV = "TFLEARN_KIT_REQUIRE_SANDBOX"      # set in CI: a missing bubblewrap fails the sandbox tests


class IsolationUnavailable(Exception):
    """Untrusted code would run without a sandbox; the message says what to do."""


@dataclass(frozen=True)
class Isolation:
    mode: str                     # BUBBLEWRAP, UNPRIVILEGED_USER or NONE

    @property
    def isolated(self):
        return self.mode != NONE

    def describe(self):
        return {BUBBLEWRAP: "isolated by bubblewrap",
                UNPRIVILEGED_USER: "isolated as an unprivileged user (no bubblewrap)",
                NONE: "graded WITHOUT isolation (--no-isolation)"}[self.mode]


@functools.lru_cache(maxsize=None)
def bubblewrap_works():
    """'' when bubblewrap can build the sandbox here, else why not (missing, namespaces forbidden)."""
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    probe = _bwrap_prefix(root=os.geteuid() == 0) + ["--ro-bind", "/usr", "/usr", *_system_links(),
                                                    "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if done.returncode != 0:
        return f"bubblewrap cannot create namespaces here ({done.stderr.strip()[:200]})"
    return ""


def choose(no_isolation=False, allow_unprivileged_user=False):
    """The isolation to grade with; raises IsolationUnavailable rather than run untrusted code bare."""
    if no_isolation:
        return Isolation(NONE)
    why = bubblewrap_works()
    if not why:
        return Isolation(BUBBLEWRAP)
    if allow_unprivileged_user and os.geteuid() == 0:
        return Isolation(UNPRIVILEGED_USER)
    raise IsolationUnavailable(
        f"{why}. The grader runs every submission's code in a bubblewrap sandbox. Install it "
        "(Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap), or, "
        "on a machine without it (macOS, Windows, a container that forbids namespaces), pass "
        "--no-isolation to grade without a sandbox: every row and feedback file will say so.")


# -- what the student's process may import ----------------------------------------------------


def _find(name):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _is_package(name):
    spec = _find(name)
    return spec is not None and spec.submodule_search_locations is not None


def _kit_imports(module_name):
    """The tflearn_kit modules (not packages) that the module ``module_name`` imports."""
    package = module_name.rpartition(".")[0]
    found = set()
    for node in ast.walk(parse(Path(_find(module_name).origin).read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "tflearn_kit"}
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                if node.level else node.module or ""
            if base.split(".")[0] != "tflearn_kit":
                continue
            if _is_package(base):                      # `from .. import initializers`: the modules named
                found |= {f"{base}.{a.name}" for a in node.names if _find(f"{base}.{a.name}") is not None}
            else:                                      # `from .seeding import rng`: that module
                found.add(base)
    return {m for m in found if not _is_package(m)}


def stage_kit(exports, into):
    """Copy into ``into``/tflearn_kit the kit helpers ``exports`` names, and only what they import.

    ``exports`` are dotted names of what exercises may use while graded: an
    attribute such as ``"tflearn_kit.layers.Layer"`` (its defining module is
    copied, and ``tflearn_kit.layers`` re-exports it) or a module such as
    ``"tflearn_kit.reference.tf"``. Every package's ``__init__`` is written anew,
    importing only what is exported, so the real ``__init__``s (which import every
    kernel) never reach the sandbox. Returns the modules copied.
    """
    inits, modules = {}, set()
    for dotted in exports:
        if _find(dotted) is not None:                  # a module
            modules.add(dotted)
            path = dotted.split(".")
        else:                                          # an attribute of a package
            package, attribute = dotted.rsplit(".", 1)
            owner = getattr(importlib.import_module(package), attribute).__module__
            modules.add(owner)
            inits.setdefault(package, set()).add(f"from .{owner[len(package) + 1:]} import {attribute}")
            path = package.split(".")
        for i in range(1, len(path)):                  # `kit.layers.Layer` needs `kit` to import `layers`
            inits.setdefault(".".join(path[:i]), set()).add(f"from . import {path[i]}")
    copied, todo = set(), sorted(modules)
    while todo:
        name = todo.pop()
        if name not in copied:
            copied.add(name)
            todo += sorted(_kit_imports(name))
    root = Path(into)
    packages = set(inits) | {".".join(m.split(".")[:i]) for m in copied for i in range(1, m.count(".") + 1)}
    for package in sorted(packages):
        init = root.joinpath(*package.split("."), "__init__.py")
        init.parent.mkdir(parents=True, exist_ok=True)
        init.write_text('"""The part of tflearn_kit that exercises may use while graded."""\n'
                        + "".join(f"{line}\n" for line in sorted(inits.get(package, ()))))
    for name in sorted(copied):
        target = root.joinpath(*name.split(".")).with_suffix(".py")
        shutil.copyfile(_find(name).origin, target)
    return sorted(copied)


@dataclass
class Stage:
    """A private folder with the worker's code and the kit helpers, readable by the student's user."""
    root: Path
    kit_modules: list = field(default_factory=list)

    @property
    def worker(self):
        return self.root / "worker"

    @property
    def kit(self):
        return self.root / "kit"


_STAGES = {}
_STAGING = threading.Lock()        # --jobs grades in threads: one stage per key, made once


def stage(exports=()):
    """The staged worker and kit helpers for ``exports`` (made once per grading run)."""
    key = tuple(sorted(exports))
    with _STAGING:
        return _STAGES[key] if key in _STAGES else _make_stage(key)


def _make_stage(key):
    root = Path(tempfile.mkdtemp(prefix="tflearn-kit-stage-"))
    atexit.register(shutil.rmtree, root, True)
    here = Path(__file__).parent
    (root / "worker").mkdir()
    for name in WORKER_FILES:
        shutil.copyfile(here / name, root / "worker" / name)
    (root / "kit").mkdir()
    modules = stage_kit(key, root / "kit")
    for path in [root, *root.rglob("*")]:           # readable (never writable) by the student's user
        path.chmod(0o755 if path.is_dir() else 0o644)
    _STAGES[key] = Stage(root, modules)
    return _STAGES[key]


# -- the command line ------------------------------------------------------------------------


def _bwrap_prefix(root):
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
            "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    # As root, no user namespace: the worker then switches to a fresh user id itself, which makes
    # the process limit hold (root's processes are exempt from it). As anyone else, bubblewrap
    # needs a user namespace, whose process count is its own.
    return args if root else args + ["--unshare-user"]


def _system_links():
    args = []
    for d in SYSTEM_DIRS[1:]:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args


def python_executable():
    """The real interpreter (not a venv's link to it), which lives in its prefix with the stdlib."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def site_entries(with_tensorflow):
    """(source, name) of what to bind under /sandbox/site: NumPy, or every package but the kit's."""
    import numpy
    site = Path(numpy.__file__).resolve().parent.parent
    if not with_tensorflow:
        return [(site / n, n) for n in ("numpy", "numpy.libs") if (site / n).exists()]
    folders = [site]
    tensorflow = _find("tensorflow")                  # found, not imported
    if tensorflow is not None and tensorflow.origin:
        folders.append(Path(tensorflow.origin).resolve().parent.parent)
    entries, seen = [], set()
    for folder in folders:
        for entry in sorted(folder.iterdir()):
            if entry.name in seen or entry.name.startswith(NOT_FOR_STUDENTS) or entry.suffix == ".pth" \
                    or entry.name == "__pycache__":
                continue
            seen.add(entry.name)
            entries.append((entry, entry.name))
    return entries


def hidden_paths(extra=()):
    """What must never be visible, even where it lies inside something the sandbox binds."""
    package = Path(__file__).resolve().parents[1]
    paths = [package, Path.home()]
    if (package.parent / "pyproject.toml").exists():
        paths.append(package.parent)                   # the source tree (and a venv kept inside it)
    return [p.resolve() for p in [*paths, *map(Path, extra)] if p.exists()]


def _fresh_uid():
    return secrets.randbelow(FRESH_UIDS[1] - FRESH_UIDS[0]) + FRESH_UIDS[0]


def _bwrap_command(stage, limits, with_tensorflow, private, env):
    root = os.geteuid() == 0
    binds = [(stage.worker, SANDBOX / "worker"), (stage.kit, SANDBOX / "kit")]
    args = _bwrap_file_system(binds, with_tensorflow, private, env)
    paths = os.pathsep.join([str(SANDBOX / "kit"), str(SANDBOX / "site")])
    return args + [python_executable(), "-I", "-S", "-u", str(SANDBOX / "worker" / "_worker.py"), *limits,
                   str(PROCESS_LIMIT), str(_fresh_uid() if root else 0), paths]


def _bwrap_file_system(extra_binds, with_tensorflow, private, env, writable=()):
    """bwrap's arguments up to the command: the system, Python, site packages, ``extra_binds`` read-only,
    ``writable`` (source, dest) binds, a private /tmp, and ``env`` as the whole environment."""
    root = os.geteuid() == 0
    prefix = Path(sys.base_prefix).resolve()
    binds = [(Path("/usr"), Path("/usr"))]
    if Path("/usr") not in prefix.parents:
        binds.append((prefix, prefix))
    binds += [(src, SANDBOX / "site" / name) for src, name in site_entries(with_tensorflow)]
    binds += list(extra_binds)
    args = _bwrap_prefix(root) + _system_links()
    # bubblewrap makes missing parents of a mount point private (0700): the student's user must pass
    parents = sorted({p for _, dest in binds for p in dest.parents if p != Path("/")}, key=lambda p: len(p.parts))
    for folder in parents:
        args += ["--perms", "0755", "--dir", str(folder)]
    for src, dest in binds:
        args += ["--ro-bind", str(src), str(dest)]
    for secret in hidden_paths(private):              # e.g. a kit installed into Python's own site-packages
        for src, dest in binds:
            real = Path(os.path.realpath(src))
            if secret == real or real in secret.parents:
                inside = dest / secret.relative_to(real)
                args += ["--tmpfs", str(inside)] if secret.is_dir() else ["--ro-bind", "/dev/null", str(inside)]
    for src, dest in writable:
        args += ["--bind", str(src), str(dest)]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv"]
    for key, value in sorted({**env, "HOME": "/tmp", "PATH": "/usr/bin:/bin"}.items()):
        args += ["--setenv", key, value]
    return args


def execute_command(notebook, out_dir, cell_timeout, memory_mb, env, private=()):
    """The bubblewrap command that runs ``grade --execute``'s kernel: the notebook read-only, ``out_dir``
    (for the report) writable, and the whole kit readable, which the notebook imports. Nothing it
    finds there changes a score: the score comes from the exercises, graded apart."""
    full_kit = _full_kit()
    binds = [(full_kit, SANDBOX / "kit"), (Path(notebook), SANDBOX / "in" / "notebook.ipynb")]
    env = {**env, "PYTHONPATH": os.pathsep.join([str(SANDBOX / "kit"), str(SANDBOX / "site")]),
           "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/mpl"}
    args = _bwrap_file_system(binds, True, private, env, writable=[(out_dir, SANDBOX / "out")])
    uid = _fresh_uid() if os.geteuid() == 0 else 0
    return args + [python_executable(), "-S", "-m", "tflearn_kit.grading.execute",
                   str(SANDBOX / "in" / "notebook.ipynb"), str(SANDBOX / "out" / "report.json"),
                   str(cell_timeout), str(memory_mb), str(uid)]


def _full_kit():
    """A copy of the whole package (the notebook imports all of it), made once per run."""
    with _STAGING:
        return _STAGES["full"] if "full" in _STAGES else _make_full_kit()


def _make_full_kit():
    root = Path(tempfile.mkdtemp(prefix="tflearn-kit-stage-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(Path(__file__).resolve().parents[1], root / "tflearn_kit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    _STAGES["full"] = root
    return _STAGES["full"]


def worker_command(isolation, limits, env, exports=(), with_tensorflow=False, private=()):
    """(argv, extra Popen keyword arguments) that start the worker under ``isolation``, with ``env``.

    ``limits`` are the worker's first arguments (request fd, reply fd, memory MB, CPU
    seconds); ``exports`` the kit helpers the exercises may use; ``private`` more
    paths that must stay invisible (the grader's output, the submissions).
    """
    limits = [str(a) for a in limits]
    if isolation.mode == NONE:                         # as before isolation: the installed package's worker
        worker = Path(__file__).with_name("_worker.py")
        return [sys.executable, "-I", "-u", str(worker), *limits, "0", "0", ""], {"env": env}
    staged = stage(exports)
    if isolation.mode == BUBBLEWRAP:
        return _bwrap_command(staged, limits, with_tensorflow, private, env), {"env": {}}
    import numpy
    site = Path(numpy.__file__).resolve().parent.parent
    uid = _fresh_uid()
    paths = os.pathsep.join([str(staged.kit), str(site)])
    argv = [python_executable(), "-I", "-S", "-u", str(staged.worker / "_worker.py"), *limits,
            str(PROCESS_LIMIT), "0", paths]
    return argv, {"user": uid, "group": uid, "extra_groups": [], "env": {**env, "HOME": "/tmp"}}


def lock_away(*paths):
    """Make ``paths`` unreadable to every user but their owner (the grader, as root)."""
    for p in paths:
        p = Path(p)
        if p.exists():
            p.chmod(0o700)
