"""Max and average pooling (1-D, 2-D, 3-D) and their global versions.

The kernels work channels last; a ``channels_first`` layer moves the channel axis
to the end and back, as Keras's TensorFlow backend does.
"""
import numpy as np

from ..fast import pooling as fast   # the kernels of kernels/pooling.py, faster on big arrays
from ..kernels import pooling as K
from .base import InputSpec, Layer

DATA_FORMATS = ("channels_last", "channels_first")


def _tuple(value, rank, what, layer):
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(isinstance(v, (int, np.integer)) and v > 0 for v in values):
        raise ValueError(f"{layer}: {what} must be a positive integer or a tuple of {rank} "
                         f"positive integers; got {value!r}.")
    return tuple(int(v) for v in values)


def _data_format(value, layer):
    value = value or "channels_last"
    if value not in DATA_FORMATS:
        raise ValueError(f"{layer}: data_format must be one of {DATA_FORMATS}; got {value!r}.")
    return value


def to_channels_last(x):
    return np.moveaxis(x, 1, -1)


def to_channels_first(x):
    return np.moveaxis(x, -1, 1)


class Pooling(Layer):
    """The shared body of MaxPooling{1,2,3}D and AveragePooling{1,2,3}D. See keras.layers.MaxPooling2D.

    Args:
        pool_size: the window, an int or a tuple of ``rank`` ints.
        strides: the step between windows (default: pool_size).
        padding: "valid" (only whole windows) or "same" (ceil(n / stride) windows).
        data_format: "channels_last" (batch, *spatial, channels) or "channels_first".

    Input shape: (batch, *spatial, channels)      Output shape: (batch, *out, channels)
    """

    rank = None
    mode = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = _tuple(pool_size, self.rank, "pool_size", name)
        self.strides = _tuple(strides, self.rank, "strides", name) if strides is not None \
            else self.pool_size
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"{name}: padding must be 'valid' or 'same'; got {padding!r}.")
        self.padding = padding
        self.data_format = _data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        x = to_channels_last(inputs) if self.data_format == "channels_first" else inputs
        if self.padding == "valid" and any(n < k for n, k in zip(x.shape[1:-1], self.pool_size)):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): pool_size "
                             f"{self.pool_size} is larger than the spatial size {x.shape[1:-1]} "
                             "with padding='valid'.")
        forward = fast.max_pool_forward if self.mode == "max" else fast.avg_pool_forward
        y, self._cache = forward(x, self.pool_size, self.strides, self.padding)
        return to_channels_first(y) if self.data_format == "channels_first" else y

    def backward_call(self, dy):
        if self.data_format == "channels_first":
            dy = to_channels_last(dy)
        backward = fast.max_pool_backward if self.mode == "max" else fast.avg_pool_backward
        dx, grads = backward(dy, self._cache)
        return (to_channels_first(dx) if self.data_format == "channels_first" else dx), grads

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(None if n is None else K.output_size(n, k, s, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if first:
            return (input_shape[0], input_shape[1]) + out
        return (input_shape[0],) + out + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(Pooling):
    """Max over windows along time. See tf.keras.layers.MaxPooling1D. Input (batch, steps, channels)."""
    rank, mode = 1, "max"


class MaxPooling2D(Pooling):
    """Max over 2-D windows. See tf.keras.layers.MaxPooling2D. Input (batch, height, width, channels)."""
    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(Pooling):
    """Max over 3-D windows. See tf.keras.layers.MaxPooling3D. Input (batch, d1, d2, d3, channels)."""
    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(Pooling):
    """Mean over windows along time. See tf.keras.layers.AveragePooling1D."""
    rank, mode = 1, "average"


class AveragePooling2D(Pooling):
    """Mean over 2-D windows. See tf.keras.layers.AveragePooling2D."""
    rank, mode = 2, "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(Pooling):
    """Mean over 3-D windows. See tf.keras.layers.AveragePooling3D."""
    rank, mode = 3, "average"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class GlobalPooling(Layer):
    """The shared body of the global poolings: max or mean over every spatial axis.

    Args:
        data_format: "channels_last" or "channels_first".
        keepdims: keep the spatial axes with size 1.

    Input shape: (batch, *spatial, channels)   Output shape: (batch, channels), or keepdims
    """

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        y, self._cache = K.global_pool_forward(to_channels_last(inputs) if first else inputs,
                                               self.mode, self.keepdims)
        return to_channels_first(y) if first and self.keepdims else y

    def backward_call(self, dy):
        first = self.data_format == "channels_first"
        dx, grads = K.global_pool_backward(to_channels_last(dy) if first and self.keepdims
                                           else dy, self._cache)
        return (to_channels_first(dx) if first else dx), grads

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        channels = input_shape[1] if first else input_shape[-1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        return (input_shape[0], channels) + ones if first else (input_shape[0],) + ones + (channels,)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """See tf.keras.layers.GlobalMaxPooling1D."""
    rank, mode = 1, "max"


class GlobalMaxPooling2D(GlobalPooling):
    """See tf.keras.layers.GlobalMaxPooling2D."""
    rank, mode = 2, "max"


class GlobalMaxPooling3D(GlobalPooling):
    """See tf.keras.layers.GlobalMaxPooling3D."""
    rank, mode = 3, "max"


class GlobalAveragePooling1D(GlobalPooling):
    """See tf.keras.layers.GlobalAveragePooling1D.

    Call arguments: ``mask`` (batch, steps), optional: the mean is taken over the steps
    where it is True only, as Keras does (a row with every step masked gives 0/0 = nan,
    as in Keras).
    """
    rank, mode = 1, "average"
    supports_masking = True

    def call(self, inputs, mask=None):
        self._mask = None
        if mask is None:
            return super().call(inputs)
        mask = np.asarray(mask).astype(bool)
        axis = 1 if self.data_format == "channels_last" else 2
        if mask.shape != (inputs.shape[0], inputs.shape[axis]):
            raise ValueError(
                f"Layer '{self.name}' (GlobalAveragePooling1D) expected a mask of shape (batch, "
                f"steps) for an input of shape {inputs.shape}, but got shape {mask.shape}.")
        m = np.expand_dims(mask, 2 if axis == 1 else 1).astype(inputs.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            count = m.sum(axis=axis, keepdims=True)
            y = (inputs * m).sum(axis=axis, keepdims=True) / count
        self._mask = self._cache = (m, count, axis, inputs.shape)
        return y if self.keepdims else y.squeeze(axis)

    def backward_call(self, dy):
        if self._mask is None:
            return super().backward_call(dy)
        m, count, axis, shape = self._mask
        if not self.keepdims:
            dy = np.expand_dims(dy, axis)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.broadcast_to(dy / count, shape) * m, []

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(GlobalPooling):
    """See tf.keras.layers.GlobalAveragePooling2D."""
    rank, mode = 2, "average"


class GlobalAveragePooling3D(GlobalPooling):
    """See tf.keras.layers.GlobalAveragePooling3D."""
    rank, mode = 3, "average"
