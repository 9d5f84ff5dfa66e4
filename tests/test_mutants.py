"""The mutant corpus (tests/mutants/): every plausible wrong answer fails the notebook's visible
check and loses points in the grade; every differently written correct answer passes everything;
and the messages name what is wrong (issue 17)."""
import copy
import csv
import re
import warnings

import nbformat
import numpy as np
import pytest

from tflearn_kit.cli import main
from tflearn_kit.grading import catalog, exercises

from .grading_corpus import _def_cell, solution_path
from .mutants import function_of, load

MUTANTS = load("MUTANTS")
CORRECT = load("CORRECT")
SALT = "a salt the corpus never saw"


def _id(item):
    return f"{item[1].exercise}:{item[1].name}"


def _run(variant, which):
    exercise = exercises.get(variant.exercise)
    fn = function_of(variant, exercise.function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # overflow in an unstabilized exp is the mutant's point
        return exercises.run_cases(exercise, fn, which)


def test_every_exercise_in_the_catalog_has_mutants_and_two_correct_alternatives():
    # every module the catalog lists, so a new exercise (or a new notebook) without its corpus fails here
    catalog_ids = {e.id: e.notebook for name in catalog.MODULES
                   for e in exercises.for_notebook(exercises.notebook_of(name))}
    assert catalog_ids and set(catalog_ids) == set(exercises.REGISTRY)
    mutated = {v.exercise for _, v in MUTANTS}
    missing = sorted(set(catalog_ids) - mutated)
    assert not missing, f"exercises with no mutant in tests/mutants/nbNN.py: {missing}"
    correct = [v.exercise for _, v in CORRECT]
    short = sorted(i for i in catalog_ids if correct.count(i) < 2)
    assert not short, f"exercises with fewer than two correct alternatives: {short}"
    # a variant names a real exercise, and lives in the module of that exercise's notebook
    for module, v in MUTANTS + CORRECT:
        assert v.exercise in catalog_ids, f"{module}: {v.exercise}:{v.name} names no exercise in the catalog"
        assert catalog_ids[v.exercise][:2] == module[2:], f"{v.exercise}:{v.name} belongs in nb{catalog_ids[v.exercise][:2]}"
    names = [(v.exercise, v.name) for _, v in MUTANTS + CORRECT]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    assert all(v.description for _, v in MUTANTS)


@pytest.mark.parametrize("item", MUTANTS, ids=_id)
def test_every_mutant_fails_the_visible_check(item):
    results = _run(item[1], "visible")
    assert not all(r.passed for r in results), f"{_id(item)} passes every visible case"


@pytest.mark.parametrize("item", MUTANTS, ids=_id)
def test_every_mutant_fails_a_hidden_case_as_shipped_and_under_a_salt(item):
    assert not all(r.passed for r in _run(item[1], "hidden")), f"{_id(item)} passes every hidden case"
    with exercises.salted(SALT):
        assert not all(r.passed for r in _run(item[1], "hidden")), f"{_id(item)} passes the salted hidden cases"


@pytest.mark.parametrize("item", CORRECT, ids=_id)
def test_every_correct_alternative_passes_every_case(item):
    results = _run(item[1], "all")
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]
    with exercises.salted(SALT):
        results = _run(item[1], "hidden")
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_the_check_never_says_all_passed_for_a_mutant(capsys):
    for _, variant in MUTANTS:
        exercise = exercises.get(variant.exercise)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exercises.check(variant.exercise, function_of(variant, exercise.function))
        out = capsys.readouterr().out
        assert not re.match(r"\S+: all \d+ cases passed\.", out), (variant.name, out)


# ---- messages ---------------------------------------------------------------------------------

def _mutant(exercise, name):
    variant = next(v for _, v in MUTANTS if v.exercise == exercise and v.name == name)
    return function_of(variant, exercises.get(exercise).function)


def _check(capsys, exercise, fn, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exercises.check(exercise, fn, **kw)
    return capsys.readouterr().out


def test_a_wrong_part_of_a_tuple_is_named_by_its_quantity(capsys):
    out = _check(capsys, "dense_backward", _mutant("dense_backward", "dbias-all-axes"))
    assert "dbias: expected shape (4,), got ()" in out
    assert "result 2" not in out


def test_an_integer_says_expected_and_got(capsys):
    out = _check(capsys, "conv_output_size", _mutant("conv_output_size", "causal-as-valid"))
    assert "expected 6, got 4" in out
    out = _check(capsys, "dense_param_count", _mutant("dense_param_count", "bias-always"))
    assert "expected 10, got 12" in out
    out = _check(capsys, "conv_output_size", _mutant("conv_output_size", "float"))
    assert "expected the integer 5, got the float 5.0" in out


def test_a_scalar_says_expected_and_got(capsys):
    exercise = exercises.get("softmax_cross_entropy")
    logits, labels = exercise.visible[0].make()
    expected = exercise.reference(logits, labels)
    out = _check(capsys, "softmax_cross_entropy", _mutant("softmax_cross_entropy", "sum-not-mean"))
    assert f"expected {float(f'{expected:.6g}')!r}, got {float(f'{expected * len(labels):.6g}')!r}" in out, out
    assert "max abs error" not in out


def test_a_recognized_mistake_is_said_as_a_hint(capsys):
    out = _check(capsys, "conv2d_forward", _mutant("conv2d_forward", "pads-top-left-order"))
    assert "your output matches padding read as ((top, left), (bottom, right)): " \
           "pads are ((top, bottom), (left, right))" in out
    out = _check(capsys, "conv2d_forward", _mutant("conv2d_forward", "pads-symmetric"))
    assert "your output matches padding split symmetrically" in out
    out = _check(capsys, "lstm_cell_step", _mutant("lstm_cell_step", "gates-ifoc"))
    assert "your output matches the gates read in the order i, f, o, c" in out
    out = _check(capsys, "rnn_cell_step", _mutant("rnn_cell_step", "recurrent-kernel-T"))
    assert "your output matches h_prev @ recurrent_kernel.T" in out
    out = _check(capsys, "causal_mask", _mutant("causal_mask", "strictly-lower"))
    assert "your output matches j < i (a query may not see itself): j <= i" in out
    out = _check(capsys, "causal_mask", _mutant("causal_mask", "aligned-to-the-end"))
    assert "your output matches the diagonal aligned to the last key" in out
    out = _check(capsys, "split_heads", _mutant("split_heads", "reshape-without-transpose"))
    assert "your output matches x.reshape(batch, heads, T, d) with no transpose" in out
    out = _check(capsys, "merge_heads", _mutant("merge_heads", "reshape-without-transpose"))
    assert "your output matches x.reshape(batch, T, heads * d) with no transpose" in out
    out = _check(capsys, "attention_forward", _mutant("attention_forward", "no-scale"))
    assert "your output matches scores not divided by sqrt(d)" in out
    out = _check(capsys, "attention_forward", _mutant("attention_forward", "scale-by-d"))
    assert "your output matches scores divided by d" in out
    out = _check(capsys, "attention_forward", _mutant("attention_forward", "mask-inverted"))
    assert "your output matches the mask read the other way round" in out


def test_another_mistake_is_never_taken_for_a_known_one(capsys):
    # a signature is said only when the output equals it: a different mistake gets no such hint
    for exercise, name in [("conv2d_forward", "bias-ignored"), ("conv2d_forward", "kernel-flipped"),
                           ("lstm_cell_step", "h-without-tanh"), ("rnn_cell_step", "no-activation"),
                           ("attention_forward", "mask-ignored"), ("attention_forward", "scale-by-value-dim"),
                           ("causal_mask", "upper"), ("split_heads", "depth-before-heads")]:
        assert "your output matches" not in _check(capsys, exercise, _mutant(exercise, name)), name


def test_swapped_results_are_said_to_be_swapped(capsys):
    out = _check(capsys, "lstm_cell_step", _mutant("lstm_cell_step", "swapped-return"))
    assert "h_t: " in out and "h_t and c_t look swapped: return (h_t, c_t) in that order" in out
    out = _check(capsys, "l1_l2_penalty", _mutant("l1_l2_penalty", "swapped"))
    assert "penalty and gradient look swapped" in out
    out = _check(capsys, "attention_backward", _mutant("attention_backward", "dq-dk-swapped"))
    assert "dq: " in out and "dq and dk look swapped: return (dq, dk, dv) in that order" in out
    out = _check(capsys, "train_bn", _mutant("train_bn", "mean-variance-swapped"))
    assert "moving_mean and moving_variance look swapped: return (moving_mean, moving_variance, logits)" in out


def test_in_place_modification_names_the_argument(capsys):
    out = _check(capsys, "sgd_momentum_step", _mutant("sgd_momentum_step", "in-place"))
    assert "changed its input w, velocity in place" in out


def test_float32_where_float64_came_in_names_the_dtypes(capsys):
    out = _check(capsys, "square_forward", _mutant("square_forward", "float32"))
    assert "expected dtype float64 (the inputs' dtype), got float32" in out


def test_nan_from_an_unstabilized_exp_is_named(capsys):
    out = _check(capsys, "sigmoid_forward", _mutant("sigmoid_forward", "unstable"))
    assert "NaN or inf" in out and "extremes" in out


def test_an_error_inside_numpy_points_at_the_learners_line(capsys):
    out = _check(capsys, "dense_backward", _mutant("dense_backward", "dx-no-transpose"))
    # line 3 of the function's own code, where `dy @ kernel` is; never a line of NumPy's source
    assert re.search(r"raised ValueError: .* \(line 3 of <dense_backward:dx-no-transpose>, in dense_backward\)", out), out
    fn = function_of(next(v for _, v in MUTANTS if v.name == "one-hot-from-data"
                          and v.exercise == "softmax_cross_entropy_grad"), "softmax_cross_entropy_grad")
    out = _check(capsys, "softmax_cross_entropy_grad", fn)
    assert "(line 4 of <softmax_cross_entropy_grad:one-hot-from-data>, in softmax_cross_entropy_grad)" in out


def test_an_error_in_a_notebook_cell_names_the_cell_as_jupyterlab_shows_it(tmp_path):
    """A real kernel: JupyterLab shows "[3]:" beside the third cell run, and the check says "cell [3]"."""
    from nbclient import NotebookClient
    variant = next(v for _, v in MUTANTS if v.exercise == "dense_backward" and v.name == "dx-no-transpose")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nfrom tflearn_kit.grading import check"),
        nbformat.v4.new_markdown_cell("A Markdown cell: it has no number in JupyterLab's margin."),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(variant.code),
        nbformat.v4.new_code_cell("check('dense_backward', dense_backward)")])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    out = "".join(o.get("text", "") for o in nb.cells[4].outputs)
    assert nb.cells[3].execution_count == 3
    assert "(line 3 of cell [3], in dense_backward)" in out, out


def test_the_grader_names_cells_by_their_execution_count_or_else_their_position():
    from tflearn_kit.grading.submission import Notebook, cell_names
    raw = {"cells": [{"cell_type": "code", "source": "", "execution_count": 1},
                     {"cell_type": "markdown", "source": ""},
                     {"cell_type": "code", "source": "", "execution_count": 7},
                     {"cell_type": "code", "source": "", "execution_count": None},
                     {"cell_type": "code", "source": "", "execution_count": 1}]}
    assert cell_names(Notebook(raw)) == {1: "cell [1] (the 1st cell)", 2: "the 2nd cell", 3: "cell [7]",
                                         4: "the 4th cell", 5: "cell [1] (the 5th cell)"}


def test_an_error_raised_inside_the_kit_points_at_the_learners_line_too(capsys):
    # the kit's Layer.backward refuses grads that are not a list: the line to fix is the learner's
    out = _check(capsys, "prelu_layer", _mutant("prelu_layer", "grads-not-a-list"))
    assert "backward_call must return (dx, a list" in out
    assert re.search(r"\(line \d+ of <prelu_layer:grads-not-a-list>, in prelu_step\)", out), out
    assert "base.py" not in out


def test_hints_come_in_tiers_what_to_look_at_then_the_formula(capsys):
    exercise = exercises.get("rnn_cell_step")
    exercises.FAILURES.clear()
    fn = _mutant("rnn_cell_step", "no-activation")
    first = _check(capsys, "rnn_cell_step", fn)
    assert f"Look at: {exercise.look}" in first and exercise.hint not in first
    second = _check(capsys, "rnn_cell_step", fn)                  # the same case fails again
    assert f"Hint: {exercise.hint}" in second
    exercises.FAILURES.clear()
    asked = _check(capsys, "rnn_cell_step", fn, hint=True)
    assert f"Hint: {exercise.hint}" in asked
    exercises.hint("rnn_cell_step")
    assert exercise.hint in capsys.readouterr().out


def test_progress_says_what_the_grade_adds(capsys):
    exercises.PROGRESS.clear()
    variant = next(v for _, v in CORRECT if v.exercise == "conv2d_backward")
    _check(capsys, "conv2d_backward", function_of(variant, "conv2d_backward"))
    exercises.progress("03_convolutions")
    out = capsys.readouterr().out
    assert "conv2d_backward              visible cases pass; the grade also runs stride2, " \
           "stride2x1-asymmetric-pads, stride1x2-asymmetric-pads" in out
    assert "done" not in out


# ---- one real `tflearn-kit grade` over mutant notebooks -------------------------------------------

GRADED = ["02_dense_and_activations", "03_convolutions", "09_embedding_and_recurrent", "10_models_and_training",
          "11_tf1_to_tf2_migration", "12_custom_layers_and_transfer_learning", "13_attention_and_transformers"]


def _with(nb, variants):
    """A copy of the solution notebook whose exercise cells define the variants' functions instead."""
    nb = copy.deepcopy(nb)
    for v in variants:
        function = exercises.get(v.exercise).function
        nb.cells[_def_cell(nb, function)].source = v.code
    return nb


def _submissions(folder):
    """Per notebook: one submission with a mutant for every exercise (the n-th of each), and one of correct ones."""
    paths = {}
    for name in GRADED:
        nb = nbformat.read(solution_path(name), as_version=4)
        ids = [e.id for e in exercises.for_notebook(name)]
        for tag, pool, pick in (("mutants-a", MUTANTS, 0), ("mutants-b", MUTANTS, 1), ("mutants-c", MUTANTS, -1),
                                ("correct", CORRECT, 0)):
            # mutants-c: the in-place mutant where there is one (it needs the sandbox's own check), else the last
            chosen = [next((v for _, v in pool if v.exercise == i and v.name == "in-place" and tag == "mutants-c"),
                           [v for _, v in pool if v.exercise == i][pick]) for i in ids]
            student = folder / f"{tag}-{name[:2]}"
            student.mkdir(parents=True)
            path = student / f"{name}.ipynb"
            path.write_text(nbformat.writes(_with(nb, chosen)))
            paths[path] = (name, tag, chosen)
    return paths


@pytest.mark.usefixtures("sandbox")
def test_the_grader_takes_points_from_every_mutant_and_gives_full_marks_to_correct_variants(tmp_path):
    paths = _submissions(tmp_path / "submitted")
    out = tmp_path / "graded"
    assert main(["grade", *map(str, paths), "--out", str(out), "--jobs", "2", "--quiet", "--salt", SALT,
                 "--timeout", "120", "--case-timeout", "5"]) == 0
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    for path, (name, tag, chosen) in paths.items():
        row = rows[str(path)]
        assert row["status"] == "graded", row
        scores = dict(part.split("=") for part in row["exercises"].split("; "))
        for v in chosen:
            got, full = scores[v.exercise].split("/")
            if tag == "correct":
                assert float(got) == float(full), (v.exercise, v.name, row["reason"])
            else:
                assert float(got) < float(full), (v.exercise, v.name, row["reason"])
    # the grader's feedback carries the notebook's hints: the recognized mistake, and what to look at
    feedback = (out / "feedback").glob("mutants-a-03*.md")
    text = next(feedback).read_text()
    assert "your output matches padding read as ((top, left), (bottom, right))" in text
    assert f"Look at: {exercises.get('conv2d_forward').look}" in text
    # an error in the learner's code names the line and the cell as JupyterLab shows it: the
    # execution count saved beside the cell, as the notebook's own check says it
    nb02 = nbformat.read(solution_path("02_dense_and_activations"), as_version=4)
    count = nb02.cells[_def_cell(nb02, "dense_backward")].execution_count
    text = next((out / "feedback").glob("mutants-a-02*.md")).read_text()
    assert f"(line 3 of cell [{count}], in dense_backward)" in text, text
    text = next((out / "feedback").glob("mutants-c-10*.md")).read_text()
    assert "changed its input w, velocity in place" in text
