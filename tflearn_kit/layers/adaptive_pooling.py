"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: pool to a fixed output size."""
from ..kernels import adaptive_pooling as K
from .base import InputSpec, Layer
from .pooling import _data_format, to_channels_first, to_channels_last


class _AdaptivePooling(Layer):
    """Shared body. See tf.keras.layers.AdaptiveAveragePooling2D.

    Args:
        output_size: an int or one int per spatial axis.
        data_format: "channels_last" or "channels_first".

    Input shape: (batch, *spatial, channels)   Output shape: (batch, *output_size, channels)
    """

    rank, mode = None, None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        sizes = (output_size,) * self.rank if isinstance(output_size, int) else tuple(output_size)
        if len(sizes) != self.rank or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(f"{type(self).__name__}: output_size must be a positive int or "
                             f"{self.rank} of them; got {output_size!r}.")
        self.output_size = sizes
        self.data_format = _data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        first = self.data_format == "channels_first"
        forward = K.adaptive_max_forward if self.mode == "max" else K.adaptive_average_forward
        y, self._cache = forward(to_channels_last(inputs) if first else inputs, self.output_size)
        return to_channels_first(y) if first else y

    def backward_call(self, dy):
        first = self.data_format == "channels_first"
        backward = K.adaptive_max_backward if self.mode == "max" else K.adaptive_average_backward
        dx, grads = backward(to_channels_last(dy) if first else dy, self._cache)
        return (to_channels_first(dx) if first else dx), grads

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_first":
            return tuple(input_shape[:2]) + self.output_size
        return (input_shape[0],) + self.output_size + (input_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveAveragePooling1D."""
    rank, mode = 1, "average"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveAveragePooling2D."""
    rank, mode = 2, "average"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveAveragePooling3D."""
    rank, mode = 3, "average"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveMaxPooling1D."""
    rank, mode = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveMaxPooling2D."""
    rank, mode = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """See tf.keras.layers.AdaptiveMaxPooling3D."""
    rank, mode = 3, "max"
