"""The convolution layers against tf.keras and tf.compat.v1.layers: output, dx and every weight gradient.

The grid is the registry's (the named cases of ``tflearn_kit/reference/conv.py``, which
``tflearn-kit compare`` runs too), representative, not a cartesian product: each case changes one or two
of strides x padding x dilation x data_format x groups/depth_multiplier x odd
sizes x batch of 1, and every layer sees each of them somewhere. Every case runs
in float32 (1e-5) and float64 (1e-10), relative to scale.

One trap in the sizes: with channels_first, keep the last spatial size of the output
different from the number of filters. Keras 3.15's TF backend turns ``ops.add(y, bias)``
into ``tf.nn.bias_add`` and guesses the channel axis from the shapes; when both
sizes are equal it guesses NHWC and adds the bias along the wrong axis
(keras/src/backend/tensorflow/numpy.py, ``add``). tf.layers and the kit are right there.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels import conv as K
from tflearn_kit.reference import all_twins

from .conftest import TOLERANCES, assert_report_ok


# tf.layers has no depthwise layer and no 1-D transpose: those compare with tf.keras only
HAS_TF_LAYERS = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose",
                 "SeparableConv1D", "SeparableConv2D"}
WEIGHTS = {"Conv": ["kernel", "bias"], "Sepa": ["depthwise_kernel", "pointwise_kernel", "bias"],
           "Dept": ["kernel", "bias"]}
RANDOM_BIAS = {"bias_initializer": "random_normal"}


def check_both_apis(layer_name, case, dtype):
    layer = getattr(kit.layers, layer_name)(**case.config, **RANDOM_BIAS, dtype=dtype)
    report = compare(layer, make_input(case.input_shape, dtype, seed=3))
    apis = {r["api"] for r in report.rows}
    assert apis == {"tf.keras", "tf.layers"}
    expected = {f"d{w}" for w in WEIGHTS[layer_name[:4]]}
    if not case.config.get("use_bias", True):
        expected.discard("dbias")
    for api in ("tf.keras", "tf.layers") if layer_name in HAS_TF_LAYERS else ("tf.keras",):
        quantities = {r["quantity"] for r in report.rows if r["api"] == api}
        assert quantities == {"output", "dx"} | expected, api
    assert_report_ok(report)


def grid(name):
    """Every registered case of a layer (reference/conv.py, the one list) in each dtype TensorFlow
    can run it in: ids like 'Conv2D-stride2-same-float64'."""
    params = [pytest.param(case, dtype, id=f"{name}-{case.name}-{dtype}")
              for case in all_twins()[name].cases for dtype in case.dtypes]
    return pytest.mark.parametrize("case, dtype", params)


@grid("Conv1D")
def test_conv1d_matches_both_apis(case, dtype):
    check_both_apis("Conv1D", case, dtype)


@grid("Conv2D")
def test_conv2d_matches_both_apis(case, dtype):
    check_both_apis("Conv2D", case, dtype)


@grid("Conv3D")
def test_conv3d_matches_both_apis(case, dtype):
    check_both_apis("Conv3D", case, dtype)


@grid("Conv1DTranspose")
def test_conv1d_transpose_matches_keras(case, dtype):
    check_both_apis("Conv1DTranspose", case, dtype)


@grid("Conv2DTranspose")
def test_conv2d_transpose_matches_both_apis(case, dtype):
    check_both_apis("Conv2DTranspose", case, dtype)


@grid("Conv3DTranspose")
def test_conv3d_transpose_matches_both_apis(case, dtype):
    check_both_apis("Conv3DTranspose", case, dtype)


@grid("SeparableConv1D")
def test_separable_conv1d_matches_both_apis(case, dtype):
    check_both_apis("SeparableConv1D", case, dtype)


@grid("SeparableConv2D")
def test_separable_conv2d_matches_both_apis(case, dtype):
    check_both_apis("SeparableConv2D", case, dtype)


@grid("DepthwiseConv1D")
def test_depthwise_conv1d_matches_keras(case, dtype):
    check_both_apis("DepthwiseConv1D", case, dtype)


@grid("DepthwiseConv2D")
def test_depthwise_conv2d_matches_keras(case, dtype):
    check_both_apis("DepthwiseConv2D", case, dtype)


# ---- float64 gradient checks: one per layer, on a case with strides or dilation ---------

GRADCHECK = {
    "Conv1D": ({"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "causal", "activation": "tanh"},
               (2, 9, 2)),
    "Conv2D": ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "groups": 1}, (2, 7, 6, 2)),
    "Conv3D": ({"filters": 2, "kernel_size": 2, "groups": 2, "data_format": "channels_first"}, (1, 2, 3, 4, 3)),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 3)),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (1, 3, 4, 2)),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (1, 2, 3, 2, 2)),
    "SeparableConv1D": ({"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 7, 2)),
    "SeparableConv2D": ({"filters": 3, "kernel_size": 2, "strides": 2, "depth_multiplier": 2}, (1, 5, 6, 2)),
    "DepthwiseConv1D": ({"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (2, 7, 2)),
    "DepthwiseConv2D": ({"kernel_size": 3, "dilation_rate": 2, "padding": "same",
                         "data_format": "channels_first"}, (1, 2, 6, 5)),
}


@pytest.mark.parametrize("name", GRADCHECK, ids=GRADCHECK)
def test_gradient_check(name):
    config, shape = GRADCHECK[name]
    layer = getattr(kit.layers, name)(**config, **RANDOM_BIAS, dtype="float64")
    result = gradient_check(layer, make_input(shape, "float64", seed=6))
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6, "\n" + result.to_text()


# ---- the naive loop, the adjoint, float32 ---------------------------------------------

LOOPS = {
    "stride1-valid": dict(strides=(1, 1), dilation=(1, 1), padding="valid", shape=(2, 5, 6, 3)),
    "stride2x1-same": dict(strides=(2, 1), dilation=(1, 1), padding="same", shape=(2, 7, 6, 2)),
    "dilated2-same-batch1": dict(strides=(1, 1), dilation=(2, 2), padding="same", shape=(1, 7, 5, 3)),
}


@pytest.mark.parametrize("spec", LOOPS.values(), ids=LOOPS.keys())
def test_naive_loop_equals_the_vectorized_kernel(spec):
    g = np.random.default_rng(11)
    x = g.standard_normal(spec["shape"])
    kernel, bias = g.standard_normal((3, 2, x.shape[-1], 4)), g.standard_normal(4)
    geom = K.conv_geometry(x.shape[1:3], (3, 2), spec["strides"], spec["dilation"], spec["padding"])
    y, cache = K.conv_forward(x, kernel, bias, geom)
    loops = K.conv2d_forward_loops(x, kernel, bias, spec["strides"], geom.pads, spec["dilation"])
    np.testing.assert_allclose(y, loops, rtol=0, atol=TOLERANCES["float64"] * np.abs(loops).max())
    dy = g.standard_normal(y.shape)
    dx, grads = K.conv_backward(dy, cache)
    dx_l, dk_l, db_l = K.conv2d_backward_loops(dy, x, kernel, spec["strides"], geom.pads, spec["dilation"])
    dkernel, dbias = grads
    for mine, theirs in [(dx, dx_l), (dkernel, dk_l), (dbias, db_l)]:
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=TOLERANCES["float64"] * np.abs(theirs).max())


@pytest.mark.parametrize("padding, output_padding", [("valid", None), ("same", None), ("valid", (1, 0)),
                                                     ("same", (1, 1))],
                         ids=["valid", "same", "valid-outpad1x0", "same-outpad1"])
def test_transpose_is_the_adjoint_of_the_convolution(padding, output_padding):
    """<conv(z), x> == <z, conv_transpose(x)> for every z and x: the definition of the adjoint."""
    g = np.random.default_rng(12)
    x = g.standard_normal((2, 4, 3, 3))
    kernel = g.standard_normal((3, 3, 5, 3))           # transpose layout (*k, filters, in)
    geom = K.conv_transpose_geometry(x.shape[1:3], (3, 3), (2, 2), None, padding, output_padding)
    y, _ = K.conv_transpose_forward(x, kernel, None, geom)
    z = g.standard_normal(y.shape)
    conv_z, _ = K.conv_forward(z, kernel, None, geom)
    assert conv_z.shape == x.shape
    assert abs(np.sum(conv_z * x) - np.sum(z * y)) <= 1e-12 * np.sum(np.abs(z * y))


@pytest.mark.parametrize("name", GRADCHECK, ids=GRADCHECK)
def test_float32_stays_float32_end_to_end(name):
    config, shape = GRADCHECK[name]
    layer = getattr(kit.layers, name)(**config)
    y = layer(np.ones(shape, dtype=np.float64))
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads)


@pytest.mark.parametrize("name, shape", [
    ("Conv1D", (None, 11, 3)), ("Conv2D", (None, 9, 8, 3)), ("Conv3D", (None, 5, 6, 5, 3)),
    ("Conv2DTranspose", (None, 4, 5, 3)), ("Conv3DTranspose", (None, 3, 2, 3, 2)),
    ("SeparableConv2D", (None, 7, 9, 2)), ("DepthwiseConv2D", (None, 8, 7, 3)),
], ids=["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv2D",
        "DepthwiseConv2D"])
def test_output_shape_and_config_match_keras(name, shape):
    import keras
    config = {"kernel_size": 3, "strides": 2, "padding": "same"}
    if "Depthwise" not in name:
        config["filters"] = 4
    layer = getattr(kit.layers, name)(**config)
    twin = getattr(keras.layers, name)(**config)
    assert layer.compute_output_shape(shape) == tuple(twin.compute_output_shape(shape))
    theirs = twin.get_config()
    for key, value in layer.get_config().items():
        if key not in ("name", "dtype", "activity_regularizer"):
            assert key in theirs and (value == theirs[key] or key.endswith(("initializer", "regularizer"))), key
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_weight_shapes_are_keras_layouts():
    x = np.zeros((1, 8, 8, 6), dtype="float32")
    shapes = {}
    for layer in [kit.layers.Conv2D(4, 3, groups=2), kit.layers.Conv2DTranspose(5, (3, 2)),
                  kit.layers.DepthwiseConv2D(3, depth_multiplier=2), kit.layers.SeparableConv2D(7, 3)]:
        layer(x)
        shapes[type(layer).__name__] = [w.shape for w in layer.get_weights()]
    assert shapes == {
        "Conv2D": [(3, 3, 3, 4), (4,)],
        "Conv2DTranspose": [(3, 2, 5, 6), (5,)],
        "DepthwiseConv2D": [(3, 3, 6, 2), (12,)],
        "SeparableConv2D": [(3, 3, 6, 1), (1, 1, 6, 7), (7,)],
    }


# ---- validation errors -------------------------------------------------------------------

CONSTRUCTOR_ERRORS = {
    "strides-with-dilation": (lambda: kit.layers.Conv2D(4, 3, strides=2, dilation_rate=2, name="c"),
                              r"Conv2D 'c'.*strides > 1.*dilation_rate > 1.*strides=\(2, 2\).*dilation_rate=\(2, 2\)"),
    "transpose-strides-with-dilation": (lambda: kit.layers.Conv2DTranspose(4, 3, strides=2, dilation_rate=2),
                                        r"Conv2DTranspose.*strides > 1.*dilation_rate > 1"),
    "filters-not-divisible-by-groups": (lambda: kit.layers.Conv2D(5, 3, groups=2, name="c"),
                                        r"Conv2D 'c'.*filters must be divisible by groups.*filters=5.*groups=2"),
    "filters-zero": (lambda: kit.layers.Conv1D(0, 3), r"Conv1D.*filters must be a positive integer.*filters=0"),
    "groups-zero": (lambda: kit.layers.Conv1D(4, 3, groups=0), r"groups must be a positive integer"),
    "kernel-size-zero": (lambda: kit.layers.Conv2D(4, (3, 0)), r"Conv2D.*kernel_size.*\(3, 0\)"),
    "kernel-size-wrong-length": (lambda: kit.layers.Conv3D(4, (3, 3)), r"Conv3D.*tuple of 3.*\(3, 3\)"),
    "strides-zero": (lambda: kit.layers.Conv1D(4, 3, strides=0), r"strides must be a positive integer"),
    "causal-in-2d": (lambda: kit.layers.Conv2D(4, 3, padding="causal"),
                     r"Conv2D.*padding must be one of \['valid', 'same'\].*'causal'"),
    "causal-in-transpose": (lambda: kit.layers.Conv1DTranspose(4, 3, padding="causal"),
                            r"Conv1DTranspose.*padding must be one of"),
    "bad-padding": (lambda: kit.layers.Conv1D(4, 3, padding="full"), r"padding must be one of.*'full'"),
    "bad-data-format": (lambda: kit.layers.Conv2D(4, 3, data_format="NHWC"),
                        r"data_format must be 'channels_last' or 'channels_first'.*'NHWC'"),
    "output-padding-not-below-strides": (lambda: kit.layers.Conv2DTranspose(4, 3, strides=2, output_padding=2),
                                         r"Conv2DTranspose.*output_padding must be strictly less than strides"),
    "depth-multiplier-zero": (lambda: kit.layers.DepthwiseConv2D(3, depth_multiplier=0),
                              r"DepthwiseConv2D.*depth_multiplier must be a positive integer"),
}


@pytest.mark.parametrize("make, message", CONSTRUCTOR_ERRORS.values(), ids=CONSTRUCTOR_ERRORS.keys())
def test_invalid_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_keras_refuses_what_the_kit_refuses():
    """The kit's constructor errors are Keras's: the same arguments fail there too."""
    import keras
    for args, kwargs in [((4, 3), {"strides": 2, "dilation_rate": 2}), ((5, 3), {"groups": 2})]:
        with pytest.raises(ValueError):
            keras.layers.Conv2D(*args, **kwargs)
    with pytest.raises(ValueError):
        keras.layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)


BUILD_ERRORS = {
    "input-smaller-than-kernel": (lambda: kit.layers.Conv2D(4, 5, name="c"), (1, 4, 6, 3),
                                  r"Conv2D 'c'.*spatial size \(4, 6\) is too small for kernel_size \(5, 5\)"),
    "input-smaller-than-dilated-kernel": (lambda: kit.layers.Conv1D(2, 3, dilation_rate=4), (1, 8, 2),
                                          r"Conv1D.*too small.*window spans \(9,\)"),
    "channels-not-divisible-by-groups": (lambda: kit.layers.Conv2D(4, 3, groups=2, name="c"), (1, 5, 5, 3),
                                         r"Conv2D 'c'.*channels must be divisible by groups.*3 channels.*groups=2"),
    "wrong-rank": (lambda: kit.layers.Conv2D(4, 3, name="c"), (5, 5, 3),
                   r"'c' \(Conv2D\) expected an input of shape .*rank 4.*got shape \(5, 5, 3\)"),
    "even-kernel-same-transpose-without-room": (
        lambda: kit.layers.Conv2DTranspose(3, 2, padding="same", output_padding=0), (1, 4, 4, 2),
        r"Conv2DTranspose.*does not convolve back to the input size"),
}


@pytest.mark.parametrize("make, shape, message", BUILD_ERRORS.values(), ids=BUILD_ERRORS.keys())
def test_bad_inputs_raise_clear_errors(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(np.zeros(shape, dtype="float32"))


def test_wrong_channel_count_after_build_names_both_shapes():
    layer = kit.layers.Conv2D(4, 3, name="c")
    layer(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"'c' \(Conv2D\).*\(batch, \?, \?, 3\).*got shape \(1, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2)))


@pytest.mark.parametrize("name", ["Conv2D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D"])
def test_unknown_spatial_sizes_give_unknown_output_sizes_as_in_keras(name):
    import keras
    config = {"kernel_size": 3, "strides": 2, "padding": "valid"}
    if "Depthwise" not in name:
        config["filters"] = 4
    shape = (None, None, 9, 3)
    layer = getattr(kit.layers, name)(**config)
    layer.build(shape)
    assert layer.compute_output_shape(shape) == tuple(getattr(keras.layers, name)(**config).compute_output_shape(shape))


def test_channels_first_bias_where_keras_guesses_the_axis_matches_tf_layers():
    """Output (2, 3, 3, 3): last spatial size == filters, the shape Keras 3.15's bias_add guess gets wrong."""
    layer = kit.layers.Conv2D(3, 3, strides=2, padding="same", data_format="channels_first",
                              bias_initializer="random_normal")
    report = compare(layer, make_input((2, 3, 6, 6), "float32", seed=9), apis=("tf.layers",))
    assert {r["quantity"] for r in report.rows} == {"output", "dx", "dkernel", "dbias"}
    assert_report_ok(report)
