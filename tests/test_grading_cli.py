"""``tflearn-kit grade`` and ``tflearn-kit gradescope``: a row for every submission, parallel and
resumable runs, 50 submissions with --jobs 2, the Gradescope zip run locally, and --execute."""
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tflearn_kit.cli import main
from tflearn_kit.grading import exercises, gradescope, release
from tflearn_kit.grading.autograde import grade_submission

from .grading_corpus import FIXTURES, cheats, faults, solution_path
from .test_grading import validate_gradescope

NB02 = "02_dense_and_activations"
FAST = ["--timeout", "60", "--case-timeout", "2"]
pytestmark = pytest.mark.usefixtures("sandbox")     # every submission runs in the real sandbox


def _corpus(folder):
    """The solution, the untouched student version, every fault and every cheat, one file each."""
    nb = nbformat.read(solution_path(NB02), as_version=4)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"solution": nbformat.writes(nb).encode(),
             "untouched": nbformat.writes(release.student_version(nb)).encode()}
    files.update({name: data for name, data, _ in faults(nb)})
    files.update(dict(cheats(nb)))
    paths = []
    for name, data in files.items():
        student = folder / name
        student.mkdir()
        (student / f"{NB02}.ipynb").write_bytes(data)      # nbgrader-like: one folder per student
        paths.append(student / f"{NB02}.ipynb")
    return paths


def _rows(out):
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole corpus graded once by the CLI with --jobs 2."""
    root = tmp_path_factory.mktemp("corpus")
    paths = _corpus(root / "submitted")
    out = root / "graded"
    code = main(["grade", *map(str, paths), "--out", str(out), "--jobs", "2", "--quiet", *FAST])
    return paths, out, code


def test_every_submission_gets_one_row_with_score_status_and_reason(graded):
    paths, out, code = graded
    assert code == 0
    rows = _rows(out)
    assert sorted(r["submission"] for r in rows) == sorted(map(str, paths))
    for row in rows:
        assert {"submission", "score", "max_score", "status", "reason"} <= row.keys()
        assert float(row["max_score"]) == sum(e.points for e in exercises.for_notebook(NB02))
        assert 0 <= float(row["score"]) <= float(row["max_score"])
        assert row["reason"].strip()
    by_student = {r["student"]: r for r in rows}
    assert by_student["solution__" + NB02]["reason"] == "full marks"
    assert float(by_student["untouched__" + NB02]["score"]) == 0
    assert by_student["empty_file__" + NB02]["status"] == "ungradable"
    assert "did not finish" in by_student["infinite_loop__" + NB02]["reason"]


def test_feedback_and_gradescope_results_for_every_submission(graded):
    paths, out, _ = graded
    for row in _rows(out):
        feedback = (out / "feedback" / f"{row['student']}.md").read_text()
        assert f"**Score: {row['score']} / {row['max_score']}**" in feedback
        results = json.loads((out / "results" / f"{row['student']}.json").read_text())
        validate_gradescope(results)
        assert results["score"] == pytest.approx(float(row["score"]))


def test_a_rerun_resumes_and_regrades_only_what_is_missing(graded, tmp_path, capsys):
    paths, out, _ = graded
    copy = tmp_path / "graded"
    shutil.copytree(out, copy)
    (copy / "gradebook.csv").unlink()                           # as if interrupted before the end
    records = sorted((copy / "records").glob("*.json"))
    records[0].unlink()
    capsys.readouterr()
    assert main(["grade", *map(str, paths), "--out", str(copy), "--jobs", "2", *FAST]) == 0
    log = capsys.readouterr().err
    assert log.count("already graded") == len(paths) - 1
    assert len(_rows(copy)) == len(paths)
    assert {r["student"]: r["score"] for r in _rows(copy)} == {r["student"]: r["score"] for r in _rows(out)}


def test_fifty_submissions_with_two_jobs_lose_none(tmp_path):
    """Through the installed command, as an instructor runs it."""
    nb = nbformat.read(solution_path(NB02), as_version=4)
    variants = [nbformat.writes(nb).encode(), nbformat.writes(release.student_version(nb)).encode()]
    variants += [data for name, data, _ in faults(nb) if name not in ("infinite_loop", "hang_while_loading")]
    folder = tmp_path / "submitted"
    folder.mkdir()
    paths = []
    for i in range(50):
        path = folder / f"student{i:02d}_{NB02}.ipynb"
        path.write_bytes(variants[i % len(variants)])
        paths.append(str(path))
    out = tmp_path / "graded"
    done = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "grade", *paths, "--out", str(out),
                           "--jobs", "2", *FAST], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = _rows(out)
    assert sorted(r["submission"] for r in rows) == sorted(paths)
    assert len({r["student"] for r in rows}) == 50
    assert sum(r["reason"] == "full marks" for r in rows) >= 50 // len(variants)


def test_unknown_extra_tests_dir_is_a_usage_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "x.ipynb"), "--out", str(tmp_path / "o"), "--tests",
                 str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err


# -- Gradescope -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    root = tmp_path_factory.mktemp("gs")
    tests = root / "extra"
    tests.mkdir()
    (tests / "extra_02.py").write_text("import numpy as np\nfrom tflearn_kit.grading import Case\n"
                                       "CASES = {'dense_forward': [Case('zeros', lambda: "
                                       "(np.zeros((2, 3)), np.ones((3, 4)), None))]}\n")
    out = root / "autograder.zip"
    assert main(["gradescope", NB02, "--out", str(out), "--tests", str(tests)]) == 0
    return out


def test_gradescope_zip_has_setup_run_autograder_config_tests_and_the_package(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as z:
        names = set(z.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        config = json.loads(z.read("config.json"))
        setup = z.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "config.json", "tests/extra_02.py",
            "tflearn_kit_src/pyproject.toml", "tflearn_kit_src/tflearn_kit/grading/autograde.py",
            "tflearn_kit_src/tflearn_kit/grading/catalog/nb02_dense_and_activations.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert config["assignment"] == NB02
    assert "pip install ./tflearn_kit_src" in setup
    assert not any("__pycache__" in n for n in names)


def test_setup_sh_is_valid_bash(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as z:
        (tmp_path / "setup.sh").write_bytes(z.read("setup.sh"))
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0


def test_gradescope_refuses_an_assignment_without_exercises(tmp_path, capsys):
    assert main(["gradescope", "99_nothing", "--out", str(tmp_path / "a.zip")]) == 2
    assert "no exercises" in capsys.readouterr().err


def _run_autograder(root, extra_env=None):
    """Run the zip's own run_autograder and its bundled package, as Gradescope would."""
    env = {**os.environ, gradescope.ROOT_ENV: str(root),
           "PYTHONPATH": str(root / "source" / "tflearn_kit_src"), **(extra_env or {})}
    done = subprocess.run([sys.executable, str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.parametrize("name", ["solution", "syntax_error", "empty_file", "no_notebook"])
def test_run_autograder_locally_writes_results_to_gradescope_spec(name, autograder_zip, tmp_path):
    root = gradescope.unpack_for_test(autograder_zip, tmp_path / "autograder")
    nb = nbformat.read(solution_path(NB02), as_version=4)
    corpus = {n: d for n, d, _ in faults(nb)}
    if name == "solution":
        (root / "submission" / "my_notebook.ipynb").write_text(nbformat.writes(nb))
    elif name == "no_notebook":
        (root / "submission" / "answers.py").write_text("print('hi')\n")
    else:
        (root / "submission" / f"{NB02}.ipynb").write_bytes(corpus[name])
    results = _run_autograder(root)
    validate_gradescope(results)
    max_score = sum(e.points for e in exercises.for_notebook(NB02))
    if name == "solution":
        assert results["score"] == max_score
        hidden = next(t for t in results["tests"] if t["name"].startswith("dense_forward") and "hidden" in t["name"])
        assert "`zeros`: passed" in hidden["output"]           # the bundled extra case ran
    elif name == "no_notebook":
        assert results["score"] == 0 and "No notebook" in results["output"]
    else:
        assert 0 <= results["score"] < max_score
        assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(max_score)


# -- --execute ---------------------------------------------------------------------------


def test_execute_runs_the_notebook_under_limits_without_changing_the_score(tmp_path):
    """TensorFlow imports under the kernel's memory limit; a 12 GB array does not; a file outside
    the sandbox cannot be written; os._exit kills the kernel. The score comes from the exercises, as without --execute."""
    nb = nbformat.read(FIXTURES / f"{NB02}.ipynb", as_version=4)          # small, and imports TF
    nb.cells += [nbformat.v4.new_code_cell("big = np.ones((40_000, 40_000))"),
                 nbformat.v4.new_code_cell(f"open({str(tmp_path / 'planted.txt')!r}, 'w').write('x')"),
                 nbformat.v4.new_code_cell("import os\nos._exit(3)")]
    path = tmp_path / f"{NB02}.ipynb"
    nbformat.write(nb, path)
    result = grade_submission(path, execute=True, timeout=120)
    assert not (tmp_path / "planted.txt").exists()          # the kernel runs in the sandbox too
    assert "FileNotFoundError" in result.execution
    assert result.score == result.max_score
    assert "kernel died" in result.execution
    assert "MemoryError" in result.execution
    assert "ModuleNotFoundError" not in result.execution and "cell 15" not in result.execution


def test_student_names_are_unique_and_follow_the_folders():
    from tflearn_kit.grading.batch import student_names
    names = student_names(["sub/alice/hw/02.ipynb", "sub/bob/hw/02.ipynb", "sub/alice/hw/02.ipynb", "sub/c d.txt"])
    assert names == ["alice__hw__02", "bob__hw__02", "alice__hw__02-2", "c_d.txt"]


def test_progress_bar_on_a_terminal_and_lines_otherwise():
    import io
    from tflearn_kit.grading.autograde import Result
    from tflearn_kit.grading.batch import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty, log = Terminal(), io.StringIO()
    for stream in (tty, log):
        bar = Progress(2, stream=stream)
        bar.update("alice", Result("a.ipynb", score=7, max_score=7))
        bar.update("bob", Result("b.ipynb", score=0, max_score=7), skipped=True)
    assert "\rgrading [###############...............] 1/2" in tty.getvalue()
    assert tty.getvalue().endswith("\n") and "2/2" in tty.getvalue()
    assert log.getvalue().splitlines()[0].startswith("[1/2] alice: 7/7 graded")
    assert "bob: already graded" in log.getvalue()


def _reads_the_source(nb, root):
    """A submission whose dense_forward is right only if it can read the autograder's bundled catalog."""
    import copy
    nb = copy.deepcopy(nb)
    catalog = root / "source" / "tflearn_kit_src" / "tflearn_kit" / "grading" / "catalog" / f"nb{NB02}.py"
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def dense_forward("))
    cell.source = ("def dense_forward(x, kernel, bias):\n"
                   f"    open({str(catalog)!r}).read()\n"
                   f"    open({str(root / 'source' / 'config.json')!r}).read()\n"
                   "    return x @ kernel + (0 if bias is None else bias)\n")
    return nb


def _world_can_run(path):
    """Whether a user with no rights of its own can reach ``path`` (every folder above it searchable)."""
    return all(os.stat(p).st_mode & 0o001 for p in Path(path).resolve().parents)


@pytest.mark.parametrize("mode", ["bubblewrap", "unprivileged-user"])
def test_run_autograder_keeps_its_source_and_salt_from_the_students_code(mode, autograder_zip, tmp_path):
    from tflearn_kit.grading.isolation import python_executable
    if mode == "unprivileged-user" and not _world_can_run(python_executable()):
        pytest.skip(f"the interpreter {python_executable()} is not reachable by other users here "
                    "(on Gradescope it is /usr/bin/python3)")
    root = gradescope.unpack_for_test(autograder_zip, tmp_path / "autograder")
    nb = nbformat.read(solution_path(NB02), as_version=4)
    (root / "submission" / f"{NB02}.ipynb").write_text(nbformat.writes(_reads_the_source(nb, root)))
    results = _run_autograder(root, {gradescope.ISOLATION_ENV: mode})
    forward = [t for t in results["tests"] if t["name"].startswith("dense_forward")]
    assert sum(t["score"] for t in forward) == 0, forward
    assert "Permission denied" in forward[0]["output"] or "No such file" in forward[0]["output"]
    max_score = sum(e.points for e in exercises.for_notebook(NB02))
    assert results["score"] == max_score - exercises.get("dense_forward").points
