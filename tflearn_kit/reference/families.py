"""Every family's twins, collected: a new family adds its module to ``FAMILIES``."""
from . import (activation_layers, adaptive_pooling, attention, conv, core, feature_normalization,
               keras3_additions, merging, noise, normalization, pooling, recurrent, regularization,
               resampling, reshaping, rnn, shape)

FAMILIES = (core, conv, normalization, pooling, regularization, reshaping, recurrent, merging,
            activation_layers, resampling, shape, feature_normalization, noise, adaptive_pooling,
            attention, rnn, keras3_additions)

REGISTRY = {t.layer: t for family in FAMILIES for t in family.TWINS}
"""Kit layer name -> its :class:`~tflearn_kit.reference.registry.Twin`."""


def get(layer_name):
    try:
        return REGISTRY[layer_name]
    except KeyError:
        raise ValueError(
            f"No TensorFlow twin registered for {layer_name!r}. Known: {', '.join(sorted(REGISTRY))}."
        ) from None


def all_twins():
    return dict(REGISTRY)
