"""Regularizers: L1, L2, L1L2 penalties and gradients equal to Keras's, and layer.losses on this family's layers."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import TOLERANCES, make_input

CONFIG = {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.02}}
PENALTIES = {
    "l1": (lambda k: k.regularizers.L1(0.01), lambda: kit.regularizers.L1(0.01)),
    "l2-0.003": (lambda k: k.regularizers.L2(0.003), lambda: kit.regularizers.L2(0.003)),
    "l1l2": (lambda k: k.regularizers.L1L2(l1=0.02, l2=0.07), lambda: kit.regularizers.L1L2(0.02, 0.07)),
    "l2-by-name": (lambda k: k.regularizers.get("l2"), lambda: kit.regularizers.get("l2")),
    "l1l2-from-config": (lambda k: k.regularizers.get(CONFIG), lambda: kit.regularizers.get(CONFIG)),
}


@pytest.mark.parametrize("case", PENALTIES.values(), ids=PENALTIES.keys())
def test_penalty_and_gradient_match_keras(case, dtype):
    import keras
    import tensorflow as tf
    make_keras, make_kit = case
    w = make_input((5, 4), dtype, seed=1)
    wt = tf.Variable(w)
    with tf.GradientTape() as tape:
        expected = make_keras(keras)(wt)
    expected_grad = tape.gradient(expected, wt).numpy()
    reg = make_kit()
    tolerance = TOLERANCES[dtype]
    assert abs(reg(w) - float(expected)) <= tolerance * abs(float(expected))
    assert np.max(np.abs(reg.grad(w) - expected_grad)) <= tolerance * np.max(np.abs(expected_grad))


def test_float64_penalty_uses_the_float32_rounded_factor_like_keras():
    import keras
    w = np.full(3, 1.0)
    expected = float(keras.regularizers.L2(0.003)(w.astype("float64")))
    assert kit.regularizers.L2(0.003)(w) == expected
    assert expected != 3 * 0.003


def _keras_losses(keras_layer, x, training):
    import tensorflow as tf
    keras_layer(tf.constant(x), training=training)
    return sorted(float(v) for v in keras_layer.losses)


LAYER_LOSSES = {
    "batchnorm-gamma-beta": (
        lambda L, R: L.BatchNormalization(gamma_regularizer=R.L2(0.05), beta_regularizer=R.L1(0.02),
                                          gamma_initializer="random_normal",
                                          beta_initializer="random_normal"), (6, 3), True),
    "layernorm-gamma": (
        lambda L, R: L.LayerNormalization(gamma_regularizer=R.L1L2(0.01, 0.02),
                                          gamma_initializer="random_normal"), (4, 5), False),
    "maxpool-activity": (
        lambda L, R: L.MaxPooling2D(2, activity_regularizer=R.L2(0.1)), (2, 4, 4, 3), False),
    "flatten-activity": (
        lambda L, R: L.Flatten(activity_regularizer=R.L1(0.03)), (3, 2, 5), False),
}


@pytest.mark.parametrize("case", LAYER_LOSSES.values(), ids=LAYER_LOSSES.keys())
def test_layer_losses_equal_keras(case, dtype):
    """Same weights, same input: the kit's layer.losses are Keras's, one per regularized tensor."""
    import keras
    make, shape, training = case
    x = make_input(shape, dtype, seed=2)
    layer = make(kit.layers, kit.regularizers)
    layer.dtype = dtype
    k = make(keras.layers, keras.regularizers)
    k.dtype_policy = keras.DTypePolicy(dtype)
    k.build(shape)
    layer.build(shape)
    layer.built = True
    if layer.weights:
        layer.set_weights(k.get_weights())
    layer(x, training=training)
    expected = _keras_losses(k, x, training)
    actual = sorted(float(v) for v in layer.losses)
    assert len(actual) == len(expected) > 0
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCES[dtype])


def test_layer_losses_are_in_keras_order():
    """Keras 3 lists the activity penalty first, then the weights' penalties in creation order."""
    import keras
    import tensorflow as tf
    x = make_input((4, 5), "float64", seed=4)
    k = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.01),
                           bias_regularizer=keras.regularizers.L1(0.02),
                           bias_initializer="random_normal",
                           activity_regularizer=keras.regularizers.L1(0.001), dtype="float64")
    k(tf.constant(x))
    layer = kit.layers.Dense(3, kernel_regularizer=kit.regularizers.L2(0.01),
                             bias_regularizer=kit.regularizers.L1(0.02),
                             activity_regularizer=kit.regularizers.L1(0.001), dtype="float64")
    layer.build(x.shape)
    layer.set_weights(k.get_weights())
    layer(x)
    np.testing.assert_allclose(layer.losses, [float(v) for v in k.losses], rtol=1e-12)


def test_regularization_gradient_is_added_in_backward():
    layer = kit.layers.LayerNormalization(gamma_regularizer=kit.regularizers.L2(0.5),
                                          gamma_initializer="random_normal", dtype="float64")
    x = make_input((3, 4), "float64", seed=3)
    y = layer(x)
    layer.backward(np.zeros_like(y))          # no data gradient: only the penalty's
    np.testing.assert_allclose(layer.grads[0], 2 * 0.5 * layer.gamma, rtol=1e-15)
    np.testing.assert_array_equal(layer.grads[1], 0)


@pytest.mark.parametrize("bad", ["l3", 0.01], ids=["unknown-name", "a-number"])
def test_bad_regularizer_is_a_clear_error(bad):
    with pytest.raises((ValueError, TypeError), match="regularizer"):
        kit.regularizers.get(bad)
