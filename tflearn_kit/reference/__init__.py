"""The TensorFlow twins of the kit's layers: tf.keras (Keras 3) and tf.compat.v1.layers (graph + Session).

``run_keras`` and ``run_tf1`` build the twin with the kit layer's weights, run one
input and return the output, dx and every weight gradient, as NumPy arrays.
"""
from .registry import Case, Twin, all_twins, get, register
from .runners import keras_twin, run_keras, run_tf1

__all__ = ["Case", "Twin", "all_twins", "get", "register", "keras_twin", "run_keras", "run_tf1"]
