"""Flatten and Reshape against tf.keras and tf.compat.v1.layers.flatten / tf.reshape."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, make_input
from tflearn_kit.gradcheck import gradient_check

from .conftest import assert_report_ok
from .registry_grid import grid


@grid("Flatten", "Reshape")
def test_matches_both_tf_apis(name, case, dtype):
    """The registered cases (reference/reshaping.py): output and dx against tf.keras and
    tf.compat.v1.layers.flatten / tf.reshape."""
    report = compare_case(name, case, dtype)
    assert {(r["api"], r["quantity"]) for r in report.rows} == {
        (api, q) for api in ("tf.keras", "tf.layers") for q in ("output", "dx")}
    assert_report_ok(report)


def test_channels_first_flatten_orders_features_channels_last():
    x = np.arange(3 * 2 * 2.0).reshape(1, 3, 2, 2)          # (batch, channels, h, w)
    y = kit.layers.Flatten(data_format="channels_first")(x)
    # by hand: position (0, 0) of channels 0, 1, 2 first
    np.testing.assert_array_equal(y[0, :3], [0.0, 4.0, 8.0])


@pytest.mark.parametrize("layer", [kit.layers.Flatten(data_format="channels_first", dtype="float64"),
                                   kit.layers.Reshape((-1, 2), dtype="float64")],
                         ids=["flatten", "reshape"])
def test_gradient_check(layer):
    result = gradient_check(layer, make_input((2, 3, 2, 2), "float64", seed=1))
    assert result.ok and result.max_rel < 1e-7, "\n" + result.to_text()


def test_shapes_match_keras():
    import keras
    for shape, target in (((None, 24), (4, 6)), ((2, 4, 6), (-1, 3))):
        assert kit.layers.Reshape(target).compute_output_shape(shape) == \
            keras.layers.Reshape(target).compute_output_shape(shape)
    assert kit.layers.Flatten().compute_output_shape((None, 3, 4)) == \
        keras.layers.Flatten().compute_output_shape((None, 3, 4))


@pytest.mark.parametrize("make, expected", [
    (lambda: kit.layers.Reshape((5, 5), name="r")(np.zeros((2, 24))),
     r"'r' \(Reshape\).*\(2, 24\) has 24 elements.*\(5, 5\)"),
    (lambda: kit.layers.Reshape((-1, 5), name="r")(np.zeros((2, 24))), r"'r' \(Reshape\)"),
    (lambda: kit.layers.Reshape((-1, -1)), r"at most one -1"),
    (lambda: kit.layers.Flatten(data_format="NCHW"), r"data_format must be one of"),
], ids=["size-mismatch", "not-divisible", "two-minus-ones", "bad-format"])
def test_bad_arguments_are_clear_errors(make, expected):
    with pytest.raises(ValueError, match=expected):
        make()
