"""ReversibleEmbedding against tf.keras.layers.ReversibleEmbedding: the lookup, the reverse
projection (tied and untied, soft-capped), weights, config, masks and errors.

The grid is the registry's (reference/keras3_additions.py): forward cases look ids up,
reverse cases call ``layer(h, reverse=True)``; each in float32 (1e-5) and float64 (1e-10).
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference import all_twins
from tflearn_kit.reference.runners import keras_twin
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES, assert_report_ok

CASES = all_twins()["ReversibleEmbedding"].cases


@pytest.mark.parametrize("case, dtype", [pytest.param(c, d, id=f"{c.name}-{d}") for c in CASES
                                         for d in c.dtypes])
def test_matches_keras(case, dtype):
    report = compare_case("ReversibleEmbedding", case, dtype)
    expected = {"output", "dembeddings"} | ({"dx"} if case.call_kwargs.get("reverse") else set())
    if not case.config.get("tie_weights", True):
        expected.add("dreverse_embeddings")
    assert {r["quantity"] for r in report.rows if r["api"] == "tf.keras"} == expected
    assert_report_ok(report)


@pytest.mark.parametrize("config", [
    {"logit_soft_cap": 0.7}, {"tie_weights": False}, {"tie_weights": False, "logit_soft_cap": 1.5}],
    ids=["tied-soft-cap", "untied", "untied-soft-cap"])
def test_reverse_gradient_check(config):
    layer = kit.layers.ReversibleEmbedding(7, 4, embeddings_initializer="glorot_uniform",
                                           dtype="float64", **config)
    report = gradient_check(layer, make_input((3, 2, 4), "float64", seed=5),
                            call_kwargs={"reverse": True})
    assert report.ok, report.to_text()


def test_tied_reverse_is_the_tables_transpose_by_hand():
    layer = kit.layers.ReversibleEmbedding(3, 2, embeddings_initializer="glorot_uniform")
    layer.build(None)
    layer.set_weights([np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])])
    h = np.array([[3.0, -1.0]])
    np.testing.assert_array_equal(layer(h, reverse=True), [[3.0, -2.0, 2.0]])
    capped = kit.layers.ReversibleEmbedding(3, 2, logit_soft_cap=2.0)
    capped.build(None)
    capped.set_weights(layer.get_weights())
    np.testing.assert_allclose(capped(h, reverse=True), 2 * np.tanh(np.array([[3.0, -2.0, 2.0]]) / 2),
                               rtol=1e-6)


def test_weights_load_from_keras_in_keras_order():
    _, keras, _ = modules()
    theirs = keras.layers.ReversibleEmbedding(6, 3, tie_weights=False)
    theirs.build((None,))
    ours = kit.layers.ReversibleEmbedding(6, 3, tie_weights=False)
    ours.build(None)
    ours.set_weights(theirs.get_weights())
    assert [w.name for w in ours.weight_records] == ["embeddings", "reverse_embeddings"]
    assert [w.path.split("/")[-1] for w in theirs.weights] == ["embeddings", "reverse_embeddings"]
    h = make_input((2, 3), "float32", seed=6)
    _, rel = errors(ours(h, reverse=True), np.asarray(theirs(h, reverse=True)))
    assert rel <= TOLERANCES["float32"]


def test_mask_from_the_lookup_only_as_keras():
    tf, _, _ = modules()
    layer = kit.layers.ReversibleEmbedding(5, 3, mask_zero=True)
    ids = np.array([[1, 0, 4, 0]])
    layer(ids)
    twin = keras_twin(layer)
    k_out = twin(tf.constant(ids))
    np.testing.assert_array_equal(layer.output_mask, k_out._keras_mask.numpy())
    layer(make_input((1, 4, 3), "float32"), reverse=True)
    assert layer.output_mask is None


def test_reverse_dtype_runs_the_projection_in_that_dtype_as_keras():
    tf, _, _ = modules()
    layer = kit.layers.ReversibleEmbedding(6, 4, reverse_dtype="float64",
                                           embeddings_initializer="glorot_uniform")
    h = make_input((2, 4), "float32", seed=8)
    y = layer(h, reverse=True)
    twin = keras_twin(layer, (2, 4), layer.get_weights())
    k_y = twin(tf.constant(h), reverse=True)
    assert y.dtype == np.float64 and k_y.dtype == tf.float64
    _, rel = errors(y, k_y.numpy())
    assert rel <= TOLERANCES["float64"] * 1e3     # the float32 table and input, cast: equal up to 1e-7


def test_config_round_trips_and_rebuilds_keras():
    from tflearn_kit.reference.runners import keras_config
    _, keras, _ = modules()
    layer = kit.layers.ReversibleEmbedding(8, 2, tie_weights=False, logit_soft_cap=30.0,
                                           reverse_dtype="float32", mask_zero=True)
    again = kit.layers.ReversibleEmbedding.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    rebuilt = keras.layers.ReversibleEmbedding(**keras_config(layer)).get_config()
    assert {k: rebuilt[k] for k in ("tie_weights", "logit_soft_cap", "reverse_dtype", "mask_zero",
                                     "input_dim", "output_dim")} == {
        "tie_weights": False, "logit_soft_cap": 30.0, "reverse_dtype": "float32", "mask_zero": True,
        "input_dim": 8, "output_dim": 2}


def test_bad_arguments_and_inputs_name_the_layer():
    with pytest.raises(ValueError, match="quantization_config"):
        kit.layers.ReversibleEmbedding(4, 2, quantization_config={"mode": "int8"})
    with pytest.raises(ValueError, match="reverse_dtype"):
        kit.layers.ReversibleEmbedding(4, 2, reverse_dtype="int8")
    with pytest.raises(ValueError, match="logit_soft_cap"):
        kit.layers.ReversibleEmbedding(4, 2, logit_soft_cap=0)
    layer = kit.layers.ReversibleEmbedding(4, 2, name="tied")
    with pytest.raises(ValueError, match=r"'tied' \(ReversibleEmbedding\).*\(batch, \.\.\., 2\).*\(3, 5\)"):
        layer(np.zeros((3, 5)), reverse=True)
    with pytest.raises(ValueError, match=r"'tied' \(ReversibleEmbedding\).*\[0, 4\)"):
        layer(np.array([[1, 7]]))
