"""UpSampling, ZeroPadding and Cropping in 1-D, 2-D and 3-D against tf.keras and their TF1 twins."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import families
from tflearn_kit.reference.tf import modules

from .conftest import DTYPES, TOLERANCES, assert_report_ok

LAYERS = ["UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
          "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D"]
CASES = [(n, c, d) for n in LAYERS for c in families.get(n).cases for d in DTYPES if d in c.dtypes]


@pytest.mark.parametrize("name, case, dtype", CASES, ids=[f"{n}-{c.name}-{d}" for n, c, d in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


GRAD = [(n, c) for n in LAYERS for c in families.get(n).cases]


@pytest.mark.parametrize("name, case", GRAD, ids=[f"{n}-{c.name}" for n, c in GRAD])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    result = gradient_check(layer, make_input(case.input_shape, "float64", seed=71))
    assert result.ok, "\n" + result.to_text()


def test_bilinear_float64_is_tf_s_float32_kernel_within_float32_precision():
    """tf.image.resize computes bilinear weights and mixes in float32 even for float64 input;
    the kit computes the mix in float64 (positions in float32, as TF), so the two agree to
    float32 precision, not to 1e-10."""
    _, keras, _ = modules()
    x = make_input((2, 3, 4, 2), "float64", seed=72)
    y = kit.layers.UpSampling2D(interpolation="bilinear", dtype="float64")(x)
    ref = np.asarray(keras.layers.UpSampling2D(interpolation="bilinear", dtype="float64")(x))
    _, rel = errors(y, ref)
    assert rel <= TOLERANCES["float32"]


def test_nearest_upsampling_by_hand():
    y = kit.layers.UpSampling1D(size=2)(np.array([[[1.0], [2.0]]]))
    np.testing.assert_array_equal(y[0, :, 0], [1, 1, 2, 2])
    layer = kit.layers.UpSampling2D()
    layer(np.arange(4.0).reshape(1, 2, 2, 1))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 4, 4, 1)))[..., 0], [[[4, 4], [4, 4]]])


@pytest.mark.parametrize("make, shape, pattern", [
    (lambda: kit.layers.UpSampling2D(), (2, 3, 4), r"\(UpSampling2D\) expected an input of shape.*rank 4.*\(2, 3, 4\)"),
    (lambda: kit.layers.Cropping1D((2, 2)), (1, 4, 3), r"\(Cropping1D\) crops.*\(1, 4, 3\).*nothing"),
    (lambda: kit.layers.ZeroPadding3D(), (1, 2, 2, 2), r"\(ZeroPadding3D\) expected an input of shape.*rank 5"),
], ids=["upsampling-rank", "crop-too-much", "padding-rank"])
def test_bad_input_is_a_clear_error(make, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()(np.zeros(shape))


@pytest.mark.parametrize("name", LAYERS)
def test_config_keys_are_keras_s(name):
    _, keras, _ = modules()
    assert set(getattr(kit.layers, name)().get_config()) == set(getattr(keras.layers, name)().get_config())
