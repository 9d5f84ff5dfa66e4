"""Permute, RepeatVector, Identity, Masking and Lambda."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families
from tflearn_kit.reference.tf import modules

from .conftest import assert_report_ok

LAYERS = ["Permute", "RepeatVector", "Identity", "Masking"]
CASES = [(n, c) for n in LAYERS for c in families.get(n).cases]


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    # a padded step is a point where Masking jumps: any nudge unmasks it, so finite
    # differences only hold on ordinary inputs (the parity test covers padded steps)
    result = gradient_check(layer, make_input(case.input_shape, "float64", seed=81))
    assert result.ok, "\n" + result.to_text()


def test_masking_emits_keras_s_mask():
    _, keras, _ = modules()
    x = make_input((3, 5, 2), "float32", "padded-steps:0", seed=82)
    layer = kit.layers.Masking()
    layer(x)
    expected = np.asarray(keras.layers.Masking().compute_mask(x))
    np.testing.assert_array_equal(layer.output_mask, expected)


def test_masking_feeds_an_lstm_as_in_keras():
    _, keras, _ = modules()
    x = make_input((2, 6, 3), "float64", "padded-steps:0", seed=83)
    model = kit.models.Sequential([kit.models.Input((6, 3)), kit.layers.Masking(),
                                   kit.layers.LSTM(4, dtype="float64")])
    twin = keras.Sequential([keras.Input((6, 3)), keras.layers.Masking(),
                             keras.layers.LSTM(4, dtype="float64")])
    twin.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(twin(x)), rtol=0, atol=1e-10)


def test_lambda_forward_and_its_given_backward():
    layer = kit.layers.Lambda(np.square, backward=lambda dy, x, y: 2 * x * dy, dtype="float64")
    x = make_input((3, 4), "float64", seed=84)
    np.testing.assert_array_equal(layer(x), x ** 2)
    result = gradient_check(layer, x)
    assert result.ok


def test_lambda_without_backward_says_so():
    layer = kit.layers.Lambda(np.sin)
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(Lambda\) cannot take a gradient.*'sin'.*backward="):
        layer.backward(np.ones((2, 3)))


def test_lambda_arguments_and_output_shape():
    layer = kit.layers.Lambda(lambda x, k: x[:, :k], arguments={"k": 2})
    assert layer.compute_output_shape((None, 5)) == (None, 2)
    assert layer(np.ones((3, 5))).shape == (3, 2)


@pytest.mark.parametrize("make, shape, pattern", [
    (lambda: kit.layers.Permute((2, 1)), (2, 3), r"\(Permute\) expected an input of shape.*rank 3"),
    (lambda: kit.layers.RepeatVector(2), (2, 3, 4), r"\(RepeatVector\) expected an input of shape.*rank 2"),
], ids=["permute", "repeat"])
def test_bad_input_is_a_clear_error(make, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()(np.zeros(shape))


def test_permute_rejects_a_non_permutation():
    with pytest.raises(ValueError, match="Permute: dims must be a permutation"):
        kit.layers.Permute((1, 1))
