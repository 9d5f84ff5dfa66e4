"""The TensorFlow twins of the kit's layers: tf.keras (Keras 3) and tf.compat.v1.layers (graph + Session).

``run_keras`` and ``run_tf1`` build the twin with the kit layer's weights, run one
input and return the output, dx and every weight gradient, as NumPy arrays.
``to_keras(model)`` builds a kit model's Keras twin with the same weights.
"""
from .families import REGISTRY, all_twins, get
from .models import to_keras
from .registry import Case, Twin, twin
from .runners import keras_twin, run_keras, run_tf1

__all__ = ["Case", "Twin", "REGISTRY", "all_twins", "get", "twin", "keras_twin", "run_keras",
           "run_tf1", "to_keras"]
