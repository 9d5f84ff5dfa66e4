"""Resampling layers: UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

The pieces an encoder-decoder needs to make shapes meet: upsampling undoes a
pooling's downsampling, padding and cropping fix an odd size. None has weights;
each backward is the transpose of its forward (the sum over each copied block,
a crop of a pad, a pad of a crop).
"""
import numpy as np

from ..kernels import resampling as K
from .base import InputSpec, Layer
from .pooling import _data_format, to_channels_first, to_channels_last


def _ints(value, n, name, layer):
    """An int or a sequence of ``n`` ints, as Keras's standardize_tuple."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints; got {value!r}.")
    return tuple(int(v) for v in values)


def _pairs(value, rank, name, layer):
    """Keras's padding/cropping forms -> ((before, after), ...) for each of ``rank`` axes.

    1-D: an int or (before, after). 2-D/3-D: an int, a tuple of ``rank`` ints
    (symmetric per axis) or a tuple of ``rank`` pairs.
    """
    if rank == 1:
        pairs = (_ints(value, 2, name, layer),)
    elif isinstance(value, int):
        pairs = ((value, value),) * rank
    else:
        if len(value) != rank:
            raise ValueError(f"{layer}: {name} must be an int, {rank} ints or {rank} pairs of ints; "
                             f"got {value!r}.")
        pairs = tuple(_ints(v, 2, f"each entry of {name}", layer) for v in value)
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"{layer}: {name} must not be negative; got {value!r}.")
    return pairs


class _Spatial(Layer):
    """Shared body: a rank-(rank + 2) input, channels_last inside, a weightless kernel pair."""

    rank = None
    supports_masking = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_shape(self, input_shape):
        return list(input_shape[2:] if self.data_format == "channels_first" else input_shape[1:-1])

    def _with_spatial(self, input_shape, spatial):
        if self.data_format == "channels_first":
            return tuple(input_shape[:2]) + tuple(spatial)
        return (input_shape[0],) + tuple(spatial) + (input_shape[-1],)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        y, self._cache = self.kernel_forward(to_channels_last(inputs) if first else inputs)
        return to_channels_first(y) if first else y

    def backward_call(self, dy):
        first = self.data_format == "channels_first"
        dx, grads = self.kernel_backward(to_channels_last(dy) if first else dy, self._cache)
        return (to_channels_first(dx) if first else dx), grads

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class _UpSampling(_Spatial):
    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = _ints(size, self.rank, "size", type(self).__name__)

    def kernel_forward(self, x):
        return K.upsample_nearest_forward(x, self.size)

    def kernel_backward(self, dy, cache):
        return K.upsample_nearest_backward(dy, cache)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, [None if n is None else n * f for n, f in
                                                zip(self._spatial_shape(input_shape), self.size)])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times. See tf.keras.layers.UpSampling1D.

    Input shape: (batch, steps, features)      Output shape: (batch, steps * size, features)
    """
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)
        self.size = self.size[0]

    def kernel_forward(self, x):
        return K.upsample_nearest_forward(x, (self.size,))

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")              # Keras's UpSampling1D has none
        return config


class UpSampling2D(_UpSampling):
    """Upsamples rows and columns by ``size``. See tf.keras.layers.UpSampling2D.

    Args:
        size: an int or (rows, cols) factors.
        data_format: "channels_last" or "channels_first".
        interpolation: "nearest" (each value repeated) or "bilinear" (tf.image.resize's
            half-pixel-centre linear mix of the two nearest inputs on each axis).

    Input shape: (batch, rows, cols, channels)  Output shape: (batch, rows * s0, cols * s1, channels)
    """
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear' in the "
                             f"kit; got {interpolation!r}.")

    def kernel_forward(self, x):
        if self.interpolation == "bilinear":
            return K.upsample_bilinear_forward(x, self.size)
        return K.upsample_nearest_forward(x, self.size)

    def kernel_backward(self, dy, cache):
        if self.interpolation == "bilinear":
            return K.upsample_bilinear_backward(dy, cache)
        return K.upsample_nearest_backward(dy, cache)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size`` times along each axis. See tf.keras.layers.UpSampling3D."""
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size=size, data_format=data_format, **kwargs)


class _Padding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def kernel_forward(self, x):
        return K.zero_pad_forward(x, self.padding)

    def kernel_backward(self, dy, cache):
        return K.zero_pad_backward(dy, cache)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, [None if n is None else n + a + b for n, (a, b) in
                                                zip(self._spatial_shape(input_shape), self.padding)])

    def get_config(self):
        return {**super().get_config(),
                "padding": self.padding[0] if self.rank == 1 else self.padding}


class ZeroPadding1D(_Padding):
    """Zeros before and after the steps. See tf.keras.layers.ZeroPadding1D.

    Args: padding: an int or (before, after).
    """
    rank = 1


class ZeroPadding2D(_Padding):
    """Zeros around rows and columns. See tf.keras.layers.ZeroPadding2D.

    Args: padding: an int, (rows, cols) or ((top, bottom), (left, right)).
    """
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_Padding):
    """Zeros around each of the three spatial axes. See tf.keras.layers.ZeroPadding3D."""
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding=padding, data_format=data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def build(self, input_shape):
        for n, (a, b) in zip(self._spatial_shape(input_shape), self.cropping):
            if n is not None and a + b >= n:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) crops {self.cropping} from an "
                    f"input of shape {tuple(input_shape)}, which would leave nothing.")

    def kernel_forward(self, x):
        return K.crop_forward(x, self.cropping)

    def kernel_backward(self, dy, cache):
        return K.crop_backward(dy, cache)

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, [None if n is None else n - a - b for n, (a, b) in
                                                zip(self._spatial_shape(input_shape), self.cropping)])

    def get_config(self):
        return {**super().get_config(),
                "cropping": self.cropping[0] if self.rank == 1 else self.cropping}


class Cropping1D(_Cropping):
    """Removes steps at the start and the end. See tf.keras.layers.Cropping1D.

    Args: cropping: an int or (start, end).
    """
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping=cropping, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")              # Keras's Cropping1D has none
        return config


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges. See tf.keras.layers.Cropping2D.

    Args: cropping: an int, (rows, cols) or ((top, bottom), (left, right)).
    """
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes slices at the edges of each spatial axis. See tf.keras.layers.Cropping3D."""
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)
