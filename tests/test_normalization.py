"""BatchNormalization and LayerNormalization against tf.keras and tf.compat.v1.layers.batch_normalization.

Output, dx, dgamma, dbeta, and for BatchNormalization the moving statistics after
one step (compare()'s "after" rows) and after several training steps.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import TOLERANCES, compare, errors, make_input, moving_statistics_after_steps
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels.normalization import moments
from tflearn_kit.reference.normalization import moving_average_tf1

from .conftest import assert_report_ok
from .registry_grid import grid

RANDOM_INIT = {"gamma_initializer": "random_normal", "beta_initializer": "random_normal",
               "moving_mean_initializer": "random_normal"}


@grid("BatchNormalization")
def test_batch_normalization_matches_both_tf_apis(name, case, dtype):
    kit.set_seed(0)         # the weights: the same draw whichever tests ran before
    layer = kit.layers.BatchNormalization(**case.config, dtype=dtype)
    report = compare(layer, make_input(case.input_shape, dtype, seed=3), training=case.training)
    quantities = {r["quantity"] for r in report.rows}
    assert {"output", "dx", "moving_mean after", "moving_variance after"} <= quantities
    assert ("dgamma" in quantities) == case.config.get("scale", True)
    assert ("dbeta" in quantities) == case.config.get("center", True)
    assert {r["api"] for r in report.rows} == {"tf.keras", "tf.layers"}
    assert_report_ok(report)


def test_training_moves_the_moving_statistics_and_inference_does_not():
    layer = kit.layers.BatchNormalization(momentum=0.9, dtype="float64")
    x = make_input((16, 3), "float64", seed=1) * 2 + 5
    layer(x, training=False)
    assert np.all(layer.moving_mean == 0) and np.all(layer.moving_variance == 1)
    layer(x, training=True)
    # by hand: 0.9 * 0 + 0.1 * mean; 0.9 * 1 + 0.1 * biased variance
    np.testing.assert_allclose(layer.moving_mean, 0.1 * x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(layer.moving_variance, 0.9 + 0.1 * x.var(0), rtol=1e-14)


STEPS = {"dense-momentum0.99": ((8, 4), {}),
         "conv-momentum0.9": ((4, 3, 3, 2), {"momentum": 0.9}),
         "channels-first-momentum0.8": ((4, 2, 3, 3), {"axis": 1, "momentum": 0.8})}


@pytest.mark.parametrize("case", STEPS.values(), ids=STEPS.keys())
def test_moving_statistics_after_five_training_steps_match_keras(case, dtype):
    shape, config = case
    layer = kit.layers.BatchNormalization(**config, dtype=dtype)
    batches = [make_input(shape, dtype, seed=10 + i) * (1 + i) + i for i in range(5)]
    layer.build(shape)
    theirs = moving_statistics_after_steps(layer, batches, apis=("tf.keras",))["tf.keras"]
    for x in batches:
        layer(x, training=True)
    for name in ("moving_mean", "moving_variance"):
        _, rel = errors(getattr(layer, name), theirs[name])
        assert rel <= TOLERANCES[dtype], f"{name}: {rel:.1e}"


@pytest.mark.parametrize("case", STEPS.values(), ids=STEPS.keys())
def test_moving_statistics_after_five_training_steps_match_tf_layers(case, dtype):
    """tf.layers with UPDATE_OPS run at every step. In float64 its update uses a float32-rounded
    decay (moving_average_tf1); the kit's layer (Keras 3's update) agrees to float32 precision,
    and the kit's moments replayed through TF1's update agree to 1e-10."""
    shape, config = case
    layer = kit.layers.BatchNormalization(**config, dtype=dtype)
    batches = [make_input(shape, dtype, seed=10 + i) * (1 + i) + i for i in range(5)]
    layer.build(shape)
    theirs = moving_statistics_after_steps(layer, batches, apis=("tf.layers",))["tf.layers"]
    channel = layer.axis % len(shape)
    axes = tuple(a for a in range(len(shape)) if a != channel)
    replay = {"moving_mean": layer.moving_mean.copy(), "moving_variance": layer.moving_variance.copy()}
    for x in batches:
        layer(x, training=True)
        mean, variance, _ = moments(x, axes)
        replay["moving_mean"] = moving_average_tf1(replay["moving_mean"], mean.reshape(-1),
                                                   layer.momentum)
        replay["moving_variance"] = moving_average_tf1(replay["moving_variance"],
                                                       variance.reshape(-1), layer.momentum)
    for name in ("moving_mean", "moving_variance"):
        _, rel_layer = errors(getattr(layer, name), theirs[name])
        _, rel_replay = errors(replay[name], theirs[name])
        assert rel_layer <= TOLERANCES["float32"], f"{name}: {rel_layer:.1e}"
        assert rel_replay <= TOLERANCES[dtype], f"{name} (TF1 update): {rel_replay:.1e}"


def test_tf1_float64_decay_is_rounded_through_float32():
    """Why the float64 layer and tf.layers differ after steps with momentum 0.99: TF1's decay."""
    moving, batch = np.array([1.0]), np.array([3.0])
    keras3 = kit.kernels.normalization.moving_average(moving, batch, 0.99)
    tf1 = moving_average_tf1(moving, batch, 0.99)
    assert keras3[0] == pytest.approx(1.02, abs=1e-15)
    assert tf1[0] == 1 + 2 * float(np.float32(0.01))
    assert 1e-10 < abs(tf1[0] - keras3[0]) / 1.02 < 1e-8


def test_tf1_fused_kernel_updates_the_moving_variance_with_the_unbiased_variance():
    """TF1's default for 4-D inputs (fused=True) moves toward N / (N - 1) times the batch variance."""
    from tflearn_kit.reference.normalization import batch_normalization_tf1
    from tflearn_kit.reference.tf import modules
    tf, _, _ = modules()
    v1 = tf.compat.v1
    x = make_input((4, 3, 3, 2), "float32", seed=2)
    layer = kit.layers.BatchNormalization(momentum=0.5)
    layer.build(x.shape)
    init = {w.name: w.value.copy() for w in layer.weight_records}
    with tf.Graph().as_default() as graph:
        ph = v1.placeholder(tf.float32, x.shape)
        y = batch_normalization_tf1(layer, ph, True, lambda n: v1.constant_initializer(init[n]),
                                    fused=True)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            sess.run([y, v1.get_collection(v1.GraphKeys.UPDATE_OPS)], {ph: x})
            fused_var = sess.run([v for v in v1.global_variables() if "moving_variance" in v.name][0])
    n = x.size // 2
    biased = x.reshape(-1, 2).var(0)
    np.testing.assert_allclose(fused_var, 0.5 + 0.5 * biased * n / (n - 1), rtol=1e-5)
    layer(x, training=True)
    assert not np.allclose(layer.moving_variance, fused_var, rtol=1e-3)


def test_frozen_batch_normalization_runs_in_inference_mode_like_keras(dtype):
    """Keras 3: trainable=False means inference mode even with training=True (no update, no grads)."""
    layer = kit.layers.BatchNormalization(trainable=False, dtype=dtype, **RANDOM_INIT)
    x = make_input((6, 4), dtype, seed=4)
    report = compare(layer, x, training=True, apis=("tf.keras",))
    assert_report_ok(report)
    before = layer.moving_mean.copy()
    layer(x, training=True)
    np.testing.assert_array_equal(layer.moving_mean, before)
    assert layer.grads == [] and layer.trainable_weights == []


@grid("LayerNormalization")
def test_layer_normalization_matches_keras(name, case, dtype):
    kit.set_seed(0)         # the weights: the same draw whichever tests ran before
    layer = kit.layers.LayerNormalization(**case.config, dtype=dtype)
    report = compare(layer, make_input(case.input_shape, dtype, seed=6))
    assert any(r["api"] == "tf.layers" and "layer_norm" in r["note"] for r in report.rows)
    assert_report_ok(report)


GRADCHECK = {
    "bn-training-dense": (kit.layers.BatchNormalization, {**RANDOM_INIT}, (6, 3), True),
    "bn-training-conv-channels-first": (kit.layers.BatchNormalization, {"axis": 1, **RANDOM_INIT},
                                        (3, 2, 3, 4), True),
    "bn-inference": (kit.layers.BatchNormalization, RANDOM_INIT, (5, 3), False),
    "ln-last-axis": (kit.layers.LayerNormalization, {"gamma_initializer": "random_normal"},
                     (3, 5), False),
    "ln-axes-1-2": (kit.layers.LayerNormalization, {"axis": [1, 2]}, (2, 3, 4, 2), False),
}


@pytest.mark.parametrize("case", GRADCHECK.values(), ids=GRADCHECK.keys())
def test_normalization_gradient_check(case):
    """The full backward through the batch statistics (training) against finite differences.

    momentum=1 keeps the moving statistics still while the check calls the layer many times."""
    cls, config, shape, training = case
    if cls is kit.layers.BatchNormalization:
        config = {**config, "momentum": 1.0}
    layer = cls(**config, dtype="float64")
    result = gradient_check(layer, make_input(shape, "float64", seed=7), training=training)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


def test_regularizer_losses_and_gradients_match_keras():
    import keras
    import tensorflow as tf
    x = make_input((6, 3), "float64", seed=8)
    k = keras.layers.BatchNormalization(gamma_regularizer=keras.regularizers.L2(0.03),
                                        beta_regularizer=keras.regularizers.L1(0.02),
                                        gamma_initializer="random_normal",
                                        beta_initializer="random_normal", dtype="float64")
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        y = k(xt, training=True)
        loss = tf.reduce_sum(y) + tf.add_n(k.losses)
    expected = tape.gradient(loss, k.trainable_weights)
    layer = kit.layers.BatchNormalization(gamma_regularizer=kit.regularizers.L2(0.03),
                                          beta_regularizer=kit.regularizers.L1(0.02),
                                          dtype="float64")
    layer.build(x.shape)
    layer.set_weights([w.numpy() for w in k.weights[:2]] + [np.zeros(3), np.ones(3)])
    assert len(layer.losses) == len(k.losses) == 2
    np.testing.assert_allclose(layer.losses, [float(v) for v in k.losses], rtol=1e-14)
    y = layer(x, training=True)
    layer.backward(np.ones_like(y))
    for mine, theirs in zip(layer.grads, expected):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_weights_are_in_keras_order_with_keras_names():
    import keras
    layer = kit.layers.BatchNormalization()
    layer.build((None, 4))
    k = keras.layers.BatchNormalization()
    k.build((None, 4))
    assert [n.split("/")[-1] for n in layer.weight_names] == [w.name for w in k.weights]
    assert [n.split("/")[-1] for n in layer.weight_names] == [
        "gamma", "beta", "moving_mean", "moving_variance"]
    assert layer.count_params() == 16


@pytest.mark.parametrize("make, expected", [
    (lambda: kit.layers.BatchNormalization(name="bn")(np.zeros((2, 3))).shape
     and kit.layers.BatchNormalization(name="bn2", axis=3)(np.zeros((2, 3))), r"'bn2'.*axis 3"),
    (lambda: kit.layers.BatchNormalization(momentum=1.5), r"momentum must be in \[0, 1\]"),
    (lambda: kit.layers.LayerNormalization(axis="last"), r"axis must be an int or a list"),
    (lambda: kit.layers.LayerNormalization(axis=[1, 4], name="ln")(np.zeros((2, 3, 4))),
     r"'ln'.*axis \[1, 4\]"),
], ids=["bn-axis-out-of-range", "bn-momentum", "ln-axis-type", "ln-axis-out-of-range"])
def test_bad_arguments_are_clear_errors(make, expected):
    with pytest.raises(ValueError, match=expected):
        make()


def test_wrong_channel_count_after_build_names_the_layer_and_both_shapes():
    layer = kit.layers.BatchNormalization(name="bn")
    layer(np.zeros((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"'bn' \(BatchNormalization\).*got shape \(2, 4\)"):
        layer(np.zeros((2, 4)))


def test_large_off_center_batch_float32_stays_accurate():
    """100,000 rows with mean 10, std 3, float32. The kit accumulates its sums in float64
    (kernels/normalization.reduce_sum), so its statistics and output stay within 1e-5 of TF's
    and its dgamma within 1e-6 of the float64 truth. TF's own dgamma is ~2e-5 off that truth
    here: it differentiates x * inv + (beta - mean * inv), where sum(dy * x) - mean * sum(dy)
    cancels in float32. The kit does not reproduce that rounding (it is TF's error, not a
    different formula); this test records it."""
    from tflearn_kit.reference.runners import run_keras
    x = (np.random.default_rng(0).standard_normal((100_000, 8)) * 3 + 10).astype("float32")
    dy = np.random.default_rng(1).standard_normal(x.shape).astype("float32")
    layer = kit.layers.BatchNormalization(momentum=0.5, gamma_initializer="random_normal")
    layer.build(x.shape)
    ref = run_keras(layer, x, dy, training=True, weights=layer.get_weights())
    y = layer(x, training=True)
    dx = layer.backward(dy)
    for name, mine, theirs in (("output", y, ref["output"][0]), ("dx", dx, ref["dx"][0]),
                               ("moving_mean", layer.moving_mean, ref["weights_after"]["moving_mean"]),
                               ("moving_variance", layer.moving_variance,
                                ref["weights_after"]["moving_variance"])):
        assert errors(mine, theirs)[1] <= TOLERANCES["float32"], name
    exact_x = x.astype(np.float64)
    x_hat = (exact_x - exact_x.mean(0)) / np.sqrt(exact_x.var(0) + 1e-3)
    exact_dgamma = (dy * x_hat).sum(0)
    assert errors(layer.grads[0], exact_dgamma)[1] < 1e-6
    assert errors(ref["grads"]["gamma"], exact_dgamma)[1] > 1e-5        # TF's float32 cancellation


@pytest.mark.parametrize("layer", [
    kit.layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-2, center=False,
                                  gamma_regularizer="l2", name="bn_cfg"),
    kit.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, scale=False, name="ln_cfg"),
], ids=["batch-norm", "layer-norm"])
def test_config_round_trip_and_keras_accepts_it(layer):
    import keras
    from tflearn_kit.reference.runners import keras_config
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    twin = getattr(keras.layers, type(layer).__name__)(**keras_config(layer))
    assert twin.epsilon == layer.epsilon and twin.name == layer.name
