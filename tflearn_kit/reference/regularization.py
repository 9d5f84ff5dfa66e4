"""Twins of Dropout: compare runs the registered cases in inference (the identity); training runs on TF's own mask.

The generic engine cannot compare a random layer in training, since the kit and
TensorFlow draw different masks. ``run_keras_dropout`` and ``run_tf1_dropout``
run TensorFlow's dropout in training and return its output and dx, from which
``tflearn_kit.compare.compare_dropout_shared_mask`` reads the mask and replays it
in the kit.
"""
import numpy as np

from .registry import Case, twin
from .tf import modules


def dropout_tf1(layer, x, training, init):
    _, _, legacy = modules()
    return legacy.dropout(x, rate=layer.rate, noise_shape=layer.noise_shape, seed=layer.seed,
                          training=training)


def _spatial_keras(layer):
    # Keras's SpatialDropout constructors take no ``trainable``: pass what they take
    _, keras, _ = modules()
    kwargs = {"data_format": layer.data_format} if hasattr(layer, "data_format") else {}
    return getattr(keras.layers, type(layer).__name__)(layer.rate, seed=layer.seed,
                                                        dtype=layer.dtype, **kwargs)


def run_keras_dropout(layer, x, dy):
    """(y, dx) of keras.layers.Dropout in training, from one random draw."""
    tf, keras, _ = modules()
    twin = keras.layers.Dropout(layer.rate, noise_shape=layer.noise_shape, seed=layer.seed,
                                dtype=layer.dtype)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = twin(xt, training=True)
    return np.asarray(y), np.asarray(tape.gradient(y, xt, output_gradients=tf.constant(dy)))


def run_tf1_dropout(layer, x, dy):
    """(y, dx) of tf.compat.v1.layers.dropout in training, from one Session run."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        x_ph = v1.placeholder(tf.as_dtype(x.dtype), shape=x.shape)
        dy_ph = v1.placeholder(tf.as_dtype(x.dtype), shape=x.shape)
        y = dropout_tf1(layer, x_ph, True, None)
        dx = v1.gradients(y, x_ph, grad_ys=dy_ph)[0]
        with v1.Session(graph=graph) as sess:
            # one run: the output and dx come from the same random draw
            return sess.run([y, dx], {x_ph: x, dy_ph: dy})


TWINS = [
    # compare runs these at inference; tests/test_dropout.py runs them in training as well,
    # on TensorFlow's own mask (compare_dropout_shared_mask)
    twin("Dropout", tf1=dropout_tf1, tf1_name="tf.compat.v1.layers.dropout", cases=[
        Case("rate0.5", {"rate": 0.5}, (6, 8)),
        Case("rate0.1-rank3", {"rate": 0.1}, (2, 5, 7)),
        Case("rate0.8", {"rate": 0.8}, (10, 10)),
        Case("noise-shape-whole-channels", {"rate": 0.4, "noise_shape": (None, 1, 6)}, (3, 5, 6)),
        Case("seeded", {"rate": 0.3, "seed": 7}, (4, 9)),
    ]),
    twin("SpatialDropout1D", keras=_spatial_keras,
         tf1_note="tf.compat.v1.layers.dropout(noise_shape=(batch, 1, channels))",
         cases=[Case("inference", {"rate": 0.5}, (2, 3, 4))]),
    twin("SpatialDropout2D", keras=_spatial_keras,
         tf1_note="tf.compat.v1.layers.dropout(noise_shape=(batch, 1, 1, channels))",
         cases=[Case("inference", {"rate": 0.5}, (2, 3, 4, 5))]),
]
