"""The README's generated sections are current, and its test command works wherever it is typed."""
import subprocess
import sys
from pathlib import Path

import pytest

from tflearn_kit.coverage import README_END, README_START, readme_section

ROOT = Path(__file__).resolve().parents[1]


def test_readme_coverage_matrix_is_current():
    text = (ROOT / "README.md").read_text()
    section = text[text.index(README_START): text.index(README_END) + len(README_END)]
    assert section == readme_section(ROOT), "run: tflearn-kit coverage --update-readme"


def _pytest(cwd, *args):
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("folder", ["notebooks", "docs"])
def test_pytest_from_a_folder_without_tests_collects_the_whole_suite(folder):
    # A JupyterLab terminal opens in notebooks/: `python -m pytest` there is the course's tests.
    done = _pytest(ROOT / folder, "--collect-only", "-q")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert any(i.startswith("tests/test_release.py::") for i in ids)
    assert any(i.startswith("solutions/00_welcome.ipynb::") for i in ids)
    assert not [i for i in ids if i.startswith("notebooks/")], "student notebooks must not go to nbval"


def test_student_notebooks_are_never_collected_by_nbval():
    done = _pytest(ROOT, "--collect-only", "-q", "notebooks")
    assert done.returncode == 5, done.stdout[-2000:]        # pytest's "no tests collected"


def test_nbval_finds_its_sanitize_file_from_another_folder():
    done = _pytest(ROOT / "notebooks", "../solutions/00_welcome.ipynb", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
