"""Noise and regularization layers: GaussianNoise, GaussianDropout, AlphaDropout,
SpatialDropout3D, ActivityRegularization.

Each random layer is the identity at inference. In training it draws its noise
from the kit's seeded generator, or takes it as a call argument (``noise=`` or
``keep_mask=``) so a test can replay the draw TensorFlow made (the kit cannot
reproduce TF's random stream; a shared draw is how dropout is compared too).
"""
import math

import numpy as np

from .. import regularizers, seeding
from ..kernels.activations import SELU_ALPHA, SELU_SCALE
from .base import InputSpec, Layer
from .regularization import Dropout


class _Noise(Layer):
    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = seeding.rng(seed) if seed is not None else None

    def _generator(self):
        return self._rng or seeding.rng()


class GaussianNoise(_Noise):
    """Adds N(0, stddev^2) noise in training. See tf.keras.layers.GaussianNoise.

    ``layer(x, training=True, noise=n)`` adds ``n`` instead of drawing it.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be >= 0; got {stddev!r}.")
        self.stddev = stddev

    def call(self, inputs, training=None, noise=None):
        self._cache = True
        if not training or (self.stddev == 0 and noise is None):
            return inputs
        if noise is None:
            noise = self._generator().standard_normal(inputs.shape) * self.stddev
        return inputs + np.asarray(noise, inputs.dtype)

    def backward_call(self, dy):
        return dy, []                # the noise does not depend on x

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies by N(1, rate / (1 - rate)) noise in training. See tf.keras.layers.GaussianDropout.

    ``layer(x, training=True, noise=n)`` multiplies by ``n`` instead of drawing it.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1); got {rate!r}.")
        self.rate = rate

    def call(self, inputs, training=None, noise=None):
        self._cache = (None,)                       # identity
        if not training or (self.rate == 0 and noise is None):
            return inputs
        if noise is None:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = 1 + self._generator().standard_normal(inputs.shape) * stddev
        self._cache = (np.asarray(noise, inputs.dtype),)
        return inputs * self._cache[0]

    def backward_call(self, dy):
        noise = self._cache[0]
        return (dy if noise is None else dy * noise), []

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_Noise):
    """Dropout that keeps SELU's mean and variance. See tf.keras.layers.AlphaDropout.

    Dropped values become SELU's negative saturation -alpha * scale (not 0); then
    a * x + b restores mean 0 and variance 1 for a SELU network's activations.
    ``layer(x, training=True, keep_mask=m)`` replays a keep mask.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"AlphaDropout: rate must be in [0, 1); got {rate!r}.")
        self.rate, self.noise_shape = rate, noise_shape

    def _affine(self):
        alpha_p = -SELU_ALPHA * SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        return alpha_p, a, -a * alpha_p * self.rate

    def call(self, inputs, training=None, keep_mask=None):
        self._cache = (None, None)                  # identity
        if not training or (self.rate == 0 and keep_mask is None):
            return inputs
        if keep_mask is None:
            shape = inputs.shape if self.noise_shape is None else tuple(
                n if s is None else s for s, n in zip(self.noise_shape, inputs.shape))
            keep_mask = self._generator().random(shape) >= self.rate
        keep = np.asarray(keep_mask).astype(inputs.dtype)
        alpha_p, a, b = self._affine()
        t = inputs.dtype.type
        self._cache = (keep, t(a))
        return t(a) * (inputs * keep + t(alpha_p) * (1 - keep)) + t(b)

    def backward_call(self, dy):
        keep, a = self._cache
        if keep is None:
            return dy, []
        return np.broadcast_to(dy * keep * a, dy.shape).astype(dy.dtype), []

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class SpatialDropout3D(Dropout):
    """Drops whole 3-D feature maps. See tf.keras.layers.SpatialDropout3D.

    Input shape: (batch, d1, d2, d3, channels), or channels_first
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(ndim=5)

    def _mask_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1, 1)
        return (shape[0], 1, 1, 1, shape[4])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        config.pop("trainable")              # Keras's SpatialDropout configs leave it out
        return {**config, "data_format": self.data_format}


class ActivityRegularization(Layer):
    """The identity, plus an L1/L2 penalty on its input in ``losses``. See tf.keras.layers.ActivityRegularization."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        self._cache = True
        return inputs

    def backward_call(self, dy):
        return dy, []                 # the base backward adds the penalty's gradient

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
