"""Dropout and SpatialDropout1D/2D."""
import numpy as np

from .. import seeding
from ..kernels.dropout import dropout_backward, dropout_forward, dropout_mask
from .base import InputSpec, Layer


class Dropout(Layer):
    """Inverted dropout. See tf.keras.layers.Dropout.

    In training each element is zeroed with probability ``rate`` and the others
    are scaled by 1 / (1 - rate); in inference the layer is the identity.

    Args:
        rate: the probability of dropping an element, in [0, 1).
        noise_shape: the shape of the mask, broadcast against the input; None
            entries take the input's size; (None, 1, None) keeps or drops each channel
            for all time steps at once.
        seed: seeds the layer's own generator; None draws from the kit's global one.

    ``layer(x, training=True, keep_mask=m)`` uses the boolean mask ``m`` instead
    of drawing one (to replay a mask recovered from TensorFlow).

    Input shape: any      Output shape: the same
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1); got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = seeding.rng(seed) if seed is not None else None

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"Layer '{self.name}' (Dropout): noise_shape {self.noise_shape} "
                             f"must have the input's rank, {len(shape)} (input shape {shape}).")
        return tuple(n if d is None else d for d, n in zip(self.noise_shape, shape))

    def call(self, inputs, training=None, keep_mask=None):
        if not training or (self.rate == 0 and keep_mask is None):
            self._cache = (True, inputs.dtype.type(1))        # identity: dx = dy
            return inputs
        if keep_mask is None:
            keep_mask = dropout_mask(self._mask_shape(inputs.shape), self.rate,
                                     self._rng or seeding.rng())
        y, self._cache = dropout_forward(inputs, self.rate, np.asarray(keep_mask, dtype=bool))
        return y

    def backward_call(self, dy):
        return dropout_backward(dy, self._cache)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Drops whole channels of a sequence: noise_shape (batch, 1, channels). See tf.keras.layers.SpatialDropout1D.

    Input shape: (batch, steps, channels)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)      # as Keras: a rank-2 input is an error in both modes

    def _mask_shape(self, shape):
        return (shape[0], 1, shape[2])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        config.pop("trainable")              # Keras's SpatialDropout configs leave it out
        return config


class SpatialDropout2D(Dropout):
    """Drops whole feature maps. See tf.keras.layers.SpatialDropout2D.

    Input shape: (batch, height, width, channels), or channels_first
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(ndim=4)

    def _mask_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1)
        return (shape[0], 1, 1, shape[3])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        config.pop("trainable")              # Keras's SpatialDropout configs leave it out
        return {**config, "data_format": self.data_format}
