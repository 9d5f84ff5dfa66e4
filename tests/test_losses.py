"""Losses against keras.losses: the value and its gradient (GradientTape), both dtypes; a float64
finite-difference check of every gradient; names and classes agree; bad shapes are clear errors."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit import losses

from .conftest import TOLERANCES


def _data(kind, shape, dtype, seed):
    """(y_true, y_pred) for a loss family; probabilities kept in (0, 1), some near the clip."""
    g = np.random.default_rng(seed)
    if kind == "regression":
        return g.standard_normal(shape).astype(dtype), (2 * g.standard_normal(shape)).astype(dtype)
    if kind == "binary":
        p = 1 / (1 + np.exp(-3 * g.standard_normal(shape)))
        return (g.random(shape) > 0.5).astype(dtype), p.astype(dtype)
    if kind == "binary-logits":
        return (g.random(shape) > 0.5).astype(dtype), (4 * g.standard_normal(shape)).astype(dtype)
    z = 3 * g.standard_normal(shape)
    if kind in ("categorical", "sparse"):
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        p[0, 0] = 1e-9                              # below the 1e-7 clip
    else:
        p = z                                       # logits
    labels = g.integers(0, shape[-1], shape[:-1])
    if kind.startswith("sparse"):
        return labels, p.astype(dtype)
    return np.eye(shape[-1])[labels].astype(dtype), p.astype(dtype)


CASES = {
    "mse": ("MeanSquaredError", {}, "regression", (5, 3)),
    "mse-rank3": ("MeanSquaredError", {}, "regression", (2, 3, 4)),
    "mae": ("MeanAbsoluteError", {}, "regression", (6, 2)),
    "huber": ("Huber", {}, "regression", (5, 3)),
    "huber-delta0.5": ("Huber", {"delta": 0.5}, "regression", (4, 4)),
    "bce": ("BinaryCrossentropy", {}, "binary", (6, 1)),
    "bce-multilabel": ("BinaryCrossentropy", {}, "binary", (4, 3)),
    "bce-logits": ("BinaryCrossentropy", {"from_logits": True}, "binary-logits", (6, 2)),
    "cce": ("CategoricalCrossentropy", {}, "categorical", (5, 4)),
    "cce-logits": ("CategoricalCrossentropy", {"from_logits": True}, "categorical-logits", (5, 4)),
    "scce": ("SparseCategoricalCrossentropy", {}, "sparse", (6, 5)),
    "scce-logits": ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse-logits", (6, 5)),
    "scce-rank3-logits": ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse-logits",
                          (2, 3, 4)),
}


def _keras_value_and_grad(name, config, y_true, y_pred):
    import keras
    import tensorflow as tf
    fn = getattr(keras.losses, name)(**config, dtype=y_pred.dtype.name)   # Keras's default: float32
    p = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = fn(tf.constant(y_true), p)
    return value.numpy(), tape.gradient(value, p).numpy()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_loss_and_gradient_match_keras(case, dtype):
    name, config, kind, shape = case
    y_true, y_pred = _data(kind, shape, dtype, seed=1)
    expected, expected_grad = _keras_value_and_grad(name, config, y_true, y_pred)
    loss = getattr(losses, name)(**config)
    value, grad = loss(y_true, y_pred), loss.gradient(y_true, y_pred)
    assert value.dtype == np.dtype(dtype) and grad.dtype == np.dtype(dtype)
    assert grad.shape == y_pred.shape
    tol = TOLERANCES[dtype]
    assert abs(value - expected) <= tol * max(1.0, abs(expected))
    assert np.max(np.abs(grad - expected_grad)) <= tol * max(1.0, np.max(np.abs(expected_grad)))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_loss_gradient_matches_finite_differences(case):
    name, config, kind, shape = case
    y_true, y_pred = _data(kind, shape, "float64", seed=2)
    if kind in ("categorical", "sparse"):
        y_pred = np.maximum(y_pred, 0.02)    # away from the clip's kink, and where a 1e-6 step
        y_pred /= y_pred.sum(-1, keepdims=True)   # is small against p
    if kind == "regression":
        y_pred = y_pred + 0.01               # away from |error| = 0 and = delta
    loss = getattr(losses, name)(**config)
    grad = loss.gradient(y_true, y_pred)
    h = 1e-6
    numeric = np.zeros_like(y_pred)
    for i in np.ndindex(y_pred.shape):
        plus, minus = y_pred.copy(), y_pred.copy()
        plus[i] += h
        minus[i] -= h
        numeric[i] = (loss(y_true, plus) - loss(y_true, minus)) / (2 * h)
    assert np.max(np.abs(grad - numeric)) <= 1e-6 * max(1.0, np.max(np.abs(numeric)))


@pytest.mark.parametrize("name, cls", [
    ("mse", losses.MeanSquaredError), ("mean_absolute_error", losses.MeanAbsoluteError),
    ("huber", losses.Huber), ("binary_crossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
], ids=["mse", "mae", "huber", "bce", "cce", "scce"])
def test_losses_by_name(name, cls):
    assert type(losses.get(name)) is cls
    loss = cls()
    assert type(losses.get(losses.serialize(loss))) is cls


def test_sum_reduction_matches_keras():
    y_true, y_pred = _data("regression", (4, 3), "float64", seed=3)
    expected, expected_grad = _keras_value_and_grad("MeanSquaredError", {"reduction": "sum"}, y_true, y_pred)
    loss = losses.MeanSquaredError(reduction="sum")
    assert abs(loss(y_true, y_pred) - expected) <= 1e-10 * abs(expected)
    assert np.allclose(loss.gradient(y_true, y_pred), expected_grad, rtol=0, atol=1e-10)


def test_labels_of_rank1_against_one_column_predictions():
    """Keras expands y_true (n,) to (n, 1) against y_pred (n, 1)."""
    y_true, y_pred = _data("binary", (6, 1), "float64", seed=4)
    expected, _ = _keras_value_and_grad("BinaryCrossentropy", {}, y_true[:, 0], y_pred)
    assert abs(losses.BinaryCrossentropy()(y_true[:, 0], y_pred) - expected) <= 1e-10


def test_logits_twin_only_for_the_matching_activation():
    assert losses.CategoricalCrossentropy().logits_twin("softmax").kwargs["from_logits"] is True
    assert losses.BinaryCrossentropy().logits_twin("sigmoid") is not None
    assert losses.BinaryCrossentropy().logits_twin("softmax") is None
    assert losses.SparseCategoricalCrossentropy(from_logits=True).logits_twin("softmax") is None
    assert losses.MeanSquaredError().logits_twin("softmax") is None


@pytest.mark.parametrize("loss, y_true, y_pred, match", [
    (losses.MeanSquaredError(), np.zeros((4, 3)), np.zeros((4, 2)), r"same shape.*\(4, 3\).*\(4, 2\)"),
    (losses.SparseCategoricalCrossentropy(), np.zeros((4, 2)), np.zeros((4, 3)),
     r"labels of shape \(4,\).*got labels of shape \(4, 2\)"),
], ids=["mse-shapes", "sparse-labels"])
def test_bad_shapes_are_clear_errors(loss, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        loss(y_true, y_pred)


def test_unknown_loss_name():
    with pytest.raises(ValueError, match="Unknown loss 'msee'"):
        kit.losses.get("msee")
