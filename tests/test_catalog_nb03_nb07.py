"""The catalog entries of notebooks 03 and 07: the cases hold the properties that kill the mutants,
and the vectorized convolution's known mistakes are recognized, and only those (issue 17)."""
import warnings

import numpy as np
import pytest

from tflearn_kit.grading import exercises

from .mutants import function_of, load

IM2COL = "conv2d_forward_im2col"


def _mutant(exercise, name):
    variant = next(v for _, v in load("MUTANTS") if v.exercise == exercise and v.name == name)
    return function_of(variant, exercises.get(exercise).function)


def _said(capsys, exercise, fn):
    exercises.FAILURES.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exercises.check(exercise, fn)
    return capsys.readouterr().out


@pytest.mark.parametrize("name, says", [
    ("columns-channel-first", "columns ordered (C, kh, kw) while kernel.reshape(kh * kw * C, F) reads (kh, kw, C)"),
    ("window-view-reshaped", "columns ordered (C, kh, kw)"),
    ("reshape-not-transpose", "the taps stacked first (axis 0) and reshaped to rows without moving that axis"),
    ("kernel-filters-first", "the kernel read as (F, kh, kw, C)"),
    ("output-hw-swapped", "the rows reshaped to (N, OW, OH, F), then transposed"),
    ("pads-top-left-order", "padding read as ((top, left), (bottom, right))"),
    ("pads-symmetric", "padding split symmetrically"),
])
def test_a_known_im2col_mistake_is_named(capsys, name, says):
    assert f"your output matches {says}" in _said(capsys, IM2COL, _mutant(IM2COL, name))


@pytest.mark.parametrize("name", ["stride-in-size-only", "stride-ignored", "size-from-unpadded", "float64-columns",
                                  "bias-ignored"])
def test_another_im2col_mistake_gets_no_such_hint(capsys, name):
    out = _said(capsys, IM2COL, _mutant(IM2COL, name))
    assert "cases passed" in out and "your output matches" not in out


def test_float64_for_float32_names_the_dtypes(capsys):
    out = _said(capsys, IM2COL, _mutant(IM2COL, "float64-columns"))
    assert "expected dtype float32 (the inputs' dtype), got float64" in out


@pytest.mark.parametrize("salt", ["", "another salt"])
def test_the_im2col_cases_hold_what_kills_the_mutants(salt):
    exercise = exercises.get(IM2COL)
    with exercises.salted(salt):
        for which in ("visible", "hidden"):
            cases = [c.make() for c in exercise.cases(which)]
            # float32 in (and out: the reference keeps it), stride 2, pads ((t, b), (l, r)) with b != l and t != b,
            # a non-square output, more than one channel with a kernel wider than 1x1
            assert any(x.dtype == np.float32 and exercise.reference(x, k, b, s, p).dtype == np.float32
                       for x, k, b, s, p in cases), which
            assert any(max(s) > 1 for _, _, _, s, _ in cases), which
            assert any(p[0][1] != p[1][0] and p[0][0] != p[0][1] for *_, p in cases), which
            assert any(len({*exercise.reference(*case).shape[1:3]}) == 2 for case in cases), which
            assert any(k.shape[2] > 1 and k.shape[0] * k.shape[1] > 1 for _, k, *_ in cases), which


def test_every_exercise_of_03_and_07_names_the_kit_functions_that_answer_it():
    for notebook in ("03_convolutions", "07_batch_normalization"):
        for exercise in exercises.for_notebook(notebook):
            if exercise.id != "conv_output_size":          # the kit's function has the exercise's name
                assert exercise.answers, exercise.id
