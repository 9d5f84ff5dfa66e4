"""Embedding against tf.keras.layers.Embedding and tf.compat.v1.nn.embedding_lookup."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels.embedding import (embedding_backward, embedding_backward_one_hot,
                                           embedding_forward, embedding_forward_one_hot)

from .conftest import assert_report_ok
from .registry_grid import grid

@grid("Embedding")
def test_embedding_matches_both_tf_apis(name, case, dtype):
    kit.set_seed(0)         # the weights: the same draw whichever tests ran before
    layer = kit.layers.Embedding(**case.config, dtype=dtype, embeddings_initializer="random_normal")
    ids = make_input(case.input_shape, kind=case.input_kind, seed=1)
    report = compare(layer, ids)
    assert {r["api"] for r in report.rows} == {"tf.keras", "tf.layers"}
    assert {"output", "dembeddings"} <= {r["quantity"] for r in report.rows}
    assert_report_ok(report)


def test_repeated_ids_accumulate_their_gradients():
    ids = np.array([[2, 0, 2], [2, 1, 0]])
    dy = np.arange(6 * 2, dtype=np.float64).reshape(2, 3, 2)
    _, grads = embedding_backward(dy, embedding_forward(ids, np.zeros((4, 2)))[1])
    expected = np.zeros((4, 2))
    expected[2] = dy[0, 0] + dy[0, 2] + dy[1, 0]       # id 2 appears three times
    expected[0] = dy[0, 1] + dy[1, 2]
    expected[1] = dy[1, 1]                              # id 3 never appears: its row stays zero
    np.testing.assert_array_equal(grads[0], expected)


def test_one_hot_matmul_twins_equal_the_lookup():
    g = np.random.default_rng(2)
    table, ids = g.standard_normal((6, 3)), g.integers(0, 6, size=(2, 5))
    dy = g.standard_normal((2, 5, 3))
    np.testing.assert_allclose(embedding_forward_one_hot(ids, table), embedding_forward(ids, table)[0],
                               rtol=1e-14)
    _, grads = embedding_backward(dy, embedding_forward(ids, table)[1])
    np.testing.assert_allclose(embedding_backward_one_hot(dy, ids, 6), grads[0], rtol=1e-12)


@pytest.mark.parametrize("bad", [7, -1], ids=["too-large", "negative"])
def test_out_of_range_ids_name_the_layer_the_range_and_the_id(bad):
    layer = kit.layers.Embedding(7, 2, name="words")
    with pytest.raises(ValueError, match=rf"'words' \(Embedding\).*\[0, 7\).*got id {bad}\b"):
        layer(np.array([[1, bad, 3]]))


def test_mask_zero_gives_keras_mask():
    import keras
    ids = np.array([[3, 0, 1, 0], [0, 0, 2, 5]])
    layer = kit.layers.Embedding(6, 2, mask_zero=True)
    layer(ids)
    expected = np.asarray(keras.layers.Embedding(6, 2, mask_zero=True).compute_mask(ids))
    np.testing.assert_array_equal(layer.output_mask, expected)
    plain = kit.layers.Embedding(6, 2)
    plain(ids)
    assert plain.output_mask is None


def test_ids_stay_integers_and_output_has_the_layer_dtype():
    layer = kit.layers.Embedding(4, 3, dtype="float64")
    y = layer(np.array([[1.0, 3.0]]))         # float ids are cast to integers, as Keras casts them
    assert y.shape == (1, 2, 3) and y.dtype == np.float64
    np.testing.assert_array_equal(y[0], layer.embeddings[[1, 3]])


def test_embedding_gradient_check():
    layer = kit.layers.Embedding(5, 3, dtype="float64")
    result = gradient_check(layer, make_input((3, 4), kind="int:5", seed=3))
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-7


def test_default_initializer_is_keras_uniform_and_config_round_trips():
    kit.set_seed(0)
    layer = kit.layers.Embedding(50, 8, mask_zero=True, name="emb")
    layer.build((None, 3))
    assert np.all(np.abs(layer.embeddings) <= 0.05) and layer.embeddings.std() > 0.01
    clone = kit.layers.Embedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.count_params() == 50 * 8
    assert layer.compute_output_shape((None, 3)) == (None, 3, 8)


@pytest.mark.parametrize("arg", [{"input_dim": 0, "output_dim": 2}, {"input_dim": 3, "output_dim": 2.5}],
                         ids=["zero-vocab", "float-dim"])
def test_bad_sizes_are_clear_errors(arg):
    with pytest.raises(ValueError, match="Embedding: (input|output)_dim must be a positive integer"):
        kit.layers.Embedding(**arg)
