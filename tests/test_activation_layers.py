"""ReLU's options, ELU, PReLU and the masked Softmax against tf.keras and their TF1 twins."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families as registry
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES, assert_report_ok

LAYERS = ["ReLU", "ELU", "PReLU"]
CASES = [(name, case) for name in LAYERS for case in registry.get(name).cases]


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}-{c.name}" for n, c in CASES])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    x = make_input(case.input_shape, "float64", seed=31)
    x[np.abs(x) < 1e-2] += 0.05
    x[np.abs(x - 0.5) < 1e-2] += 0.05
    x[np.abs(x - 1.0) < 1e-2] += 0.05
    result = gradient_check(layer, x)
    assert result.ok, "\n" + result.to_text()


def test_prelu_weights_load_from_keras_and_shapes_match():
    _, keras, _ = modules()
    twin = keras.layers.PReLU(shared_axes=[1, 2], alpha_initializer="random_uniform")
    twin.build((None, 4, 5, 3))
    layer = kit.layers.PReLU(shared_axes=[1, 2])
    layer.build((None, 4, 5, 3))
    assert layer.alpha.shape == tuple(twin.alpha.shape) == (1, 1, 3)
    layer.set_weights(twin.get_weights())
    assert layer.weight_names == ["p_re_lu/alpha"] or layer.weight_names[0].endswith("/alpha")


def test_prelu_rejects_a_wrong_shape():
    layer = kit.layers.PReLU(shared_axes=[1])
    layer(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="PReLU.*expected an input of shape.*got shape \\(2, 3, 5\\)"):
        layer(np.zeros((2, 3, 5)))


@pytest.mark.parametrize("kwargs", [{"max_value": -1.0}, {"negative_slope": -0.1},
                                    {"threshold": None}], ids=["max", "slope", "threshold"])
def test_relu_rejects_what_keras_rejects(kwargs):
    with pytest.raises(ValueError, match="ReLU"):
        kit.layers.ReLU(**kwargs)


# ---- Softmax with a mask -------------------------------------------------------------------

def test_softmax_mask_issue_example():
    y = kit.layers.Softmax()(np.array([[1.0, 2.0, 3.0]]), mask=np.array([[1, 1, 0]]))
    np.testing.assert_allclose(y, [[0.26894142, 0.73105858, 0.0]], atol=1e-7)


MASKS = {
    "same-shape": ((3, 5), (3, 5), -1),
    "broadcast-rows": ((2, 4, 5), (2, 1, 5), -1),
    "whole-row-masked": ((3, 5), (3, 5), -1),
    "axis1": ((2, 4, 3), (2, 4, 1), 1),
    "axes-1-2": ((2, 4, 3), (2, 4, 3), [1, 2]),
}


@pytest.mark.parametrize("input_shape, mask_shape, axis", MASKS.values(), ids=MASKS.keys())
def test_masked_softmax_matches_keras(input_shape, mask_shape, axis, dtype, request):
    tf, keras, _ = modules()
    x = make_input(input_shape, dtype, seed=32) * 2
    mask = np.random.default_rng(33).random(mask_shape) > 0.4
    if "whole-row" in request.node.callspec.id:
        mask[1] = False
    layer = kit.layers.Softmax(axis=axis, dtype=dtype)
    y = layer(x, mask=mask)
    dy = make_input(input_shape, dtype, seed=34)
    dx = layer.backward(dy)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = keras.layers.Softmax(axis=axis, dtype=dtype)(xt, mask=tf.constant(mask))
    dxt = tape.gradient(yt, xt, output_gradients=tf.constant(dy))
    for ours, theirs in ((y, yt), (dx, dxt)):
        _, rel = errors(ours, np.asarray(theirs))
        assert rel <= TOLERANCES[dtype]


def test_softmax_mask_must_broadcast():
    with pytest.raises(ValueError, match="Softmax.*mask must broadcast.*\\(2, 3\\).*\\(2, 4\\)"):
        kit.layers.Softmax()(np.zeros((2, 3)), mask=np.ones((2, 4), bool))
