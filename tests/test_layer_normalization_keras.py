"""LayerNormalization's weight layout for several axes, and rms_scaling, as Keras 3 has them."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families as registry
from tflearn_kit.reference.tf import modules

# Parity over every registered LayerNormalization case runs in tests/test_normalization.py.
NEW = [c for c in registry.get("LayerNormalization").cases
       if "keras-order" in c.name or "rms" in c.name]


@pytest.mark.parametrize("case", NEW, ids=[c.name for c in NEW])
def test_gradient_check(case):
    layer = kit.layers.LayerNormalization(**case.config, dtype="float64")
    result = gradient_check(layer, make_input(case.input_shape, "float64", seed=61))
    assert result.ok, "\n" + result.to_text()


def test_issue_example_weights_load_from_keras():
    _, keras, _ = modules()
    twin = keras.layers.LayerNormalization(axis=[1, -1])
    twin.build((1, 5, 1))
    layer = kit.layers.LayerNormalization(axis=[1, -1])
    layer.build((1, 5, 1))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.get_weights()] \
        == [(1, 5), (1, 5)]
    layer.set_weights(twin.get_weights())


def test_rms_scaling_has_gamma_only_and_keras_config_keys():
    _, keras, _ = modules()
    layer = kit.layers.LayerNormalization(rms_scaling=True)
    layer.build((2, 4))
    twin = keras.layers.LayerNormalization(rms_scaling=True)
    twin.build((2, 4))
    assert layer.weight_names[0].endswith("gamma") and len(layer.weights) == len(twin.weights) == 1
    assert set(layer.get_config()) == set(twin.get_config())
