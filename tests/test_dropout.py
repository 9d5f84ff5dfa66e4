"""Dropout: identity at inference (registered cases), the shared-mask comparison in training, statistics."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, compare_dropout_shared_mask, make_input
from tflearn_kit.gradcheck import gradient_check

from .conftest import assert_report_ok
from .registry_grid import grid


@grid("Dropout")
def test_dropout_in_training_matches_both_tf_apis_on_their_own_mask(name, case, dtype):
    layer = kit.layers.Dropout(**case.config, dtype=dtype)
    x = make_input(case.input_shape, dtype, kind="positive", seed=1)   # no zeros: the mask is readable
    report = compare_dropout_shared_mask(layer, x)
    assert {(r["api"], r["quantity"]) for r in report.rows} == {
        (api, q) for api in ("tf.keras", "tf.layers") for q in ("output", "dx")}
    assert_report_ok(report)


@grid("Dropout")
def test_dropout_at_inference_is_the_identity_in_both_tf_apis(name, case, dtype):
    layer = kit.layers.Dropout(**case.config, dtype=dtype)
    x = make_input(case.input_shape, dtype, seed=2)
    assert_report_ok(compare(layer, x, training=False))
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer(x), x)                # training defaults to inference


@grid("SpatialDropout1D", "SpatialDropout2D")
def test_spatial_dropout_at_inference_is_the_identity_in_both_tf_apis(name, case, dtype):
    layer = getattr(kit.layers, name)(**case.config, dtype=dtype)
    x = make_input(case.input_shape, dtype, seed=2)
    report = compare(layer, x, training=False)
    assert {"output", "dx"} <= {r["quantity"] for r in report.rows if r["api"] == "tf.keras"}
    assert_report_ok(report)
    np.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9], ids=["rate0.1", "rate0.5", "rate0.9"])
def test_keep_fraction_and_scaling(rate):
    """About 1 - rate of the elements survive, each multiplied by exactly 1 / (1 - rate)."""
    layer = kit.layers.Dropout(rate, seed=0, dtype="float64")
    x = np.ones((200, 500))
    y = layer(x, training=True)
    kept = y != 0
    n = x.size
    # binomial: the fraction's standard deviation is sqrt(p (1 - p) / n); allow 5 of them
    assert abs(kept.mean() - (1 - rate)) < 5 * np.sqrt(rate * (1 - rate) / n)
    np.testing.assert_array_equal(np.unique(y[kept]), [1 / (1 - rate)])
    # the expected value is kept: the mean output is about the mean input
    assert abs(y.mean() - 1) < 5 * np.sqrt(rate / (1 - rate) / n)


def test_keep_fraction_of_tensorflow_matches_the_kit_rule():
    """Both sides drop about `rate` of the elements (same rule: keep where uniform >= rate)."""
    layer = kit.layers.Dropout(0.3, dtype="float64")
    x = make_input((100, 100), "float64", kind="positive", seed=3)
    report = compare_dropout_shared_mask(layer, x, apis=("tf.keras",))
    kept = float(report.notes[0].split("kept ")[1].split(" ")[0])
    assert abs(kept - 0.7) < 5 * np.sqrt(0.21 / x.size)


def test_backward_goes_through_the_same_mask():
    layer = kit.layers.Dropout(0.5, seed=1, dtype="float64")
    x = make_input((5, 6), "float64", seed=4)
    y = layer(x, training=True)
    dx = layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(dx != 0, y != 0)
    np.testing.assert_array_equal(dx[dx != 0], 2.0)


def test_gradient_check_on_a_fixed_mask():
    """With the mask held fixed, dropout is linear: centered differences agree to rounding."""
    mask = np.random.default_rng(5).random((4, 6)) >= 0.4

    class FixedMask(kit.layers.Dropout):
        def call(self, inputs, training=None, keep_mask=None):
            return super().call(inputs, training=training, keep_mask=mask)

    result = gradient_check(FixedMask(0.4, dtype="float64"), make_input((4, 6), "float64", seed=6),
                            training=True)
    assert result.ok and result.max_rel < 1e-7, "\n" + result.to_text()


def test_seeded_layers_repeat_and_unseeded_follow_the_global_seed():
    x = np.ones((4, 50))
    a = kit.layers.Dropout(0.5, seed=3)(x, training=True)
    b = kit.layers.Dropout(0.5, seed=3)(x, training=True)
    np.testing.assert_array_equal(a, b)
    kit.set_seed(11)
    c = kit.layers.Dropout(0.5)(x, training=True)
    kit.set_seed(11)
    d = kit.layers.Dropout(0.5)(x, training=True)
    np.testing.assert_array_equal(c, d)
    layer = kit.layers.Dropout(0.5, seed=3)
    assert not np.array_equal(layer(x, training=True), layer(x, training=True))   # a fresh mask per call


def test_float32_scale_is_tensorflows():
    """tf.nn.dropout computes 1 / (1 - rate) in Python, then casts: 1 / 0.7 rounded to float32."""
    layer = kit.layers.Dropout(0.3)
    y = layer(np.ones((1, 200), "float32"), training=True)
    assert y.dtype == np.float32
    assert set(np.unique(y)) == {np.float32(0), np.float32(1 / 0.7)}


@pytest.mark.parametrize("cls, shape, mask_shape", [
    (kit.layers.SpatialDropout1D, (3, 5, 4), (3, 1, 4)),
    (kit.layers.SpatialDropout2D, (3, 5, 6, 4), (3, 1, 1, 4)),
], ids=["spatial1d", "spatial2d"])
def test_spatial_dropout_drops_whole_channels(cls, shape, mask_shape):
    y = cls(0.5, seed=2, dtype="float64")(np.ones(shape), training=True)
    kept = y != 0
    per_channel = kept.reshape(shape[0], -1, shape[-1])
    assert np.all(per_channel.all(axis=1) | (~per_channel).all(axis=1))


@pytest.mark.parametrize("make, expected", [
    (lambda: kit.layers.Dropout(1.0), r"rate must be in \[0, 1\)"),
    (lambda: kit.layers.Dropout(0.5, noise_shape=(None, 1), name="dr")(np.ones((2, 3, 4)),
                                                                        training=True),
     r"'dr' \(Dropout\): noise_shape \(None, 1\) must have the input's rank, 3"),
], ids=["rate1", "noise-shape-rank"])
def test_bad_arguments_are_clear_errors(make, expected):
    with pytest.raises(ValueError, match=expected):
        make()


def test_config_round_trip_and_keras_accepts_it():
    import keras
    from tflearn_kit.reference.runners import keras_config
    layer = kit.layers.Dropout(0.25, noise_shape=(None, 1, 4), seed=3, name="dr")
    assert kit.layers.Dropout.from_config(layer.get_config()).get_config() == layer.get_config()
    twin = keras.layers.Dropout(**keras_config(layer))
    assert twin.rate == 0.25 and tuple(twin.noise_shape) == (None, 1, 4)
