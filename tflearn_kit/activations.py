"""Activations by name, as ``keras.activations.get`` accepts them.

``get("relu")`` returns an :class:`Activation`: the function, its derivative and
its name, so a layer can run it forward and backward and serialize it back to
the same name. The arithmetic lives in ``tflearn_kit.kernels.activations``.
"""
from .kernels import activations as K


class Activation:
    """A named activation with its derivative. ``Activation("softmax", axis=1)``."""

    def __init__(self, name, **kwargs):
        if name not in _REGISTRY:
            raise ValueError(
                f"Unknown activation {name!r}. Expected one of: {', '.join(sorted(_REGISTRY))}."
            )
        missing = [a for a in REQUIRED_ARGS.get(name, ()) if a not in kwargs]
        if missing:
            raise ValueError(f"Activation {name!r} needs the arguments {missing}, as "
                             f"keras.activations.{name} does; got {kwargs}.")
        self.name = name
        self.kwargs = kwargs
        self.fn, self.grad = _REGISTRY[name]

    def __call__(self, x):
        return self.fn(x, **self.kwargs)

    def forward(self, x):
        return K.activation_forward(x, self.fn, **self.kwargs)

    def backward(self, dy, cache):
        return K.activation_backward(dy, cache, self.grad, **self.kwargs)

    def get_config(self):
        return {"name": self.name, **self.kwargs}

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"Activation({self.name!r}{extra})"

    def __eq__(self, other):
        return isinstance(other, Activation) and self.get_config() == other.get_config()


_REGISTRY = {
    "linear": (K.linear, K.linear_grad),
    "relu": (K.relu, K.relu_grad),
    "relu6": (K.relu6, K.relu6_grad),
    "leaky_relu": (K.leaky_relu, K.leaky_relu_grad),
    "elu": (K.elu, K.elu_grad),
    "selu": (K.selu, K.selu_grad),
    "gelu": (K.gelu, K.gelu_grad),
    "gelu_approximate": (K.gelu_approximate, K.gelu_approximate_grad),
    "sigmoid": (K.sigmoid, K.sigmoid_grad),
    "hard_sigmoid": (K.hard_sigmoid, K.hard_sigmoid_grad),
    "tanh": (K.tanh, K.tanh_grad),
    "softplus": (K.softplus, K.softplus_grad),
    "softsign": (K.softsign, K.softsign_grad),
    "silu": (K.silu, K.silu_grad),
    "swish": (K.silu, K.silu_grad),          # Keras: swish is silu
    "softmax": (K.softmax, K.softmax_grad),
    "exponential": (K.exponential, K.exponential_grad),
    "celu": (K.celu, K.celu_grad),
    "glu": (K.glu, K.glu_grad),
    "hard_shrink": (K.hard_shrink, K.hard_shrink_grad),
    "hard_silu": (K.hard_silu, K.hard_silu_grad),
    "hard_swish": (K.hard_silu, K.hard_silu_grad),   # Keras: hard_swish is hard_silu
    "hard_tanh": (K.hard_tanh, K.hard_tanh_grad),
    "log_sigmoid": (K.log_sigmoid, K.log_sigmoid_grad),
    "log_softmax": (K.log_softmax, K.log_softmax_grad),
    "mish": (K.mish, K.mish_grad),
    "soft_shrink": (K.soft_shrink, K.soft_shrink_grad),
    "sparse_plus": (K.sparse_plus, K.sparse_plus_grad),
    "sparse_sigmoid": (K.sparse_sigmoid, K.sparse_sigmoid_grad),
    "sparsemax": (K.sparsemax, K.sparsemax_grad),
    "squareplus": (K.squareplus, K.squareplus_grad),
    "tanh_shrink": (K.tanh_shrink, K.tanh_shrink_grad),
    # needs its two arguments: Activation("threshold", threshold=0.5, default_value=0.0)
    "threshold": (K.threshold, K.threshold_grad),
}

REQUIRED_ARGS = {"threshold": ("threshold", "default_value")}
"""Activations that Keras exports but cannot call by name alone: the arguments they need."""

DIFFERENCES = {
    "hard_sigmoid": "hard_sigmoid follows Keras 3, relu6(x + 3) / 6; TF1 and tf_keras used "
                    "clip(0.2 x + 0.5, 0, 1), which differs by up to 0.083 (at x = +-2.5)",
    "sparsemax": "sparsemax follows the definition (Martins & Astudillo 2016, rows sum to 1); Keras "
                 "3's formula sums the cumulative sums and differs whenever more than one entry "
                 "is kept (tests/test_activations_keras.py shows the case [1, 1.2, 1.5])",
}
"""Where the kit's activation is not TF1's or Keras 3's: which one it follows, and by how much."""

ALL = tuple(n for n in _REGISTRY if n not in REQUIRED_ARGS)
"""Every activation name the kit accepts by name alone (``threshold`` needs its arguments)."""


def get(identifier):
    """None -> linear; a name; a ``{"name": ..., **kwargs}`` dict; or an Activation."""
    if identifier is None:
        return Activation("linear")
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        return Activation(identifier)
    if isinstance(identifier, dict):
        config = dict(identifier)
        return Activation(config.pop("name"), **config)
    raise TypeError(
        f"An activation must be a name such as 'relu', a dict or an Activation; got {identifier!r}."
    )


def serialize(activation):
    """The name when there are no arguments (as Keras writes it), else the config dict."""
    config = activation.get_config()
    return config["name"] if len(config) == 1 else config
