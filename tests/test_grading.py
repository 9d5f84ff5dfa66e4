"""The autograder engine: full marks for solutions, 0 for untouched notebooks, the fault corpus,
checks that cannot be fooled, the instructor's extra tests, and Gradescope's results format.

Submissions are generated from the real solution notebook (tests/grading_corpus.py);
each is graded in a sandbox process, never in this one.
"""
import json
import re

import jsonschema
import nbformat
import numpy as np
import pytest

from tflearn_kit.grading import exercises, release, report
from tflearn_kit.grading.autograde import grade_submission, load_extra_tests
from tflearn_kit.grading.submission import NotGradable, detect_assignment

from .grading_corpus import ROOT, cheats, faults, solution_path, solution_paths

NB02 = "02_dense_and_activations"
FAST = {"timeout": 60, "case_timeout": 2}      # per submission / per call; the loop cases wait this long
GRADED = [p for p in solution_paths() if exercises.for_notebook(p.stem)]
pytestmark = pytest.mark.usefixtures("sandbox")     # every submission runs in the real sandbox


@pytest.fixture(scope="module")
def nb02():
    return nbformat.read(solution_path(NB02), as_version=4)


@pytest.fixture(scope="module")
def max02():
    return float(sum(e.points for e in exercises.for_notebook(NB02)))


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else nbformat.writes(data).encode())
    return path


@pytest.mark.parametrize("path", GRADED, ids=[p.stem for p in GRADED])
def test_solution_scores_full_marks(path):
    result = grade_submission(path, **FAST)
    assert result.status == "graded", result.reason
    assert result.max_score == sum(e.points for e in exercises.for_notebook(path.stem)) > 0
    assert result.score == result.max_score, result.reason
    assert result.reason == "full marks"


@pytest.mark.parametrize("path", GRADED, ids=[p.stem for p in GRADED])
def test_released_student_notebook_scores_zero(path, tmp_path):
    released = ROOT / "notebooks" / path.name                  # the file students get, when released
    student = released if released.exists() else \
        _write(tmp_path, path.name, release.student_version(nbformat.read(path, as_version=4)))
    result = grade_submission(student, **FAST)
    assert result.status == "graded"
    assert result.score == 0 and result.max_score > 0
    assert all(e.summary() == "not implemented yet" for e in result.exercises), result.reason


FAULTS = faults(nbformat.read(solution_path(NB02), as_version=4))


@pytest.mark.parametrize("name,data,expect", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_corpus_gets_a_score_and_a_plain_reason(name, data, expect, tmp_path, max02):
    path = _write(tmp_path, f"{name}_{NB02}.ipynb", data)
    result = grade_submission(path, **FAST)
    assert expect in result.reason, result.reason
    assert result.max_score == max02          # even a corrupted file is scored out of the assignment's points
    assert 0 <= result.score <= result.max_score
    if result.status == "ungradable":
        assert result.score == 0
    assert "Traceback" not in result.reason


def test_a_cell_nested_too_deeply_to_parse_is_skipped_with_a_note(tmp_path, nb02):
    nb = nbformat.reads(nbformat.writes(nb02), as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("x = " + "(" * 100_000 + ")" * 100_000))
    result = grade_submission(_write(tmp_path, f"{NB02}.ipynb", nb), **FAST)
    assert result.score == result.max_score
    assert "the 2nd cell has a syntax error" in result.reason


def test_faults_cost_only_the_exercise_they_break(tmp_path, max02):
    by_name = {name: data for name, data, _ in FAULTS}
    points = {e.function: e.points for e in exercises.for_notebook(NB02)}
    for name, broken in [("os_exit", "sigmoid"), ("huge_allocation", "dense_backward"),
                         ("renamed_function", "dense_forward")]:
        result = grade_submission(_write(tmp_path, f"{name}.ipynb", by_name[name]), assignment=NB02, **FAST)
        assert result.score == max02 - points[broken], (name, result.reason)


CHEATS = cheats(nbformat.read(solution_path(NB02), as_version=4))


@pytest.mark.parametrize("name,data", CHEATS, ids=[c[0] for c in CHEATS])
def test_patching_numpy_the_checker_or_builtins_gains_nothing(name, data, tmp_path, max02):
    dense_forward_points = exercises.get("dense_forward").points
    result = grade_submission(_write(tmp_path, f"{name}_{NB02}.ipynb", data), **FAST)
    forward = next(e for e in result.exercises if e.id == "dense_forward")
    assert forward.score == 0, result.reason          # it returns zeros: every case must fail
    assert result.score == max02 - dense_forward_points


def test_patching_in_the_notebook_fools_only_the_notebooks_own_check(nb02, capsys):
    """The in-notebook check runs in the student's kernel, so patching it there "works" there;
    the same patch in a submission gains nothing (test above). This pins down why."""
    original = exercises.compare_results
    try:
        exercises.compare_results = lambda *a, **k: (True, "", 0.0)
        exercises.check("dense_forward", lambda x, kernel, bias: np.zeros(1))
        assert f"all {len(exercises.get('dense_forward').visible)} cases passed" in capsys.readouterr().out
    finally:
        exercises.compare_results = original


def test_calling_the_kits_reference_fails_in_the_sandbox_with_a_plain_reason(tmp_path, nb02):
    nb = nbformat.reads(nbformat.writes(nb02), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def dense_forward("))
    cell.source = "def dense_forward(x, kernel, bias):\n    return kit.kernels.dense.dense_forward(x, kernel, bias)[0]\n"
    result = grade_submission(_write(tmp_path, f"{NB02}.ipynb", nb), **FAST)
    assert result.score == result.max_score - exercises.get("dense_forward").points
    assert "No module named 'tflearn_kit'" in result.reason
    assert result.flags == []


# -- assignment detection ------------------------------------------------------------


def test_assignment_from_file_name_then_metadata_then_content(nb02):
    nb = nbformat.reads(nbformat.writes(nb02), as_version=4)
    nb.metadata.pop("tflearn_kit", None)
    assert detect_assignment(nb, f"alice_{NB02}.ipynb") == NB02
    assert detect_assignment(nb, "homework.ipynb") == NB02                  # from the check() calls
    nb.metadata["tflearn_kit"] = {"assignment": NB02}
    assert detect_assignment(nb, "homework.ipynb") == NB02
    # the instructor's file name wins over what the student's metadata claims
    nb.metadata["tflearn_kit"] = {"assignment": "01_layer_anatomy"}
    found, note = detect_assignment(nb, f"alice_{NB02}.ipynb", explain=True)
    assert found == NB02 and "metadata says it is 01_layer_anatomy" in note
    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(NotGradable, match="could not tell which assignment"):
        detect_assignment(empty, "homework.ipynb")


def test_unknown_assignment_is_ungradable_with_a_reason(tmp_path):
    path = _write(tmp_path, "homework.ipynb", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    result = grade_submission(path, **FAST)
    assert (result.status, result.score) == ("ungradable", 0)
    assert "could not tell which assignment" in result.reason


# -- the instructor's extra tests ----------------------------------------------------

EXTRA = '''
import numpy as np
from tflearn_kit.grading import Case

CASES = {"dense_forward": [Case("instructor-zeros", lambda: (np.zeros((2, 3)), np.ones((3, 4)), None))]}


def test_dense_forward__does_not_modify_x(fn):
    x = np.arange(6.0).reshape(2, 3)
    fn(x, np.ones((3, 2)), np.zeros(2))
    # fn gets copies in the sandbox: the check is on what comes back
    y = fn(x, np.eye(3), None)
    assert np.array_equal(y, x), "dense_forward(x, I, None) should return x"


def test_sigmoid_forward(fn):
    assert fn(np.array([0.0]))[0] == 0.5, "sigmoid(0) should be 0.5"
'''


def test_instructor_extra_cases_and_tests_count_toward_partial_credit(tmp_path, nb02):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "extra_02.py").write_text(EXTRA)
    extra = load_extra_tests(tmp_path / "tests")
    good = grade_submission(solution_path(NB02), extra=extra, **FAST)
    assert good.score == good.max_score, good.reason
    forward = next(e for e in good.exercises if e.id == "dense_forward")
    assert [c.kind for c in forward.cases].count("extra") == 1
    assert [c.kind for c in forward.cases].count("test") == 1

    # sigmoid(x) = 0.5 everywhere: fails every case but the instructor's sigmoid(0) test
    wrong = nbformat.reads(nbformat.writes(nb02), as_version=4)
    cell = next(c for c in wrong.cells if c.cell_type == "code" and c.source.startswith("def sigmoid("))
    cell.source = "def sigmoid(x):\n    return np.full(np.shape(x), 0.5)\n"
    result = grade_submission(_write(tmp_path, f"{NB02}.ipynb", wrong), extra=extra, **FAST)
    sig = next(e for e in result.exercises if e.id == "sigmoid_forward")
    total = len(sig.cases)
    assert [c.passed for c in sig.cases].count(True) == 1
    assert sig.score == pytest.approx(sig.points / total, abs=1e-4)      # scores are kept to 4 decimals


def test_extra_tests_naming_an_unknown_exercise_are_refused(tmp_path):
    (tmp_path / "t.py").write_text("def test_no_such_exercise(fn):\n    pass\n")
    with pytest.raises(ValueError, match="no_such_exercise"):
        load_extra_tests(tmp_path)


# -- check() in the notebook: hidden cases and nbgrader's autograde -------------------


def test_check_hidden_runs_the_hidden_cases(capsys):
    from tflearn_kit.kernels.dense import dense_forward
    exercises.check("dense_forward", lambda x, k, b: dense_forward(x, k, b)[0], hidden=True)
    hidden = len(exercises.get("dense_forward").hidden)
    assert f"dense_forward (hidden cases): all {hidden} cases passed." in capsys.readouterr().out


def test_check_raises_under_nbgrader_autograde_and_only_there(monkeypatch, capsys):
    wrong = lambda x, kernel, bias: x @ kernel          # noqa: E731 (forgets the bias)
    exercises.check("dense_forward", wrong)               # prints, does not raise
    assert "cases passed" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError, match="dense_forward: 1/4 cases passed"):
        exercises.check("dense_forward", wrong)
    with pytest.raises(AssertionError, match="not implemented yet"):
        exercises.check("sigmoid_forward", lambda x: (_ for _ in ()).throw(NotImplementedError()))


# -- what the students and Gradescope get ---------------------------------------------

GRADESCOPE_VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
GRADESCOPE_FORMATS = ["text", "html", "simple_format", "md", "ansi"]
GRADESCOPE_TEST = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"},
        "name_format": {"enum": GRADESCOPE_FORMATS}, "number": {"type": "string"},
        "output": {"type": "string"}, "output_format": {"enum": GRADESCOPE_FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": GRADESCOPE_VISIBILITY}, "extra_data": {"type": "object"},
    },
    "required": ["score", "max_score", "name", "output", "visibility"],
    "additionalProperties": False,
}
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format")
GRADESCOPE_RESULTS = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "execution_time": {"type": "number"}, "output": {"type": "string"},
        "output_format": {"enum": GRADESCOPE_FORMATS}, "test_output_format": {"enum": GRADESCOPE_FORMATS},
        "test_name_format": {"enum": GRADESCOPE_FORMATS}, "visibility": {"enum": GRADESCOPE_VISIBILITY},
        "stdout_visibility": {"enum": GRADESCOPE_VISIBILITY}, "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": GRADESCOPE_TEST}, "leaderboard": {"type": "array"},
    },
    "required": ["score", "execution_time", "output", "tests"],
    "additionalProperties": False,
}


def validate_gradescope(data):
    jsonschema.validate(data, GRADESCOPE_RESULTS)
    for t in data["tests"]:
        assert 0 <= t["score"] <= t["max_score"] + 1e-9, t


@pytest.mark.parametrize("name", ["solution", "wrong_shape", "syntax_error", "corrupted_json"])
def test_results_json_follows_gradescope_spec_and_adds_up(name, tmp_path, nb02, max02):
    data = nbformat.writes(nb02).encode() if name == "solution" else \
        next(d for n, d, _ in FAULTS if n == name)
    result = grade_submission(_write(tmp_path, f"{NB02}.ipynb", data), **FAST)
    results = json.loads(json.dumps(report.gradescope_results(result, "alice")))
    validate_gradescope(results)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(max02)
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(results["score"])
    assert results["score"] == pytest.approx(result.score)


def test_hidden_cases_are_shown_without_their_inputs(tmp_path):
    data = next(d for n, d, _ in FAULTS if n == "wrong_shape")
    result = grade_submission(_write(tmp_path, f"{NB02}.ipynb", data), **FAST)
    results = report.gradescope_results(result)
    hidden = next(t for t in results["tests"] if t["name"].startswith("dense_forward") and "hidden" in t["name"])
    visible = next(t for t in results["tests"] if t["name"].startswith("dense_forward") and "visible" in t["name"])
    assert hidden["visibility"] == "after_published" and visible["visibility"] == "visible"
    assert "inputs (" in visible["output"] and "inputs (" not in hidden["output"]
    assert "expected shape" in hidden["output"]
    assert "rank3" not in results["output"]          # the visible summary does not list hidden cases
    assert "hidden cases: shown when the grades are published" in results["output"]
    feedback = report.feedback_markdown(result)
    assert re.search(r"hidden cases: \d+/\d+ passed", feedback) and "inputs (" not in feedback.split("hidden cases")[1]


# -- the wire between the grader and the sandbox ---------------------------------------

WIRE_VALUES = {
    "float64-scalar": np.float64(2.5), "0d-array": np.array(3.0), "transposed": np.arange(6.0).reshape(2, 3).T,
    "int": 4, "float": 2.5, "str": "relu", "shape-with-None": (None, 3), "dict": {"kernel": np.zeros(2)},
    "list": [np.ones(2), 1.0],
}


@pytest.mark.parametrize("value", WIRE_VALUES.values(), ids=WIRE_VALUES.keys())
def test_wire_round_trip_keeps_types_and_shapes(value):
    from tflearn_kit.grading import wire
    arrays = {}
    tree = wire.encode(value, arrays)
    header, arrays = wire.unpack(wire.pack({"v": tree}, arrays)[8:])
    back = wire.decode(header["v"], arrays)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, dict):
        assert np.array_equal(back["kernel"], value["kernel"])
    elif isinstance(value, list):
        assert np.array_equal(back[0], value[0]) and back[1] == value[1]
    else:
        assert back == value


def test_wire_turns_subclasses_and_objects_into_plain_data():
    from tflearn_kit.grading import wire
    arrays = {}
    tree = wire.encode((np.ones(2).view(np.ma.MaskedArray), object(), np.array([None])), arrays)
    back = wire.decode(tree, arrays)
    assert type(back[0]) is np.ndarray
    assert isinstance(back[1], wire.Opaque) and isinstance(back[2], wire.Opaque)


# -- hidden cases drawn from the instructor's salt -------------------------------------------


def _answer_table_notebook(nb02):
    """dense_forward answers from a table of every case shipped with the package (visible and hidden)."""
    import hashlib
    exercise = exercises.get("dense_forward")
    table = {}
    for case in exercise.visible + exercise.hidden:
        x, kernel, bias = case.make()
        table[hashlib.sha256(x.tobytes()).hexdigest()] = exercise.reference(x, kernel, bias).tolist()
    nb = nbformat.reads(nbformat.writes(nb02), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def dense_forward("))
    cell.source = (f"import hashlib\nTABLE = {table!r}\n\n\ndef dense_forward(x, kernel, bias):\n"
                   "    return np.array(TABLE[hashlib.sha256(x.tobytes()).hexdigest()])\n")
    return nb


def test_a_table_of_the_shipped_answers_fails_the_salted_hidden_cases(tmp_path, nb02):
    path = _write(tmp_path, f"{NB02}.ipynb", _answer_table_notebook(nb02))
    unsalted = grade_submission(path, **FAST)
    assert unsalted.score == unsalted.max_score                # why the salt matters
    salted = grade_submission(path, salt="only-the-instructor-knows", **FAST)
    forward = next(e for e in salted.exercises if e.id == "dense_forward")
    exercise = exercises.get("dense_forward")
    assert [c.passed for c in forward.cases] == [True] * len(exercise.visible) + [False] * len(exercise.hidden), \
        salted.reason
    assert "KeyError" in forward.cases[-1].message


def test_salted_hidden_cases_are_new_yet_the_same_for_every_student():
    for exercise in exercises.for_notebook(NB02) + exercises.for_notebook("03_convolutions"):
        for case in exercise.hidden:
            shipped = case.make()
            with exercises.salted("s3cret"):
                first, second = case.make(), case.make()
            assert repr(first) == repr(second)
            if exercise.id != "conv_output_size" or case.name != "n1-k1":
                assert repr(first) != repr(shipped), (exercise.id, case.name)
