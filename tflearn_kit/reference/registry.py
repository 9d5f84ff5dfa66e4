"""Which TensorFlow twin each kit layer has, and the configurations they are compared on.

A family module (``reference/core.py``, later ``reference/conv.py`` ...) calls
:func:`register` once per kit layer. Adding a layer to the comparison engine is
one ``register`` call in its family's module.
"""
from dataclasses import dataclass, field


@dataclass
class Case:
    """One named configuration: constructor arguments, an input shape, a mode."""
    name: str
    config: dict
    input_shape: tuple
    training: bool = False
    input_kind: str = "normal"      # "normal", "positive" or "int:<high>" (ids for Embedding)
    dtypes: tuple = ("float32", "float64")   # the dtypes TensorFlow has kernels for (3-D pooling: float32)


@dataclass
class Twin:
    layer: str                      # the kit class name, also Keras's
    tf1: object = None              # f(kit_layer, x_tensor, training) -> tensor, in a graph
    tf1_note: str = ""              # when tf1 is None: what TF1 code used instead
    tf1_name: str = ""              # e.g. "tf.compat.v1.layers.dense"
    keras: object = None            # f(kit_layer) -> keras layer; None: same name, same config
    keras_name: str = ""
    cases: list = field(default_factory=list)
    keras_call: object = None       # f(keras_layer, xs, training) -> outputs; None: layer(xs)
    zero_gradients: tuple = ()      # weights whose gradient is 0 by mathematics (see compare)


REGISTRY = {}


def register(layer, *, tf1=None, tf1_name="", tf1_note="", keras=None, keras_name="", cases=(),
             keras_call=None, zero_gradients=()):
    if tf1 is None and not tf1_note:
        raise ValueError(f"register({layer!r}): with no tf.layers twin, say what TF1 code used instead.")
    REGISTRY[layer] = Twin(layer, tf1, tf1_note, tf1_name, keras,
                           keras_name or f"tf.keras.layers.{layer}", list(cases), keras_call,
                           tuple(zero_gradients))
    return REGISTRY[layer]


def get(layer_name):
    from . import families  # noqa: F401  (fills REGISTRY)
    try:
        return REGISTRY[layer_name]
    except KeyError:
        raise ValueError(
            f"No TensorFlow twin registered for {layer_name!r}. Known: {', '.join(sorted(REGISTRY))}."
        ) from None


def all_twins():
    from . import families  # noqa: F401
    return dict(REGISTRY)
