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
}

ALL = tuple(_REGISTRY)
"""Every activation name the kit accepts."""


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
