"""What a TensorFlow twin is: the TF1 and Keras 3 versions of a kit layer, and the cases they are compared on.

Each family module (``reference/core.py``, ``reference/conv.py`` ...) holds its twins
as plain data, ``TWINS = [twin("Dense", ...), ...]``; ``reference/families.py`` lists
the family modules and collects them. Adding a layer to the comparison engine is one
``twin(...)`` entry in its family's list.
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
    call_kwargs: dict = field(default_factory=dict)   # call-time arguments, e.g. {"reverse": True}


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

    @property
    def tf1_column(self):
        """What a learner wrote in TF1: the tf.layers function, or "none: what TF1 code used"."""
        if self.tf1 is not None and self.tf1_name.startswith("tf.compat.v1.layers."):
            return self.tf1_name.split("(")[0]        # batch_normalization(fused=False): the function
        # TF1 code wrote tf.nn.*; tf.compat.v1.nn.* is how TF2 spells the same functions
        return f"none: {self.tf1_note or self.tf1_name}".replace("tf.compat.v1.nn.", "tf.nn.")


def twin(layer, *, tf1=None, tf1_name="", tf1_note="", keras=None, keras_name="", cases=(),
         keras_call=None, zero_gradients=()):
    """A :class:`Twin`, checked: a layer with no tf.layers twin must say what TF1 code used."""
    if tf1 is None and not tf1_note:
        raise ValueError(f"twin({layer!r}): with no tf.layers twin, say what TF1 code used instead.")
    return Twin(layer, tf1, tf1_note, tf1_name, keras, keras_name or f"tf.keras.layers.{layer}",
                list(cases), keras_call, tuple(zero_gradients))
