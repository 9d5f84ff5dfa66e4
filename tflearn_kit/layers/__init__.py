"""Kit layers: thin classes over the kernels, with Keras's constructor arguments.

One module per family; every public layer is importable from here.
"""
from .base import InputSpec, Layer
from .core import Activation, Dense, LeakyReLU, ReLU, Softmax
from .conv import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                   DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D)

__all__ = ["InputSpec", "Layer", "Activation", "Dense", "LeakyReLU", "ReLU", "Softmax"]
__all__ += ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
            "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]
