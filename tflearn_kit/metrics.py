"""Metrics as ``fit`` reports them: running means over the samples seen since the last reset.

Keras's metrics are stateful: ``update_state(y_true, y_pred)`` adds one batch,
``result()`` is the mean over every sample so far, ``reset_state()`` starts a new
epoch. The per-sample functions below say what is averaged. ``"accuracy"`` in
``compile`` becomes binary, sparse categorical or categorical accuracy from the
shapes, as in Keras (see :func:`get`).
"""
import numpy as np

from . import losses


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true = losses._same_rank(np.asarray(y_true), y_pred)
    return (y_true == (y_pred > threshold).astype(y_true.dtype)).astype("float32")


def categorical_accuracy(y_true, y_pred):
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype("float32")


def sparse_categorical_accuracy(y_true, y_pred):
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true.astype(np.int64) == np.argmax(y_pred, axis=-1)).astype("float32")


class Metric:
    """A running mean of per-sample values. See keras.metrics.MeanMetricWrapper."""

    def __init__(self, fn, name, **kwargs):
        self.fn, self.name, self.kwargs = fn, name, kwargs
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true, y_pred):
        values = np.asarray(self.fn(np.asarray(y_true), np.asarray(y_pred), **self.kwargs))
        self.total += float(values.sum(dtype=np.float64))
        self.count += values.size

    def result(self):
        return self.total / self.count if self.count else 0.0

    def __repr__(self):
        return f"<Metric {self.name}: {self.result():.4f}>"


class Mean(Metric):
    """The weighted mean of the values given: what ``fit`` reports as ``loss``."""

    def __init__(self, name="mean"):
        super().__init__(None, name)

    def update_state(self, value, sample_weight=1):
        self.total += float(value) * sample_weight
        self.count += sample_weight


def BinaryAccuracy(name="binary_accuracy", threshold=0.5):
    return Metric(binary_accuracy, name, threshold=threshold)


def CategoricalAccuracy(name="categorical_accuracy"):
    return Metric(categorical_accuracy, name)


def SparseCategoricalAccuracy(name="sparse_categorical_accuracy"):
    return Metric(sparse_categorical_accuracy, name)


def MeanSquaredError(name="mean_squared_error"):
    return Metric(losses.mean_squared_error, name)


def MeanAbsoluteError(name="mean_absolute_error"):
    return Metric(losses.mean_absolute_error, name)


_BY_NAME = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
}


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A Metric from a name. ``"accuracy"``/``"acc"`` picks its kind from the shapes as Keras does:
    binary when predictions have one column, sparse when the labels have one fewer axis
    (or a last axis of 1), categorical otherwise."""
    if isinstance(identifier, Metric):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"A metric must be a name or a Metric; got {identifier!r}.")
    name = identifier
    if name.lower() in ("accuracy", "acc"):
        if y_pred_shape is None:
            raise ValueError("metrics.get('accuracy') needs the label and prediction shapes.")
        if y_pred_shape[-1] == 1:
            return BinaryAccuracy(name)
        if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
            return SparseCategoricalAccuracy(name)
        return CategoricalAccuracy(name)
    factory = _BY_NAME.get(name.lower())
    if factory is None:
        raise ValueError(f"Unknown metric {name!r}. Expected 'accuracy' or one of: "
                         f"{', '.join(sorted(_BY_NAME))}.")
    return factory(name)
