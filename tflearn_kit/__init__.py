"""tflearn_kit: every neural-network layer from scratch in NumPy, checked against TensorFlow.

    import tflearn_kit as kit
    layer = kit.layers.Dense(4, activation="relu")
    y = layer(x)                   # forward, builds the weights on first use
    dx = layer.backward(dy)        # backward; layer.grads holds dkernel, dbias

TensorFlow is imported only by ``tflearn_kit.reference`` and ``tflearn_kit.compare``.
"""
from . import activations, initializers, kernels, layers, regularizers
from . import callbacks, data, losses, metrics, models, optimizers
from .seeding import set_seed

__version__ = "0.1.0"
__all__ = ["activations", "initializers", "kernels", "layers", "regularizers", "set_seed",
           "callbacks", "data", "losses", "metrics", "models", "optimizers"]
