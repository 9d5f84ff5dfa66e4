"""The student notebooks: in sync with solutions/, and each runs top to bottom without an error.

nbval checks the solutions' outputs (pytest collects solutions/*.ipynb with --nbval);
here every released student notebook is executed in a fresh kernel: untouched
exercises must print "not implemented yet", never raise.
"""
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tflearn_kit.grading import release

ROOT = Path(__file__).resolve().parents[1]
STUDENT = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_in_sync_with_solutions():
    assert release.stale(ROOT / "solutions", ROOT / "notebooks") == []


def test_every_solution_has_a_student_version():
    solutions = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    assert solutions, "no solution notebooks"
    assert solutions == {p.name for p in STUDENT}


@pytest.mark.parametrize("path", STUDENT, ids=[p.stem for p in STUDENT])
def test_student_notebook_runs_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()          # raises CellExecutionError on the first failing cell
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    if release.BEGIN_SOLUTION in (ROOT / "solutions" / path.name).read_text():
        assert any("not implemented yet" in t for t in texts), "exercises should say 'not implemented yet'"
