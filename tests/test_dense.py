"""Dense against tf.keras.layers.Dense and tf.compat.v1.layers.dense: output, dx, every weight gradient."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import all_twins, keras_twin

from .conftest import TOLERANCES, assert_report_ok
from .registry_grid import grid


@grid("Dense")
def test_dense_matches_both_tf_apis(name, case, dtype):
    """Every registered case (reference/core.py): the shapes and options, and each activation fused
    in. A random bias, so that adding it is checked too."""
    kit.set_seed(0)         # the weights: the same draw whichever tests ran before
    layer = kit.layers.Dense(**case.config, dtype=dtype, bias_initializer="random_normal")
    report = compare(layer, make_input(case.input_shape, dtype, seed=3))
    assert {r["api"] for r in report.rows} == {"tf.keras", "tf.layers"}
    for api in ("tf.keras", "tf.layers"):
        quantities = {r["quantity"] for r in report.rows if r["api"] == api}
        expected = {"output", "dx", "dkernel"} | ({"dbias"} if case.config.get("use_bias", True) else set())
        assert quantities == expected, api
    assert_report_ok(report)


def test_every_activation_has_a_dense_case():
    cases = {case.config.get("activation") for case in all_twins()["Dense"].cases}
    assert set(kit.activations.ALL) - cases == {"sparsemax"}   # tests/test_activations_keras.py


def test_set_weights_from_keras_gives_the_keras_output(dtype):
    """The promise of the kit: copy a Keras layer's weights in, get Keras's numbers out."""
    import tensorflow as tf
    import keras
    x = make_input((4, 6), dtype, seed=5)
    keras_dense = keras.layers.Dense(3, activation="elu", bias_initializer="random_normal", dtype=dtype)
    expected = keras_dense(tf.constant(x)).numpy()
    layer = kit.layers.Dense(3, activation="elu", dtype=dtype)
    layer.build(x.shape)
    layer.set_weights(keras_dense.get_weights())
    actual = layer(x)
    assert actual.dtype == np.dtype(dtype)
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(actual - expected)) <= TOLERANCES[dtype] * scale


def test_keras_twin_has_the_kit_weight_names_shapes_and_order():
    layer = kit.layers.Dense(3)
    layer.build((None, 4))
    twin = keras_twin(layer, (None, 4), layer.get_weights())
    assert [w.name for w in twin.weights] == ["kernel", "bias"]
    assert layer.weight_names == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.get_weights()]


@pytest.mark.parametrize("activation", ["linear", "tanh", "softmax", "gelu", "elu"])
def test_dense_gradient_check(activation):
    layer = kit.layers.Dense(4, activation=activation, dtype="float64", bias_initializer="random_normal")
    result = gradient_check(layer, make_input((3, 2, 5), "float64", seed=6))
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


def test_dense_backward_before_call_is_a_clear_error():
    with pytest.raises(RuntimeError, match="call the layer before backward"):
        kit.layers.Dense(2).backward(np.zeros((1, 2)))


@pytest.mark.parametrize("bad_shape, expected", [
    ((4, 6), r"\(batch, \.\.\., 5\)"),      # wrong feature count
    ((6,), r"rank >= 2"),                   # rank 1
], ids=["wrong-features", "rank1"])
def test_wrong_input_shape_names_the_layer_and_both_shapes(bad_shape, expected):
    layer = kit.layers.Dense(3, name="classifier")
    layer(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=expected) as info:
        layer(np.zeros(bad_shape))
    message = str(info.value)
    assert "'classifier'" in message and "Dense" in message
    assert str(bad_shape) in message


def test_rank1_input_to_unbuilt_dense_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'d1' \(Dense\).*rank >= 2.*got shape \(5,\)"):
        kit.layers.Dense(3, name="d1")(np.zeros(5))


def test_dense_loop_twin_equals_the_vectorized_kernel():
    from tflearn_kit.kernels.dense import dense_forward, dense_forward_loops
    g = np.random.default_rng(7)
    x, k, b = g.standard_normal((3, 4)), g.standard_normal((4, 2)), g.standard_normal(2)
    np.testing.assert_allclose(dense_forward_loops(x, k, b), dense_forward(x, k, b)[0], rtol=1e-12)


def test_float32_stays_float32_end_to_end():
    layer = kit.layers.Dense(3, activation="gelu")
    y = layer(np.ones((2, 4), dtype=np.float64))        # cast to the layer's dtype, as Keras does
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads)


def test_weights_are_in_keras_order_and_set_weights_is_in_place():
    layer = kit.layers.Dense(2)
    layer.build((None, 3))
    kernel = layer.kernel
    layer.set_weights([np.ones((3, 2)), np.full(2, 5.0)])
    assert layer.kernel is kernel and np.all(kernel == 1)
    assert np.all(layer.get_weights()[1] == 5)
    with pytest.raises(ValueError, match=r"weight 'dense.*/kernel' has shape \(3, 2\).*\(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.ones(2)])
    with pytest.raises(ValueError, match="expects 2 weights"):
        layer.set_weights([np.ones((3, 2))])


def test_config_round_trip_and_count_params():
    layer = kit.layers.Dense(4, activation="relu", kernel_regularizer="l2", name="d")
    clone = kit.layers.Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    layer.build((None, 3))
    assert layer.count_params() == 3 * 4 + 4


def test_regularizer_penalty_and_gradient_match_keras():
    import tensorflow as tf
    import keras
    x = make_input((4, 3), "float64", seed=8)
    k = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L1L2(0.01, 0.02),
                           activity_regularizer=keras.regularizers.L2(0.03), dtype="float64")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        y = k(xt)
        loss = tf.reduce_sum(y) + tf.add_n(k.losses)
    expected_grads = tape.gradient(loss, k.trainable_weights)
    layer = kit.layers.Dense(2, kernel_regularizer=kit.regularizers.L1L2(0.01, 0.02),
                             activity_regularizer="l2", dtype="float64")
    layer.activity_regularizer = kit.regularizers.L2(0.03)
    layer.build(x.shape)
    layer.set_weights(k.get_weights())
    y = layer(x)
    np.testing.assert_allclose(sum(layer.losses), float(tf.add_n(k.losses)), rtol=1e-12)
    layer.backward(np.ones_like(y))
    for mine, theirs in zip(layer.grads, expected_grads):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_build_alone_marks_the_layer_built_as_keras_does():
    class NoFlag(kit.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    layer = NoFlag()
    layer.build((None, 3))
    assert layer.built and layer.count_params() == 3


@pytest.mark.parametrize("cls_name, expected", [
    ("Dense", "dense"), ("Conv2D", "conv2d"), ("MaxPooling2D", "max_pooling2d"),
    ("SimpleRNN", "simple_rnn"), ("BatchNormalization", "batch_normalization"), ("LeakyReLU", "leaky_re_lu"),
])
def test_default_names_follow_keras(cls_name, expected):
    from tflearn_kit.layers.base import snake_case
    assert snake_case(cls_name) == expected
