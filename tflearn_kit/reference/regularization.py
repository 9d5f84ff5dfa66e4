"""Twins of Dropout: the registered cases run in inference (the identity); training is compared on a shared mask.

The generic engine cannot compare a random layer in training, since the kit and
TensorFlow draw different masks. :func:`compare_dropout_shared_mask` runs
TensorFlow's dropout first, recovers its keep mask from the output (an element
was kept exactly where the output is nonzero: the input is drawn with no zeros),
replays that mask in the kit (``layer(x, training=True, keep_mask=mask)``) and
diffs the output and dx.
"""
import numpy as np

from ..compare import TOLERANCES, Report, errors
from .registry import Case, register
from .tf import modules


def dropout_tf1(layer, x, training, init):
    _, _, legacy = modules()
    return legacy.dropout(x, rate=layer.rate, noise_shape=layer.noise_shape, seed=layer.seed,
                          training=training)


register("Dropout", tf1=dropout_tf1, tf1_name="tf.compat.v1.layers.dropout", cases=[
    Case("inference-rate0.5", {"rate": 0.5}, (4, 6)),
    Case("inference-noise-shape", {"rate": 0.3, "noise_shape": (None, 1, 5)}, (2, 3, 5)),
])



def _spatial_keras(layer):
    # Keras's SpatialDropout constructors take no ``trainable``: pass what they take
    _, keras, _ = modules()
    kwargs = {"data_format": layer.data_format} if hasattr(layer, "data_format") else {}
    return getattr(keras.layers, type(layer).__name__)(layer.rate, seed=layer.seed,
                                                        dtype=layer.dtype, **kwargs)


register("SpatialDropout1D", keras=_spatial_keras,
         tf1_note="tf.compat.v1.layers.dropout(noise_shape=(batch, 1, channels))",
         cases=[Case("inference", {"rate": 0.5}, (2, 3, 4))])
register("SpatialDropout2D", keras=_spatial_keras,
         tf1_note="tf.compat.v1.layers.dropout(noise_shape=(batch, 1, 1, channels))",
         cases=[Case("inference", {"rate": 0.5}, (2, 3, 4, 5))])


def _keras_dropout(layer, x, dy):
    tf, keras, _ = modules()
    twin = keras.layers.Dropout(layer.rate, noise_shape=layer.noise_shape, seed=layer.seed,
                                dtype=layer.dtype)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = twin(xt, training=True)
    return np.asarray(y), np.asarray(tape.gradient(y, xt, output_gradients=tf.constant(dy)))


def _tf1_dropout(layer, x, dy):
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


def compare_dropout_shared_mask(layer, x, dy=None, apis=("tf.keras", "tf.layers"), seed=0):
    """Diff the kit's Dropout in training against TensorFlow's, on TensorFlow's own mask.

    Returns a :class:`~tflearn_kit.compare.Report` with an output and a dx row per
    API, and a note per API with the fraction TensorFlow kept.
    """
    x = layer.convert_input(x)
    if np.any(x == 0):
        raise ValueError("compare_dropout_shared_mask: x must have no zeros, or the mask "
                         "cannot be read from the output.")
    if dy is None:
        dy = np.random.default_rng(seed + 1).standard_normal(x.shape).astype(layer.dtype)
    tolerance = TOLERANCES[layer.dtype]
    runners = {"tf.keras": _keras_dropout, "tf.layers": _tf1_dropout}
    rows, notes = [], []
    for api in apis:
        y_tf, dx_tf = runners[api](layer, x, dy)
        mask = y_tf != 0                       # kept exactly where the output is nonzero
        y = layer(x, training=True, keep_mask=mask)
        dx = layer.backward(dy)
        for quantity, a, b in (("output", y, y_tf), ("dx", dx, dx_tf)):
            max_abs, max_rel = errors(a, b)
            rows.append({"api": api, "quantity": quantity, "max_abs": max_abs, "max_rel": max_rel,
                         "ok": max_rel <= tolerance, "note": ""})
        notes.append(f"{api}: kept {mask.mean():.3f} of the elements (rate {layer.rate})")
    return Report("Dropout", "shared mask, training", layer.dtype, rows, notes)
