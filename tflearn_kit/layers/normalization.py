"""BatchNormalization, LayerNormalization, RMSNormalization and UnitNormalization."""
import numpy as np

from .. import constraints, initializers, regularizers
from ..kernels.attention import (rms_normalization_backward, rms_normalization_forward,
                                 unit_normalization_backward, unit_normalization_forward)
from ..fast import normalization as fast     # the kernels of kernels/normalization.py, faster on big batches
from ..kernels.normalization import moving_average, rms_scale_backward, rms_scale_forward
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
        beta_regularizer, gamma_regularizer: penalties; beta_constraint, gamma_constraint.
        synchronized: accepted (one device: the same computation).
        renorm: batch renormalization: in training y = (x_hat r + d) gamma + beta, with
            r = batch std / renorm_stddev and d = (batch mean - renorm_mean) / renorm_stddev
            clipped by ``renorm_clipping`` ({"rmin", "rmax", "dmax"}) and not differentiated;
            renorm_mean/renorm_stddev move with ``renorm_momentum``, the inference statistics
            with ``momentum`` (moving_variance derived from moving_stddev, as in Keras).

    Input shape: any, rank >= 2      Output shape: the same
    Weights (Keras's order): gamma (C,), beta (C,), then non-trainable moving_mean (C,), moving_variance (C,)
    (renorm: then moving_stddev, renorm_mean, renorm_stddev)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        # synchronized only changes how replicas share statistics; on one device it is plain BN
        self.synchronized, self.renorm = bool(synchronized), bool(renorm)
        self.renorm_clipping, self.renorm_momentum = renorm_clipping, renorm_momentum
        if self.renorm:
            self.renorm_clipping = dict(renorm_clipping or {})
            if set(self.renorm_clipping) - {"rmax", "rmin", "dmax"}:
                raise ValueError(f"BatchNormalization: renorm_clipping takes the keys rmax, rmin, "
                                 f"dmax; got {renorm_clipping!r}.")
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
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"Layer '{self.name}' (BatchNormalization): axis {self.axis} is out "
                             f"of range for an input of rank {len(input_shape)}.")
        shape = (input_shape[self.axis],)
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if self.center else None
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        if self.renorm:
            # Batch renormalization (Ioffe 2017) tracks standard deviations, as Keras does:
            # the inference one, and a training-time mean and stddev that r and d correct towards
            self.moving_stddev = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                                 name="moving_stddev")
            self.moving_stddev[...] = np.sqrt(self.moving_variance)
            self.renorm_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                               trainable=False, name="renorm_mean")
            self.renorm_stddev = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                                 name="renorm_stddev")
            self.renorm_stddev[...] = self.moving_stddev
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: shape[0]})

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        channel = self.axis % ndim
        stat_axes = tuple(a for a in range(ndim) if a != channel)

        def b(p):
            return None if p is None else _broadcast(p, ndim, (channel,))

        self._renorm = None
        if training and self.trainable and self.renorm:
            y, cache = self._renorm_call(inputs, stat_axes, b)
        elif training and self.trainable:
            y, cache = fast.normalize_forward(inputs, stat_axes, b(self.gamma), b(self.beta),
                                              self.epsilon)
            mean, variance = cache[-1]
            # in place, so layer.moving_mean stays the array in layer.weights
            self.moving_mean[...] = moving_average(self.moving_mean, mean.reshape(-1),
                                                   self.momentum)
            self.moving_variance[...] = moving_average(self.moving_variance,
                                                       variance.reshape(-1), self.momentum)
        else:
            y, cache = fast.normalize_forward(inputs, stat_axes, b(self.gamma), b(self.beta),
                                              self.epsilon, b(self.moving_mean),
                                              b(self.moving_variance))
        self._cache = (cache, channel)
        return y

    def _renorm_call(self, inputs, stat_axes, b):
        """Training with renorm: y = (x_hat r + d) gamma + beta, r and d constants for backward."""
        t = inputs.dtype.type
        mean = inputs.mean(axis=stat_axes)
        variance = ((inputs - b(mean)) ** 2).mean(axis=stat_axes)
        stddev = np.sqrt(variance + t(self.epsilon))
        renorm_stddev = np.maximum(self.renorm_stddev, np.sqrt(t(self.epsilon)))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean) / renorm_stddev
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = np.maximum(r, t(clip["rmin"]))
        if clip.get("rmax") is not None:
            r = np.minimum(r, t(clip["rmax"]))
        if clip.get("dmax") is not None:
            d = np.clip(d, -t(clip["dmax"]), t(clip["dmax"]))
        gamma = r * self.gamma if self.gamma is not None else r
        beta = d * self.gamma if self.gamma is not None else d
        if self.beta is not None:
            beta = beta + self.beta
        y, cache = fast.normalize_forward(inputs, stat_axes, b(gamma), b(beta), self.epsilon)
        self._renorm = (r, d)
        # the moving statistics, in Keras's order and formulas
        self.renorm_mean[...] = moving_average(self.renorm_mean, mean, self.renorm_momentum)
        self.renorm_stddev[...] = moving_average(self.renorm_stddev, stddev, self.renorm_momentum)
        self.moving_mean[...] = moving_average(self.moving_mean, mean, self.momentum)
        self.moving_stddev[...] = moving_average(self.moving_stddev, stddev, self.momentum)
        self.moving_variance[...] = np.maximum(self.moving_stddev ** 2 - t(self.epsilon), 0)
        return y, cache

    def backward_call(self, dy):
        cache, channel = self._cache
        dx, grads = fast.normalize_backward(dy, cache, param_axes=(channel,))
        grads = [g.reshape(-1) for g in grads]
        if self._renorm is None:
            return dx, grads
        # the effective scale r gamma and shift d gamma + beta: r and d are not differentiated
        r, d = self._renorm
        dscale, dshift = grads
        out = [r * dscale + d * dshift] if self.gamma is not None else []
        return dx, out + ([dshift] if self.beta is not None else [])

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "momentum": self.momentum,
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            **self._weight_config("beta", "gamma"),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized, "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(Layer):
    """Normalize each example over its feature axes. See tf.keras.layers.LayerNormalization.

    The statistics are per example (no batch statistics, no moving averages), so
    training and inference compute the same thing.

    Args:
        axis: an int or a list of ints, the axes to normalize over (default the last).
        epsilon, center, scale, beta/gamma initializers, regularizers and constraints: as in
            BatchNormalization.
        rms_scaling: x / sqrt(variance + epsilon) * gamma, with no centering and no beta
            (Keras 3's definition: it divides by the standard deviation, not the RMS; Keras
            warns that the argument is deprecated for that reason, RMSNormalization being the
            real RMS norm).

    Input shape: any      Output shape: the same
    Weights: gamma, beta. Their shape is Keras's: the sizes of the axes in the order
    ``sorted(axis)`` gives as written (axis=[1, -1] on (b, 5, 1) gives (1, 5)), reshaped
    onto the input's axes when applied, so ``set_weights(keras_layer.get_weights())`` works.
    """

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(axis, int) or (isinstance(axis, (list, tuple))
                                          and all(isinstance(a, int) for a in axis))):
            raise ValueError(f"LayerNormalization: axis must be an int or a list of ints; "
                             f"got {axis!r}.")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"Layer '{self.name}' (LayerNormalization): axis {self.axis} is out "
                             f"of range for an input of rank {ndim}.")
        return tuple(sorted(a % ndim for a in axes))

    def build(self, input_shape):
        self._axes(len(input_shape))
        # Keras sorts the axes as written (negatives first), so the weights follow that order
        keras_axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[a] for a in keras_axes)
        self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if self.scale or self.rms_scaling else None
        self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if self.center and not self.rms_scaling else None
        axes = self._axes(len(input_shape))
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        axes = self._axes(inputs.ndim)
        shape = [1] * inputs.ndim
        for a in axes:
            shape[a] = inputs.shape[a]

        def b(p):        # a reshape, as Keras does, not a transpose
            return None if p is None else p.reshape(shape)

        if self.rms_scaling:
            y, cache = rms_scale_forward(inputs, axes, b(self.gamma), self.epsilon)
        else:
            y, cache = fast.normalize_forward(inputs, axes, b(self.gamma), b(self.beta), self.epsilon)
        self._cache = (cache, axes)
        return y

    def backward_call(self, dy):
        cache, axes = self._cache
        if self.rms_scaling:
            dx, grads = rms_scale_backward(dy, cache)
        else:
            dx, grads = fast.normalize_backward(dy, cache, param_axes=axes)
        params = [w for w in (self.gamma, self.beta) if w is not None]
        return dx, [g.reshape(w.shape) for g, w in zip(grads, params)]

    def get_config(self):
        return {
            **super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale, "rms_scaling": self.rms_scaling,
            **self._weight_config("beta", "gamma"),
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
