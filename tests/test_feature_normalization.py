"""GroupNormalization, Normalization (adapt, invert) and Rescaling against tf.keras and TF1 code."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES, assert_report_ok

LAYERS = ["GroupNormalization", "Normalization", "Rescaling"]
CASES = [(n, c) for n in LAYERS for c in families.get(n).cases]


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    result = gradient_check(layer, make_input(case.input_shape, "float64", seed=91))
    assert result.ok, "\n" + result.to_text()


@pytest.mark.parametrize("axis", [-1, None, (1, 2)], ids=["last", "none", "axes-1-2"])
def test_adapt_gives_keras_s_statistics_and_output(axis, dtype):
    _, keras, _ = modules()
    data = make_input((20, 3, 4), dtype, seed=92) * 3 + 1
    layer = kit.layers.Normalization(axis=axis, dtype=dtype)
    layer.adapt([data[:7], data[7:]])                  # two batches, merged as Keras merges them
    twin = keras.layers.Normalization(axis=axis, dtype=dtype)
    twin.adapt(data)
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.get_weights()]
    # mean and variance; Keras 3's adapt leaves its third weight, count, at 0 (the kit counts)
    for ours, theirs in zip(layer.get_weights()[:2], twin.get_weights()[:2]):
        np.testing.assert_allclose(ours, theirs, rtol=TOLERANCES[dtype] * 10)
    x = make_input((2, 3, 4), dtype, seed=93)
    _, rel = errors(layer(x), np.asarray(twin(x)))
    assert rel <= TOLERANCES[dtype] * 10


def test_invert_undoes_normalization():
    data = make_input((30, 3), "float64", seed=94) * 2 + 5
    forward = kit.layers.Normalization(dtype="float64")
    forward.adapt(data)
    inverse = kit.layers.Normalization(mean=forward.adapt_mean.copy(), variance=forward.adapt_variance.copy(),
                                       invert=True, dtype="float64")
    np.testing.assert_allclose(inverse(forward(data)), data, rtol=1e-12)


def test_group_normalization_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match=r"\(GroupNormalization\): 4 groups must divide the 6 channels.*\(2, 3, 6\)"):
        kit.layers.GroupNormalization(groups=4)(np.zeros((2, 3, 6)))


def test_group_normalization_weights_load_from_keras():
    _, keras, _ = modules()
    twin = keras.layers.GroupNormalization(groups=2, gamma_initializer="random_normal")
    x = make_input((2, 5, 4), "float32", seed=95)
    expected = np.asarray(twin(x))
    layer = kit.layers.GroupNormalization(groups=2)
    layer.build(x.shape)
    layer.set_weights(twin.get_weights())
    _, rel = errors(layer(x), expected)
    assert rel <= TOLERANCES["float32"]


@pytest.mark.parametrize("name, kwargs", [("GroupNormalization", {"groups": 2}), ("Normalization", {}),
                                          ("Rescaling", {"scale": 0.5})])
def test_config_keys_are_keras_s(name, kwargs):
    _, keras, _ = modules()
    assert set(getattr(kit.layers, name)(**kwargs).get_config()) == \
        set(getattr(keras.layers, name)(**kwargs).get_config())


def test_rescaling_float64_rounds_a_python_scale_through_float32_as_keras_does():
    x = make_input((3, 4), "float64", seed=96)
    y = kit.layers.Rescaling(1 / 255.0, dtype="float64")(x)
    np.testing.assert_array_equal(y, x * np.float64(np.float32(1 / 255.0)))
    _, rel = errors(y, x / 255.0)
    assert 1e-9 < rel < 1e-7           # the exact product differs: float32 rounding of 1/255
