"""nbgrader's own commands on the course: generate_assignment from solutions/, autograde, export.

nbgrader is not a dependency of the kit (it pins its own Jupyter stack), so it gets
its own virtual environment, ``.venv-nbgrader/`` at the repository root (or
``$TFLEARN_KIT_NBGRADER_VENV``), made on first use. Its autograde kernel is this
Python, through a kernel spec on ``JUPYTER_PATH``: the notebooks run with the kit
and TensorFlow exactly as the learners' do.

Where nbgrader cannot be installed (no registry) the test skips and says why;
under CI (CI=true) it fails instead.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBGRADER = "nbgrader==0.9.6"        # the version checked with this stack (Jupyter Server 2, nbconvert 7)

# assignment -> (the line a "partly wrong" submission changes, what it writes instead,
#               expected score of the solution, the blank, the partly wrong submission)
ASSIGNMENTS = {
    # dense_forward forgets the bias: its check (2 of 7 points) fails, the rest pass.
    "02_dense_and_activations": ("        y = y + bias\n", "        y = y\n", 7, 0, 5),
    # the L2 gradient misses its factor 2: l1_l2_penalty (2 of 3 points) fails.
    "08_dropout_and_regularization": ("2 * l2 * w", "l2 * w", 3, 0, 1),
}


def _venv_dir():
    return Path(os.environ.get("TFLEARN_KIT_NBGRADER_VENV", ROOT / ".venv-nbgrader"))


def _unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run nbgrader, but {reason}")
    pytest.skip(f"nbgrader could not be installed: {reason}")


@pytest.fixture(scope="module")
def nbgrader_bin():
    venv = _venv_dir()
    bin_dir = venv / "bin"
    marker = venv / "installed.txt"
    if not (marker.exists() and marker.read_text() == NBGRADER):
        shutil.rmtree(venv, ignore_errors=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if made.returncode:
            _unavailable(f"python -m venv failed: {made.stderr[-500:]}")
        pip = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", NBGRADER],
                             capture_output=True, text=True, timeout=900)
        if pip.returncode:
            _unavailable(f"pip install {NBGRADER} failed: {pip.stderr[-500:]}")
        marker.write_text(NBGRADER)
    return bin_dir


def _course(tmp_path):
    """An nbgrader course directory whose kernel "python3" is this interpreter."""
    course = tmp_path / "course"
    kernel = tmp_path / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tflearn_kit)", "language": "python"}))
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'tflearn_kit'\n"
        "c.Execute.timeout = 300\n")
    return course


def _run(bin_dir, course, tmp_path, *args):
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",   # it calls `alembic`
               JUPYTER_PATH=str(tmp_path / "jupyter"), TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _submissions(name, released, wrong_line, right_line):
    """The solution, the untouched release and a partly wrong copy, as nbgrader student folders."""
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")

    def filled(edit=None):
        nb = nbformat.read(released, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = "\n".join(line for line in answers[grade_id].splitlines()
                                        if line.strip() not in markers)
                if edit and edit[0] in cell.source:
                    cell.source = cell.source.replace(*edit)
                    edit = None
        assert edit is None, f"{name}: no solution cell holds {edit[0]!r}"
        return nb

    return {"solution": filled(), "blank": nbformat.read(released, as_version=4),
            "partly_wrong": filled((wrong_line, right_line))}


def test_nbgrader_generates_and_autogrades_two_assignments(nbgrader_bin, tmp_path):
    course = _course(tmp_path)
    for name in ASSIGNMENTS:
        (course / "source" / name).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / f"{name}.ipynb", course / "source" / name)
        _run(nbgrader_bin, course, tmp_path, "generate_assignment", name, "--force")
        released = course / "release" / name / f"{name}.ipynb"
        ours = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        theirs = nbformat.read(released, as_version=4)
        assert [c.source for c in theirs.cells] == [c.source for c in ours.cells], \
            f"nbgrader's student version of {name} differs from tflearn-kit release's"
        for student, nb in _submissions(name, released, *ASSIGNMENTS[name][:2]).items():
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{name}.ipynb")
        _run(nbgrader_bin, course, tmp_path, "autograde", name, "--create")
    _run(nbgrader_bin, course, tmp_path, "export", "--to", "grades.csv")
    with open(course / "grades.csv") as f:
        scores = {(row["assignment"], row["student_id"]): (float(row["raw_score"]), float(row["max_score"]))
                  for row in csv.DictReader(f)}
    expected = {}
    for name, (_, _, full, blank, partly) in ASSIGNMENTS.items():
        for student, score in (("solution", full), ("blank", blank), ("partly_wrong", partly)):
            expected[(name, student)] = (float(score), float(full))
    assert scores == expected
