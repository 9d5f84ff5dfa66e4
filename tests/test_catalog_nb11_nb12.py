"""The exercise checks of 11_tf1_to_tf2_migration and 12_custom_layers_and_transfer_learning.

Each check must pass a right answer (any right answer, not just the notebook's), fail
a plausible wrong one, and say "not implemented yet" for an untouched one. The PReLU
reference (Keras's own layer and TensorFlow's gradients) is also checked against the
formula written out in NumPy.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.grading import exercises
from tflearn_kit.grading.catalog import nb11_tf1_to_tf2_migration as nb11
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES


def _passes(exercise_id, fn, which="all"):
    return [r.passed for r in exercises.run_cases(exercises.get(exercise_id), fn, which)]


def test_notebooks_11_and_12_register_their_exercises_in_notebook_order():
    assert [e.id for e in exercises.for_notebook("11_tf1_to_tf2_migration")] == ["port_block", "train_bn"]
    assert [e.id for e in exercises.for_notebook("12_custom_layers_and_transfer_learning")] == \
        ["prelu_layer"]


# ---- port_block ----------------------------------------------------------------------------

def _keras_port(pool_padding="same", activation="relu"):
    _, keras, _ = modules()

    def port_block(x, kernel, bias):
        layers = [keras.layers.Conv2D(kernel.shape[-1], 3, padding="same", activation=activation),
                  keras.layers.MaxPooling2D(2, 2, padding=pool_padding),
                  keras.layers.Dropout(0.25)]
        model = keras.Sequential([keras.Input(x.shape[1:]), *layers])
        layers[0].set_weights([kernel, bias])
        return np.asarray(model(x, training=False))
    return port_block


def _kit_port(x, kernel, bias):
    """Another right answer: the same block in the kit."""
    layers = [kit.layers.Conv2D(kernel.shape[-1], 3, padding="same", activation="relu"),
              kit.layers.MaxPooling2D(2, 2, padding="same"), kit.layers.Dropout(0.25)]
    model = kit.models.Sequential(layers)
    model.build(x.shape)
    layers[0].set_weights([kernel, bias])
    return model.predict(x)


@pytest.mark.parametrize("answer, expected", [
    (_keras_port(), "all pass"),
    (_kit_port, "all pass"),
    (_keras_port(pool_padding="valid"), "odd sizes fail"),
    (_keras_port(activation=None), "all fail"),
], ids=["keras-port", "kit-port", "pool-padding-valid", "relu-forgotten"])
def test_port_block_check(answer, expected):
    results = dict(zip([c.name for c in exercises.get("port_block").cases("all")],
                       _passes("port_block", answer)))
    if expected == "all pass":
        assert all(results.values()), results
    elif expected == "odd sizes fail":
        assert not results["odd-7x7"] and results["8x8-1ch-16filters"], results
    else:
        assert not any(results.values()), results


# ---- train_bn ------------------------------------------------------------------------------

def _train_bn(fix):
    """The notebook's TF1 script; fix is None (the bug), "control_dependencies" or "run_together"."""
    tf, _, legacy = modules()
    v1 = tf.compat.v1

    def train_bn(x, y, w_hidden, w_out):
        with tf.Graph().as_default():
            images = v1.placeholder(tf.float64, (None, x.shape[1]))
            labels = v1.placeholder(tf.int64, (None,))
            training = v1.placeholder_with_default(False, ())
            h = legacy.dense(images, w_hidden.shape[1], use_bias=False,
                             kernel_initializer=v1.constant_initializer(w_hidden), name="hidden")
            h = legacy.batch_normalization(h, training=training, name="bn")
            logits = legacy.dense(tf.nn.relu(h), w_out.shape[1], use_bias=False,
                                  kernel_initializer=v1.constant_initializer(w_out), name="out")
            loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
            optimizer = v1.train.GradientDescentOptimizer(nb11.LEARNING_RATE)
            update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            if fix == "control_dependencies":
                with tf.control_dependencies(update_ops):
                    step = optimizer.minimize(loss)
            else:
                step = optimizer.minimize(loss)
            if fix == "run_together":          # another right fix: run them in the same step
                step = [step, update_ops]
            moving = [v for v in v1.global_variables() if "moving_" in v.name]
            with v1.Session() as sess:
                sess.run(v1.global_variables_initializer())
                for _ in range(nb11.STEPS):
                    sess.run(step, {images: x, labels: y, training: True})
                mean, variance = sess.run(moving)
                return mean, variance, sess.run(logits, {images: x})
    return train_bn


@pytest.mark.parametrize("fix", ["control_dependencies", "run_together"])
def test_train_bn_check_passes_a_right_fix(fix):
    assert all(_passes("train_bn", _train_bn(fix)))


def test_train_bn_check_fails_the_buggy_script():
    assert not any(_passes("train_bn", _train_bn(None)))


def test_train_bn_reference_moves_the_statistics_toward_the_batch():
    x, y, w_hidden, w_out = exercises.get("train_bn").visible[0].make()
    mean, variance, _ = nb11.train_bn_fixed(x, y, w_hidden, w_out)
    assert np.all(mean != 0) and np.all(variance != 1)


def test_untouched_exercises_say_not_implemented():
    def untouched(*args):
        raise NotImplementedError()
    for exercise_id in ("port_block", "train_bn", "prelu_layer"):
        results = exercises.run_cases(exercises.get(exercise_id), untouched)
        assert all(r.not_implemented for r in results)


# ---- prelu_layer -----------------------------------------------------------------------------

def _numpy_prelu(x, alpha, dy):
    y = np.maximum(x, 0) + alpha * np.minimum(x, 0)
    dx = dy * np.where(x > 0, 1.0, alpha)
    dalpha = (dy * np.minimum(x, 0)).reshape(-1, x.shape[-1]).sum(axis=0)
    return y, dx, dalpha


@pytest.mark.parametrize("case", exercises.get("prelu_layer").cases("all"),
                         ids=[c.name for c in exercises.get("prelu_layer").cases("all")])
def test_prelu_reference_equals_the_formula(case):
    x, alpha, dy = case.make()
    for mine, keras_value in zip(_numpy_prelu(x, alpha, dy), exercises.get("prelu_layer").reference(x, alpha, dy)):
        assert mine.shape == keras_value.shape
        assert np.max(np.abs(mine - keras_value)) <= TOLERANCES["float64"] * np.max(np.abs(keras_value))


def test_prelu_check_fails_a_dalpha_without_the_chain_rule():
    def wrong(x, alpha, dy):
        y, dx, _ = _numpy_prelu(x, alpha, dy)
        return y, dx, np.minimum(x, 0).reshape(-1, x.shape[-1]).sum(axis=0)
    assert all(_passes("prelu_layer", _numpy_prelu)) and not any(_passes("prelu_layer", wrong))
