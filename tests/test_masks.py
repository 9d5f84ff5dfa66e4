"""Masks: the layers Keras lets take one honour it; the others say so instead of ignoring it."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES


def test_global_average_pooling1d_mask_issue_example():
    y = kit.layers.GlobalAveragePooling1D()(np.array([[[1.0], [2.0], [3.0]]]),
                                            mask=np.array([[True, True, False]]))
    np.testing.assert_allclose(y, [[1.5]])


@pytest.mark.parametrize("data_format, keepdims", [("channels_last", False), ("channels_first", False),
                                                   ("channels_last", True)],
                         ids=["last", "first", "last-keepdims"])
def test_masked_global_average_pooling1d_matches_keras(data_format, keepdims, dtype):
    tf, keras, _ = modules()
    x = make_input((3, 5, 4), dtype, seed=51)
    mask = np.random.default_rng(52).random((3, 5 if data_format == "channels_last" else 4)) > 0.4
    mask[:, 0] = True                              # no row entirely masked (0/0 in both)
    layer = kit.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims, dtype=dtype)
    y = layer(x, mask=mask)
    dy = make_input(y.shape, dtype, seed=53)
    dx = layer.backward(dy)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = keras.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims,
                                                 dtype=dtype)(xt, mask=tf.constant(mask))
    dxt = tape.gradient(yt, xt, output_gradients=tf.constant(dy))
    for ours, theirs in ((y, yt), (dx, dxt)):
        _, rel = errors(ours, np.asarray(theirs))
        assert rel <= TOLERANCES[dtype]


def test_masked_global_average_pooling1d_gradient_check():
    mask = np.array([[True, False, True, True], [False, True, True, False]])

    class Masked(kit.layers.GlobalAveragePooling1D):
        def call(self, inputs, mask=None):
            return super().call(inputs, mask=MASK)

    MASK = mask
    result = gradient_check(Masked(dtype="float64"), make_input((2, 4, 3), "float64", seed=54))
    assert result.ok, "\n" + result.to_text()


@pytest.mark.parametrize("layer", [kit.layers.Flatten(), kit.layers.Conv1D(2, 2),
                                   kit.layers.GlobalMaxPooling1D()],
                         ids=["Flatten", "Conv1D", "GlobalMaxPooling1D"])
def test_a_layer_that_cannot_use_a_mask_says_so(layer):
    with pytest.raises(ValueError, match=f"\\({type(layer).__name__}\\) cannot use a mask"):
        layer(np.ones((2, 3, 4)), mask=np.ones((2, 3), bool))


def test_layers_that_carry_a_mask_pass_it_on():
    mask = np.array([[True, False, True]])
    for layer in (kit.layers.Dense(2), kit.layers.Dropout(0.5), kit.layers.Activation("relu"),
                  kit.layers.PReLU(), kit.layers.ELU(), kit.layers.BatchNormalization()):
        layer(np.ones((1, 3, 4)), mask=mask)
        np.testing.assert_array_equal(layer.output_mask, mask)


def test_a_model_drops_a_mask_at_a_layer_that_cannot_use_it_as_keras_does():
    inputs = kit.models.Input((4,), dtype="int64")
    h = kit.layers.Embedding(10, 3, mask_zero=True)(inputs)
    h = kit.layers.Flatten()(h)
    model = kit.models.Model(inputs, kit.layers.Dense(2)(h))
    assert model.predict(np.array([[1, 2, 0, 0]]), verbose=0).shape == (1, 2)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_spatial_dropout1d_rejects_rank2_as_keras_does(training):
    _, keras, _ = modules()
    with pytest.raises(ValueError):
        keras.layers.SpatialDropout1D(0.5)(np.ones((2, 3), "float32"), training=training)
    with pytest.raises(ValueError, match=r"\(SpatialDropout1D\) expected an input of shape.*rank 3.*\(2, 3\)"):
        kit.layers.SpatialDropout1D(0.5)(np.ones((2, 3)), training=training)
