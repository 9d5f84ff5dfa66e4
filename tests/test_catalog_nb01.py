"""The references of 01_layer_anatomy's exercises, checked against Keras and TensorFlow."""
import numpy as np
import pytest

from tflearn_kit.grading import exercises
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

NB01 = ["dense_param_count", "square_forward", "square_backward"]


def _cases(exercise_id):
    exercise = exercises.get(exercise_id)
    return [pytest.param(exercise, case, id=f"{exercise_id}-{case.name}") for case in exercise.cases("all")]


def test_notebook_01_registers_its_exercises_in_notebook_order():
    assert [e.id for e in exercises.for_notebook("01_layer_anatomy")] == NB01


@pytest.mark.parametrize("exercise, case", _cases("dense_param_count"))
def test_param_count_reference_equals_keras_count_params(exercise, case):
    _, keras, _ = modules()
    input_shape, units, use_bias = case.make()
    layer = keras.layers.Dense(units, use_bias=use_bias)
    layer.build(input_shape)
    assert exercise.reference(input_shape, units, use_bias) == layer.count_params()


@pytest.mark.parametrize("exercise, case", _cases("square_forward"))
def test_square_reference_equals_tf_square(exercise, case):
    tf, _, _ = modules()
    (x,) = case.make()
    np.testing.assert_array_equal(exercise.reference(x.copy()), tf.square(tf.constant(x)).numpy())


@pytest.mark.parametrize("exercise, case", _cases("square_backward"))
def test_square_backward_reference_equals_tf_gradient(exercise, case):
    tf, _, _ = modules()
    dy, x = case.make()
    x_t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        y = tf.square(x_t)
    expected = tape.gradient(y, x_t, output_gradients=tf.constant(dy)).numpy()
    actual = exercise.reference(dy.copy(), x.copy())
    assert np.max(np.abs(actual - expected)) <= TOLERANCES["float64"] * np.max(np.abs(expected))


def test_a_wrong_answer_fails_and_an_unfinished_one_says_so():
    exercise = exercises.get("square_backward")

    def forgot_the_chain_rule(dy, x):
        return 2 * x

    def unfinished(dy, x):
        raise NotImplementedError()

    assert not any(r.passed for r in exercises.run_cases(exercise, forgot_the_chain_rule, "all"))
    assert all(r.not_implemented for r in exercises.run_cases(exercise, unfinished, "all"))
