"""Weight constraints: each projection against keras.constraints, and applied after every
optimizer step in training, as Keras's optimizer applies them (training parity)."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit import constraints
from tflearn_kit.compare import errors, make_input
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

CASES = {
    "MaxNorm": {"max_value": 0.8, "axis": 0},
    "NonNeg": {},
    "UnitNorm": {"axis": 1},
    "MinMaxNorm": {"min_value": 0.5, "max_value": 0.9, "rate": 0.7, "axis": 0},
}


@pytest.mark.parametrize("name", CASES)
def test_projection_matches_keras(name, dtype):
    _, keras, _ = modules()
    w = make_input((5, 4), dtype, seed=131)
    ours = getattr(constraints, name)(**CASES[name])(w)
    theirs = np.asarray(getattr(keras.constraints, name)(**CASES[name])(w))
    _, rel = errors(ours, theirs)
    assert ours.dtype == w.dtype and rel <= TOLERANCES[dtype]


@pytest.mark.parametrize("name", CASES)
def test_config_round_trips_through_keras(name):
    _, keras, _ = modules()
    c = getattr(constraints, name)(**CASES[name])
    assert keras.constraints.get(constraints.serialize(c)).get_config() == c.get_config()
    assert constraints.get(constraints.serialize(c)) == c


@pytest.fixture
def keras_floatx(dtype):
    """Keras computes a compiled loss in floatx (float32 by default) whatever the layers' dtype:
    for a float64 run to be a 1e-10 comparison, floatx is float64 for the test, then restored.

    floatx also decides how Keras holds the optimizer's hyper-parameters (the learning rate
    variable, ``ops.cast`` of a momentum), and the kit copies the default, float32: so the
    optimizers below use values float32 holds exactly (0.5, 0.25), the same in either floatx.
    """
    _, keras, _ = modules()
    before = keras.config.floatx()
    keras.config.set_floatx(dtype)
    yield
    keras.config.set_floatx(before)


OPTIMIZERS = {"SGD": {"learning_rate": 0.5}, "SGD-momentum": {"learning_rate": 0.25, "momentum": 0.5}}


@pytest.mark.parametrize("optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_training_applies_constraints_after_each_step_as_keras_does(optimizer, dtype, keras_floatx):
    _, keras, _ = modules()
    kit.set_seed(0)
    x = make_input((16, 6), dtype, seed=132)
    y = make_input((16, 2), dtype, seed=133)

    def layers(lib, cons):
        return [
            lib.layers.Dense(5, activation="tanh", kernel_constraint=cons.MaxNorm(0.6),
                             bias_constraint=cons.NonNeg(), dtype=dtype),
            lib.layers.Dense(4, kernel_constraint=cons.UnitNorm(), dtype=dtype),
            lib.layers.Dense(2, kernel_constraint=cons.MinMaxNorm(0.2, 0.5, rate=0.5), dtype=dtype),
        ]

    model = kit.models.Sequential([kit.models.Input((6,), dtype=dtype), *layers(kit, constraints)])
    model.compile(optimizer=kit.optimizers.SGD(**optimizer), loss="mse")
    twin = keras.Sequential([keras.Input((6,), dtype=dtype), *layers(keras, keras.constraints)])
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(**optimizer), loss="mse")
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    twin.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for i, (ours, theirs) in enumerate(zip(model.get_weights(), twin.get_weights())):
        assert ours.dtype == dtype
        _, rel = errors(ours, theirs)
        assert rel <= TOLERANCES[dtype], f"weight {i}: {rel:.1e}"
    kernel = model.get_weights()[0]
    assert np.sqrt((kernel ** 2).sum(axis=0)).max() <= 0.6 + 1e-6    # the constraint holds
    assert model.get_weights()[1].min() >= 0


@pytest.mark.parametrize("optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_embedding_and_recurrent_constraints_in_training_as_keras(optimizer, dtype, keras_floatx):
    """The constraints of other weights than a Dense kernel: a table, a recurrent kernel."""
    _, keras, _ = modules()
    kit.set_seed(0)
    ids = np.random.default_rng(134).integers(0, 7, size=(12, 5))
    y = make_input((12, 2), dtype, seed=135)

    def layers(lib, cons):
        return [
            lib.layers.Embedding(7, 4, embeddings_constraint=cons.UnitNorm(axis=1), dtype=dtype),
            lib.layers.LSTM(3, kernel_constraint=cons.MaxNorm(0.5), recurrent_constraint=cons.NonNeg(),
                            bias_constraint=cons.MinMaxNorm(0.1, 0.6, axis=0), dtype=dtype),
            lib.layers.Dense(2, dtype=dtype),
        ]

    model = kit.models.Sequential([kit.models.Input((5,), dtype="int64"), *layers(kit, constraints)])
    model.compile(optimizer=kit.optimizers.SGD(**optimizer), loss="mse")
    twin = keras.Sequential([keras.Input((5,), dtype="int64"), *layers(keras, keras.constraints)])
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(**optimizer), loss="mse")
    model.fit(ids, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    twin.fit(ids, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for i, (ours, theirs) in enumerate(zip(model.get_weights(), twin.get_weights())):
        _, rel = errors(ours, theirs)
        assert rel <= TOLERANCES[dtype], f"weight {i}: {rel:.1e}"
    table, _, recurrent = model.get_weights()[:3]
    np.testing.assert_allclose(np.sqrt((table ** 2).sum(axis=1)), 1, rtol=1e-5)
    assert recurrent.min() >= 0
