"""GroupNormalization, Normalization (adapted statistics) and Rescaling.

GroupNormalization normalizes each example over groups of channels (a batch-size-free
batch norm); Normalization and Rescaling are the fixed affine maps Keras puts at the
front of a model: (x - mean) / std with statistics from ``adapt``, and x * scale + offset.
"""
import numpy as np

from .. import constraints, initializers, regularizers
from ..kernels.normalization import normalize_backward, normalize_forward
from .base import InputSpec, Layer

EPSILON = 1e-7      # keras.backend.epsilon(): the smallest standard deviation Normalization divides by


class GroupNormalization(Layer):
    """Normalize each example over groups of channels. See tf.keras.layers.GroupNormalization.

    The channels are split into ``groups`` groups; mean and variance are taken per
    example and per group over the group's channels and every spatial position.
    groups = channels is instance normalization; groups = 1 is layer normalization
    over (spatial, channels) with a per-channel gamma.

    Args:
        groups: the number of groups (-1: one per channel); must divide the channels.
        axis: the channel axis. epsilon, center, scale, initializers, regularizers and
            constraints of gamma and beta as in LayerNormalization.

    Input shape: (batch, ..., channels)      Output shape: the same
    Weights: gamma (channels,), beta (channels,)
    """

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: groups must be a positive integer or -1; "
                             f"got {groups!r}.")
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization): {self.groups} groups must divide the "
                f"{dim} channels of axis {self.axis}; got input shape {tuple(input_shape)}.")
        self.gamma = self.add_weight(shape=(dim,), initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=(dim,), initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if self.center else None
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})

    def call(self, inputs):
        axis = self.axis % inputs.ndim
        # (batch, ..., C, ...) -> (batch, ..., groups, C / groups, ...): the group is an axis
        grouped = inputs.reshape(inputs.shape[:axis] + (self.groups, -1) + inputs.shape[axis + 1:])
        stats_axes = tuple(a for a in range(1, grouped.ndim) if a != axis)
        shape = [1] * grouped.ndim
        shape[axis], shape[axis + 1] = self.groups, grouped.shape[axis + 1]

        def b(p):
            return None if p is None else p.reshape(shape)

        y, cache = normalize_forward(grouped, stats_axes, b(self.gamma), b(self.beta), self.epsilon)
        self._cache = (cache, axis, grouped.shape)
        return y.reshape(inputs.shape)

    def backward_call(self, dy):
        cache, axis, grouped_shape = self._cache
        dx, grads = normalize_backward(dy.reshape(grouped_shape), cache,
                                       param_axes=(axis, axis + 1))
        return dx.reshape(dy.shape), [g.reshape(-1) for g in grads]

    def get_config(self):
        return {
            **super().get_config(), "groups": self.groups, "axis": self.axis,
            "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            **self._weight_config("beta", "gamma"),
        }


class Normalization(Layer):
    """(x - mean) / sqrt(variance), per feature. See tf.keras.layers.Normalization.

    The statistics come from ``mean``/``variance`` given at construction, or from
    ``adapt(data)`` (then they are the non-trainable weights mean, variance, count, as
    in Keras). ``invert=True`` maps back: mean + x * sqrt(variance).

    Args:
        axis: the axes that keep their own statistics (default the last; None: one mean
            and variance for everything).
        mean, variance: fixed statistics (scalars or arrays over ``axis``).
        invert: apply the inverse map.
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: give both mean and variance or neither; got "
                             f"mean={mean!r}, variance={variance!r}.")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Layer '{self.name}' (Normalization): axis {self.axis} is out of "
                             f"range for an input of shape {tuple(input_shape)}.")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        self._reduce = tuple(a for a in range(ndim) if a not in self._keep)
        self._broadcast = [input_shape[a] if a in self._keep else 1 for a in range(ndim)]
        if self.input_mean is None:
            shape = tuple(input_shape[a] for a in self._keep)
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                              name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones",
                                                  trainable=False, name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int64",
                                         trainable=False, name="count")

    def adapt(self, data):
        """Set mean and variance from ``data``: an array or an iterable of batches."""
        batches = [np.asarray(data)] if hasattr(data, "shape") else [np.asarray(b) for b in data]
        if not self.built:
            self.build(batches[0].shape)        # build marks the layer built (Layer.__init_subclass__)
        # running combination of (count, mean, variance), as Keras merges batches
        total, mean, var = 0, 0.0, 0.0
        for b in batches:
            b = b.astype(np.float64)
            n = int(np.prod([b.shape[a] for a in self._reduce]))
            bm = b.mean(axis=self._reduce)
            bv = b.var(axis=self._reduce)
            new_total = total + n
            w = n / new_total
            new_mean = mean * (1 - w) + bm * w
            var = (var + (mean - new_mean) ** 2) * (1 - w) + (bv + (bm - new_mean) ** 2) * w
            mean, total = new_mean, new_total
        self.adapt_mean[...] = mean
        self.adapt_variance[...] = var
        self.count[...] = total

    def _statistics(self):
        if self.input_mean is not None:
            mean = np.asarray(self.input_mean, self.dtype)
            var = np.asarray(self.input_variance, self.dtype)
            if mean.ndim:
                shape = [1] * len(self._broadcast)
                for i in range(1, mean.ndim + 1):
                    shape[self._keep[-i]] = mean.shape[-i]
                mean, var = mean.reshape(shape), var.reshape(shape)
            return mean, var
        return self.adapt_mean.reshape(self._broadcast), self.adapt_variance.reshape(self._broadcast)

    def call(self, inputs):
        mean, var = self._statistics()
        std = np.maximum(np.sqrt(var), inputs.dtype.type(EPSILON))
        self._cache = std
        return mean + inputs * std if self.invert else (inputs - mean) / std

    def backward_call(self, dy):
        std = self._cache
        return np.broadcast_to(dy * std if self.invert else dy / std, dy.shape).astype(dy.dtype), []

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}


class Rescaling(Layer):
    """x * scale + offset. See tf.keras.layers.Rescaling (e.g. scale=1/255 for pixels).

    Args: scale, offset: numbers, or arrays that broadcast against the input.

    Keras casts a Python number or list through a float32 tensor, so in a float64 layer
    1/255 is float32(1/255); the kit does the same (a NumPy array keeps its precision).
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    @staticmethod
    def _as_tf_casts(value, dtype):
        if isinstance(value, np.ndarray):
            return value.astype(dtype)
        return np.asarray(value, np.float32).astype(dtype)

    def call(self, inputs):
        self._cache = self._as_tf_casts(self.scale, inputs.dtype)
        return inputs * self._cache + self._as_tf_casts(self.offset, inputs.dtype)

    def backward_call(self, dy):
        return np.broadcast_to(dy * self._cache, dy.shape).astype(dy.dtype), []

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
