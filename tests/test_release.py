"""The release tool: solution blocks replaced as nbgrader does, hidden tests removed, metadata written."""
import nbformat
import pytest

from tflearn_kit.grading import release

SOLUTION_CELL = '''def dense_forward(x, kernel, bias):
    """Docstring stays."""
    ### BEGIN SOLUTION
    y = x @ kernel
    return y if bias is None else y + bias
    ### END SOLUTION
'''

TEST_CELL = '''check("dense_forward", dense_forward)
### BEGIN HIDDEN TESTS
check("dense_backward", dense_backward)
### END HIDDEN TESTS'''


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell(SOLUTION_CELL, outputs=[nbformat.v4.new_output("stream", text="hi")],
                                  execution_count=3),
        nbformat.v4.new_code_cell(TEST_CELL),
        nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ]
    return nb


def test_solution_block_becomes_nbgrader_placeholder_at_its_indentation():
    out = release.replace_solutions(SOLUTION_CELL)
    assert out == ('def dense_forward(x, kernel, bias):\n    """Docstring stays."""\n'
                   "    # YOUR CODE HERE\n    raise NotImplementedError()")


def test_markdown_solution_becomes_your_answer_here():
    assert release.replace_solutions("A\n### BEGIN SOLUTION\nB\n### END SOLUTION", "markdown") == \
        "A\nYOUR ANSWER HERE"


def test_hidden_tests_are_removed():
    assert release.remove_hidden_tests(TEST_CELL) == 'check("dense_forward", dense_forward)'


def test_unclosed_markup_is_an_error():
    with pytest.raises(ValueError, match="without"):
        release.replace_solutions("### BEGIN SOLUTION\nx = 1")


def test_student_version_clears_outputs_and_writes_nbgrader_metadata():
    student = release.student_version(_notebook())
    solution_cell, test_cell = student.cells[1], student.cells[2]
    assert solution_cell.outputs == [] and solution_cell.execution_count is None
    assert solution_cell.metadata.nbgrader == {
        "grade": False, "solution": True, "locked": False,
        "grade_id": "solution_dense_forward", "schema_version": 3}
    assert test_cell.metadata.nbgrader["grade"] is True
    assert test_cell.metadata.nbgrader["locked"] is True
    assert test_cell.metadata.nbgrader["points"] == 5      # dense_forward 2 + dense_backward 3
    assert "BEGIN HIDDEN" not in test_cell.source
    assert student.cells[3].source == "Why?\nYOUR ANSWER HERE"
    assert "nbgrader" not in student.cells[0].metadata


def test_release_then_check_round_trip(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(_notebook(), tmp_path / "solutions" / "99_demo.ipynb")
    assert release.stale(tmp_path / "solutions", tmp_path / "notebooks")       # not released yet
    release.release(tmp_path / "solutions", tmp_path / "notebooks")
    assert release.stale(tmp_path / "solutions", tmp_path / "notebooks") == []
    student = tmp_path / "notebooks" / "99_demo.ipynb"
    student.write_text(student.read_text().replace("Title", "Changed"))
    assert release.stale(tmp_path / "solutions", tmp_path / "notebooks")


def test_cli_release_check_exit_codes(tmp_path):
    from tflearn_kit.cli import main
    (tmp_path / "solutions").mkdir()
    nbformat.write(_notebook(), tmp_path / "solutions" / "99_demo.ipynb")
    args = ["--solutions", str(tmp_path / "solutions"), "--out", str(tmp_path / "notebooks")]
    assert main(["release", "--check", *args]) == 1
    assert main(["release", *args]) == 0
    assert main(["release", "--check", *args]) == 0


def test_release_records_the_assignment_in_both_notebooks(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(_notebook(), tmp_path / "solutions" / "99_demo.ipynb")
    release.release(tmp_path / "solutions", tmp_path / "notebooks")
    for tree in ("solutions", "notebooks"):
        nb = nbformat.read(tmp_path / tree / "99_demo.ipynb", as_version=4)
        assert nb.metadata["tflearn_kit"] == {"assignment": "99_demo"}


def test_grader_detects_a_renamed_submission_from_its_metadata(tmp_path):
    from tflearn_kit.grading.submission import detect_assignment, read_notebook
    src = tmp_path / "renamed.ipynb"
    nb = release.student_version(nbformat.read("notebooks/02_dense_and_activations.ipynb", as_version=4),
                                 "02_dense_and_activations")
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]      # nothing else gives it away
    nbformat.write(nb, src)
    assert detect_assignment(read_notebook(src), src) == "02_dense_and_activations"
    del nb.metadata["tflearn_kit"]
    nbformat.write(nb, src)
    with pytest.raises(Exception, match="could not tell which assignment"):
        detect_assignment(read_notebook(src), src)


@pytest.mark.parametrize("check", [True, False], ids=["check", "release"])
@pytest.mark.parametrize("solutions", ["missing", "empty"])
def test_release_without_solution_notebooks_is_an_error_that_creates_nothing(tmp_path, capsys, check, solutions):
    from tflearn_kit.cli import main
    if solutions == "empty":
        (tmp_path / "solutions").mkdir()
    args = ["release", "--solutions", str(tmp_path / "solutions"), "--out", str(tmp_path / "notebooks")]
    assert main(args + ["--check"] if check else args) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'solutions'}/ {'does not exist' if solutions == 'missing' else 'holds no'}" in err
    assert "--solutions" in err
    assert not (tmp_path / "notebooks").exists()


def test_release_check_outside_the_repository_fails(tmp_path):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "release", "--check"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "solutions/ does not exist" in done.stderr and "in sync" not in done.stdout
    assert list(tmp_path.iterdir()) == []
