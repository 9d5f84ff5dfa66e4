"""Initializers: Keras 3's formulas (checked by the statistics of large draws, against Keras's own draws)."""
import math

import numpy as np
import pytest

from tflearn_kit import initializers

SHAPES = {"dense": (300, 200), "conv": (3, 3, 32, 48)}

# name -> expected std as a function of (fan_in, fan_out), and whether the draw is bounded
FORMULAS = {
    "glorot_uniform": lambda fi, fo: math.sqrt(2 / (fi + fo)),
    "glorot_normal": lambda fi, fo: math.sqrt(2 / (fi + fo)),
    "he_uniform": lambda fi, fo: math.sqrt(2 / fi),
    "he_normal": lambda fi, fo: math.sqrt(2 / fi),
    "lecun_uniform": lambda fi, fo: math.sqrt(1 / fi),
    "lecun_normal": lambda fi, fo: math.sqrt(1 / fi),
    "random_normal": lambda fi, fo: 0.05,
    "random_uniform": lambda fi, fo: 0.1 / math.sqrt(12),
    "truncated_normal": lambda fi, fo: 0.05 * 0.87962566103423978,
}


def keras_draw(name, shape, seed=1):
    import keras
    keras.utils.set_random_seed(seed)            # every draw seeded, Keras's too
    return np.asarray(keras.initializers.get(name)(shape, dtype="float64"))


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("name", FORMULAS)
def test_statistics_match_keras_and_the_formula(name, shape):
    ours = initializers.get(name)(shape, "float64")
    theirs = keras_draw(name, shape)
    fan_in, fan_out = initializers.compute_fans(shape)
    expected_std = FORMULAS[name](fan_in, fan_out)
    n = ours.size
    # the standard error of a sample std is about std / sqrt(2 n); allow 6 of them
    assert abs(ours.std() - expected_std) < 6 * expected_std / math.sqrt(2 * n)
    assert abs(ours.std() - theirs.std()) < 12 * expected_std / math.sqrt(2 * n)
    assert abs(ours.mean()) < 6 * expected_std / math.sqrt(n)
    if "uniform" in name:
        assert np.abs(ours).max() <= math.sqrt(3) * expected_std + 1e-12
        assert np.abs(theirs).max() <= math.sqrt(3) * expected_std + 1e-12
    if "truncated" in name or name.endswith("_normal") and name != "random_normal":
        bound = 2 * expected_std / 0.87962566103423978
        assert np.abs(ours).max() <= bound + 1e-12
        assert np.abs(theirs).max() <= bound + 1e-7


def test_fans_follow_keras():
    import keras
    from keras.src.initializers.random_initializers import compute_fans as keras_fans
    assert keras is not None
    for shape in [(5,), (4, 6), (3, 3, 8, 16), (2, 3, 4, 5, 6)]:
        assert initializers.compute_fans(shape) == keras_fans(shape)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 4, 8)], ids=["tall", "wide", "conv"])
def test_orthogonal_is_orthogonal_like_keras(shape):
    import keras
    gain = 1.5
    for w in (initializers.Orthogonal(gain=gain, seed=0)(shape, "float64"),
              np.asarray(keras.initializers.Orthogonal(gain=gain, seed=0)(shape, dtype="float64"))):
        m = w.reshape(-1, shape[-1])
        small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(small, gain ** 2 * np.eye(small.shape[0]), atol=1e-10)


@pytest.mark.parametrize("name, value", [("zeros", 0.0), ("ones", 1.0)])
def test_constant_initializers(name, value):
    assert np.all(initializers.get(name)((3, 2)) == value)
    assert np.all(initializers.Constant(2.5)((2,), "float64") == 2.5)


def test_seeded_draws_repeat_and_differ_between_seeds():
    a = initializers.GlorotUniform(seed=3)((4, 5))
    b = initializers.GlorotUniform(seed=3)((4, 5))
    c = initializers.GlorotUniform(seed=4)((4, 5))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_global_seed_makes_unseeded_draws_repeat():
    import tflearn_kit as kit
    kit.set_seed(7)
    a = initializers.HeNormal()((3, 3))
    kit.set_seed(7)
    assert np.array_equal(a, initializers.HeNormal()((3, 3)))


def test_dtype_is_respected():
    assert initializers.get("glorot_uniform")((2, 2), "float32").dtype == np.float32
    assert initializers.get("he_normal")((2, 2), "float64").dtype == np.float64


def test_unknown_initializer_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'"):
        initializers.get("glorot")
