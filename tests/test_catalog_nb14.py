"""The exercises of 14_architectures_from_the_pieces: references checked against Keras and TensorFlow
and against the kit's own kernels, and the notebook graded by `tflearn-kit grade`."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.grading import exercises
from tflearn_kit.kernels import resampling
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES
from .grading_corpus import grade_solution_release_and_edit

NB = "14_architectures_from_the_pieces"
NB14 = ["upsample_nearest_forward", "upsample_nearest_backward", "bidirectional_merge",
        "bidirectional_merge_backward", "group_norm_forward"]


def _cases(exercise_id):
    exercise = exercises.get(exercise_id)
    return [pytest.param(exercise, case, id=case.name) for case in exercise.cases("all")]


def _close(actual, expected):
    """Within the parity tolerance of the expected values' dtype, relative to their scale."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert np.max(np.abs(actual.astype(np.float64) - expected)) <= TOLERANCES[expected.dtype.name] * scale


def test_notebook_14_registers_its_exercises_in_notebook_order():
    assert [e.id for e in exercises.for_notebook(NB)] == NB14


# ---- the references are Keras's layers ------------------------------------------------------------

@pytest.mark.parametrize("exercise, case", _cases("upsample_nearest_forward"))
def test_upsample_reference_equals_keras_upsampling2d(exercise, case):
    _, keras, _ = modules()
    x, size = case.make()
    layer = keras.layers.UpSampling2D(size, dtype=x.dtype.name)
    _close(exercise.reference(x, size), np.asarray(layer(x)))


@pytest.mark.parametrize("exercise, case", _cases("upsample_nearest_backward"))
def test_upsample_backward_reference_equals_tf_gradient(exercise, case):
    tf, keras, _ = modules()
    dy, size = case.make()
    x = tf.Variable(np.zeros((dy.shape[0], dy.shape[1] // size[0], dy.shape[2] // size[1], dy.shape[3]),
                             dy.dtype))
    with tf.GradientTape() as tape:
        y = keras.layers.UpSampling2D(size, dtype=dy.dtype.name)(x)
    _close(exercise.reference(dy, size), tape.gradient(y, x, output_gradients=tf.constant(dy)).numpy())


def _keras_bidirectional(units, merge_mode, dtype):
    """A Keras Bidirectional whose forward layer outputs the first ``units`` features of each step and
    whose backward layer (going backwards) the last ``units``: linear SimpleRNNs with a selecting
    kernel and no recurrence, so the halves are chosen and what is tested is Keras's merge."""
    _, keras, _ = modules()
    common = dict(activation="linear", use_bias=False, return_sequences=True, dtype=dtype)
    layer = keras.layers.Bidirectional(
        keras.layers.SimpleRNN(units, **common),
        backward_layer=keras.layers.SimpleRNN(units, go_backwards=True, **common),
        merge_mode=merge_mode, dtype=dtype)
    layer.build((None, None, 2 * units))
    eye, zeros = np.eye(units, dtype=dtype), np.zeros((units, units), dtype)
    layer.forward_layer.set_weights([np.vstack([eye, zeros]), zeros])
    layer.backward_layer.set_weights([np.vstack([zeros, eye]), zeros])
    return layer


def _as_keras_input(y_forward, y_backward):
    """The input whose step t carries y_forward[t] and what the backward layer outputs when it reads step t."""
    return np.concatenate([y_forward, y_backward[:, ::-1]], axis=-1)


@pytest.mark.parametrize("exercise, case", _cases("bidirectional_merge"))
def test_merge_reference_equals_keras_bidirectional(exercise, case):
    y_f, y_b, mode = case.make()
    layer = _keras_bidirectional(y_f.shape[-1], mode, y_f.dtype.name)
    _close(exercise.reference(y_f, y_b, mode), np.asarray(layer(_as_keras_input(y_f, y_b))))


@pytest.mark.parametrize("exercise, case", _cases("bidirectional_merge_backward"))
def test_merge_backward_reference_equals_tf_gradients_through_keras_bidirectional(exercise, case):
    tf, _, _ = modules()
    d, y_f, y_b, mode = case.make()
    units = y_f.shape[-1]
    layer = _keras_bidirectional(units, mode, y_f.dtype.name)
    z = tf.Variable(_as_keras_input(y_f, y_b))
    with tf.GradientTape() as tape:
        merged = layer(z)
    dz = tape.gradient(merged, z, output_gradients=tf.constant(d)).numpy()
    dy_f, dy_b = exercise.reference(d, y_f, y_b, mode)
    _close(dy_f, dz[..., :units])
    _close(dy_b, dz[:, ::-1, units:])          # back into the order the backward layer produced


@pytest.mark.parametrize("exercise, case", _cases("group_norm_forward"))
def test_group_norm_reference_equals_keras_group_normalization(exercise, case):
    _, keras, _ = modules()
    x, gamma, beta, groups, epsilon = case.make()
    layer = keras.layers.GroupNormalization(groups=groups, epsilon=epsilon, dtype=x.dtype.name)
    layer.build(x.shape)
    layer.set_weights([gamma, beta])
    _close(exercise.reference(x, gamma, beta, groups, epsilon), np.asarray(layer(x)))


# ---- the references are what the kit computes -------------------------------------------------------

@pytest.mark.parametrize("exercise, case", _cases("upsample_nearest_backward"))
def test_upsample_references_equal_the_kits_kernels(exercise, case):
    dy, size = case.make()
    x = exercises.get("upsample_nearest_backward").reference(dy, size)
    y, cache = resampling.upsample_nearest_forward(x, size)
    np.testing.assert_array_equal(exercises.get("upsample_nearest_forward").reference(x, size), y)
    np.testing.assert_array_equal(resampling.upsample_nearest_backward(dy, cache)[0], exercise.reference(dy, size))


@pytest.mark.parametrize("exercise, case", _cases("bidirectional_merge_backward"))
def test_merge_references_equal_the_kits_bidirectional(exercise, case):
    d, y_f, y_b, mode = case.make()
    layer = kit.layers.Bidirectional(kit.layers.GRU(y_f.shape[-1], return_sequences=True), merge_mode=mode)
    layer._cache = (y_f, y_b[:, ::-1], 0)      # the halves as the kit's merge sees them: aligned in time
    dy_f, d_aligned = layer.merge_backward(d)
    expected_f, expected_b = exercise.reference(d, y_f, y_b, mode)
    _close(dy_f, expected_f)
    _close(d_aligned[:, ::-1], expected_b)


@pytest.mark.parametrize("exercise, case", _cases("group_norm_forward"))
def test_group_norm_reference_equals_the_kits_layer(exercise, case):
    x, gamma, beta, groups, epsilon = case.make()
    layer = kit.layers.GroupNormalization(groups=groups, epsilon=epsilon, dtype=x.dtype.name)
    layer.build(x.shape)
    layer.set_weights([gamma, beta])
    _close(layer(x), exercise.reference(x, gamma, beta, groups, epsilon))


def test_untouched_exercises_say_not_implemented():
    def untouched(*args):
        raise NotImplementedError()
    for exercise_id in NB14:
        assert all(r.not_implemented for r in exercises.run_cases(exercises.get(exercise_id), untouched, "all"))


# ---- the notebook, graded by `tflearn-kit grade` ----------------------------------------------------

def test_grade_full_marks_for_the_solution_zero_for_the_release_partial_for_an_unflipped_merge(tmp_path):
    rows = grade_solution_release_and_edit(tmp_path, NB, "bidirectional_merge",
                                           "y_backward[:, ::-1]", "y_backward", timeout=120)
    total = sum(e.points for e in exercises.for_notebook(NB))
    assert (float(rows["solution"]["score"]), rows["solution"]["reason"]) == (total, "full marks")
    assert float(rows["untouched"]["score"]) == 0
    merge = exercises.get("bidirectional_merge")
    assert float(rows["edited"]["score"]) == pytest.approx(total - merge.points, abs=1e-3)
    assert "bidirectional_merge: 0/9 cases passed" in rows["edited"]["reason"]
    assert "your output matches the backward half joined without flipping it in tim" in rows["edited"]["reason"]


# ---- the messages name what is wrong ----------------------------------------------------------------

def _check_output(capsys, exercise_id, mutant_name):
    from .mutants import function_of, nb14
    variant = next(v for v in nb14.MUTANTS if v.exercise == exercise_id and v.name == mutant_name)
    exercises.FAILURES.clear()
    exercises.check(exercise_id, function_of(variant, exercises.get(exercise_id).function))
    return capsys.readouterr().out


@pytest.mark.parametrize("exercise_id, mutant, said", [
    ("upsample_nearest_forward", "tile", "your output matches the whole image tiled (np.tile)"),
    ("upsample_nearest_forward", "kron-float64", "expected dtype float32 (the inputs' dtype), got float64"),
    ("upsample_nearest_backward", "strided-pick", "your output matches one value of each block"),
    ("upsample_nearest_backward", "block-mean", "your output matches the block's mean instead of its sum"),
    ("upsample_nearest_backward", "in-place", "changed its input dy in place"),
    ("bidirectional_merge", "not-reversed", "your output matches the backward half joined without flipping it"),
    ("bidirectional_merge", "halves-swapped", "your output matches the halves concatenated backward first"),
    ("bidirectional_merge_backward", "not-reversed", "dy_backward: shape (2, 3, 4) is right"),
    ("bidirectional_merge_backward", "mul-own-half", "your output matches mul's gradient computed from the half itself"),
    ("bidirectional_merge_backward", "swapped-return", "dy_forward and dy_backward look swapped"),
    ("group_norm_forward", "interleaved-groups", "your output matches channel c put in group c % groups"),
    ("group_norm_forward", "over-batch", "your output matches the statistics taken over the batch too"),
    ("group_norm_forward", "in-place", "changed its input x in place"),
])
def test_a_mistake_is_named_at_once(capsys, exercise_id, mutant, said):
    out = _check_output(capsys, exercise_id, mutant)
    assert said in out, out
    assert f"Look at: {exercises.get(exercise_id).look}" in out


@pytest.mark.parametrize("exercise_id, mutant", [
    ("upsample_nearest_backward", "tile-gradient"), ("bidirectional_merge", "flip-units"),
    ("bidirectional_merge_backward", "ave-without-half"), ("group_norm_forward", "unbiased-variance"),
])
def test_another_mistake_is_never_taken_for_a_known_one(capsys, exercise_id, mutant):
    assert "your output matches" not in _check_output(capsys, exercise_id, mutant)
