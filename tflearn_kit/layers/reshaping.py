"""Flatten and Reshape: no arithmetic, only a new view of the same numbers.

Their backward is the inverse reshape: every element of dy goes back to where
its element of the input came from.
"""
import math

import numpy as np

from .base import InputSpec, Layer
from .pooling import _data_format


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...). See tf.keras.layers.Flatten.

    Args:
        data_format: with "channels_first" the channel axis is moved last before
            flattening, so the order of the features is the same in both formats
            (what Keras does, so that a Dense after it sees the same features).

    Input shape: (batch, ...)      Output shape: (batch, product of the other sizes)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, "Flatten")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = np.moveaxis(x, 1, -1)
        self._cache = (inputs.shape, x.shape)
        return x.reshape(x.shape[0], -1)

    def backward_call(self, dy):
        input_shape, moved_shape = self._cache
        dx = dy.reshape(moved_shape)
        if self.data_format == "channels_first" and len(input_shape) > 2:
            dx = np.moveaxis(dx, -1, 1)
        return dx, []

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry may be -1. See tf.keras.layers.Reshape.

    Input shape: (batch, ...)      Output shape: (batch, *target_shape)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(f"Reshape: target_shape takes positive sizes and at most one -1; "
                             f"got {target_shape}.")
        self.target_shape = target_shape

    def call(self, inputs):
        known = math.prod(d for d in self.target_shape if d != -1)
        size = math.prod(inputs.shape[1:])
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape
                                                           and size != known):
            raise ValueError(f"Layer '{self.name}' (Reshape): an input of shape {inputs.shape} "
                             f"has {size} elements per example, which cannot be reshaped to "
                             f"{self.target_shape}.")
        self._cache = inputs.shape
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def backward_call(self, dy):
        return dy.reshape(self._cache), []

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if -1 in self.target_shape and None not in rest:
            known = math.prod(d for d in self.target_shape if d != -1)
            fill = math.prod(rest) // known
            return (input_shape[0],) + tuple(fill if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
