"""Every activation, forward and derivative, against tf.keras and the tf.nn function TF1 code used."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import all_twins

from .conftest import assert_report_ok
from .registry_grid import grid

@grid("Activation")
def test_activation_matches_both_tf_apis(name, case, dtype):
    x = make_input(case.input_shape, dtype, case.input_kind, seed=11)
    assert_report_ok(compare(kit.layers.Activation(**case.config, dtype=dtype), x))


def test_every_activation_but_sparsemax_has_a_registered_case():
    # sparsemax: Keras 3's is not the definition (tests/test_activations_keras.py)
    registered = {case.config["activation"] for case in all_twins()["Activation"].cases}
    assert registered == set(kit.activations.ALL) - {"sparsemax"}


@grid("Softmax")
def test_softmax_over_any_axis_matches_both_tf_apis(name, case, dtype):
    x = make_input(case.input_shape, dtype, seed=12) * 4
    assert_report_ok(compare(kit.layers.Softmax(**case.config, dtype=dtype), x))


@grid("LeakyReLU")
def test_leaky_relu_layer_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare(kit.layers.LeakyReLU(**case.config, dtype=dtype),
                             make_input(case.input_shape, dtype, seed=13)))


@pytest.mark.parametrize("name", kit.activations.ALL)
def test_activation_derivative_gradient_check(name):
    x = make_input((3, 6), "float64", seed=14) * 2
    for kink in (0, 0.5, 1, 3):     # relu-like at 0, the shrinks at 0.5, the sparse ones at 1, hard_sigmoid
        x[np.abs(np.abs(x) - kink) < 1e-3] += 0.01
    result = gradient_check(kit.layers.Activation(name, dtype="float64"), x)
    assert result.ok, "\n" + result.to_text()


def test_sigmoid_and_softplus_do_not_overflow():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = kit.activations.get("sigmoid")(x)
        sp = kit.activations.get("softplus")(x)
    np.testing.assert_allclose(s, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(sp, [0.0, 1.9287498479639178e-22, np.log(2), 50.0, 1000.0], rtol=1e-12)


def test_hard_sigmoid_is_keras3s_not_keras2s():
    # Keras 3: relu6(x + 3) / 6, so 1/6 slope and saturation at +-3 (Keras 2: 0.2 x + 0.5, +-2.5)
    np.testing.assert_allclose(kit.activations.get("hard_sigmoid")(np.array([-3.0, 0.0, 1.5, 2.5, 3.0])),
                               [0.0, 0.5, 0.75, 2.5 / 6 + 0.5, 1.0])


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'.*relu"):
        kit.layers.Dense(3, activation="rellu")


def test_activation_names_round_trip_through_config():
    for name in kit.activations.ALL:
        layer = kit.layers.Dense(2, activation=name)
        assert kit.layers.Dense.from_config(layer.get_config()).activation == layer.activation


def test_compare_notes_where_the_kit_follows_one_api():
    report = compare(kit.layers.Activation("hard_sigmoid"), make_input((3, 4), "float32", seed=15))
    assert any("follows Keras 3" in n for n in report.notes)
