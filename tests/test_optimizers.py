"""Optimizers against keras.optimizers: several steps on the same gradients agree to float precision
(bit for bit where the arithmetic is the same), in both dtypes; updates are in place."""
import numpy as np
import pytest

from tflearn_kit import optimizers as O

from .conftest import TOLERANCES

CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd-momentum": ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    "sgd-nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "rmsprop": ("RMSprop", dict()),
    "rmsprop-centered-momentum": ("RMSprop", dict(learning_rate=0.01, centered=True, momentum=0.5)),
    "adam": ("Adam", dict(learning_rate=0.01)),
    "adam-amsgrad": ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    "adam-eps1e-3": ("Adam", dict(learning_rate=0.01, epsilon=1e-3, beta_1=0.8)),
    "adamw": ("AdamW", dict(learning_rate=0.01, weight_decay=0.1)),
    "adamw-defaults": ("AdamW", dict()),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adagrad-init0.5": ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.5)),
    "sgd-weight-decay": ("SGD", dict(learning_rate=0.1, weight_decay=0.01)),
    "sgd-clipnorm": ("SGD", dict(learning_rate=0.1, clipnorm=0.5)),
    "adam-global-clipnorm": ("Adam", dict(learning_rate=0.1, global_clipnorm=0.5)),
    "sgd-clipvalue": ("SGD", dict(learning_rate=0.1, clipvalue=0.3)),
    "adam-exponential-decay": ("Adam", dict(learning_rate="schedule")),
    "sgd-staircase-decay": ("SGD", dict(learning_rate="staircase", momentum=0.5)),
}


def _make(module, schedules, name, config):
    config = dict(config)
    if config.get("learning_rate") == "schedule":
        config["learning_rate"] = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    elif config.get("learning_rate") == "staircase":
        config["learning_rate"] = schedules.ExponentialDecay(0.3, 2, 0.7, staircase=True)
    return getattr(module, name)(**config)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_optimizer_steps_match_keras(case, dtype):
    import keras
    import tensorflow as tf
    name, config = case
    kit_opt = _make(O, O, name, config)
    keras_opt = _make(keras.optimizers, keras.optimizers.schedules, name, config)
    g = np.random.default_rng(0)
    weights = [g.standard_normal((3, 4)).astype(dtype), g.standard_normal(4).astype(dtype)]
    variables = [tf.Variable(w) for w in weights]
    same_arrays = [id(w) for w in weights]
    for step in range(5):
        grads = [g.standard_normal(w.shape).astype(dtype) for w in weights]
        kit_opt.apply(grads, weights)
        keras_opt.apply_gradients(zip([tf.constant(x) for x in grads], variables))
        for w, v in zip(weights, variables):
            expected = v.numpy()
            assert w.dtype == np.dtype(dtype)
            err = np.max(np.abs(w - expected)) / np.max(np.abs(expected))
            assert err <= TOLERANCES[dtype], f"step {step}: relative error {err:.1e}"
    assert [id(w) for w in weights] == same_arrays          # updated in place
    assert kit_opt.iterations == int(keras_opt.iterations.numpy()) == 5


def test_first_adam_step_by_hand():
    """Keras's Adam, first step: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.1."""
    g = np.array([0.5, -2.0])
    w = np.array([1.0, 1.0])
    O.Adam(learning_rate=0.1).apply([g], [w])
    b1, b2 = float(np.float32(0.9)), float(np.float32(0.999))     # cast through float32, as TF does
    m, v = (1 - 0.9) * g, (1 - 0.999) * g ** 2
    alpha = np.float32(0.1) * np.sqrt(1 - b2) / (1 - b1)
    np.testing.assert_allclose(w, 1.0 - alpha * m / (np.sqrt(v) + 1e-7), rtol=1e-12)


def test_exponential_decay_values():
    schedule = O.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [round(float(schedule(s)), 6) for s in (0, 9, 10, 25)] == [0.1, 0.1, 0.05, 0.025]


def test_optimizers_by_name_have_keras_defaults():
    assert float(O.get("adam").learning_rate) == pytest.approx(0.001)
    assert float(O.get("sgd").learning_rate) == pytest.approx(0.01)
    assert O.get("adamw").weight_decay == 0.004
    restored = O.get(O.serialize(O.SGD(0.05, momentum=0.8, nesterov=True)))
    assert (restored.momentum, restored.nesterov) == (0.8, True)


@pytest.mark.parametrize("make, match", [
    (lambda: O.SGD(clipnorm=1.0, clipvalue=1.0), "only one of clipnorm"),
    (lambda: O.SGD(momentum=1.5), r"momentum must be a float in \[0, 1\]; got 1.5"),
    (lambda: O.AdamW(weight_decay=None), "weight_decay must be a float"),
    (lambda: O.get("adamm"), "Unknown optimizer 'adamm'"),
], ids=["two-clips", "momentum", "adamw-none", "unknown"])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_gradient_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\) for a weight of shape \(3,\)"):
        O.SGD().apply([np.zeros(2)], [np.zeros(3)])
