"""Exercises of 09_embedding_and_recurrent: an embedding as a lookup and as a one-hot matmul,
a SimpleRNN cell step and an LSTM cell step (Keras's fused layout, gates i, f, c, o)."""
import numpy as np

from ...activations import Activation
from ...kernels.embedding import embedding_forward, embedding_forward_one_hot
from ...kernels.recurrent import lstm_step, simple_rnn_step
from ..exercises import Case, Exercise, seeded

TANH, SIGMOID = Activation("tanh"), Activation("sigmoid")


def embedding_case(seed, ids_shape, input_dim, output_dim, skip_top=0):
    """(ids, table); ``skip_top`` rows at the end of the table that no id uses (a one-hot sized from the ids fails)."""
    g = seeded(seed)
    ids = g.integers(0, input_dim - skip_top, size=ids_shape)
    return ids, g.standard_normal((input_dim, output_dim))


EMBEDDING_VISIBLE = [
    Case("ids-2x3-vocab5", lambda: embedding_case(seed=0, ids_shape=(2, 3), input_dim=5, output_dim=4)),
    Case("repeated-ids", lambda: embedding_case(seed=1, ids_shape=(1, 8), input_dim=2, output_dim=3)),
    Case("ids-skip-the-largest", lambda: embedding_case(seed=4, ids_shape=(2, 2), input_dim=6, output_dim=3,
                                                        skip_top=2)),
]
EMBEDDING_HIDDEN = [
    Case("ids-1d", lambda: embedding_case(seed=2, ids_shape=(6,), input_dim=7, output_dim=2)),
    Case("ids-3d", lambda: embedding_case(seed=3, ids_shape=(2, 3, 2), input_dim=9, output_dim=5)),
    Case("batch1-ids-skip-the-largest", lambda: embedding_case(seed=5, ids_shape=(1, 4), input_dim=8, output_dim=2,
                                                               skip_top=3)),
]

EMBEDDING_LOOKUP = Exercise(
    function="embedding_lookup",
    reference=lambda ids, embeddings: embedding_forward(ids, embeddings)[0],
    visible=EMBEDDING_VISIBLE, hidden=EMBEDDING_HIDDEN, points=1,
    look="the output shape: ids.shape + (output_dim,)",
    hint="Row ids[n] of the table for every id: NumPy's integer indexing, embeddings[ids], keeps "
         "the shape of ids and adds output_dim at the end.",
)

EMBEDDING_ONE_HOT_MATMUL = Exercise(
    function="embedding_one_hot_matmul",
    reference=lambda ids, embeddings: embedding_forward_one_hot(ids, embeddings),
    visible=EMBEDDING_VISIBLE, hidden=EMBEDDING_HIDDEN, points=1,
    look="the one-hot's size: the table's input_dim, not the largest id that happens to occur",
    hint="one_hot has shape ids.shape + (input_dim,): compare ids[..., None] with "
         "np.arange(input_dim), cast to float, then @ embeddings.",
)


def rnn_case(seed, batch, n_in, units, gates=1):
    g = seeded(seed)
    return (g.standard_normal((batch, n_in)), g.standard_normal((batch, units)),
            g.standard_normal((n_in, gates * units)) * 0.5,
            g.standard_normal((units, gates * units)) * 0.5, g.standard_normal(gates * units))


def _rnn_reference(x_t, h_prev, kernel, recurrent_kernel, bias):
    (h,), _ = simple_rnn_step(x_t @ kernel + bias, [h_prev], recurrent_kernel, TANH)
    return h


RNN_SIGNATURES = [
    ("h_prev @ recurrent_kernel.T",
     lambda x_t, h_prev, kernel, recurrent_kernel, bias: _rnn_reference(x_t, h_prev, kernel, recurrent_kernel.T, bias),
     "Keras stores the recurrent kernel as (units, units) to be used as it is: h_prev @ recurrent_kernel"),
]

RNN_CELL_STEP = Exercise(
    function="rnn_cell_step",
    reference=_rnn_reference,
    visible=[Case("batch2-in3-units4", lambda: rnn_case(seed=10, batch=2, n_in=3, units=4)),
             Case("batch1-units1", lambda: rnn_case(seed=11, batch=1, n_in=2, units=1))],
    hidden=[Case("batch5-in1-units3", lambda: rnn_case(seed=12, batch=5, n_in=1, units=3)),
            Case("large-inputs", lambda: tuple(a * 4 for a in rnn_case(seed=13, batch=3, n_in=4, units=2)))],
    points=1,
    look="the recurrent kernel's layout (units, units): h_prev multiplies it from the left, as x_t does the kernel",
    signatures=RNN_SIGNATURES,
    hint="h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).",
)


def lstm_case(seed, batch, n_in, units):
    x_t, h_prev, kernel, recurrent_kernel, bias = rnn_case(seed=seed, batch=batch, n_in=n_in, units=units, gates=4)
    c_prev = seeded(seed + 100).standard_normal((batch, units))
    return x_t, h_prev, c_prev, kernel, recurrent_kernel, bias


def _lstm_reference(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    (h, c), _ = lstm_step(x_t @ kernel + bias, [h_prev, c_prev], recurrent_kernel, TANH, SIGMOID)
    return h, c


def _lstm_gates_as(order):
    """The step with the gate blocks of z read in another ``order`` (a permutation of 'ifco')."""
    def wrong(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        u = h_prev.shape[1]
        perm = [order.index(g) for g in "ifco"]          # where each of Keras's blocks is read from

        def cols(m):
            return np.concatenate([m[..., p * u:(p + 1) * u] for p in perm], axis=-1)
        return _lstm_reference(x_t, h_prev, c_prev, cols(kernel), cols(recurrent_kernel), cols(bias))
    return wrong


LSTM_SIGNATURES = [
    (f"the gates read in the order {', '.join(order)}", _lstm_gates_as(order),
     "Keras's blocks are i, f, c, o (input, forget, candidate, output)")
    for order in ("ifoc", "fico", "icfo", "oifc")
] + [
    ("h_prev @ recurrent_kernel.T",
     lambda x_t, h_prev, c_prev, kernel, recurrent_kernel, bias:
         _lstm_reference(x_t, h_prev, c_prev, kernel, recurrent_kernel.T, bias),
     "use the recurrent kernel (units, 4 units) as it is: h_prev @ recurrent_kernel"),
]

LSTM_CELL_STEP = Exercise(
    function="lstm_cell_step",
    reference=_lstm_reference,
    visible=[Case("batch2-in3-units4", lambda: lstm_case(seed=20, batch=2, n_in=3, units=4)),
             Case("batch1-units1", lambda: lstm_case(seed=21, batch=1, n_in=2, units=1))],
    hidden=[Case("batch4-in5-units3", lambda: lstm_case(seed=22, batch=4, n_in=5, units=3)),
            Case("units2-in1", lambda: lstm_case(seed=23, batch=3, n_in=1, units=2))],
    points=2,
    look="the order of the 4 gate blocks in z (Keras: i, f, c, o) and which one goes through tanh",
    signatures=LSTM_SIGNATURES,
    outputs=("h_t", "c_t"),
    hint="z = x_t @ kernel + h_prev @ recurrent_kernel + bias; split z into 4 blocks of `units` "
         "columns in the order i, f, c, o; i, f, o = sigmoid, g = tanh(block c); "
         "c_t = f * c_prev + i * g; h_t = o * tanh(c_t). Return (h_t, c_t).",
)

EXERCISES = [EMBEDDING_LOOKUP, EMBEDDING_ONE_HOT_MATMUL, RNN_CELL_STEP, LSTM_CELL_STEP]
