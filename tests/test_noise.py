"""The noise layers: identity at inference (both APIs); in training, TensorFlow's own draw
replayed in the kit (read back from TF's output), then output and dx compared."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES, assert_report_ok

LAYERS = ["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout3D", "ActivityRegularization"]
CASES = [(n, c) for n in LAYERS for c in families.get(n).cases]


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_inference_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


def keras_training_run(keras_layer, x, dy):
    tf, _, _ = modules()
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = keras_layer(xt, training=True)
    return np.asarray(y), np.asarray(tape.gradient(y, xt, output_gradients=tf.constant(dy)))


def assert_close(pairs, dtype):
    for ours, theirs in pairs:
        _, rel = errors(ours, theirs)
        assert rel <= TOLERANCES[dtype], rel


def test_gaussian_noise_training_on_tf_s_draw(dtype):
    _, keras, _ = modules()
    x, dy = make_input((4, 5), dtype, seed=101), make_input((4, 5), dtype, seed=102)
    y_tf, dx_tf = keras_training_run(keras.layers.GaussianNoise(0.7, seed=3, dtype=dtype), x, dy)
    layer = kit.layers.GaussianNoise(0.7, dtype=dtype)
    y = layer(x, training=True, noise=y_tf - x)
    assert_close([(y, y_tf), (layer.backward(dy), dx_tf)], dtype)
    assert 0.4 < np.std(y_tf - x) < 1.0                  # the draw is the stated noise


def test_gaussian_dropout_training_on_tf_s_draw(dtype):
    _, keras, _ = modules()
    x, dy = make_input((6, 5), dtype, seed=103), make_input((6, 5), dtype, seed=104)
    y_tf, dx_tf = keras_training_run(keras.layers.GaussianDropout(0.3, seed=3, dtype=dtype), x, dy)
    layer = kit.layers.GaussianDropout(0.3, dtype=dtype)
    y = layer(x, training=True, noise=y_tf / x)
    assert_close([(y, y_tf), (layer.backward(dy), dx_tf)], dtype)


@pytest.mark.parametrize("noise_shape", [None, (None, 1)], ids=["elementwise", "noise-shape"])
def test_alpha_dropout_training_on_tf_s_draw(noise_shape, dtype):
    _, keras, _ = modules()
    x, dy = make_input((6, 5), dtype, seed=105), make_input((6, 5), dtype, seed=106)
    y_tf, dx_tf = keras_training_run(
        keras.layers.AlphaDropout(0.3, noise_shape=noise_shape, seed=3, dtype=dtype), x, dy)
    layer = kit.layers.AlphaDropout(0.3, noise_shape=noise_shape, dtype=dtype)
    _, a, b = layer._affine()
    dropped_value = a * layer._affine()[0] + b            # what a dropped element becomes
    keep = ~np.isclose(y_tf, dropped_value, rtol=0, atol=1e-6)
    assert 0 < keep.mean() < 1
    y = layer(x, training=True, keep_mask=keep)
    assert_close([(y, y_tf), (layer.backward(dy), dx_tf)], dtype)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout3d_training_on_tf_s_mask(data_format, dtype):
    _, keras, _ = modules()
    x, dy = make_input((2, 3, 2, 2, 4), dtype, seed=107), make_input((2, 3, 2, 2, 4), dtype, seed=108)
    y_tf, dx_tf = keras_training_run(keras.layers.SpatialDropout3D(0.5, data_format=data_format,
                                                                   seed=1, dtype=dtype), x, dy)
    layer = kit.layers.SpatialDropout3D(0.5, data_format=data_format, dtype=dtype)
    y = layer(x, training=True, keep_mask=y_tf != 0)
    assert_close([(y, y_tf), (layer.backward(dy), dx_tf)], dtype)
    kept = (y_tf != 0).reshape(2, 3, -1, 4) if data_format == "channels_last" else (y_tf != 0)
    assert kept.any() and not kept.all()


def test_activity_regularization_loss_and_gradient_match_keras(dtype):
    tf, keras, _ = modules()
    x, dy = make_input((3, 4), dtype, seed=109), make_input((3, 4), dtype, seed=110)
    layer = kit.layers.ActivityRegularization(l1=0.01, l2=0.02, dtype=dtype)
    layer(x)
    twin = keras.layers.ActivityRegularization(l1=0.01, l2=0.02, dtype=dtype)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = twin(xt)
        total = tf.reduce_sum(y * dy) + tf.add_n(twin.losses)
    assert_close([(sum(layer.losses), np.asarray(tf.add_n(twin.losses))),
                  (layer.backward(dy), np.asarray(tape.gradient(total, xt)))], dtype)


@pytest.mark.parametrize("layer", [kit.layers.GaussianDropout(0.3, dtype="float64"),
                                   kit.layers.AlphaDropout(0.3, dtype="float64")],
                         ids=["GaussianDropout", "AlphaDropout"])
def test_gradient_check_with_a_fixed_draw(layer):
    x = make_input((3, 4), "float64", seed=111)
    draw = np.random.default_rng(5)
    fixed = ({"noise": 1 + draw.standard_normal(x.shape) * 0.6} if isinstance(layer, kit.layers.GaussianDropout)
             else {"keep_mask": draw.random(x.shape) >= 0.3})
    call = layer.call
    layer.call = lambda inputs, training=None, **kw: call(inputs, training=True, **fixed)
    result = gradient_check(layer, x)
    assert result.ok, "\n" + result.to_text()


@pytest.mark.parametrize("name, kwargs", [("GaussianNoise", {"stddev": 0.1}), ("GaussianDropout", {"rate": 0.1}),
                                          ("AlphaDropout", {"rate": 0.1}), ("SpatialDropout3D", {"rate": 0.1}),
                                          ("ActivityRegularization", {"l1": 0.1})])
def test_config_keys_are_keras_s(name, kwargs):
    _, keras, _ = modules()
    assert set(getattr(kit.layers, name)(**kwargs).get_config()) == \
        set(getattr(keras.layers, name)(**kwargs).get_config())
