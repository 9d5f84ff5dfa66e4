"""A Gradescope autograder for one assignment: ``tflearn-kit gradescope ASSIGNMENT --out autograder.zip``.

The zip holds, at its root (Gradescope unpacks it into /autograder/source):

    setup.sh          installs this package (bundled below) and its dependencies
    run_autograder    grades /autograder/submission/*.ipynb into /autograder/results/results.json
    config.json       the assignment, the time limits and the hidden-case salt (``--salt``)
    tests/            the instructor's extra tests (``--tests DIR``), if any
    tflearn_kit_src/  this package's source: the exercises, their hidden cases, the grader

``run_autograder`` reads its root from the environment variable
``TFLEARN_KIT_AUTOGRADER_ROOT`` (default ``/autograder``), so it can be run
locally against a folder laid out like Gradescope's.

Gradescope runs ``run_autograder`` as root, one submission per container. The
student's functions run in the bubblewrap sandbox when the container allows it,
else as a fresh unprivileged user; either way the autograder's source (with the
salt) and the installed package (with the reference and the hidden cases) are
first made unreadable to every user but root.
"""
import json
import os
import shutil
import sys
import time
import traceback
import zipfile
from pathlib import Path

ROOT_ENV = "TFLEARN_KIT_AUTOGRADER_ROOT"
ISOLATION_ENV = "TFLEARN_KIT_ISOLATION"       # force a mode (tests): bubblewrap, unprivileged-user or none

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get install -y python3 python3-pip
fi
# The sandbox the student's functions run in, where the container allows namespaces; without it
# they run as a fresh unprivileged user (run_autograder decides, per submission).
apt-get install -y bubblewrap || true
python3 -m pip install --upgrade pip
# The package with its dependencies (NumPy, TensorFlow CPU, nbformat, ...), as pinned in its pyproject.toml.
python3 -m pip install ./tflearn_kit_src
"""

RUN_AUTOGRADER = """#!/usr/bin/env python3
# Gradescope runs this for every submission. Root: $TFLEARN_KIT_AUTOGRADER_ROOT or /autograder.
import os
import sys
from pathlib import Path

root = Path(os.environ.get("TFLEARN_KIT_AUTOGRADER_ROOT", "/autograder"))
from tflearn_kit.grading.gradescope import run_autograder

sys.exit(run_autograder(root))
"""

SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")
MINIMAL_PYPROJECT = """[build-system]
requires = ["setuptools>=77", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "tflearn_kit"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["numpy>=1.26", "nbformat>=5.9", "ipython"]

[tool.setuptools.packages.find]
include = ["tflearn_kit*"]
"""


def _package_dir():
    import tflearn_kit
    return Path(tflearn_kit.__file__).resolve().parent


def build(assignment, out, tests_dir=None, timeout=None, case_timeout=None, salt=""):
    """Write the autograder zip for ``assignment``; returns the list of names in the zip."""
    from .autograde import CASE_TIMEOUT, TOTAL_TIMEOUT, load_extra_tests
    from .submission import known_assignments
    known = known_assignments()
    if assignment not in known:
        raise ValueError(f"gradescope: no exercises for assignment {assignment!r}. Known: {', '.join(known)}.")
    if tests_dir is not None:
        load_extra_tests(tests_dir)                     # fail now, not on Gradescope
    config = {"assignment": assignment, "timeout": timeout or TOTAL_TIMEOUT,
              "case_timeout": case_timeout or CASE_TIMEOUT, "salt": salt or ""}
    package = _package_dir()
    project = package.parent
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        def add_text(name, text, executable=False):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)

        add_text("setup.sh", SETUP_SH, executable=True)
        add_text("run_autograder", RUN_AUTOGRADER, executable=True)
        add_text("config.json", json.dumps(config, indent=1) + "\n")
        if tests_dir is not None:
            for f in sorted(Path(tests_dir).glob("*.py")):
                add_text(f"tests/{f.name}", f.read_text())
        for name in SOURCE_FILES:
            if (project / name).is_file():
                add_text(f"tflearn_kit_src/{name}", (project / name).read_text())
        if not (project / "pyproject.toml").is_file():
            add_text("tflearn_kit_src/pyproject.toml", MINIMAL_PYPROJECT)
        for f in sorted(package.rglob("*.py")):
            if "__pycache__" not in f.parts:
                add_text(f"tflearn_kit_src/tflearn_kit/{f.relative_to(package).as_posix()}", f.read_text())
        return z.namelist()


def _pick_submission(folder, assignment):
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    named = [p for p in notebooks if assignment in p.name]
    return (named or notebooks or [None])[0], notebooks


def _write(results_dir, data):
    results_dir.mkdir(parents=True, exist_ok=True)
    tmp = results_dir / "results.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(results_dir / "results.json")


def _wall(root):
    """The isolation for this container, after locking the source and the package away from other users."""
    from . import isolation
    package = Path(__file__).resolve().parents[1]
    source = (root / "source").resolve()
    isolation.lock_away(source)
    if source in package.parents or not (package.parent / "pyproject.toml").exists():
        isolation.lock_away(package)                   # installed by setup.sh (or bundled): not a source tree
    forced = os.environ.get(ISOLATION_ENV)
    if forced:
        return isolation.Isolation(forced)
    try:
        return isolation.choose(allow_unprivileged_user=True)
    except isolation.IsolationUnavailable:
        return isolation.Isolation(isolation.NONE)     # not root and no bubblewrap: said in the results


def run_autograder(root):
    """Grade the one submission under ``root``/submission; always writes results.json; returns 0."""
    root = Path(root)
    started = time.monotonic()
    results_dir = root / "results"
    try:
        from . import report
        from .autograde import ExtraTests, grade_submission, load_extra_tests
        config = json.loads((root / "source" / "config.json").read_text())
        assignment = config["assignment"]
        tests = root / "source" / "tests"
        extra = load_extra_tests(tests) if tests.is_dir() else ExtraTests()
        path, found = _pick_submission(root / "submission", assignment)
        if path is None:
            files = sorted(p.name for p in (root / "submission").rglob("*") if p.is_file())[:20]
            message = ("No notebook (.ipynb) was found in your submission"
                       + (f"; it contains: {', '.join(files)}" if files else "; it is empty")
                       + f". Please upload {assignment}.ipynb.")
            _write(results_dir, {"score": 0.0, "execution_time": int(time.monotonic() - started),
                                 "output": message, "output_format": "text", "visibility": "visible",
                                 "stdout_visibility": "hidden", "tests": []})
            print(message)
            return 0
        result = grade_submission(path, assignment=assignment, extra=extra, timeout=config.get("timeout", 120),
                                  case_timeout=config.get("case_timeout", 10), isolation=_wall(root),
                                  salt=config.get("salt", ""), private=[root / "source", root / "results"])
        data = report.gradescope_results(result, path.name)
        if len(found) > 1:
            data["output"] = (f"Graded {path.name}; also found {len(found) - 1} other notebook(s), "
                              "which were not graded.\n\n" + data["output"])
        _write(results_dir, data)
        print(f"{path.name}: {result.score:g}/{result.max_score:g} ({result.status}) {result.reason}")
    except Exception:                                  # noqa: BLE001 (Gradescope must get a results.json)
        _write(results_dir, {"score": 0.0, "execution_time": int(time.monotonic() - started),
                             "output": "The autograder failed on this submission; your instructor has "
                                       "been shown the details.", "output_format": "text",
                             "visibility": "visible", "stdout_visibility": "hidden", "tests": []})
        traceback.print_exc(file=sys.stdout)          # /autograder/results/stdout, for the instructor
    return 0


def unpack_for_test(zip_path, root):
    """Lay out ``root`` like Gradescope's /autograder from the zip (for local runs and tests)."""
    root = Path(root)
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    return root
