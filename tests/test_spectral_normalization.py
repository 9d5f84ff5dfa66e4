"""SpectralNormalization against tf.keras.layers.SpectralNormalization.

Every registered case (reference/keras3_additions.py) starts the kit and Keras from the same
weights, vector_u included, and compares the output, dx, every weight gradient and vector_u
after the call, in float32 (1e-5) and float64 (1e-10). Beyond the one call: several training
calls in a row (u and the kernel evolve), the spectral norm reaching 1 checked with NumPy's
SVD (not with the code under test), Keras's weight order, and the errors.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels.spectral_normalization import spectral_normalize
from tflearn_kit.reference import all_twins
from tflearn_kit.reference.runners import keras_twin
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES, assert_report_ok

L = kit.layers
CASES = all_twins()["SpectralNormalization"].cases


def wrapped(layer, power_iterations=1, dtype="float32"):
    return L.SpectralNormalization(layer, power_iterations=power_iterations, dtype=dtype)


@pytest.mark.parametrize("case, dtype", [pytest.param(c, d, id=f"{c.name}-{d}") for c in CASES
                                         for d in c.dtypes])
def test_matches_keras(case, dtype):
    report = compare_case("SpectralNormalization", case, dtype)
    quantities = {r["quantity"] for r in report.rows if r["api"] == "tf.keras"}
    expected = {"output", "dx", "dkernel", "vector_u after"}
    if case.config["layer"]["config"].get("use_bias", True):
        expected.add("dbias")
    assert quantities == expected
    assert_report_ok(report)


@pytest.mark.parametrize("make, shape", [
    (lambda d: L.Dense(3, bias_initializer="random_normal", dtype=d), (4, 5)),
    (lambda d: L.Conv2D(2, 3, padding="same", dtype=d), (2, 4, 4, 3)),
], ids=["Dense", "Conv2D"])
def test_several_training_calls_match_keras(make, shape, dtype):
    tf, _, _ = modules()
    layer = wrapped(make(dtype), power_iterations=2, dtype=dtype)
    x = make_input(shape, dtype, seed=11)
    layer.build(x.shape)
    twin = keras_twin(layer, x.shape, layer.get_weights())
    for step in range(4):
        ours = layer(x, training=True)
        theirs = twin(tf.constant(x), training=True)
        pairs = [("output", ours, theirs.numpy())] + [
            (name, w, v.numpy()) for name, w, v in zip(layer.weight_names, layer.weights, twin.weights)]
        for what, a, b in pairs:
            _, rel = errors(a, b)
            assert rel <= TOLERANCES[dtype], f"step {step}, {what}: {rel:.1e}"


def test_training_brings_the_spectral_norm_to_one_by_numpys_svd():
    rng = np.random.default_rng(3)
    layer = wrapped(L.Conv2D(4, 2, dtype="float64"), power_iterations=5, dtype="float64")
    x = rng.standard_normal((1, 3, 3, 2))
    layer.build(x.shape)
    layer.layer.kernel[...] = 3 * rng.standard_normal(layer.layer.kernel.shape)
    before = np.linalg.svd(layer.layer.kernel.reshape(-1, 4), compute_uv=False)[0]
    for _ in range(10):
        layer(x, training=True)
    after = np.linalg.svd(layer.layer.kernel.reshape(-1, 4), compute_uv=False)[0]
    assert before > 2 and abs(after - 1) < 1e-9


def test_inference_leaves_the_kernel_and_u_alone_and_a_zero_kernel_is_skipped():
    layer = wrapped(L.Dense(3, kernel_initializer="zeros"))
    x = make_input((2, 4), "float32", seed=12)
    layer(x, training=True)
    assert not layer.kernel.any()                      # Keras skips an all-zero kernel too
    dense = wrapped(L.Dense(3))
    dense(x, training=False)
    before = [w.copy() for w in dense.weights]
    dense(x, training=False)
    for a, b in zip(before, dense.weights):
        np.testing.assert_array_equal(a, b)


def test_power_iteration_estimates_the_top_singular_value():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((6, 4))
    u, normalized = spectral_normalize(w, rng.standard_normal((1, 4)), iterations=60)
    np.testing.assert_allclose(np.linalg.svd(normalized, compute_uv=False)[0], 1, atol=1e-10)


@pytest.mark.parametrize("make, shape", [
    (lambda: L.Dense(3, activation="tanh", bias_initializer="random_normal", dtype="float64"), (4, 5)),
    (lambda: L.Conv1D(2, 3, dtype="float64"), (2, 6, 3)),
], ids=["Dense-tanh", "Conv1D"])
def test_gradient_check_at_the_normalized_kernel(make, shape):
    # the gradient is the wrapped layer's at the normalized kernel (Keras assigns it before the
    # call): normalize with one training call, then check at inference, where the call is pure
    layer = wrapped(make(), dtype="float64")
    x = make_input(shape, "float64", seed=13)
    layer(x, training=True)
    report = gradient_check(layer, x, training=False)
    assert report.ok, report.to_text()


def test_weights_load_from_keras_in_keras_order():
    _, keras, _ = modules()
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(3, bias_initializer="ones"))
    theirs.build((None, 4))
    ours = wrapped(L.Dense(3))
    ours.build((None, 4))
    ours.set_weights(theirs.get_weights())
    assert [n.split("/")[-1] for n in ours.weight_names] == ["kernel", "vector_u", "bias"] == [
        w.path.split("/")[-1] for w in theirs.weights]
    assert ours.trainable_weight_names == ["kernel", "bias"]
    assert ours.count_params() == theirs.count_params()
    np.testing.assert_array_equal(ours.layer.bias, 1)


def test_config_round_trips():
    layer = wrapped(L.Conv2D(2, 3, name="inner"), power_iterations=3)
    again = L.SpectralNormalization.from_config(layer.get_config())
    assert again.power_iterations == 3 and isinstance(again.layer, L.Conv2D)
    assert again.layer.get_config() == layer.layer.get_config()


def test_bad_arguments_and_inputs_name_the_layer():
    with pytest.raises(ValueError, match="power_iterations must be an integer greater than zero"):
        wrapped(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="must be a kit layer"):
        L.SpectralNormalization("dense")
    layer = L.SpectralNormalization(L.Flatten(), name="sn")
    with pytest.raises(ValueError, match=r"'sn' \(SpectralNormalization\): Flatten has no attribute "
                                         r"'kernel' nor 'embeddings'"):
        layer(np.zeros((2, 3)))
    dense = L.SpectralNormalization(L.Dense(2), name="sn2")
    dense(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"'sn2' \(SpectralNormalization\).*\(batch, \.\.\., 3\).*\(2, 4\)"):
        dense(np.zeros((2, 4)))
