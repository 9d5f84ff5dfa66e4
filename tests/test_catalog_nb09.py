"""The references of 09_embedding_and_recurrent's backward exercises, checked against Keras's LSTM
under a GradientTape; the finite-difference check the notebook runs on a learner's BPTT; and the
messages of the two exercises."""
import io
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

from tflearn_kit.grading import exercises
from tflearn_kit.grading.catalog.nb09_embedding_and_recurrent import gradient_check_bptt
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES
from .mutants import function_of, nb09

NB09 = ["embedding_lookup", "embedding_one_hot_matmul", "rnn_cell_step", "lstm_cell_step",
        "lstm_cell_step_backward", "lstm_bptt"]


def _cases(exercise_id):
    exercise = exercises.get(exercise_id)
    return [pytest.param(exercise, case, id=f"{exercise_id}-{case.name}") for case in exercise.cases("all")]


def test_notebook_09_registers_its_exercises_in_notebook_order():
    assert [e.id for e in exercises.for_notebook("09_embedding_and_recurrent")] == NB09


def _keras_lstm_gradients(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
    """dx, dh_init, dc_init, dkernel, drecurrent_kernel, dbias of sum(y * dy) + sum(c_final * dc_final) from Keras's LSTM."""
    tf, keras, _ = modules()
    layer = keras.layers.LSTM(h_init.shape[1], return_sequences=True, return_state=True, dtype=x.dtype.name)
    layer.build(x.shape)
    layer.set_weights([kernel, recurrent_kernel, bias])
    inputs = [tf.constant(a) for a in (x, h_init, c_init)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        y, h_final, c_final = layer(inputs[0], initial_state=inputs[1:])
    grads = tape.gradient([y, h_final, c_final], inputs + list(layer.trainable_weights),
                          output_gradients=[tf.constant(dy), tf.zeros_like(h_final), tf.constant(dc_final)])
    return [np.asarray(tf.convert_to_tensor(g)) for g in grads]


def _assert_close(name, mine, theirs, dtype):
    assert mine.dtype == theirs.dtype == dtype, name
    scale = max(1.0, float(np.max(np.abs(theirs))))
    assert np.max(np.abs(mine - theirs)) <= TOLERANCES[dtype.name] * scale, name


@pytest.mark.parametrize("exercise, case", _cases("lstm_bptt"))
def test_bptt_reference_equals_keras_lstm_gradients(exercise, case):
    args = case.make()
    ours = exercise.reference(*[a.copy() for a in args])
    theirs = _keras_lstm_gradients(*args)
    for name, mine, keras_grad in zip(exercise.outputs, ours, theirs):
        _assert_close(name, mine, keras_grad, args[2].dtype)


@pytest.mark.parametrize("exercise, case", _cases("lstm_cell_step_backward"))
def test_step_backward_reference_equals_keras_lstm_over_one_step(exercise, case):
    dh, dc, x_t, *rest = case.make()
    ours = exercise.reference(dh.copy(), dc.copy(), x_t.copy(), *[a.copy() for a in rest])
    theirs = _keras_lstm_gradients(dh[:, None], dc, x_t[:, None], *rest)
    theirs[0] = theirs[0][:, 0]                     # the one step's dx
    for name, mine, keras_grad in zip(exercise.outputs, ours, theirs):
        _assert_close(name, mine, keras_grad, x_t.dtype)


def _gradient_check_output(fn):
    out = io.StringIO()
    with warnings.catch_warnings(), redirect_stdout(out):
        warnings.simplefilter("ignore")
        gradient_check_bptt(fn)
    return out.getvalue()


def _variant(kind, name):
    pool = nb09.MUTANTS if kind == "mutant" else nb09.CORRECT
    variant = next(v for v in pool if v.name == name and v.exercise == "lstm_bptt")
    return function_of(variant, "lstm_bptt")


@pytest.mark.parametrize("name", [v.name for v in nb09.CORRECT if v.exercise == "lstm_bptt"])
def test_the_finite_difference_check_passes_every_correct_bptt(name):
    out = _gradient_check_output(_variant("correct", name))
    assert out.count(" correct\n") == 6, out


@pytest.mark.parametrize("name", ["loop-forwards", "dc-final-dropped", "dh-next-dropped", "weights-not-summed"])
def test_the_finite_difference_check_flags_a_wrong_bptt(name):
    out = _gradient_check_output(_variant("mutant", name))
    assert "WRONG" in out, out


def test_the_finite_difference_check_of_an_unfinished_exercise_says_so():
    def lstm_bptt(*args):
        raise NotImplementedError()
    assert _gradient_check_output(lstm_bptt) == "lstm_bptt: not implemented yet.\n"
    assert "run check('lstm_bptt', lstm_bptt) first" in _gradient_check_output(lambda *a: a[2])


def _check(exercise_id, name):
    variant = next(v for v in nb09.MUTANTS if v.exercise == exercise_id and v.name == name)
    out = io.StringIO()
    with warnings.catch_warnings(), redirect_stdout(out):
        warnings.simplefilter("ignore")
        exercises.check(exercise_id, function_of(variant, exercises.get(exercise_id).function))
    return out.getvalue()


@pytest.mark.parametrize("exercise_id, name, said", [
    ("lstm_cell_step_backward", "tanh-slope-c", "your output matches tanh'(c_t) written 1 - tanh(c_t)"),
    ("lstm_cell_step_backward", "forget-without-c-prev", "your output matches the forget gate's gradient without c_prev"),
    ("lstm_cell_step_backward", "dc-dropped", "your output matches dc from above left out"),
    ("lstm_cell_step_backward", "gates-ifoc", "your output matches z's blocks read in the order i, f, o, c"),
    ("lstm_cell_step_backward", "dbias-wrong-axis", "dbias: expected shape (8,), got (2,)"),
    ("lstm_cell_step_backward", "drecurrent-kernel-T", "drecurrent_kernel: expected shape (2, 8), got (8, 2)"),
    ("lstm_bptt", "loop-forwards", "your output matches the time loop run forwards"),
    ("lstm_bptt", "dh-next-dropped", "your output matches dh from step t + 1 not added to dy[:, t]"),
    ("lstm_bptt", "float64-for-float32", "dx: expected dtype float32 (the inputs' dtype), got float64"),
])
def test_a_backward_mistake_is_named(exercise_id, name, said):
    assert said in _check(exercise_id, name)


@pytest.mark.parametrize("exercise_id, name", [
    ("lstm_cell_step_backward", "sigmoid-slope-missing"), ("lstm_cell_step_backward", "dh-prev-missing"),
    ("lstm_bptt", "dc-not-carried"), ("lstm_bptt", "initial-state-ignored")])
def test_another_backward_mistake_is_never_taken_for_a_known_one(exercise_id, name):
    assert "your output matches" not in _check(exercise_id, name)
