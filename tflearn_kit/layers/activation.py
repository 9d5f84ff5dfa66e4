"""Activation layers with arguments or weights: ELU and PReLU.

ReLU, LeakyReLU, Softmax and Activation live in ``core.py`` beside Dense.
"""
import numpy as np

from .. import activations, constraints, initializers, regularizers
from .base import InputSpec, Layer
from .core import Activation


class ELU(Activation):
    """x for x > 0, alpha (e^x - 1) otherwise. See tf.keras.layers.ELU.

    Input shape: any      Output shape: the same
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(activations.Activation("elu", alpha=alpha), **kwargs)
        self.alpha = alpha

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "alpha": self.alpha}


class PReLU(Layer):
    """x for x > 0, alpha * x otherwise, with a learned alpha per element. See tf.keras.layers.PReLU.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the weight ``alpha``.
        shared_axes: axes (1 = the first after the batch) along which one alpha is shared,
            e.g. [1, 2] for one alpha per channel of an image.

    Input shape: (batch, ...)      Output shape: the same
    Weights: alpha, the input shape without the batch, 1 on the shared axes.
    """

    supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) \
                else [shared_axes]

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"Layer '{self.name}' (PReLU): shared_axes must be between 1 and "
                    f"{len(input_shape) - 1} for an input of shape {tuple(input_shape)}; got "
                    f"{self.shared_axes}.")
            param_shape[axis - 1] = 1
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={
            i: input_shape[i] for i in range(1, len(input_shape))
            if i not in (self.shared_axes or ())})

    def call(self, inputs):
        negative = np.minimum(inputs, 0)
        self._cache = (inputs, negative)
        return np.maximum(inputs, 0) + self.alpha * negative

    def backward_call(self, dy):
        x, negative = self._cache
        # d/dx: 1 above 0, alpha at or below (relu's derivative at 0 is 0, as in TF)
        dx = np.where(x > 0, dy, np.where(x < 0, dy * self.alpha, 0))
        # alpha is broadcast over the batch and the shared axes: sum its gradient back over them
        dalpha = dy * negative
        axes = tuple(i for i, n in enumerate(self.alpha.shape, start=1) if n == 1 and x.shape[i] != 1)
        dalpha = dalpha.sum(axis=(0,) + axes, keepdims=True)[0]
        return dx.astype(dy.dtype), [dalpha.astype(self.alpha.dtype)]

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}
