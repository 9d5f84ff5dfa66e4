"""Models against Keras: Sequential, functional (skip connections, two inputs, shared layers) and
subclassed models give Keras's outputs, dx and weight gradients from the same weights; the weight
order, count_params and summary totals are Keras's; configs, .npz weights and Keras transfer round-trip."""
import re

import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.models import Input, Model, Sequential
from tflearn_kit.reference import all_twins, to_keras

from .conftest import TOLERANCES, assert_report_ok

L = kit.layers
MERGING = ["Add", "Subtract", "Multiply", "Average", "Concatenate"]
MERGE_CASES = [(name, case) for name in MERGING for case in all_twins()[name].cases]


@pytest.mark.parametrize("name, case", MERGE_CASES, ids=[f"{n}-{c.name}" for n, c in MERGE_CASES])
def test_merging_layers_match_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


@pytest.mark.parametrize("layer, shapes", [
    (L.Add(dtype="float64"), [(2, 3), (2, 3), (2, 3)]),
    (L.Multiply(dtype="float64"), [(2, 3), (2, 3)]),
    (L.Concatenate(axis=1, dtype="float64"), [(2, 3, 2), (2, 1, 2)]),
], ids=["add", "multiply", "concatenate-axis1"])
def test_merging_gradient_check(layer, shapes):
    xs = [make_input(s, "float64", seed=i) for i, s in enumerate(shapes)]
    result = gradient_check(layer, xs)
    assert result.ok, "\n" + result.to_text()


def test_merging_layers_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"'add.*' \(Add\) expected inputs whose shapes broadcast.*\(3, 4\).*\(3, 5\)"):
        L.Add()([np.zeros((3, 4)), np.zeros((3, 5))])
    with pytest.raises(ValueError, match=r"\(Concatenate\) expected inputs with matching shapes"):
        L.Concatenate()([np.zeros((3, 4)), np.zeros((2, 4))[None]])


# ---- the same model in the kit and in Keras ----------------------------------------------

def _keras_forward_backward(keras_model, xs, dy):
    import tensorflow as tf
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = keras_model(ts if len(ts) > 1 else ts[0], training=False)
    grads = tape.gradient(y, ts + keras_model.trainable_weights, output_gradients=tf.constant(dy))
    return y.numpy(), [g.numpy() for g in grads[:len(ts)]], [g.numpy() for g in grads[len(ts):]]


def _close(a, b, dtype):
    return np.max(np.abs(a - b)) <= TOLERANCES[dtype] * max(1.0, np.max(np.abs(b)))


def _mlp(dtype):
    return Sequential([Input((6,), dtype=dtype), L.Dense(8, activation="tanh", dtype=dtype),
                       L.Dense(5, activation="relu", dtype=dtype), L.Dense(3, dtype=dtype)])


def _skip_two_inputs(dtype):
    a, b = Input((6,), dtype=dtype), Input((4,), dtype=dtype)
    h = L.Dense(6, activation="tanh", dtype=dtype)(a)
    s = L.Add(dtype=dtype)([a, h])                       # a skip connection
    c = L.Concatenate(dtype=dtype)([s, b])
    shared = L.Dense(5, activation="sigmoid", dtype=dtype)
    u = shared(c)
    v = shared(L.Concatenate(dtype=dtype)([h, b]))       # the same weights, called twice
    out = L.Dense(3, dtype=dtype)(L.Multiply(dtype=dtype)([u, v]))
    return Model([a, b], out)


class _Residual(Model):
    """A subclassed model: its call composes layers, traced once into a graph."""

    def __init__(self, dtype):
        super().__init__(dtype=dtype)
        self.inner = L.Dense(6, activation="relu", dtype=dtype)
        self.add = L.Add(dtype=dtype)
        self.head = L.Dense(2, dtype=dtype)

    def call(self, x, training=None):
        return self.head(self.add([x, self.inner(x)]))


MODELS = {
    "sequential-mlp": (_mlp, [(4, 6)]),
    "functional-skip-two-inputs-shared": (_skip_two_inputs, [(4, 6), (4, 4)]),
    "subclassed-residual": (lambda dtype: _Residual(dtype), [(4, 6)]),
}


@pytest.mark.parametrize("make, shapes", MODELS.values(), ids=MODELS.keys())
def test_model_matches_its_keras_twin(make, shapes, dtype):
    model = make(dtype)
    xs = [make_input(s, dtype, seed=i) for i, s in enumerate(shapes)]
    y = model(xs if len(xs) > 1 else xs[0])
    for w in model.weights:                       # nonzero biases, so every gradient is exercised
        w += np.asarray(np.random.default_rng(7).standard_normal(w.shape) * 0.1, dtype)
    y = model(xs if len(xs) > 1 else xs[0])
    keras_model = to_keras(model)
    dy = make_input(y.shape, dtype, seed=9)
    y_k, dxs_k, grads_k = _keras_forward_backward(keras_model, xs, dy)
    dxs = model.backward(dy)
    dxs = dxs if isinstance(dxs, list) else [dxs]
    assert _close(y, y_k, dtype)
    for dx, dx_k in zip(dxs, dxs_k):
        assert _close(dx, dx_k, dtype)
    assert len(model.grads) == len(grads_k) == len(model.trainable_weights)
    for g, g_k, w in zip(model.grads, grads_k, model.trainable_weights):
        assert g.shape == w.shape and _close(g, g_k, dtype)


@pytest.mark.parametrize("make, shapes", MODELS.values(), ids=MODELS.keys())
def test_weight_order_and_count_params_are_keras(make, shapes):
    model = make("float32")
    model([make_input(s, seed=i) for i, s in enumerate(shapes)] if len(shapes) > 1
          else make_input(shapes[0]))
    keras_model = to_keras(model)
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in keras_model.weights]
    assert model.count_params() == keras_model.count_params()


def _summary_totals(text):
    return {k: int(v.replace(",", "")) for k, v in re.findall(r"(\w[\w-]* params): ([\d,]+)", text)}


@pytest.mark.parametrize("make, shapes", list(MODELS.values())[:2], ids=list(MODELS)[:2])
def test_summary_totals_equal_keras(make, shapes):
    model = make("float32")
    lines, keras_lines = [], []
    model.summary(print_fn=lines.append)
    to_keras(model).summary(print_fn=lambda s, **kw: keras_lines.append(s))
    text, keras_text = "\n".join(lines), "\n".join(keras_lines)
    assert _summary_totals(text) == _summary_totals(keras_text)
    assert _summary_totals(text)["Total params"] == model.count_params()
    for layer in model.layers:                      # every layer is a row, with its count
        assert f"{layer.name} (" in text or layer.name in text


def test_summary_after_training_counts_the_optimizer_like_keras():
    import keras
    x, y = make_input((16, 6), seed=1), np.arange(16) % 3
    model = _mlp("float32")
    keras_model = to_keras(model)
    for m, opt in ((model, kit.optimizers.Adam()), (keras_model, keras.optimizers.Adam())):
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    lines, keras_lines = [], []
    model.summary(print_fn=lines.append)
    keras_model.summary(print_fn=lambda s, **kw: keras_lines.append(s))
    assert _summary_totals("\n".join(lines)) == _summary_totals("\n".join(keras_lines))


def test_functional_layer_order_is_keras():
    model = _skip_two_inputs("float32")
    keras_model = to_keras(model)
    assert [type(l).__name__ for l in model.layers] == [type(l).__name__ for l in keras_model.layers]


@pytest.mark.parametrize("make, shapes", MODELS.values(), ids=MODELS.keys())
def test_config_and_npz_round_trip(make, shapes, tmp_path):
    model = make("float32")
    xs = [make_input(s, seed=i) for i, s in enumerate(shapes)]
    x = xs if len(xs) > 1 else xs[0]
    y = model(x)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    if isinstance(model, _Residual):
        clone = _Residual("float32")
        clone(x)
    else:
        clone = type(model).from_config(model.get_config())
    assert not np.allclose(clone(x), y)
    clone.load_weights(path)
    np.testing.assert_array_equal(clone(x), y)


def test_load_keras_weights_then_same_outputs():
    import keras
    keras_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                                    keras.layers.Dense(5, activation="relu"), keras.layers.Dense(3)])
    model = _mlp("float32")
    model.load_keras_weights(keras_model)
    x = make_input((4, 6), seed=3)
    assert _close(model(x), keras_model(x).numpy(), "float32")


def test_loading_weights_of_another_architecture_is_a_clear_error(tmp_path):
    model = _mlp("float32")
    other = Sequential([Input((6,)), L.Dense(2)])
    other.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="holds 2 weights, but model"):
        model.load_weights(tmp_path / "w.npz")


def test_model_input_shape_error_names_the_input():
    model = _mlp("float32")
    with pytest.raises(ValueError, match=r"expected shape \(batch, 6\), but got an array of shape \(2, 5\)"):
        model(np.zeros((2, 5), "float32"))


def test_sequential_builds_on_first_call_and_nests():
    inner = Sequential([L.Dense(4, activation="relu"), L.Dense(3)])
    outer = Sequential([L.Dense(5), inner, L.Dense(2)])
    x = make_input((3, 7), seed=2)
    y = outer(x)
    assert y.shape == (3, 2)
    assert outer.count_params() == (7 * 5 + 5) + (5 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 2)
    assert len(outer.weights) == 8
    clone = Sequential.from_config(outer.get_config())
    clone.build((None, 7))
    clone.set_weights(outer.get_weights())
    np.testing.assert_array_equal(clone(x), y)
    assert [type(l).__name__ for l in clone.layers] == ["Dense", "Sequential", "Dense"]


class _MaskMaker(L.Layer):
    """A test layer that marks zero rows as padding: output_mask = any(x != 0, axis=-1)."""

    def call(self, inputs):
        self._cache = True
        return inputs

    def compute_mask(self, inputs, mask=None):
        return np.any(inputs != 0, axis=-1)

    def backward_call(self, dy):
        return dy, []


class _MaskReader(L.Layer):
    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen_mask = mask
        self._cache = True
        return inputs

    def backward_call(self, dy):
        return dy, []


def test_sequential_passes_masks_along():
    x = np.ones((2, 3, 4), "float32")
    x[0, 2] = 0
    reader = _MaskReader()
    Sequential([_MaskMaker(), reader])(x)
    np.testing.assert_array_equal(reader.seen_mask, [[True, True, False], [True, True, True]])


def test_embedding_mask_reaches_the_lstm_like_keras():
    """Sequential passes Embedding(mask_zero=True)'s mask to the LSTM: padded steps are skipped."""
    import tensorflow as tf
    model = Sequential([Input((5,), dtype="int64"), L.Embedding(10, 4, mask_zero=True), L.LSTM(3),
                        L.Dense(2)])
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
    y = model(x)
    keras_model = to_keras(model)
    with tf.GradientTape() as tape:
        y_k = keras_model(x)
    grads_k = tape.gradient(y_k, keras_model.trainable_weights)
    model.backward(np.ones_like(y))
    assert _close(y, y_k.numpy(), "float32")
    for g, g_k in zip(model.grads, grads_k):
        assert _close(g, tf.convert_to_tensor(g_k).numpy(), "float32")
    unmasked = Sequential([Input((5,), dtype="int64"), L.Embedding(10, 4), L.LSTM(3), L.Dense(2)])
    unmasked.set_weights(model.get_weights())
    assert not _close(unmasked(x)[0], y[0], "float32")      # the mask matters for the padded row


@pytest.mark.parametrize("make, shapes", MODELS.values(), ids=MODELS.keys())
def test_model_gradient_check(make, shapes):
    """Finite differences through the whole graph (skip connection, shared weights) in float64."""
    model = make("float64")
    xs = [make_input(s, "float64", seed=i) for i, s in enumerate(shapes)]
    result = gradient_check(model, xs if len(xs) > 1 else xs[0])
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


def test_freezing_a_nested_model_freezes_its_layers_as_keras_does():
    """Keras 3 sets trainable on every layer inside; a frozen BatchNormalization stops updating."""
    import keras
    import tflearn_kit as kit
    base = kit.models.Sequential([kit.layers.Dense(4), kit.layers.BatchNormalization()])
    model = kit.models.Sequential([base, kit.layers.Dense(2)])
    model.build((None, 3))
    base.trainable = False
    assert all(not layer.trainable for layer in base.layers)
    moving = [w.copy() for w in base.layers[-1].non_trainable_weights]
    model.compile(optimizer="sgd", loss="mse")
    g = np.random.default_rng(0)
    model.fit(g.standard_normal((16, 3)), g.standard_normal((16, 2)), epochs=2, batch_size=8, verbose=0)
    for before, after in zip(moving, base.layers[-1].non_trainable_weights):
        np.testing.assert_array_equal(before, after)
    keras_base = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    keras_base.trainable = False
    assert [layer.trainable for layer in keras_base.layers] == [layer.trainable for layer in base.layers]
