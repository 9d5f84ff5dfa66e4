"""Merging layers with Keras 3's broadcasting, Maximum, Minimum and Dot, against both TF APIs."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families as registry
from tflearn_kit.reference.tf import modules

from .conftest import assert_report_ok

NEW = ["Maximum", "Minimum", "Dot"]
BROADCASTING = ["Add", "Subtract", "Multiply", "Average"]
CASES = ([(n, c) for n in NEW for c in registry.get(n).cases]
         + [(n, c) for n in BROADCASTING for c in registry.get(n).cases if c.name.startswith("broadcast")])


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    xs = [make_input(s, "float64", seed=40 + i) for i, s in enumerate(case.input_shape)]
    result = gradient_check(layer, xs)
    assert result.ok, "\n" + result.to_text()


def test_add_broadcasts_as_the_issue_shows():
    _, keras, _ = modules()
    a, b = make_input((2, 3), "float64", seed=41), make_input((2, 1), "float64", seed=42)
    layer = kit.layers.Add(dtype="float64")
    np.testing.assert_array_equal(layer([a, b]), np.asarray(keras.layers.Add(dtype="float64")([a, b])))
    da, db = layer.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(db, [[3.0], [3.0]])      # summed back over the broadcast axis
    assert da.shape == (2, 3)


@pytest.mark.parametrize("name", BROADCASTING + ["Maximum", "Minimum"])
def test_shapes_that_do_not_broadcast_are_a_clear_error(name):
    with pytest.raises(ValueError, match=f"\\({name}\\) expected inputs whose shapes broadcast.*\\(3, 4\\).*\\(3, 5\\)"):
        getattr(kit.layers, name)()([np.zeros((3, 4)), np.zeros((3, 5))])


def test_maximum_gives_a_tie_to_the_first_input_as_tf_does():
    layer = kit.layers.Maximum(dtype="float64")
    layer([np.ones((1, 2)), np.ones((1, 2))])
    dx = layer.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(dx[0], [[1, 1]])
    np.testing.assert_array_equal(dx[1], [[0, 0]])


def test_dot_rejects_unequal_axes():
    with pytest.raises(ValueError, match="Dot.*equal sizes on axes 1.*\\(2, 3\\) and \\(2, 4\\)"):
        kit.layers.Dot(axes=1)([np.zeros((2, 3)), np.zeros((2, 4))])


@pytest.mark.parametrize("name, kwargs", [("Maximum", {}), ("Minimum", {}),
                                          ("Dot", {"axes": [1, 2], "normalize": True})])
def test_config_round_trips_to_keras(name, kwargs):
    _, keras, _ = modules()
    layer = getattr(kit.layers, name)(**kwargs)
    twin = getattr(keras.layers, name)(**kwargs)
    assert set(layer.get_config()) == set(twin.get_config())
    assert getattr(kit.layers, name).from_config(layer.get_config()).get_config() == layer.get_config()
