"""Pooling against tf.keras.layers.*Pooling*D and tf.compat.v1.layers.*_pooling*d: output and dx."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.fast import pooling as fast_pooling
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels import pooling as K
from tflearn_kit.reference import all_twins

from .conftest import assert_report_ok

POOLS = [f"{kind}Pooling{rank}D" for rank in (1, 2, 3) for kind in ("Max", "Average")]
GLOBALS = [f"Global{name}" for name in POOLS]


def grid(names):
    """Every registered case of these layers (reference/pooling.py, the one list) in each dtype
    TensorFlow can run it in (3-D pooling: float32 only): ids like
    'MaxPooling2D-pool3-stride2-same-float64'."""
    params = [pytest.param(name, case, dtype, id=f"{name}-{case.name}-{dtype}")
              for name in names for case in all_twins()[name].cases for dtype in case.dtypes]
    return pytest.mark.parametrize("name, case, dtype", params)


# the windowed pooling's configurations (the same for every rank and kind), for the gradient
# check and the shape test below
CONFIGS = {case.name: case.config for case in all_twins()["MaxPooling2D"].cases}
SPATIAL = {1: (9,), 2: (7, 8), 3: (5, 6, 4)}


def _layer(kind, rank, config, dtype):
    return getattr(kit.layers, f"{kind}Pooling{rank}D")(**config, dtype=dtype)


def _shape(rank, config, channels=3):
    if config.get("data_format") == "channels_first":
        return (2, channels) + SPATIAL[rank]
    return (2,) + SPATIAL[rank] + (channels,)


@grid(POOLS)
def test_pooling_matches_both_tf_apis(name, case, dtype):
    layer = getattr(kit.layers, name)(**case.config, dtype=dtype)
    report = compare(layer, make_input(case.input_shape, dtype, seed=len(case.input_shape) - 2))
    assert {r["api"] for r in report.rows} == {"tf.keras", "tf.layers"}
    assert {"output", "dx"} <= {r["quantity"] for r in report.rows}
    assert_report_ok(report)


@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_pooling_whose_windows_tile_the_input_exactly_matches_both_tf_apis(kind, dtype):
    """stride == pool and sizes divisible: the backward writes every element once, no zeroing."""
    layer = _layer(kind, 2, {"pool_size": (2, 3)}, dtype)
    assert_report_ok(compare(layer, make_input((2, 6, 9, 3), dtype, seed=8)))


@grid(GLOBALS)
def test_global_pooling_matches_both_tf_apis(name, case, dtype):
    layer = getattr(kit.layers, name)(**case.config, dtype=dtype)
    assert_report_ok(compare(layer, make_input(case.input_shape, dtype, seed=5)))


def _tf_max_pool_dx(x, pool, strides, padding="VALID"):
    import tensorflow as tf
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool(xt, pool, strides, padding)
    return tape.gradient(y, xt).numpy()


TIES = {
    "all-equal-2x2": (np.zeros((1, 2, 2, 1)), 2, 2),
    "two-maxima-anti-diagonal": (np.array([[0, 5], [5, 1.0]]).reshape(1, 2, 2, 1), 2, 2),
    "overlapping-windows-all-equal": (np.zeros((1, 3, 4, 1)), 2, 1),
    "plateau-stride2-same": (np.round(np.random.default_rng(0).standard_normal((1, 5, 5, 2))),
                             3, 2),
}


@pytest.mark.parametrize("name", TIES.keys())
def test_max_pooling_ties_go_to_the_first_maximum_like_tf(name, dtype):
    """TF's MaxPoolGrad gives each window's dy to one element: the first maximum in row-major order."""
    x, pool, stride = TIES[name]
    x = x.astype(dtype)
    padding = "same" if "same" in name else "valid"
    y, cache = K.max_pool_forward(x, (pool, pool), (stride, stride), padding)
    dy = np.arange(1, y.size + 1, dtype=dtype).reshape(y.shape)
    dx, _ = K.max_pool_backward(dy, cache)
    import tensorflow as tf
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y_tf = tf.nn.max_pool2d(xt, pool, stride, padding.upper())
    dx_tf = tape.gradient(y_tf, xt, output_gradients=tf.constant(dy)).numpy()
    np.testing.assert_array_equal(y, y_tf.numpy())
    np.testing.assert_array_equal(dx, dx_tf)


def test_tf_3d_max_pool_gradient_credits_every_tie_the_kit_one_winner():
    """A documented difference: TF's MaxPool3DGrad gives dy to *every* tied maximum; the kit
    (like TF's 1-D and 2-D MaxPoolGrad) gives it to the first one only."""
    import tensorflow as tf
    x = tf.zeros((1, 2, 2, 2, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool3d(x, 2, 2, "VALID")
    assert tape.gradient(y, x).numpy().sum() == 8
    layer = kit.layers.MaxPooling3D(2)
    layer(np.zeros((1, 2, 2, 2, 1)))
    dx = layer.backward(np.ones((1, 1, 1, 1, 1)))
    assert dx.sum() == 1 and dx.reshape(-1)[0] == 1


LOOPS = {
    "pool2-valid": ((2, 2), (2, 2), "valid"),
    "pool3-stride2-same": ((3, 3), (2, 2), "same"),
    "pool2x3-stride1x2-valid": ((2, 3), (1, 2), "valid"),
    "pool3-stride1-same-with-ties": ((3, 3), (1, 1), "same"),
    "pool3x7-tiles-exactly": ((3, 7), (3, 7), "valid"),
}


@pytest.mark.parametrize("case", LOOPS.values(), ids=LOOPS.keys())
def test_max_pool2d_loop_twin_equals_the_vectorized_kernel(case):
    pool, strides, padding = case
    x = np.random.default_rng(1).standard_normal((2, 6, 7, 3))
    if strides == (1, 1):
        x = np.round(x)          # the "with-ties" case: integers, so windows share their maximum
    y, cache = K.max_pool_forward(x, pool, strides, padding)
    y_loops, dx_of = K.max_pool2d_loops(x, pool, strides, padding)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    np.testing.assert_array_equal(y, y_loops)
    np.testing.assert_allclose(K.max_pool_backward(dy, cache)[0], dx_of(dy), rtol=1e-14, atol=1e-14)


def _nan_hides_a_tie():
    """One window with two maxima and one with a NaN (no maximum at all): as many hits
    as windows, although one window has two. The tiled path must still see the tie."""
    x = np.random.default_rng(3).permutation(16).astype(float).reshape(1, 4, 4, 1)
    x[0, 0, 0, 0] = x[0, 1, 1, 0] = 99.0
    x[0, 3, 2, 0] = np.nan
    return x


TILED = {
    "1d-pool3-distinct": (lambda g: g.standard_normal((2, 9, 3)), (3,)),
    "1d-pool3-ties": (lambda g: np.round(g.standard_normal((2, 9, 3))), (3,)),
    "2d-pool2-distinct": (lambda g: g.standard_normal((2, 6, 8, 3)), (2, 2)),
    "2d-pool2x3-ties": (lambda g: np.round(g.standard_normal((2, 6, 9, 3))), (2, 3)),
    "2d-pool2-all-equal": (lambda g: np.zeros((1, 4, 4, 2)), (2, 2)),
    "2d-pool2-nan-and-ties": (lambda g: np.where(g.random((2, 6, 8, 3)) < 0.05, np.nan,
                                                 np.round(g.standard_normal((2, 6, 8, 3)))),
                              (2, 2)),
    "2d-pool2-nan-hides-a-tie": (lambda g: _nan_hides_a_tie(), (2, 2)),
    "3d-pool2-ties": (lambda g: np.round(g.standard_normal((2, 4, 6, 2, 3))), (2, 2, 2)),
}


@pytest.mark.parametrize("case", TILED.values(), ids=TILED.keys())
def test_max_pool_tiled_fast_path_equals_the_readable_taps_loop(case, dtype):
    """Windows that tile the input take fast.pooling's one-pass backward; the readable
    tap-by-tap loop must give the same dx, ties (first maximum wins) and NaNs included."""
    make, pool = case
    g = np.random.default_rng(4)
    x = make(g).astype(dtype)
    y, cache = K.max_pool_forward(x, pool, pool)
    dy = g.standard_normal(y.shape).astype(dtype)
    xp, geom, y_cached = cache
    assert fast_pooling._tiles(xp.shape, geom)
    readable = K.max_pool_backward(dy, cache)[0]
    np.testing.assert_array_equal(fast_pooling.max_pool_backward_tiled(dy, xp, geom, y_cached), readable)
    np.testing.assert_array_equal(fast_pooling.max_pool_backward(dy, cache)[0], readable)


def test_average_pooling_same_divides_by_the_count_of_real_elements():
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    y = kit.layers.AveragePooling2D(2, padding="same")(x, ).reshape(2, 2)
    # windows: [0 1 3 4] / 4, [2 5] / 2, [6 7] / 2, [8] / 1, worked by hand
    np.testing.assert_array_equal(y, [[2.0, 3.5], [6.5, 8.0]])
    assert K.window_counts((3, 3), (2, 2), (2, 2), "same").tolist() == [[4, 2], [2, 1]]


def test_3d_pooling_on_a_size1_axis_is_2d_pooling():
    """One N-d implementation: a 3-D pool of depth 1 over a depth-1 input is the 2-D pool (float64)."""
    x = make_input((2, 1, 6, 7, 3), "float64", seed=9)
    for kind in ("Max", "Average"):
        three = getattr(kit.layers, f"{kind}Pooling3D")((1, 3, 2), strides=(1, 2, 2),
                                                        padding="same", dtype="float64")
        two = getattr(kit.layers, f"{kind}Pooling2D")((3, 2), strides=(2, 2), padding="same",
                                                      dtype="float64")
        y3, y2 = three(x), two(x[:, 0])
        np.testing.assert_array_equal(y3[:, 0], y2)
        dy = np.random.default_rng(3).standard_normal(y2.shape)
        np.testing.assert_array_equal(three.backward(dy[:, None])[:, 0], two.backward(dy))


GRADCHECK = {f"{kind}{rank}d-{name}": (kind, rank, CONFIGS[name])
             for kind in ("Max", "Average") for rank in (1, 2, 3)
             for name in ("pool3-stride2-same", "pool2-stride1-valid")}


@pytest.mark.parametrize("case", GRADCHECK.values(), ids=GRADCHECK.keys())
def test_pooling_gradient_check(case):
    kind, rank, config = case
    layer = _layer(kind, rank, config, "float64")
    # a permutation of well-separated values: no ties, no window whose max moves under eps
    n = int(np.prod(_shape(rank, config, 2)))
    x = np.random.default_rng(4).permutation(n).reshape(_shape(rank, config, 2)) * 0.1
    result = gradient_check(layer, x)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_global_pooling_gradient_check(kind):
    layer = getattr(kit.layers, f"Global{kind}Pooling2D")(dtype="float64")
    x = np.random.default_rng(5).permutation(2 * 4 * 5 * 3).reshape(2, 4, 5, 3) * 0.1
    result = gradient_check(layer, x)
    assert result.ok and result.max_rel < 1e-6, "\n" + result.to_text()


@pytest.mark.parametrize("bad_shape, expected", [
    ((2, 8, 3), r"rank 4"),
    ((2, 4, 4, 4, 3), r"rank 4"),
], ids=["rank3", "rank5"])
def test_wrong_input_rank_names_the_layer_and_both_shapes(bad_shape, expected):
    with pytest.raises(ValueError, match=expected) as info:
        kit.layers.MaxPooling2D(name="pool")(np.zeros(bad_shape))
    assert "'pool'" in str(info.value) and "MaxPooling2D" in str(info.value)
    assert str(bad_shape) in str(info.value)


def test_window_larger_than_input_with_valid_padding_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'p' \(AveragePooling1D\).*pool_size \(5,\)"):
        kit.layers.AveragePooling1D(5, name="p")(np.zeros((1, 3, 2)))


@pytest.mark.parametrize("kwargs, expected", [
    ({"pool_size": 0}, "pool_size must be a positive integer"),
    ({"pool_size": (2, 2, 2)}, "tuple of 2"),
    ({"padding": "full"}, "padding must be 'valid' or 'same'"),
    ({"data_format": "NHWC"}, "data_format must be one of"),
], ids=["zero-pool", "wrong-length", "bad-padding", "bad-format"])
def test_bad_arguments_are_clear_errors(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        kit.layers.MaxPooling2D(**kwargs)


def test_output_shape_and_config_match_keras():
    import keras
    for rank in (1, 2, 3):
        for config in CONFIGS.values():
            layer = _layer("Max", rank, config, "float32")
            shape = _shape(rank, config)
            k = getattr(keras.layers, f"MaxPooling{rank}D")(**config)
            assert layer.compute_output_shape(shape) == k.compute_output_shape(shape)
            assert layer(np.zeros(shape, "float32")).shape == k.compute_output_shape(shape)
            mine, theirs = layer.get_config(), k.get_config()
            for key in ("pool_size", "strides", "padding", "data_format"):
                assert tuple(np.atleast_1d(mine[key])) == tuple(np.atleast_1d(theirs[key])), key


@pytest.mark.parametrize("name", ["MaxPooling1D", "AveragePooling2D", "MaxPooling3D",
                                  "GlobalAveragePooling2D", "GlobalMaxPooling1D"])
def test_config_round_trip_and_keras_accepts_it(name):
    import keras
    from tflearn_kit.reference.runners import keras_config
    config = {"GlobalAveragePooling2D": {"keepdims": True, "data_format": "channels_first"},
              "GlobalMaxPooling1D": {}}.get(name, {"pool_size": 3, "strides": 2, "padding": "same"})
    layer = getattr(kit.layers, name)(**config, name="p")
    assert getattr(kit.layers, name).from_config(layer.get_config()).get_config() == layer.get_config()
    twin = getattr(keras.layers, name)(**keras_config(layer))
    assert twin.name == "p"
