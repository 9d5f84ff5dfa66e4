"""Losses with Keras 3's formulas, each with its gradient with respect to the predictions.

A loss object is called as Keras's is: ``loss(y_true, y_pred)`` returns a scalar.
Keras first computes one value per sample (averaging over the last axis where the
formula is elementwise), then reduces them with ``sum_over_batch_size``: the sum
divided by the number of values. ``loss.gradient(y_true, y_pred)`` returns
dL/dy_pred for that scalar, with y_pred's shape, ready for ``model.backward``.

What Keras does that a textbook does not, reproduced here:

- Crossentropy on probabilities clips them to [1e-7, 1 - 1e-7] (``backend.epsilon()``),
  and categorical crossentropy first divides by their sum. The gradient is zero
  where the clip is active, as TensorFlow's ``clip_by_value`` gradient is.
- ``from_logits=True`` uses the stable forms: log-sum-exp for softmax, and
  ``max(z, 0) - z t + log(1 + e^-|z|)`` for the sigmoid.
- Sparse crossentropy on probabilities takes ``log(clip(p))`` as logits of a
  softmax, so its value is ``log(sum clip(p)) - log(clip(p)[label])``, not
  just ``-log p[label]``.
- In ``fit``, when the model's last op is a softmax (or sigmoid) activation,
  Keras computes the crossentropy from the activation's input instead (its
  ``_keras_logits``): the kit's models do the same through
  :meth:`Loss.logits_twin`.
"""
import numpy as np

from . import serialization
from .serialization import lookup

EPSILON = 1e-7          # keras.backend.epsilon()


def _same_rank(y_true, y_pred):
    """Keras's squeeze_or_expand_to_same_rank: labels (n,) against predictions (n, 1) and back."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    return y_true


def _logsumexp(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))[..., 0]


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ---- per-sample losses and their gradients ----------------------------------------------
# Each pair: f(y_true, y_pred) -> values of shape y_pred.shape[:-1] (or the sparse labels'
# shape), and f_grad(y_true, y_pred, dvalues) -> dL/dy_pred given dL/dvalues.

def mean_squared_error(y_true, y_pred):
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_squared_error_grad(y_true, y_pred, dvalues):
    return dvalues[..., None] * (2 / y_pred.shape[-1]) * (y_pred - y_true)


def mean_absolute_error(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mean_absolute_error_grad(y_true, y_pred, dvalues):
    return dvalues[..., None] * np.sign(y_pred - y_true) / y_pred.shape[-1]


def huber(y_true, y_pred, delta=1.0):
    error = y_pred - y_true
    abs_error = np.abs(error)
    delta = y_pred.dtype.type(delta)
    quadratic = 0.5 * np.square(error)
    linear = delta * abs_error - 0.5 * np.square(delta)
    return np.mean(np.where(abs_error <= delta, quadratic, linear), axis=-1)


def huber_grad(y_true, y_pred, dvalues, delta=1.0):
    error = y_pred - y_true
    delta = y_pred.dtype.type(delta)
    g = np.where(np.abs(error) <= delta, error, delta * np.sign(error))
    return dvalues[..., None] * g / y_pred.shape[-1]


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Mean over the last axis of -[t log p + (1 - t) log(1 - p)]."""
    if from_logits:
        z = y_pred
        values = np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        values = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return np.mean(values, axis=-1)


def binary_crossentropy_grad(y_true, y_pred, dvalues, from_logits=False):
    scale = dvalues[..., None] / y_pred.shape[-1]
    if from_logits:
        return scale * (_sigmoid(y_pred) - y_true)
    inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)    # clip_by_value's gradient
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    return scale * inside * (-y_true / p + (1 - y_true) / (1 - p))


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-sum t log p over the last axis (p renormalized and clipped, or softmax of logits)."""
    if from_logits:
        return (y_true * (_logsumexp(y_pred)[..., None] - y_pred)).sum(axis=-1)
    q = y_pred / y_pred.sum(axis=-1, keepdims=True)
    return -(y_true * np.log(np.clip(q, EPSILON, 1 - EPSILON))).sum(axis=-1)


def categorical_crossentropy_grad(y_true, y_pred, dvalues, from_logits=False):
    d = dvalues[..., None]
    if from_logits:
        return d * (_softmax(y_pred) * y_true.sum(axis=-1, keepdims=True) - y_true)
    total = y_pred.sum(axis=-1, keepdims=True)
    q = y_pred / total
    inside = (q >= EPSILON) & (q <= 1 - EPSILON)
    dq = inside * (-y_true / np.clip(q, EPSILON, 1 - EPSILON))
    # q = p / sum(p): dL/dp_j = (dL/dq_j - sum_i dL/dq_i q_i) / sum(p)
    return d * (dq - (dq * q).sum(axis=-1, keepdims=True)) / total


def _sparse_labels(y_true, y_pred):
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: expected integer labels of shape "
            f"{y_pred.shape[:-1]} (or with a trailing 1) for predictions of shape "
            f"{y_pred.shape}, but got labels of shape {np.shape(y_true)}."
        )
    return labels.astype(np.int64)


def _one_hot(labels, depth, dtype):
    return (labels[..., None] == np.arange(depth)).astype(dtype)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-log p[label]; on probabilities, TF's form log(sum clip(p)) - log clip(p)[label]."""
    labels = _sparse_labels(y_true, y_pred)
    z = y_pred if from_logits else np.log(np.clip(y_pred, EPSILON, 1 - EPSILON))
    picked = np.take_along_axis(z, labels[..., None], axis=-1)[..., 0]
    return _logsumexp(z) - picked


def sparse_categorical_crossentropy_grad(y_true, y_pred, dvalues, from_logits=False):
    labels = _sparse_labels(y_true, y_pred)
    onehot = _one_hot(labels, y_pred.shape[-1], y_pred.dtype)
    d = dvalues[..., None]
    if from_logits:
        return d * (_softmax(y_pred) - onehot)
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
    dz = p / p.sum(axis=-1, keepdims=True) - onehot        # softmax(log p) - onehot
    return d * inside * dz / p


# ---- Loss classes ----------------------------------------------------------------------

class Loss:
    """Base class: ``loss(y_true, y_pred)`` -> scalar; ``gradient`` -> dL/dy_pred.

    See keras.losses.Loss. Only Keras's default reduction, ``sum_over_batch_size``
    (the mean of the per-sample values), and ``sum`` are supported.
    """

    fn = staticmethod(mean_squared_error)
    grad_fn = staticmethod(mean_squared_error_grad)

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        if reduction not in ("sum_over_batch_size", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'sum_over_batch_size' "
                             f"or 'sum'; got {reduction!r}.")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)
        self.kwargs = kwargs

    def _prepare(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        if not np.issubdtype(y_pred.dtype, np.floating):
            y_pred = y_pred.astype("float32")
        y_true = np.asarray(y_true)
        if self.fn is not sparse_categorical_crossentropy:
            y_true = _same_rank(y_true.astype(y_pred.dtype), y_pred)   # Keras casts y_true
            if y_true.shape != y_pred.shape:
                raise ValueError(
                    f"{type(self).__name__}: y_true and y_pred must have the same shape; "
                    f"got {y_true.shape} and {y_pred.shape}."
                )
        return y_true, y_pred

    def _scale(self, values):
        return 1.0 if self.reduction == "sum" else 1.0 / max(values.size, 1)

    def __call__(self, y_true, y_pred):
        y_true, y_pred = self._prepare(y_true, y_pred)
        values = self.fn(y_true, y_pred, **self.kwargs)
        total = values.sum(dtype=values.dtype)
        return y_pred.dtype.type(total * values.dtype.type(self._scale(values)))

    def gradient(self, y_true, y_pred):
        """dL/dy_pred of the reduced (scalar) loss, with y_pred's shape and dtype."""
        y_true, y_pred = self._prepare(y_true, y_pred)
        values = self.fn(y_true, y_pred, **self.kwargs)
        dvalues = np.full(values.shape, self._scale(values), dtype=y_pred.dtype)
        return self.grad_fn(y_true, y_pred, dvalues, **self.kwargs).astype(y_pred.dtype, copy=False)

    def logits_twin(self, activation_name):
        """The same loss on the activation's input, or None.

        Keras computes a probability crossentropy from the logits when the
        prediction comes straight out of a softmax (categorical) or sigmoid
        (binary) activation. Returns that from_logits loss, or None.
        """
        if self.kwargs.get("from_logits", True):
            return None
        wanted = {binary_crossentropy: "sigmoid"}.get(self.fn, "softmax")
        if self.fn not in (binary_crossentropy, categorical_crossentropy,
                           sparse_categorical_crossentropy) or activation_name != wanted:
            return None
        twin = type(self).__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.kwargs = {**self.kwargs, "from_logits": True}
        return twin

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"


class MeanSquaredError(Loss):
    """mean((y_true - y_pred)^2) over the last axis. See keras.losses.MeanSquaredError."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction, name)


class MeanAbsoluteError(Loss):
    """mean|y_true - y_pred| over the last axis. See keras.losses.MeanAbsoluteError."""

    fn = staticmethod(mean_absolute_error)
    grad_fn = staticmethod(mean_absolute_error_grad)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction, name)


class Huber(Loss):
    """Quadratic for |error| <= delta, linear beyond. See keras.losses.Huber."""

    fn = staticmethod(huber)
    grad_fn = staticmethod(huber_grad)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name, delta=float(delta))


class BinaryCrossentropy(Loss):
    """See keras.losses.BinaryCrossentropy (without label smoothing)."""

    fn = staticmethod(binary_crossentropy)
    grad_fn = staticmethod(binary_crossentropy_grad)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(reduction, name, from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """See keras.losses.CategoricalCrossentropy (one-hot or soft targets, no label smoothing)."""

    fn = staticmethod(categorical_crossentropy)
    grad_fn = staticmethod(categorical_crossentropy_grad)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(Loss):
    """Integer labels against class scores. See keras.losses.SparseCategoricalCrossentropy."""

    fn = staticmethod(sparse_categorical_crossentropy)
    grad_fn = staticmethod(sparse_categorical_crossentropy_grad)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=bool(from_logits))


def _snake(name):
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
_CLASSES = {cls.__name__: cls for cls in set(_BY_NAME.values())}


def get(identifier):
    """A name ("mse", "sparse_categorical_crossentropy"), a class name, a config dict or a Loss."""
    return lookup(identifier, "loss", Loss, _CLASSES, _BY_NAME)


serialize = serialization.serialize
