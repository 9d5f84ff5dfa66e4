"""SimpleRNN, LSTM and GRU against tf.keras (Keras 3) and the TF1 cells run by dynamic_rnn.

Output, dx, d(initial_state) and every weight gradient, including masks from
Embedding(mask_zero=True) and initial states, which compare() does not cover: those
tests run Keras under a GradientTape themselves.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, errors, make_input
from tflearn_kit.gradcheck import central_difference, gradient_check
from tflearn_kit.reference import keras_twin

from .conftest import TOLERANCES, assert_report_ok
from .registry_grid import grid

B = {"bias_initializer": "random_normal"}


def assert_close(actual, expected, dtype, what):
    max_abs, max_rel = errors(actual, expected)
    assert max_rel <= TOLERANCES[dtype], f"{what}: max rel {max_rel:.2e} (abs {max_abs:.2e})"


def tf1_cell_lacks(name, config):
    """What the TF1 rnn_cell cell has no form of, as the twin names it; None when the cell has it."""
    if name != "SimpleRNN" and config.get("recurrent_activation", "sigmoid") != "sigmoid":
        return "sigmoid gates"
    if name == "GRU" and config.get("reset_after", True):
        return "reset_after=True"
    return None


@grid("SimpleRNN", "LSTM", "GRU")
def test_recurrent_matches_keras_and_the_tf1_cells(name, case, dtype):
    """The registered cases (reference/recurrent.py): output, dx and every weight gradient against
    Keras, and against the TF1 cell run by dynamic_rnn where TF1 had that cell."""
    kit.set_seed(0)         # the weights: the same draw whichever tests ran before
    layer = getattr(kit.layers, name)(**case.config, dtype=dtype)
    report = compare(layer, make_input(case.input_shape, dtype, seed=3))
    tf1_rows = [r for r in report.rows if r["api"] == "tf.layers"]
    quantities = {r["quantity"] for r in report.rows if r["api"] == "tf.keras"}
    assert {"dx", "dkernel", "drecurrent_kernel"} <= quantities
    assert ("dbias" in quantities) == case.config.get("use_bias", True)
    missing = tf1_cell_lacks(name, case.config)
    if missing:
        assert tf1_rows[0]["max_rel"] is None and missing in tf1_rows[0]["note"]
    else:
        assert "dkernel" in {r["quantity"] for r in tf1_rows}      # the TF1 twin really ran
    assert_report_ok(report)


# ---- masks and initial states, against Keras under a GradientTape ------------------------------

MASKED = {
    "SimpleRNN-last": ("SimpleRNN", {"units": 3}),
    "SimpleRNN-backwards-sequences-state": ("SimpleRNN", {"units": 3, "go_backwards": True,
                                                          "return_sequences": True, "return_state": True}),
    "LSTM-last-state": ("LSTM", {"units": 3, "return_state": True}),
    "LSTM-sequences": ("LSTM", {"units": 4, "return_sequences": True}),
    "LSTM-backwards-sequences": ("LSTM", {"units": 3, "go_backwards": True, "return_sequences": True}),
    "GRU-reset-after-sequences-state": ("GRU", {"units": 3, "return_sequences": True, "return_state": True}),
    "GRU-reset-before-last": ("GRU", {"units": 3, "reset_after": False}),
    "GRU-reset-before-backwards-state": ("GRU", {"units": 2, "reset_after": False, "go_backwards": True,
                                                 "return_state": True}),
}

# padding (id 0) at the end, at the start, in the middle, everywhere (a row with no step at all)
IDS = np.array([[3, 1, 4, 0, 0, 0],
                [0, 0, 2, 5, 1, 3],
                [2, 0, 5, 0, 0, 1],
                [0, 0, 0, 0, 0, 0]])


def _keras_layers(rnn, embedding=None):
    import keras
    k_rnn = keras_twin(rnn)
    k_emb = None
    if embedding is not None:
        k_emb = keras.layers.Embedding(embedding.input_dim, embedding.output_dim, mask_zero=True,
                                       dtype=embedding.dtype)
    return k_emb, k_rnn


def _dys(outputs, seed):
    g = np.random.default_rng(seed)
    return [g.standard_normal(o.shape).astype(o.dtype) for o in outputs]


def kit_dx(rnn, dys):
    """Backward through the kit layer: dy is a list [d_output, *d_states] with return_state."""
    return rnn.backward(dys if rnn.return_state else dys[0])


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


@pytest.mark.parametrize("with_initial_state", [False, True], ids=["zero-state", "initial-state"])
@pytest.mark.parametrize("case", MASKED.values(), ids=MASKED.keys())
def test_embedding_mask_zero_into_rnn_matches_keras(case, with_initial_state, dtype):
    """Embedding(mask_zero=True) -> RNN: the output, d(initial_state) and every weight gradient
    of both layers (d embeddings carries dx), against the same two layers in Keras."""
    import tensorflow as tf
    name, config = case
    kit.set_seed(5)
    emb = kit.layers.Embedding(6, 4, mask_zero=True, dtype=dtype, embeddings_initializer="random_normal")
    rnn = getattr(kit.layers, name)(**config, **B, dtype=dtype)
    x = emb(IDS)
    g = np.random.default_rng(6)
    h0 = ([g.standard_normal((IDS.shape[0], rnn.units)).astype(dtype) for _ in range(rnn.state_count)]
          if with_initial_state else None)
    y = _as_list(rnn(x, mask=emb.output_mask, initial_state=h0))
    dys = _dys(y, seed=7)
    emb.backward(kit_dx(rnn, dys))

    k_emb, k_rnn = _keras_layers(rnn, emb)
    k_emb.build(IDS.shape)
    k_emb.set_weights(emb.get_weights())
    k_rnn.build(x.shape)
    k_rnn.set_weights([w for w in rnn.get_weights()])
    h0_t = None if h0 is None else [tf.constant(h) for h in h0]
    with tf.GradientTape() as tape:
        if h0_t:
            for h in h0_t:
                tape.watch(h)
        embedded = k_emb(tf.constant(IDS))
        if h0_t is None:        # the Embedding's mask reaches the RNN by itself
            ky = _as_list(k_rnn(embedded))
        else:                   # Keras 3 drops it when initial_state is passed: give it explicitly
            ky = _as_list(k_rnn(embedded, mask=tf.constant(IDS != 0), initial_state=h0_t))
    variables = k_emb.trainable_weights + k_rnn.trainable_weights
    grads = tape.gradient(ky, variables + (h0_t or []), output_gradients=[tf.constant(d) for d in dys])
    grads = [tf.convert_to_tensor(gr).numpy() for gr in grads]

    for i, (mine, theirs) in enumerate(zip(y, ky)):
        assert_close(mine, theirs.numpy(), dtype, f"output[{i}]")
    mine_grads = emb.grads + rnn.grads
    for v, mine, theirs in zip(variables, mine_grads, grads):
        assert_close(mine, theirs, dtype, f"d{v.name}")
    if h0 is not None:
        for i, (mine, theirs) in enumerate(zip(rnn.initial_state_grads, grads[len(variables):])):
            assert_close(mine, theirs, dtype, f"d initial_state[{i}]")




def test_keras3_drops_the_embedding_mask_when_initial_state_is_passed():
    """A Keras 3 quirk the tests above work around: Layer.__call__ fills ``mask`` from the
    input only when the call has a single tensor argument, and initial_state is a second one."""
    import keras
    import tensorflow as tf
    emb = keras.layers.Embedding(6, 2, mask_zero=True)
    rnn = keras.layers.SimpleRNN(2, return_sequences=True)
    embedded = emb(tf.constant(IDS))
    h0 = tf.zeros((4, 2))
    implicit = rnn(embedded, initial_state=h0).numpy()
    explicit = rnn(embedded, mask=tf.constant(IDS != 0), initial_state=h0).numpy()
    unmasked = rnn(embedded, mask=tf.ones(IDS.shape, bool), initial_state=h0).numpy()
    assert np.abs(implicit - explicit).max() > 1e-3
    np.testing.assert_array_equal(implicit, unmasked)


def test_masked_steps_hold_the_state_and_repeat_the_output():
    """What Keras 3 does at masked steps, stated by hand: the state is held; the output
    repeats the previous output, which is zero before the first unmasked step (not h0)."""
    layer = kit.layers.GRU(2, return_sequences=True, return_state=True, dtype="float64")
    x = make_input((1, 4, 3), "float64", seed=8)
    mask = np.array([[False, True, False, False]])
    h0 = np.array([[0.5, -0.5]])
    y, h = layer(x, mask=mask, initial_state=[h0])
    # step 0 masked: output zeros; step 1 runs from h0; steps 2-3 masked: output and state held
    np.testing.assert_array_equal(y[0, 0], [0.0, 0.0])
    h1 = layer(x[:, 1:2], initial_state=[h0])[1]
    np.testing.assert_allclose(y[0, 1], h1[0], rtol=1e-14)
    np.testing.assert_array_equal(y[0, 2], y[0, 1])
    np.testing.assert_array_equal(y[0, 3], y[0, 1])
    np.testing.assert_array_equal(h, h1)
    assert layer.compute_mask(x, mask)[0] is mask


@pytest.mark.parametrize("with_initial_state", [False, True], ids=["zero-state", "initial-state"])
@pytest.mark.parametrize("case", MASKED.values(), ids=MASKED.keys())
def test_float_input_with_mask_matches_keras(case, with_initial_state, dtype):
    """A mask given directly with a float input: dx as well."""
    import tensorflow as tf
    name, config = case
    rnn = getattr(kit.layers, name)(**config, **B, dtype=dtype)
    x = make_input((4, 6, 3), dtype, seed=9)
    mask = IDS != 0
    g = np.random.default_rng(10)
    h0 = ([g.standard_normal((4, rnn.units)).astype(dtype) for _ in range(rnn.state_count)]
          if with_initial_state else None)
    y = _as_list(rnn(x, mask=mask, initial_state=h0))
    dys = _dys(y, seed=11)
    dx = kit_dx(rnn, dys)
    _, k_rnn = _keras_layers(rnn)
    k_rnn.build(x.shape)
    k_rnn.set_weights(rnn.get_weights())
    xt = tf.constant(x)
    h0_t = None if h0 is None else [tf.constant(h) for h in h0]
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for h in h0_t or []:
            tape.watch(h)
        ky = _as_list(k_rnn(xt, mask=tf.constant(mask), initial_state=h0_t))
    grads = tape.gradient(ky, [xt] + k_rnn.trainable_weights + (h0_t or []),
                          output_gradients=[tf.constant(d) for d in dys])
    for i, (mine, theirs) in enumerate(zip(y, ky)):
        assert_close(mine, theirs.numpy(), dtype, f"output[{i}]")
    assert_close(dx, grads[0].numpy(), dtype, "dx")
    n = len(k_rnn.trainable_weights)
    for v, mine, theirs in zip(k_rnn.trainable_weights, rnn.grads, grads[1:1 + n]):
        assert_close(mine, theirs.numpy(), dtype, f"d{v.name}")
    for i, (mine, theirs) in enumerate(zip(rnn.initial_state_grads, grads[1 + n:])):
        assert_close(mine, theirs.numpy(), dtype, f"d initial_state[{i}]")


# ---- finite differences, in float64 -----------------------------------------------------------

GRADCHECK = {
    "SimpleRNN-sequences": ("SimpleRNN", {"units": 3, "return_sequences": True}),
    "LSTM-state": ("LSTM", {"units": 3, "return_state": True}),
    "LSTM-backwards-sequences": ("LSTM", {"units": 2, "go_backwards": True, "return_sequences": True}),
    "GRU-reset-after-state": ("GRU", {"units": 3, "return_state": True}),
    "GRU-reset-before-sequences": ("GRU", {"units": 3, "reset_after": False, "return_sequences": True}),
}


@pytest.mark.parametrize("case", GRADCHECK.values(), ids=GRADCHECK.keys())
def test_bptt_gradient_check(case):
    name, config = case
    layer = getattr(kit.layers, name)(**config, **B, dtype="float64")
    result = gradient_check(layer, make_input((2, 6, 3), "float64", seed=12), max_entries=25)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


@pytest.mark.parametrize("case", GRADCHECK.values(), ids=GRADCHECK.keys())
def test_initial_state_gradient_with_mask_by_finite_differences(case):
    name, config = case
    layer = getattr(kit.layers, name)(**config, **B, dtype="float64")
    x = make_input((4, 6, 3), "float64", seed=13)
    mask = IDS != 0
    g = np.random.default_rng(14)
    h0 = [g.standard_normal((4, layer.units)) for _ in range(layer.state_count)]
    dys = _dys(_as_list(layer(x, mask=mask, initial_state=h0)), seed=15)

    def loss():
        return sum(float(np.sum(y * d)) for y, d in zip(_as_list(layer(x, mask=mask, initial_state=h0)), dys))

    loss()
    layer.backward(dys if layer.return_state else dys[0])
    analytic = [d.copy() for d in layer.initial_state_grads]
    eps = 1e-6
    for state, grad in zip(h0, analytic):
        for idx in np.ndindex(state.shape):
            numeric = central_difference(loss, state, idx, eps)
            assert abs(numeric - grad[idx]) <= 1e-6 * max(1.0, abs(numeric)), (idx, numeric, grad[idx])
    # the all-padding row never ran a step: its state passes straight through to the final state
    if layer.return_state:
        np.testing.assert_array_equal(analytic[0][3], dys[1][3])


# ---- layouts, configuration and errors --------------------------------------------------------

@pytest.mark.parametrize("name, config, bias_shape", [
    ("SimpleRNN", {}, (5,)),
    ("LSTM", {}, (20,)),
    ("GRU", {}, (2, 15)),
    ("GRU", {"reset_after": False}, (15,)),
], ids=["SimpleRNN", "LSTM", "GRU-reset-after", "GRU-reset-before"])
def test_weights_have_keras_names_shapes_and_order(name, config, bias_shape):
    layer = getattr(kit.layers, name)(5, **config)
    layer.build((None, 7, 3))
    twin = keras_twin(layer, (None, 7, 3), layer.get_weights())
    assert [w.name for w in twin.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.get_weights()]
    assert layer.get_weights()[2].shape == bias_shape


def test_lstm_unit_forget_bias_starts_the_forget_gate_at_one():
    layer = kit.layers.LSTM(3, bias_initializer="zeros")
    layer.build((None, 2, 4))
    np.testing.assert_array_equal(layer.bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = kit.layers.LSTM(3, unit_forget_bias=False)
    plain.build((None, 2, 4))
    assert not plain.bias.any()


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_config_round_trip_and_keras_accepts_it(name):
    layer = getattr(kit.layers, name)(4, return_sequences=True, go_backwards=True, name="r")
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    layer.build((None, 3, 2))
    twin = keras_twin(layer, (None, 3, 2))
    assert twin.return_sequences and twin.go_backwards and twin.units == 4
    assert layer.count_params() == sum(int(np.prod(w.shape)) for w in twin.weights)
    assert layer.compute_output_shape((None, 3, 2)) == (None, 3, 4)


def test_wrong_input_rank_names_the_layer_and_both_shapes():
    layer = kit.layers.LSTM(3, name="encoder")
    with pytest.raises(ValueError, match=r"'encoder' \(LSTM\) expected an input of shape .*rank 3.*\(4, 5\)"):
        layer(np.zeros((4, 5)))
    layer(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"'encoder' \(LSTM\).*\(batch, \?, 5\).*\(2, 4, 6\)"):
        layer(np.zeros((2, 4, 6)))


def test_bad_initial_state_and_mask_are_clear_errors():
    layer = kit.layers.LSTM(3, name="dec")
    x = np.zeros((2, 4, 5))
    with pytest.raises(ValueError, match=r"'dec' \(LSTM\) expected initial_state as 2 array\(s\) of shape "
                                         r"\(2, 3\), but got shapes \[\(2, 3\)\]"):
        layer(x, initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'dec' \(LSTM\) expected a mask of shape \(2, 4\).*\(2, 5\)"):
        layer(x, mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="GRU: units must be a positive integer; got 0"):
        kit.layers.GRU(0)


def test_float32_stays_float32_through_bptt():
    layer = kit.layers.GRU(3, return_sequences=True)
    y = layer(np.ones((2, 4, 5)))
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads)
    assert all(d.dtype == np.float32 for d in layer.initial_state_grads)


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_sequential_embedding_rnn_dense_matches_keras(name, dtype):
    """The mask travels through a kit Sequential as through Keras's: output and every gradient."""
    import keras
    import tensorflow as tf

    def stack(lib):
        return [lib.layers.Embedding(6, 4, mask_zero=True, dtype=dtype),
                getattr(lib.layers, name)(3, dtype=dtype), lib.layers.Dense(2, dtype=dtype)]

    model = kit.models.Sequential(stack(kit))
    y = model(IDS)
    dy = _dys([y], seed=16)[0]
    model.backward(dy)
    k_model = keras.Sequential(stack(keras))
    k_model(IDS)
    k_model.set_weights(model.get_weights())
    with tf.GradientTape() as tape:
        k_y = k_model(tf.constant(IDS))
    grads = tape.gradient(k_y, k_model.trainable_weights, output_gradients=tf.constant(dy))
    assert_close(y, k_y.numpy(), dtype, "output")
    assert len(model.grads) == len(grads) == 6      # embeddings; kernel, recurrent_kernel, bias; Dense's two
    for v, mine, theirs in zip(k_model.trainable_weights, model.grads, grads):
        assert_close(mine, tf.convert_to_tensor(theirs).numpy(), dtype, f"d{v.path}")


def test_regularizer_penalties_and_gradients_match_keras():
    import keras
    import tensorflow as tf
    x = make_input((2, 4, 3), "float64", seed=17)
    regs = dict(kernel_regularizer=keras.regularizers.L2(0.01), recurrent_regularizer=keras.regularizers.L1(0.02),
                bias_regularizer=keras.regularizers.L2(0.03))
    k_gru = keras.layers.GRU(3, bias_initializer="random_normal", dtype="float64", **regs)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(k_gru(xt)) + tf.add_n(k_gru.losses)
    expected = tape.gradient(loss, k_gru.trainable_weights)
    layer = kit.layers.GRU(3, dtype="float64", kernel_regularizer=kit.regularizers.L2(0.01),
                           recurrent_regularizer=kit.regularizers.L1(0.02),
                           bias_regularizer=kit.regularizers.L2(0.03))
    layer.build(x.shape)
    layer.set_weights(k_gru.get_weights())
    y = layer(x)
    assert_close(sum(layer.losses), float(tf.add_n(k_gru.losses)), "float64", "penalty")
    layer.backward(np.ones_like(y))
    for v, mine, theirs in zip(k_gru.trainable_weights, layer.grads, expected):
        assert_close(mine, theirs.numpy(), "float64", f"d{v.name}")
