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


def test_training_applies_constraints_after_each_step_as_keras_does():
    _, keras, _ = modules()
    kit.set_seed(0)
    x = make_input((16, 6), "float32", seed=132)
    y = make_input((16, 2), "float32", seed=133)

    def kit_model():
        return kit.models.Sequential([
            kit.models.Input((6,)),
            kit.layers.Dense(5, activation="tanh", kernel_constraint=constraints.MaxNorm(0.6),
                             bias_constraint=constraints.NonNeg(), dtype="float32"),
            kit.layers.Dense(4, kernel_constraint=constraints.UnitNorm(), dtype="float32"),
            kit.layers.Dense(2, kernel_constraint=constraints.MinMaxNorm(0.2, 0.5, rate=0.5),
                             dtype="float32"),
        ])

    model = kit_model()
    model.compile(optimizer=kit.optimizers.SGD(learning_rate=0.5), loss="mse")
    twin = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(5, activation="tanh", kernel_constraint=keras.constraints.MaxNorm(0.6),
                           bias_constraint=keras.constraints.NonNeg(), dtype="float32"),
        keras.layers.Dense(4, kernel_constraint=keras.constraints.UnitNorm(), dtype="float32"),
        keras.layers.Dense(2, kernel_constraint=keras.constraints.MinMaxNorm(0.2, 0.5, rate=0.5),
                           dtype="float32"),
    ])
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    twin.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        # float32, as the training tests run: Keras computes its loss in float32 even for
        # float64 layers, so a float64 run would not be a 1e-10 comparison either
        _, rel = errors(ours, theirs)
        assert rel <= TOLERANCES["float32"]
    kernel = model.get_weights()[0]
    assert np.sqrt((kernel ** 2).sum(axis=0)).max() <= 0.6 + 1e-12    # the constraint holds
    assert model.get_weights()[1].min() >= 0
