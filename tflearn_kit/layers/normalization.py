"""BatchNormalization, LayerNormalization, RMSNormalization and UnitNormalization."""
from .. import initializers, regularizers
from ..kernels.attention import (rms_normalization_backward, rms_normalization_forward,
                                 unit_normalization_backward, unit_normalization_forward)
from ..kernels.normalization import moving_average, normalize_backward, normalize_forward
from .base import InputSpec, Layer


def _broadcast(param, ndim, axes):
    """A parameter over ``axes`` reshaped to broadcast against an input of rank ``ndim``."""
    shape = [1] * ndim
    for size, axis in zip(param.shape, axes):
        shape[axis] = size
    return param.reshape(shape)


class BatchNormalization(Layer):
    """Normalize each channel with the batch's statistics. See tf.keras.layers.BatchNormalization.

    In training (``training=True``) the layer normalizes with the mean and the
    biased variance of the batch (over every axis but ``axis``) and moves its
    moving statistics toward them; in inference it uses the moving statistics.
    A frozen layer (``trainable=False``) always runs in inference mode, as in Keras 3.

    Args:
        axis: the channel axis (-1 for channels_last, 1 for channels_first).
        momentum: moving = moving * momentum + batch * (1 - momentum).
        epsilon: added to the variance before the square root.
        center, scale: whether to learn beta (shift) and gamma (scale).
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: names or initializers.
        beta_regularizer, gamma_regularizer: penalties.

    Input shape: any, rank >= 2      Output shape: the same
    Weights (Keras's order): gamma (C,), beta (C,), then non-trainable moving_mean (C,), moving_variance (C,)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"BatchNormalization: axis must be an int; got {axis!r}.")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1]; got {momentum!r}.")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"Layer '{self.name}' (BatchNormalization): axis {self.axis} is out "
                             f"of range for an input of rank {len(input_shape)}.")
        shape = (input_shape[self.axis],)
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    name="beta") if self.center else None
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: shape[0]})

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        channel = self.axis % ndim
        stat_axes = tuple(a for a in range(ndim) if a != channel)

        def b(p):
            return None if p is None else _broadcast(p, ndim, (channel,))

        if training and self.trainable:
            y, cache = normalize_forward(inputs, stat_axes, b(self.gamma), b(self.beta),
                                         self.epsilon)
            mean, variance = cache[-1]
            # in place, so layer.moving_mean stays the array in layer.weights
            self.moving_mean[...] = moving_average(self.moving_mean, mean.reshape(-1),
                                                   self.momentum)
            self.moving_variance[...] = moving_average(self.moving_variance,
                                                       variance.reshape(-1), self.momentum)
        else:
            y, cache = normalize_forward(inputs, stat_axes, b(self.gamma), b(self.beta),
                                         self.epsilon, b(self.moving_mean),
                                         b(self.moving_variance))
        self._cache = (cache, channel)
        return y

    def backward_call(self, dy):
        cache, channel = self._cache
        dx, grads = normalize_backward(dy, cache, param_axes=(channel,))
        return dx, [g.reshape(-1) for g in grads]

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "momentum": self.momentum,
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }


class LayerNormalization(Layer):
    """Normalize each example over its feature axes. See tf.keras.layers.LayerNormalization.

    The statistics are per example (no batch statistics, no moving averages), so
    training and inference compute the same thing.

    Args:
        axis: an int or a list of ints, the axes to normalize over (default the last).
        epsilon, center, scale, beta/gamma initializers and regularizers: as in BatchNormalization.

    Input shape: any      Output shape: the same
    Weights: gamma, beta with the sizes of the normalized axes
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(axis, int) or (isinstance(axis, (list, tuple))
                                          and all(isinstance(a, int) for a in axis))):
            raise ValueError(f"LayerNormalization: axis must be an int or a list of ints; "
                             f"got {axis!r}.")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): axis {self.axis} is out "
                             f"of range for an input of rank {ndim}.")
        return tuple(sorted(a % ndim for a in axes))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    name="beta") if self.center else None
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        axes = self._axes(inputs.ndim)

        def b(p):
            return None if p is None else _broadcast(p, inputs.ndim, axes)

        y, cache = normalize_forward(inputs, axes, b(self.gamma), b(self.beta), self.epsilon)
        self._cache = (cache, axes)
        return y

    def backward_call(self, dy):
        cache, axes = self._cache
        dx, grads = normalize_backward(dy, cache, param_axes=axes)
        shape = tuple(dy.shape[a] for a in axes)
        return dx, [g.reshape(shape) for g in grads]

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
        }


class RMSNormalization(Layer):
    """x / sqrt(mean(x^2) + epsilon) * scale. See tf.keras.layers.RMSNormalization.

    LayerNormalization without the mean and the shift: cheaper, and what recent
    Transformers use.

    Args:
        axis: the axis (or trailing axes) the mean of squares runs over.
        epsilon: added under the square root.

    Input shape: any      Output shape: the same
    Weights: scale (the sizes of ``axis``), initialized to ones
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, float(epsilon)

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        self.scale = self.add_weight(name="scale", shape=tuple(input_shape[a] for a in axes),
                                     initializer="ones")
        self.input_spec = InputSpec(min_ndim=max(axes) + 1,
                                    axes={a - len(input_shape): input_shape[a] for a in axes})

    def call(self, inputs):
        axes = self._axes(inputs.ndim)
        scale = _broadcast(self.scale, inputs.ndim, axes)
        y, self._cache = rms_normalization_forward(inputs, scale, tuple(axes), self.epsilon)
        return y

    def backward_call(self, dy):
        dx, (dscale,) = rms_normalization_backward(dy, self._cache)
        return dx, [dscale.reshape(self.scale.shape)]

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scale every vector along ``axis`` to length 1. See tf.keras.layers.UnitNormalization.

    Input shape: any      Output shape: the same      Weights: none
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        y, self._cache = unit_normalization_forward(inputs, axis)
        return y

    def backward_call(self, dy):
        return unit_normalization_backward(dy, self._cache)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
