"""A kit activation as the twins spell it: Keras 3's name or callable, and the tf.nn function TF1 code passed."""
import functools

from .tf import modules


def keras_activation(activation):
    """A kit Activation as Keras 3 takes it: the name, or a callable with its arguments bound."""
    _, keras, _ = modules()
    if activation.name == "gelu_approximate":
        return functools.partial(keras.activations.gelu, approximate=True)
    if activation.kwargs:
        return functools.partial(getattr(keras.activations, activation.name), **activation.kwargs)
    return activation.name


def tf1_activation(activation):
    """The function TF1 code passed as ``activation=``: tf.nn's, where it has one."""
    tf, keras, _ = modules()
    kw = activation.kwargs
    table = {
        "linear": None,
        "relu": tf.nn.relu,
        "relu6": tf.nn.relu6,
        "leaky_relu": functools.partial(tf.nn.leaky_relu, alpha=kw.get("negative_slope", 0.2)),
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        "gelu": functools.partial(tf.nn.gelu, approximate=False),
        "gelu_approximate": functools.partial(tf.nn.gelu, approximate=True),
        "sigmoid": tf.sigmoid,
        # TF1's hard_sigmoid was 0.2 x + 0.5; the kit follows Keras 3 (relu6(x + 3) / 6)
        "hard_sigmoid": keras.activations.hard_sigmoid,
        "tanh": tf.tanh,
        "softplus": tf.nn.softplus,
        "softsign": tf.nn.softsign,
        "silu": tf.nn.silu,
        "swish": tf.nn.silu,
        "softmax": functools.partial(tf.nn.softmax, axis=kw.get("axis", -1)),
        "exponential": tf.exp,
        "log_sigmoid": tf.math.log_sigmoid,
        "log_softmax": functools.partial(tf.nn.log_softmax, axis=kw.get("axis", -1)),
        "hard_tanh": functools.partial(tf.clip_by_value, clip_value_min=-1.0, clip_value_max=1.0),
    }
    if activation.name == "relu" and kw:
        return functools.partial(keras.activations.relu, **kw)   # tf.nn.relu has no options
    if activation.name in table:
        return table[activation.name]
    # Keras 3 additions (celu, glu, mish, sparsemax, ...): TF1 code wrote them out of tf ops,
    # which is what Keras 3's own function is, so the graph runs that function.
    return functools.partial(getattr(keras.activations, activation.name), **kw)
