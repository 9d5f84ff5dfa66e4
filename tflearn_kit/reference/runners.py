"""Run a kit layer's TensorFlow twins on the same weights and the same input.

Both runners return a dict of NumPy arrays:
``{"output": [y, ...], "dx": [dx or None, ...], "grads": {weight name: g}, "weights_after": {...}}``.
Gradients are vector-Jacobian products with the same ``dy`` the kit's backward
receives: ``GradientTape.gradient(..., output_gradients=dy)`` in tf.keras and
``tf.compat.v1.gradients(..., grad_ys=dy)`` in the TF1 graph.
"""
import numpy as np

from ..layers.base import as_list
from .activations import keras_activation
from .families import get
from .tf import modules


def is_float(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def dense(gradient):
    """A gradient as a dense tensor: a gather (an embedding lookup) gives IndexedSlices, the
    rows it touched; converting adds repeated rows together and fills the others with zeros."""
    tf, _, _ = modules()
    if isinstance(gradient, tf.IndexedSlices):
        return tf.convert_to_tensor(gradient)
    return gradient


def weight_name(variable):
    """'dense/kernel:0' or a Keras 3 variable named 'kernel' -> 'kernel'."""
    name = getattr(variable, "name", str(variable))
    return name.split("/")[-1].split(":")[0]


# ---- tf.keras ---------------------------------------------------------------------------

def keras_config(kit_layer):
    """The kit layer's config as Keras's constructor takes it."""
    from ..activations import Activation
    config = kit_layer.get_config()
    for key, value in list(config.items()):
        if key.endswith("activation") and key != "activity_regularizer" and value is not None:
            config[key] = keras_activation(getattr(kit_layer, key)) if isinstance(
                getattr(kit_layer, key, None), Activation) else value
    return config


def keras_twin(kit_layer, input_shape=None, weights=None):
    """The tf.keras layer with the kit layer's configuration and weights, built."""
    _, keras, _ = modules()
    twin = get(type(kit_layer).__name__)
    if twin.keras is not None:
        layer = twin.keras(kit_layer)
    else:
        layer = getattr(keras.layers, type(kit_layer).__name__)(**keras_config(kit_layer))
    if input_shape is not None and not layer.built:
        layer.build(input_shape)
    if weights is not None:
        layer.set_weights(weights)
    return layer


def run_keras(kit_layer, x, dy, training=False, weights=None):
    """Forward and backward through the tf.keras twin; ``weights`` in Keras's order."""
    tf, _, _ = modules()
    xs = [tf.constant(a) for a in as_list(x)]
    shapes = [tuple(a.shape) for a in as_list(x)]
    layer = keras_twin(kit_layer, shapes if isinstance(x, (list, tuple)) else shapes[0])
    if weights is not None:
        layer.set_weights(weights)
    watched = [t for t, a in zip(xs, as_list(x)) if is_float(a)]
    with tf.GradientTape() as tape:
        for t in watched:
            tape.watch(t)
        y = layer(xs if isinstance(x, (list, tuple)) else xs[0], training=training)
    ys = as_list(y)
    variables = list(layer.trainable_weights)
    grads = tape.gradient(ys, watched + variables,
                          output_gradients=[tf.constant(d) for d in as_list(dy)])
    dx_iter = iter(grads[:len(watched)])
    dxs = [(np.asarray(next(dx_iter)) if is_float(a) else None) for a in as_list(x)]
    return {
        "output": [np.asarray(t) for t in ys],
        "dx": [None if d is None else np.asarray(d) for d in dxs],
        "grads": {weight_name(v): (np.zeros(v.shape) if g is None else np.asarray(dense(g)))
                  for v, g in zip(variables, grads[len(watched):])},
        "weights_after": {weight_name(v): np.asarray(v) for v in layer.weights},
        "layer": layer,
    }


# ---- tf.compat.v1.layers ---------------------------------------------------------------

def run_tf1(kit_layer, x, dy, training=False, weights=None):
    """Forward and backward through the tf.compat.v1.layers twin, in a graph with a Session.

    ``weights``: {name: array}; the twin's variables start from them through
    constant initializers, as TF1 code loading pretrained values would.
    Returns None when tf.layers had no such layer.
    """
    tf, _, _ = modules()
    twin = get(type(kit_layer).__name__)
    if twin.tf1 is None:
        return None
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        xs = as_list(x)
        phs = [v1.placeholder(tf.as_dtype(a.dtype), shape=a.shape) for a in xs]

        def init(name):
            return v1.constant_initializer(weights[name])

        out = twin.tf1(kit_layer, phs if isinstance(x, (list, tuple)) else phs[0], training, init)
        outs = as_list(out)
        dy_phs = [v1.placeholder(o.dtype, shape=d.shape) for o, d in zip(outs, as_list(dy))]
        variables = v1.trainable_variables()
        watched = [p for p, a in zip(phs, xs) if is_float(a)]
        grads = v1.gradients(outs, watched + variables, grad_ys=dy_phs)
        grads = [tf.zeros_like(v) if g is None else dense(g) for v, g in zip(watched + variables, grads)]
        update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
        feed = {**dict(zip(phs, xs)), **dict(zip(dy_phs, as_list(dy)))}
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            out_v, grad_v, _ = sess.run([outs, grads, update_ops], feed)
            after = sess.run(v1.global_variables())
            names = [weight_name(v) for v in v1.global_variables()]
    dx_iter = iter(grad_v[:len(watched)])
    return {
        "output": list(out_v),
        "dx": [(next(dx_iter) if is_float(a) else None) for a in xs],
        "grads": {weight_name(v): g for v, g in zip(variables, grad_v[len(watched):])},
        "weights_after": dict(zip(names, after)),
    }
