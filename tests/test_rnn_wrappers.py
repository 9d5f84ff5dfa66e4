"""RNN over cells, StackedRNNCells, Bidirectional and TimeDistributed against tf.keras and TF1.

Every case runs the kit layer and its Keras twin (the same classes nested the same way,
the kit's weights copied in) on the same input, mask and initial state, and compares the
outputs, dx, d(initial_state) and every weight gradient under one dy. The TF1 twins run
in a graph with a Session: dynamic_rnn over the cells, MultiRNNCell for a stack,
bidirectional_dynamic_rnn for Bidirectional, tf.compat.v1.layers.dense for
TimeDistributed(Dense).
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.gradcheck import central_difference, gradient_check
from tflearn_kit.reference.rnn import _Namer, bidirectional_tf1, keras_layer, rnn_tf1, time_distributed_tf1

from .conftest import TOLERANCES

L = kit.layers
B = {"bias_initializer": "random_normal"}
SEQ = (4, 6, 3)                     # (batch, steps, in)
MASK = np.array([[1, 1, 1, 0, 0, 0],          # padding at the end, the start, the middle,
                 [0, 0, 1, 1, 1, 1],          # and a row with no step at all
                 [1, 0, 1, 0, 1, 1],
                 [0, 0, 0, 0, 0, 0]], bool)


def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def assert_close(actual, expected, dtype, what):
    max_abs, max_rel = errors(actual, expected)
    assert max_rel <= TOLERANCES[dtype], f"{what}: max rel {max_rel:.2e} (abs {max_abs:.2e})"
    return max_rel


def run_kit(layer, x, mask=None, initial_state=None, training=None, seed=7, **call):
    if initial_state is not None:
        call["initial_state"] = initial_state
    y = as_list(layer(x, mask=mask, training=training, **call))
    g = np.random.default_rng(seed)
    dys = [g.standard_normal(o.shape).astype(o.dtype) for o in y]
    dx = layer.backward(dys if len(dys) > 1 else dys[0])
    return y, dys, dx


def run_keras(layer, x, dys, mask=None, initial_state=None, training=False, patch=None, twin=None):
    import tensorflow as tf
    twin = twin or keras_layer(layer)
    twin.build(x.shape)
    twin.set_weights(layer.get_weights())
    if patch:
        patch(twin)
    xt = tf.constant(x)
    h0 = None if initial_state is None else [tf.constant(h) for h in initial_state]
    kwargs = {"training": training}
    if mask is not None:
        kwargs["mask"] = tf.constant(mask)
    if h0 is not None:      # a Keras stack of cells takes its states nested per cell
        nested = getattr(getattr(twin, "cell", None), "cells", None) is not None
        kwargs["initial_state"] = tf.nest.pack_sequence_as(twin.cell.state_size, h0) if nested else h0
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for h in h0 or []:
            tape.watch(h)
        y = tf.nest.flatten(twin(xt, **kwargs))
    variables = twin.trainable_weights
    grads = tape.gradient(y, [xt] + variables + (h0 or []),
                          output_gradients=[tf.constant(d) for d in dys])
    n = len(variables)
    return ([t.numpy() for t in y], grads[0].numpy(), [g.numpy() for g in grads[1:1 + n]],
            [g.numpy() for g in grads[1 + n:]])


def run_tf1(tf1, layer, x, dys):
    import tensorflow as tf
    v1 = tf.compat.v1
    namer = _Namer()
    weights = {namer(w.name): w.value.copy() for w in layer.weight_records}
    graph = tf.Graph()
    with graph.as_default():
        ph = v1.placeholder(tf.as_dtype(x.dtype), x.shape)
        y = as_list(tf1(layer, ph, False, lambda name: v1.constant_initializer(weights[name])))
        variables = v1.trainable_variables()
        grads = v1.gradients(y, [ph] + variables, grad_ys=[tf.constant(d) for d in dys])
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            y_v, g_v = sess.run([y, grads], {ph: x})
    return y_v, g_v[0], g_v[1:]


def check_against_keras(layer, x, dtype, mask=None, initial_state=None, training=None, patch=None,
                        **call):
    y, dys, dx = run_kit(layer, x, mask, initial_state, training, **call)
    ky, kdx, kgrads, kh0 = run_keras(layer, x, dys, mask, initial_state, bool(training), patch)
    worst = 0.0
    assert len(y) == len(ky)
    for i, (a, b) in enumerate(zip(y, ky)):
        worst = max(worst, assert_close(a, b, dtype, f"output[{i}]"))
    worst = max(worst, assert_close(dx, kdx, dtype, "dx"))
    assert len(layer.grads) == len(kgrads) == len(layer.weights)
    for i, (a, b) in enumerate(zip(layer.grads, kgrads)):
        worst = max(worst, assert_close(a, b, dtype, f"d{layer.weight_names[i]}"))
    for i, (a, b) in enumerate(zip(layer.initial_state_grads if initial_state else [], kh0)):
        worst = max(worst, assert_close(a, b, dtype, f"d initial_state[{i}]"))
    return worst


def initial_states(layer, batch, seed=3):
    g = np.random.default_rng(seed)

    def shapes_of(rnn):
        if isinstance(rnn, L.RNN):
            return rnn._state_shapes(batch)
        return [(batch, rnn.units)] * rnn.state_count

    if isinstance(layer, L.Bidirectional):
        shapes = shapes_of(layer.forward_layer) + shapes_of(layer.backward_layer)
    else:
        shapes = shapes_of(layer)
    return [g.standard_normal(s).astype(layer.dtype) for s in shapes]


# ---- RNN over cells ------------------------------------------------------------------------------

def cells(dtype):
    d = {"dtype": dtype, **B}
    return {
        "SimpleRNNCell-last": lambda: L.RNN(L.SimpleRNNCell(3, **d), dtype=dtype),
        "SimpleRNNCell-relu-sequences-state": lambda: L.RNN(
            L.SimpleRNNCell(3, activation="relu", **d), return_sequences=True, return_state=True,
            dtype=dtype),
        "LSTMCell-sequences-state": lambda: L.RNN(L.LSTMCell(3, **d), return_sequences=True,
                                                  return_state=True, dtype=dtype),
        "LSTMCell-backwards-last": lambda: L.RNN(L.LSTMCell(2, **d), go_backwards=True, dtype=dtype),
        "GRUCell-reset-after-backwards-state": lambda: L.RNN(L.GRUCell(3, **d), go_backwards=True,
                                                             return_state=True, dtype=dtype),
        "GRUCell-reset-before-sequences": lambda: L.RNN(L.GRUCell(3, reset_after=False, **d),
                                                        return_sequences=True, dtype=dtype),
        "stacked-GRU-LSTM-sequences-state": lambda: L.RNN(
            [L.GRUCell(3, **d), L.LSTMCell(2, **d)], return_sequences=True, return_state=True,
            dtype=dtype),
        "stacked-SimpleRNN-GRU-backwards": lambda: L.RNN(
            L.StackedRNNCells([L.SimpleRNNCell(2, **d), L.GRUCell(3, reset_after=False, **d)],
                              dtype=dtype), go_backwards=True, dtype=dtype),
        "LSTMCell-zero-output-for-mask": lambda: L.RNN(L.LSTMCell(3, **d), return_sequences=True,
                                                       zero_output_for_mask=True, dtype=dtype),
    }


CELL_IDS = list(cells("float32"))


@pytest.mark.parametrize("with_mask", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("case", CELL_IDS)
def test_rnn_over_cells_matches_keras(case, with_mask, dtype):
    layer = cells(dtype)[case]()
    x = make_input(SEQ, dtype, seed=1)
    mask = MASK if with_mask else None
    check_against_keras(layer, x, dtype, mask=mask)


@pytest.mark.parametrize("case", ["LSTMCell-sequences-state", "stacked-GRU-LSTM-sequences-state",
                                  "GRUCell-reset-after-backwards-state"])
def test_rnn_over_cells_with_initial_state_matches_keras(case, dtype):
    layer = cells(dtype)[case]()
    x = make_input(SEQ, dtype, seed=2)
    check_against_keras(layer, x, dtype, mask=MASK, initial_state=initial_states(layer, SEQ[0]))


@pytest.mark.parametrize("case", ["SimpleRNNCell-relu-sequences-state", "LSTMCell-sequences-state",
                                  "GRUCell-reset-before-sequences", "stacked-SimpleRNN-GRU-backwards"])
def test_rnn_over_cells_matches_tf1_dynamic_rnn(case, dtype):
    layer = cells(dtype)[case]()
    x = make_input(SEQ, dtype, seed=4)
    y, dys, dx = run_kit(layer, x)
    ty, tdx, tgrads = run_tf1(rnn_tf1, layer, x, dys)
    for i, (a, b) in enumerate(zip(y, ty)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, tdx, dtype, "dx")
    for name, a, b in zip(layer.weight_names, layer.grads, tgrads):
        assert_close(a, b, dtype, f"d{name}")


# ---- Bidirectional -------------------------------------------------------------------------------

def bidirectionals(dtype):
    d = {"dtype": dtype, **B}
    return {
        "LSTM-concat-last": lambda: L.Bidirectional(L.LSTM(3, **d), dtype=dtype),
        "LSTM-concat-sequences-state": lambda: L.Bidirectional(
            L.LSTM(3, return_sequences=True, return_state=True, **d), dtype=dtype),
        "GRU-sum-sequences": lambda: L.Bidirectional(L.GRU(3, return_sequences=True, **d),
                                                     merge_mode="sum", dtype=dtype),
        "GRU-reset-before-mul-last-state": lambda: L.Bidirectional(
            L.GRU(2, reset_after=False, return_state=True, **d), merge_mode="mul", dtype=dtype),
        "SimpleRNN-ave-sequences": lambda: L.Bidirectional(
            L.SimpleRNN(3, return_sequences=True, **d), merge_mode="ave", dtype=dtype),
        "LSTM-none-sequences-state": lambda: L.Bidirectional(
            L.LSTM(2, return_sequences=True, return_state=True, **d), merge_mode=None, dtype=dtype),
        "GRU-none-last": lambda: L.Bidirectional(L.GRU(2, **d), merge_mode=None, dtype=dtype),
        "backward-layer-GRU-under-LSTM-concat": lambda: L.Bidirectional(
            L.LSTM(3, return_sequences=True, **d),
            backward_layer=L.GRU(2, go_backwards=True, return_sequences=True, **d), dtype=dtype),
        "RNN-stacked-cells-concat-sequences": lambda: L.Bidirectional(
            L.RNN([L.GRUCell(2, reset_after=False, **d), L.LSTMCell(3, **d)], return_sequences=True,
                  dtype=dtype),
            dtype=dtype),
    }


BIDI_IDS = list(bidirectionals("float32"))


@pytest.mark.parametrize("with_mask", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("case", BIDI_IDS)
def test_bidirectional_matches_keras(case, with_mask, dtype):
    layer = bidirectionals(dtype)[case]()
    x = make_input(SEQ, dtype, seed=5)
    check_against_keras(layer, x, dtype, mask=MASK if with_mask else None)


def test_bidirectional_with_initial_state_matches_keras(dtype):
    layer = bidirectionals(dtype)["LSTM-concat-sequences-state"]()
    x = make_input(SEQ, dtype, seed=6)
    check_against_keras(layer, x, dtype, mask=MASK, initial_state=initial_states(layer, SEQ[0]))


@pytest.mark.parametrize("case", ["LSTM-concat-sequences-state", "GRU-reset-before-mul-last-state",
                                  "SimpleRNN-ave-sequences", "LSTM-none-sequences-state",
                                  "RNN-stacked-cells-concat-sequences", "LSTM-concat-last"])
def test_bidirectional_matches_tf1_bidirectional_dynamic_rnn(case, dtype):
    layer = bidirectionals(dtype)[case]()
    x = make_input(SEQ, dtype, seed=8)
    y, dys, dx = run_kit(layer, x)
    ty, tdx, tgrads = run_tf1(bidirectional_tf1, layer, x, dys)
    for i, (a, b) in enumerate(zip(y, ty)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, tdx, dtype, "dx")
    for name, a, b in zip(layer.weight_names, layer.grads, tgrads):
        assert_close(a, b, dtype, f"d{name}")


# ---- TimeDistributed -----------------------------------------------------------------------------

def time_distributeds(dtype):
    d = {"dtype": dtype, **B}
    return {
        "Dense-relu": (lambda: L.TimeDistributed(L.Dense(4, activation="relu", **d), dtype=dtype),
                       SEQ),
        "Conv2D-same": (lambda: L.TimeDistributed(L.Conv2D(2, 3, padding="same", **d), dtype=dtype),
                        (2, 3, 5, 5, 2)),
        "LSTM-inner-sequences": (lambda: L.TimeDistributed(L.LSTM(2, **d), dtype=dtype),
                                 (2, 3, 4, 3)),
    }


@pytest.mark.parametrize("case", list(time_distributeds("float32")))
def test_time_distributed_matches_keras(case, dtype):
    make, shape = time_distributeds(dtype)[case]
    layer = make()
    x = make_input(shape, dtype, seed=9)
    y, dys, dx = run_kit(layer, x, training=False)
    ky, kdx, kgrads, _ = run_keras(layer, x, dys)
    assert_close(y[0], ky[0], dtype, "output")
    assert_close(dx, kdx, dtype, "dx")
    for name, a, b in zip(layer.weight_names, layer.grads, kgrads):
        assert_close(a, b, dtype, f"d{name}")


def test_time_distributed_dense_matches_tf1_dense(dtype):
    layer = time_distributeds(dtype)["Dense-relu"][0]()
    x = make_input(SEQ, dtype, seed=10)
    y, dys, dx = run_kit(layer, x)
    ty, tdx, tgrads = run_tf1(time_distributed_tf1, layer, x, dys)
    assert_close(y[0], ty[0], dtype, "output")
    assert_close(dx, tdx, dtype, "dx")
    for name, a, b in zip(layer.weight_names, layer.grads, tgrads):
        assert_close(a, b, dtype, f"d{name}")


# ---- dropout with Keras's masks, stateful ----------------------------------------------------------

def _share_masks(kit_cell_or_layer):
    """Make the Keras twin's cell use the kit's dropout masks (as Dropout is compared on one draw)."""
    import tensorflow as tf

    def patch(twin):
        cell = twin.cell
        def const(m):       # one mask, or one per gate (Keras's implementation 1)
            return None if m is None else (
                [tf.constant(a) for a in m] if isinstance(m, list) else tf.constant(m))
        dp, rdp = const(kit_cell_or_layer.dropout_mask), const(kit_cell_or_layer.recurrent_dropout_mask)
        cell.get_dropout_mask = lambda step_input: dp
        cell.get_recurrent_dropout_mask = lambda step_input: rdp
    return patch


DROPOUT = {
    "SimpleRNN-both": ("SimpleRNN", {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.4,
                                     "return_sequences": True}),
    "LSTM-both-per-gate-state": ("LSTM", {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.4,
                                          "return_state": True, "return_sequences": True}),
    "GRU-recurrent-per-gate-backwards": ("GRU", {"units": 3, "dropout": 0.2, "recurrent_dropout": 0.4,
                                                 "go_backwards": True}),
    "GRU-reset-before-recurrent-per-gate": ("GRU", {"units": 2, "recurrent_dropout": 0.5,
                                                    "reset_after": False, "return_state": True}),
    "LSTM-dropout-state": ("LSTM", {"units": 3, "dropout": 0.4, "return_state": True}),
    "GRU-dropout-sequences": ("GRU", {"units": 3, "dropout": 0.3, "return_sequences": True}),
    "GRU-reset-before-dropout": ("GRU", {"units": 2, "dropout": 0.5, "reset_after": False}),
}


@pytest.mark.parametrize("case", DROPOUT.values(), ids=DROPOUT.keys())
def test_dropout_matches_keras_on_the_kits_masks(case, dtype):
    name, config = case
    kit.set_seed(11)
    layer = getattr(L, name)(**config, **B, dtype=dtype)
    x = make_input(SEQ, dtype, seed=12)
    y, dys, dx = run_kit(layer, x, mask=MASK, training=True)
    assert layer.dropout_mask is not None or layer.recurrent_dropout_mask is not None
    ky, kdx, kgrads, _ = run_keras(layer, x, dys, mask=MASK, training=True, patch=_share_masks(layer))
    for i, (a, b) in enumerate(zip(y, ky)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, kdx, dtype, "dx")
    for n, a, b in zip(layer.weight_names, layer.grads, kgrads):
        assert_close(a, b, dtype, f"d{n}")
    # at inference the same layer draws nothing and is deterministic
    assert np.array_equal(as_list(layer(x))[0], as_list(layer(x))[0])


PER_GATE = {
    "SimpleRNNCell-both": lambda d: L.SimpleRNNCell(3, dropout=0.3, recurrent_dropout=0.3, **d),
    "LSTMCell-both-per-gate": lambda d: L.LSTMCell(3, dropout=0.3, recurrent_dropout=0.4, **d),
    "LSTMCell-recurrent-only": lambda d: L.LSTMCell(2, recurrent_dropout=0.5, **d),
    "GRUCell-reset-after-both": lambda d: L.GRUCell(3, dropout=0.3, recurrent_dropout=0.4, **d),
    "GRUCell-reset-before-both": lambda d: L.GRUCell(3, dropout=0.4, recurrent_dropout=0.3,
                                                     reset_after=False, **d),
}


@pytest.mark.parametrize("case", PER_GATE.values(), ids=PER_GATE.keys())
def test_cell_dropout_matches_keras_on_the_kits_masks(case, dtype):
    """With recurrent_dropout, Keras's LSTMCell/GRUCell draw one mask per gate for the input and
    one per gate for the state (implementation 1): the kit draws the same number, Keras uses them."""
    kit.set_seed(13)
    cell = case({"dtype": dtype, **B})
    layer = L.RNN(cell, return_sequences=True, return_state=True, dtype=dtype)
    x = make_input(SEQ, dtype, seed=14)
    y, dys, dx = run_kit(layer, x, mask=MASK, training=True)
    masks = cell.recurrent_dropout_mask
    assert len(masks) == cell.gates if cell.gates > 1 else masks.shape == (SEQ[0], cell.units)
    ky, kdx, kgrads, _ = run_keras(layer, x, dys, mask=MASK, training=True, patch=_share_masks(cell))
    for i, (a, b) in enumerate(zip(y, ky)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, kdx, dtype, "dx")
    for n, a, b in zip(layer.weight_names, layer.grads, kgrads):
        assert_close(a, b, dtype, f"d{n}")


@pytest.mark.parametrize("make", [lambda: L.LSTM(3, stateful=True, return_sequences=True, **B),
                                  lambda: L.RNN(L.GRUCell(3, **B), stateful=True)],
                         ids=["LSTM", "RNN-GRUCell"])
def test_stateful_carries_the_final_state_into_the_next_call_as_keras(make):
    import tensorflow as tf
    layer = make()
    x1, x2 = make_input(SEQ, "float32", seed=15), make_input(SEQ, "float32", seed=16)
    twin = keras_layer(layer)
    twin.build(x1.shape)
    layer.build(x1.shape)
    twin.set_weights(layer.get_weights())
    for x in (x1, x2):
        assert_close(as_list(layer(x))[0], twin(tf.constant(x)).numpy(), "float32", "stateful output")
    layer.reset_states()
    twin.reset_state()
    assert_close(as_list(layer(x1))[0], twin(tf.constant(x1)).numpy(), "float32", "after reset")


# ---- finite differences, in float64 -----------------------------------------------------------------

GRADCHECK = {
    "RNN-SimpleRNNCell-sequences": lambda: L.RNN(L.SimpleRNNCell(3, dtype="float64", **B),
                                                 return_sequences=True, dtype="float64"),
    "RNN-LSTMCell-state": lambda: L.RNN(L.LSTMCell(2, dtype="float64", **B), return_state=True,
                                        dtype="float64"),
    "RNN-GRUCell-backwards": lambda: L.RNN(L.GRUCell(2, dtype="float64", **B), go_backwards=True,
                                           dtype="float64"),
    "StackedRNNCells-sequences": lambda: L.RNN(
        [L.LSTMCell(2, dtype="float64", **B), L.GRUCell(2, reset_after=False, dtype="float64", **B)],
        return_sequences=True, dtype="float64"),
    "Bidirectional-LSTM-mul-sequences": lambda: L.Bidirectional(
        L.LSTM(2, return_sequences=True, dtype="float64", **B), merge_mode="mul", dtype="float64"),
    "Bidirectional-GRU-concat-state": lambda: L.Bidirectional(
        L.GRU(2, return_state=True, dtype="float64", **B), dtype="float64"),
    "TimeDistributed-Dense": lambda: L.TimeDistributed(L.Dense(3, activation="tanh", dtype="float64",
                                                               **B), dtype="float64"),
}


@pytest.mark.parametrize("case", GRADCHECK.values(), ids=GRADCHECK.keys())
def test_gradient_check(case):
    layer = case()
    result = gradient_check(layer, make_input((2, 5, 3), "float64", seed=17), max_entries=20)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


@pytest.mark.parametrize("case", ["StackedRNNCells-sequences", "Bidirectional-LSTM-mul-sequences"])
def test_gradient_check_with_mask_and_initial_state(case):
    layer = GRADCHECK[case]()
    x = make_input(SEQ, "float64", seed=18)
    h0 = initial_states(layer, SEQ[0]) if hasattr(layer, "cell") else None
    y = as_list(layer(x, mask=MASK, initial_state=h0))
    g = np.random.default_rng(19)
    dys = [g.standard_normal(o.shape) for o in y]

    def loss():
        return sum(float(np.sum(a * d)) for a, d in zip(as_list(layer(x, mask=MASK, initial_state=h0)), dys))

    loss()
    dx = layer.backward(dys if len(dys) > 1 else dys[0])
    for idx in [(0, 1, 2), (1, 3, 0), (2, 1, 1), (3, 2, 2), (2, 5, 0)]:
        numeric = central_difference(loss, x, idx)
        assert abs(numeric - dx[idx]) <= 1e-6 * max(1.0, abs(numeric)), (idx, numeric, dx[idx])
    for w, grad in zip(layer.trainable_weights, [gr.copy() for gr in layer.grads]):
        for idx in list(np.ndindex(w.shape))[::max(1, w.size // 6)]:
            numeric = central_difference(loss, w, idx)
            assert abs(numeric - grad[idx]) <= 1e-6 * max(1.0, abs(numeric)), (idx, numeric, grad[idx])


# ---- configuration, weights, errors ---------------------------------------------------------------

def _keras_keys(layer):
    return set(keras_layer(layer).get_config())


@pytest.mark.parametrize("make", [
    lambda: L.SimpleRNNCell(3), lambda: L.LSTMCell(3), lambda: L.GRUCell(3, reset_after=False),
    lambda: L.StackedRNNCells([L.GRUCell(2), L.LSTMCell(3)]),
    lambda: L.RNN(L.LSTMCell(3), return_sequences=True, stateful=True, unroll=True),
    lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave"),
    lambda: L.TimeDistributed(L.Dense(2)),
    lambda: L.SimpleRNN(2, dropout=0.1), lambda: L.LSTM(2, stateful=True), lambda: L.GRU(2, unroll=True),
], ids=["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN", "Bidirectional",
        "TimeDistributed", "SimpleRNN", "LSTM", "GRU"])
def test_config_keys_are_keras_and_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert set(config) == _keras_keys(layer)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


@pytest.mark.parametrize("make, shape", [
    (lambda: L.RNN([L.GRUCell(2), L.LSTMCell(3)]), SEQ),
    (lambda: L.Bidirectional(L.LSTM(3)), SEQ),
    (lambda: L.Bidirectional(L.GRU(3), backward_layer=L.SimpleRNN(2, go_backwards=True)), SEQ),
    (lambda: L.TimeDistributed(L.Conv2D(2, 3)), (2, 3, 5, 5, 2)),
], ids=["RNN-stacked", "Bidirectional", "Bidirectional-backward-layer", "TimeDistributed"])
def test_weights_load_from_keras_in_keras_order(make, shape):
    layer = make()
    twin = keras_layer(layer)
    twin.build(shape)
    layer.build(shape)
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.weights]
    assert [n.split("/")[-1] for n in layer.weight_names] == [w.name for w in twin.weights]
    layer.set_weights(twin.get_weights())
    for mine, theirs in zip(layer.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    # against the shape Keras's call returns: Keras's compute_output_shape doubles the forward
    # layer's width for concat, wrong when a backward_layer has other units
    assert layer.compute_output_shape(shape) == tuple(twin(np.zeros(shape, "float32")).shape)


def test_bad_input_names_the_layer_and_shapes():
    rnn = L.RNN(L.LSTMCell(3), name="enc")
    with pytest.raises(ValueError, match=r"'enc' \(RNN\).*rank >= 3.*\(4, 5\)"):
        rnn(np.zeros((4, 5)))
    rnn(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"'enc' \(RNN\).*\(2, 4, 6\)"):
        rnn(np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match=r"'enc' \(RNN\) expected initial_state as 2 array\(s\) of "
                                         r"shapes \[\(2, 3\), \(2, 3\)\], but got shapes \[\(2, 3\)\]"):
        rnn(np.zeros((2, 4, 5)), initial_state=[np.zeros((2, 3))])
    bi = L.Bidirectional(L.GRU(2), name="bi")
    with pytest.raises(ValueError, match=r"'bi' \(Bidirectional\).*rank 3.*\(2, 4\)"):
        bi(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        L.Bidirectional(L.GRU(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards=True"):
        L.Bidirectional(L.GRU(2), backward_layer=L.GRU(2))
    td = L.TimeDistributed(L.Dense(2), name="td")
    with pytest.raises(ValueError, match=r"'td' \(TimeDistributed\).*rank >= 3.*\(4, 5\)"):
        td(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="LSTMCell: dropout must be in"):
        L.LSTMCell(2, dropout=1.5)


@pytest.mark.parametrize("make", [
    lambda: L.LSTM(2, dropout=0.3, recurrent_dropout=0.4, return_sequences=True, dtype="float64", **B),
    lambda: L.GRU(2, dropout=0.3, recurrent_dropout=0.4, return_state=True, dtype="float64", **B),
    lambda: L.GRU(2, recurrent_dropout=0.4, reset_after=False, return_sequences=True, dtype="float64", **B),
], ids=["LSTM", "GRU-reset-after", "GRU-reset-before"])
def test_per_gate_dropout_gradient_check_on_fixed_masks(make):
    layer = make()
    x = make_input((2, 5, 3), "float64", seed=23)
    kit.set_seed(24)
    layer(x, training=True)
    masks = (layer.dropout_mask, layer.recurrent_dropout_mask)
    call = layer.call
    layer.call = lambda inputs, **kw: call(inputs, **{**kw, "dropout_mask": masks[0],
                                                      "recurrent_dropout_mask": masks[1]})
    result = gradient_check(layer, x, training=True, max_entries=20)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


# ---- each cell alone: one step, as Keras's cell(x_t, states) -------------------------------------

def cells_alone(dtype):
    d = {"dtype": dtype, **B}
    return {
        "SimpleRNNCell-tanh": lambda: L.SimpleRNNCell(3, **d),
        "SimpleRNNCell-relu-nobias": lambda: L.SimpleRNNCell(4, activation="relu", use_bias=False,
                                                             dtype=dtype),
        "LSTMCell": lambda: L.LSTMCell(3, **d),
        "LSTMCell-hard-sigmoid-no-forget-bias": lambda: L.LSTMCell(
            2, recurrent_activation="hard_sigmoid", unit_forget_bias=False, **d),
        "LSTMCell-nobias": lambda: L.LSTMCell(3, use_bias=False, dtype=dtype),
        "GRUCell-reset-after": lambda: L.GRUCell(3, **d),
        "GRUCell-reset-before-relu": lambda: L.GRUCell(4, reset_after=False, activation="relu", **d),
        "GRUCell-nobias": lambda: L.GRUCell(2, use_bias=False, dtype=dtype),
        "StackedRNNCells-GRU-LSTM": lambda: L.StackedRNNCells([L.GRUCell(3, **d), L.LSTMCell(2, **d)],
                                                              dtype=dtype),
        "StackedRNNCells-SimpleRNN-GRU-SimpleRNN": lambda: L.StackedRNNCells(
            [L.SimpleRNNCell(2, **d), L.GRUCell(3, reset_after=False, **d), L.SimpleRNNCell(4, **d)],
            dtype=dtype),
    }


@pytest.mark.parametrize("case", list(cells_alone("float32")))
def test_cell_alone_matches_keras_forward_and_backward(case, dtype):
    import tensorflow as tf
    cell = cells_alone(dtype)[case]()
    x = make_input((4, 5), dtype, seed=20)
    cell.build(x.shape)
    sizes = cell.flat_state_sizes if isinstance(cell, L.StackedRNNCells) else [cell.units] * cell.state_count
    h0 = [make_input((4, n), dtype, seed=21 + i) for i, n in enumerate(sizes)]
    out, states = cell(x, h0)
    g = np.random.default_rng(22)
    d_out = g.standard_normal(out.shape).astype(dtype)
    d_states = [g.standard_normal(s.shape).astype(dtype) for s in states]
    dx, d_h0 = cell.backward([d_out, d_states])

    twin = keras_layer(cell)
    twin.build(x.shape)
    twin.set_weights(cell.get_weights())
    xt, ht = tf.constant(x), [tf.constant(h) for h in h0]
    nested = tf.nest.pack_sequence_as(twin.state_size, ht) if isinstance(cell, L.StackedRNNCells) else ht
    with tf.GradientTape() as tape:
        tape.watch([xt] + ht)
        k_out, k_states = twin(xt, nested, training=False)
    k_states = tf.nest.flatten(k_states)
    variables = twin.trainable_weights
    grads = tape.gradient([k_out] + k_states, [xt] + ht + variables,
                          output_gradients=[tf.constant(d) for d in [d_out] + d_states])
    assert len(states) == len(k_states) == len(h0) and len(cell.grads) == len(variables)
    assert_close(out, k_out.numpy(), dtype, "output")
    for i, (a, b) in enumerate(zip(states, k_states)):
        assert_close(a, b.numpy(), dtype, f"state[{i}]")
    assert_close(dx, grads[0].numpy(), dtype, "dx")
    for i, (a, b) in enumerate(zip(d_h0, grads[1:1 + len(h0)])):
        assert_close(a, b.numpy(), dtype, f"d state[{i}]")
    for name, a, b in zip(cell.trainable_weight_names, cell.grads, grads[1 + len(h0):]):
        assert_close(a, b.numpy(), dtype, f"d{name}")


@pytest.mark.parametrize("case", ["SimpleRNNCell-tanh", "LSTMCell", "GRUCell-reset-before-relu",
                                  "StackedRNNCells-GRU-LSTM"])
def test_cell_alone_gradient_check(case):
    cell = cells_alone("float64")[case]()
    x = make_input((3, 4), "float64", seed=23)
    cell.build(x.shape)
    sizes = cell.flat_state_sizes if isinstance(cell, L.StackedRNNCells) else [cell.units] * cell.state_count
    h0 = [make_input((3, n), "float64", seed=24 + i) for i, n in enumerate(sizes)]
    out, states = cell(x, h0)
    g = np.random.default_rng(25)
    dys = [g.standard_normal(out.shape)] + [g.standard_normal(s.shape) for s in states]

    def loss():
        o, s = cell(x, h0)
        return float(sum(np.sum(a * d) for a, d in zip([o] + s, dys)))

    cell(x, h0)
    dx, d_h0 = cell.backward([dys[0], dys[1:]])
    targets = [("x", x, dx)] + [(f"h0[{i}]", h, d) for i, (h, d) in enumerate(zip(h0, d_h0))]
    targets += [(f"d{n}", w, gr.copy()) for n, w, gr in zip(cell.trainable_weight_names,
                                                             cell.trainable_weights, cell.grads)]
    for name, tensor, grad in targets:
        flat, gflat = tensor.reshape(-1), grad.reshape(-1)
        for i in np.random.default_rng(26).choice(flat.size, min(12, flat.size), replace=False):
            numeric = central_difference(loss, flat, i)
            assert abs(numeric - gflat[i]) <= 1e-7 * max(1.0, abs(numeric)), (name, i)
