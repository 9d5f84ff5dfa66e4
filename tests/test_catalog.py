"""The catalog against Keras 3 read at run time: aliases, config keys."""
import inspect

import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.reference.tf import modules


def keras_layer_names():
    _, keras, _ = modules()
    return sorted(n for n in dir(keras.layers) if not n.startswith("_")
                  and inspect.isclass(getattr(keras.layers, n)))


def test_every_keras_alias_of_a_kit_layer_resolves_to_the_kit_class():
    _, keras, _ = modules()
    checked = 0
    for name in keras_layer_names():
        canonical = getattr(keras.layers, name).__name__
        if name != canonical and hasattr(kit.layers, canonical):
            assert getattr(kit.layers, name, None) is getattr(kit.layers, canonical), name
            checked += 1
    assert checked >= 20


EXTRA_KEYS = {}        # a key the kit keeps and Keras drops would be listed here, with why


def _config_pairs():
    from tflearn_kit.reference import families
    for name, twin in sorted(families.all_twins().items()):
        # PositionEmbedding's twin is keras.layers.Embedding over positions: no config to share
        if twin.cases and hasattr(kit.layers, name) and name in keras_layer_names():
            yield name, twin.cases[0]


@pytest.mark.parametrize("name, case", list(_config_pairs()), ids=[n for n, _ in _config_pairs()])
def test_get_config_keys_are_keras_s(name, case):
    from tflearn_kit.reference.runners import keras_twin
    layer = getattr(kit.layers, name)(**case.config)
    twin = keras_twin(layer)
    ours, theirs = set(layer.get_config()), set(twin.get_config())
    assert ours - theirs == EXTRA_KEYS.get(name, set()) and not theirs - ours, (
        f"{name}: kit only {sorted(ours - theirs)}, Keras only {sorted(theirs - ours)}")
