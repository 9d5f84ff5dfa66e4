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


def unique_names(names):
    """kernel, bias, kernel, bias -> kernel, bias, kernel_1, bias_1: a wrapper (Bidirectional,
    stacked cells) holds several layers' weights of one name; kit, Keras and TF1 number them
    in the same (weight) order."""
    seen, out = {}, []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


def weight_name(variable):
    """'dense/kernel:0' or a Keras 3 variable named 'kernel' -> 'kernel'."""
    name = getattr(variable, "name", str(variable))
    return name.split("/")[-1].split(":")[0]


def weight_names(variables):
    """Short names, or, where two collide (MultiHeadAttention's four 'kernel's), the path
    below the layer: 'multi_head_attention/query/kernel' -> 'query/kernel'."""
    short = [weight_name(v) for v in variables]
    if len(set(short)) == len(short):
        return short
    paths = [getattr(v, "path", None) or getattr(v, "name", str(v)) for v in variables]
    return [p.split(":")[0].split("/", 1)[-1] for p in paths]


def names_like_kit(variables, kit_layer):
    """The twin's weight names as the kit spells them: paths below the layer where the kit
    names its weights so (MultiHeadAttention's 'query/kernel'), otherwise short names
    numbered in order (a Bidirectional's 'kernel', 'kernel_1')."""
    kit_names = set(unique_names(w.name for w in kit_layer.weight_records))
    paths = weight_names(variables)
    if set(paths) <= kit_names:
        return paths
    return unique_names(weight_name(v) for v in variables)


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
        if twin.keras_call is not None:     # build(query_shape, value_shape, key_shape=None)
            layer.build(*input_shape)
        else:
            layer.build(input_shape)
    if weights is not None:
        layer.set_weights(weights)
    return layer


def run_keras(kit_layer, x, dy, training=False, weights=None, call_kwargs=None):
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
        if twin_of(kit_layer).keras_call is not None:
            y = twin_of(kit_layer).keras_call(layer, xs, training)
        else:
            y = layer(xs if isinstance(x, (list, tuple)) else xs[0], training=training,
                      **(call_kwargs or {}))
    ys = tf.nest.flatten(y)       # a stack of cells returns its states nested per cell
    variables = list(layer.trainable_weights)
    grads = tape.gradient(ys, watched + variables,
                          output_gradients=[tf.constant(d) for d in as_list(dy)])
    dx_iter = iter(grads[:len(watched)])
    dxs = [(_dx_or_zeros(next(dx_iter), a) if is_float(a) else None) for a in as_list(x)]
    return {
        "output": [np.asarray(t) for t in ys],
        "dx": [None if d is None else np.asarray(d) for d in dxs],
        "grads": {n: (np.zeros(v.shape) if g is None else np.asarray(dense(g)))
                  for n, v, g in zip(names_like_kit(variables, kit_layer), variables,
                                     grads[len(watched):])},
        "weights_after": dict(zip(names_like_kit(layer.weights, kit_layer),
                                  (np.asarray(v) for v in layer.weights))),
        "layer": layer,
    }


def twin_of(kit_layer):
    return get(type(kit_layer).__name__)


def _dx_or_zeros(gradient, a):
    """An input the output does not depend on (a position table ignores the values) gets None."""
    return np.zeros(np.shape(a), np.asarray(a).dtype) if gradient is None else np.asarray(gradient)


# ---- tf.compat.v1.layers ---------------------------------------------------------------

# Two different reasons a comparison has no tf.layers column; a report says which.
NO_LAYER = "tf.layers had no such layer"
NO_CONFIGURATION = "tf.layers had no such configuration"

def run_tf1(kit_layer, x, dy, training=False, weights=None):
    """Forward and backward through the tf.compat.v1.layers twin, in a graph with a Session.

    ``weights``: {name: array}; the twin's variables start from them through
    constant initializers, as TF1 code loading pretrained values would.
    Returns None when tf.layers had no such layer (NO_LAYER); a twin raises
    NotImplementedError(what) when the layer existed but this configuration did not
    (NO_CONFIGURATION: "reset_after=True (cuDNN's form) had no TF1 cell").
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
            names = names_like_kit(v1.global_variables(), kit_layer)
    dx_iter = iter(grad_v[:len(watched)])
    return {
        "output": list(out_v),
        "dx": [(next(dx_iter) if is_float(a) else None) for a in xs],
        "grads": dict(zip(names_like_kit(variables, kit_layer), grad_v[len(watched):])),
        "weights_after": dict(zip(names, after)),
    }
