"""Kit layers: thin classes over the kernels, with Keras's constructor arguments.

One module per family; every public layer is importable from here.
"""
from .base import InputSpec, Layer
from .core import Activation, Dense, LeakyReLU, ReLU, Softmax

__all__ = ["InputSpec", "Layer", "Activation", "Dense", "LeakyReLU", "ReLU", "Softmax"]
