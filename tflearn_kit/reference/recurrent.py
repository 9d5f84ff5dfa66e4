"""Twins of Embedding, SimpleRNN, LSTM and GRU.

tf.layers had no embedding or recurrent layers. TF1 code used
``tf.compat.v1.nn.embedding_lookup`` on a variable, and the ``tf.compat.v1.nn.rnn_cell``
cells run by ``tf.compat.v1.nn.dynamic_rnn`` in a graph. Under Keras 3,
``tf.compat.v1.nn.rnn_cell.LSTMCell`` raises "not available with Keras 3"; the same cells
ship in tf_keras (``tf_keras.api._v1.keras.__internal__.legacy.rnn_cell``), and
``dynamic_rnn`` itself still works: those are the TF1 twins here.

The TF1 cells store their weights differently from Keras, so the twin keeps Keras's
three variables (kernel, recurrent_kernel, bias, loaded from the kit's values) and a
custom getter hands each cell its own layout computed from them. The cell's own
arithmetic runs unchanged, and the gradients land on Keras's layout:

    BasicRNNCell  kernel = [kernel; recurrent_kernel] (one matmul over concat([x, h]))
    LSTMCell      the same stacking, gate columns reordered i, f, c, o -> i, j(=c), f, o;
                  TF1 adds forget_bias=1.0 inside the cell (Keras puts the 1 in the bias
                  through unit_forget_bias), so the TF1 bias of block f is Keras's minus 1.0
    GRUCell       gates/kernel = [kernel; recurrent_kernel] columns z, r -> r, u(=z);
                  candidate/kernel = [kernel_h; recurrent_kernel_h]. Only reset_after=False:
                  TF1's GRUCell resets the state before the matmul.

TF1 cells always have a bias (zeros here for use_bias=False) and sigmoid gates (no
recurrent_activation); go_backwards was ``tf.reverse`` on the time axis before dynamic_rnn.
"""
import functools

from .activations import tf1_activation
from .registry import Case, twin
from .tf import modules

TF1_FORGET_BIAS = 1.0


@functools.lru_cache(maxsize=None)
def rnn_cells():
    """tf.compat.v1.nn.rnn_cell as tf_keras ships it (TF's own raises under Keras 3)."""
    modules()
    import tf_keras.api._v1.keras.__internal__.legacy.rnn_cell as rnn_cell
    return rnn_cell


def embedding_tf1(layer, ids, training, init):
    tf, _, _ = modules()
    v1 = tf.compat.v1
    table = v1.get_variable("embeddings", shape=(layer.input_dim, layer.output_dim),
                            dtype=layer.dtype, initializer=init("embeddings"))
    return v1.nn.embedding_lookup(table, ids)


def _blocks(tensor, order, count):
    """Reorder the column blocks of a fused (.., count*units) tensor: order lists Keras block indices."""
    tf, _, _ = modules()
    parts = tf.split(tensor, count, axis=-1)
    return tf.concat([parts[i] for i in order], axis=-1)


def _tf1_layouts(layer, kernel, recurrent_kernel, bias):
    """{TF1 variable name suffix: tensor} built from Keras's kernel, recurrent_kernel, bias."""
    tf, _, _ = modules()
    name = type(layer).__name__
    stacked = tf.concat([kernel, recurrent_kernel], axis=0)        # TF1: one matmul over [x, h]
    if name == "SimpleRNN":
        return {"kernel": stacked, "bias": bias}
    if name == "LSTM":
        i, f, c, o = tf.split(bias, 4)
        return {"kernel": _blocks(stacked, [0, 2, 1, 3], 4),
                "bias": tf.concat([i, c, f - TF1_FORGET_BIAS, o], axis=0)}
    units = layer.units
    return {"gates/kernel": _blocks(stacked[:, :2 * units], [1, 0], 2),
            "gates/bias": _blocks(bias[:2 * units], [1, 0], 2),
            "candidate/kernel": stacked[:, 2 * units:],
            "candidate/bias": bias[2 * units:]}


def _tf1_cell(layer):
    tf, _, _ = modules()
    cells = rnn_cells()
    name = type(layer).__name__
    activation = tf1_activation(layer.activation) or tf.identity    # None would mean tanh to TF1
    if name != "SimpleRNN" and layer.recurrent_activation.name != "sigmoid":
        raise NotImplementedError(f"TF1's {name} cell always uses sigmoid gates; "
                                  f"recurrent_activation={layer.recurrent_activation.name!r}")
    if name == "GRU" and layer.reset_after:
        raise NotImplementedError("TF1's GRUCell resets the state before the matmul; "
                                  "reset_after=True (cuDNN's form) had no TF1 cell")
    if name == "SimpleRNN":
        return cells.BasicRNNCell(layer.units, activation=activation, dtype=layer.dtype)
    if name == "LSTM":
        return cells.LSTMCell(layer.units, activation=activation, forget_bias=TF1_FORGET_BIAS,
                              state_is_tuple=True, dtype=layer.dtype)
    return cells.GRUCell(layer.units, activation=activation, dtype=layer.dtype)


def rnn_tf1(layer, x, training, init):
    """The layer as TF1 code wrote it: an rnn_cell cell run by tf.compat.v1.nn.dynamic_rnn."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    cell = _tf1_cell(layer)
    width = layer.gates * layer.units

    def variable(name, shape):
        return v1.get_variable(name, shape=shape, dtype=layer.dtype, initializer=init(name))

    kernel = variable("kernel", (x.shape[-1], width))
    recurrent_kernel = variable("recurrent_kernel", (layer.units, width))
    bias = (variable("bias", layer.bias_shape()) if layer.use_bias
            else tf.zeros((width,), layer.dtype))             # TF1 cells always add a bias
    layouts = _tf1_layouts(layer, kernel, recurrent_kernel, bias)

    def keras_layout(getter, name, *args, **kwargs):
        for suffix, tensor in layouts.items():
            if name.endswith(suffix):
                return tensor
        raise ValueError(f"unexpected TF1 cell variable {name!r}")

    inputs = tf.reverse(x, [1]) if layer.go_backwards else x
    with v1.variable_scope("tf1_rnn", custom_getter=keras_layout):
        outputs, state = v1.nn.dynamic_rnn(cell, inputs, dtype=layer.dtype)
    output = outputs if layer.return_sequences else outputs[:, -1]
    if not layer.return_state:
        return output
    return [output, state.h, state.c] if type(layer).__name__ == "LSTM" else [output, state]


RNN_NOTE = ("tf.compat.v1.nn.rnn_cell cells with tf.compat.v1.nn.dynamic_rnn (tf.layers had no "
            "recurrent layers)")
SEQ = (2, 5, 3)          # (batch, steps, in)
B = {"bias_initializer": "random_normal"}


TWINS = [
    twin(
        "Embedding", tf1=embedding_tf1, tf1_name="tf.compat.v1.nn.embedding_lookup",
        cases=[
            Case("ids-2d", {"input_dim": 10, "output_dim": 4}, (3, 6), input_kind="int:10"),
            Case("repeated-ids-mask-zero", {"input_dim": 4, "output_dim": 3, "mask_zero": True}, (2, 8),
                 input_kind="int:4"),
            Case("ids-3d", {"input_dim": 7, "output_dim": 2}, (2, 3, 4), input_kind="int:7"),
            Case("ids-1d", {"input_dim": 5, "output_dim": 3}, (7,), input_kind="int:5"),
            Case("repeated-ids", {"input_dim": 3, "output_dim": 5}, (4, 9), input_kind="int:3"),
            Case("mask-zero", {"input_dim": 6, "output_dim": 3, "mask_zero": True}, (2, 8),
                 input_kind="int:6"),
            Case("batch1-vocab1", {"input_dim": 1, "output_dim": 2}, (1, 3), input_kind="int:1"),
        ],
    ),
    twin(
        "SimpleRNN", tf1=rnn_tf1, tf1_name="tf.compat.v1.nn.rnn_cell.BasicRNNCell + dynamic_rnn",
        cases=[
            Case("last-output", {"units": 4, **B}, SEQ),
            Case("sequences-relu", {"units": 4, "activation": "relu", "return_sequences": True, **B}, SEQ),
            Case("backwards-state", {"units": 3, "go_backwards": True, "return_sequences": True,
                                     "return_state": True, **B}, SEQ),
            Case("batch1-step1-nobias", {"units": 2, "use_bias": False}, (1, 1, 3)),
            Case("backwards-last-state", {"units": 3, "go_backwards": True, "return_state": True, **B},
                 SEQ),
            Case("batch1-step1", {"units": 2, **B}, (1, 1, 3)),
            Case("linear-sequences", {"units": 3, "activation": None, "return_sequences": True, **B}, SEQ),
        ],
    ),
    twin(
        "LSTM", tf1=rnn_tf1, tf1_name="tf.compat.v1.nn.rnn_cell.LSTMCell + dynamic_rnn",
        cases=[
            Case("last-output", {"units": 4, **B}, SEQ),
            Case("sequences", {"units": 3, "return_sequences": True, **B}, SEQ),
            Case("backwards-state", {"units": 3, "go_backwards": True, "return_sequences": True,
                                     "return_state": True, **B}, SEQ),
            Case("batch1-step1-nobias", {"units": 2, "use_bias": False}, (1, 1, 3)),
            Case("hard-sigmoid-state", {"units": 3, "recurrent_activation": "hard_sigmoid",
                                        "return_state": True, **B}, SEQ),
            Case("nobias", {"units": 3, "use_bias": False}, SEQ),
            Case("batch1-step1", {"units": 2, **B}, (1, 1, 3)),
            Case("batch1-long", {"units": 2, "return_sequences": True, **B}, (1, 12, 2)),
            Case("hard-sigmoid-relu-sequences", {"units": 3, "recurrent_activation": "hard_sigmoid",
                                                 "activation": "relu", "return_sequences": True, **B}, SEQ),
        ],
    ),
    twin(
        "GRU", tf1=rnn_tf1, tf1_name="tf.compat.v1.nn.rnn_cell.GRUCell + dynamic_rnn",
        cases=[
            Case("reset-after", {"units": 4, **B}, SEQ),
            Case("reset-before-sequences", {"units": 3, "reset_after": False, "return_sequences": True,
                                            **B}, SEQ),
            Case("backwards-state", {"units": 3, "go_backwards": True, "return_sequences": True,
                                     "return_state": True, "reset_after": False, **B}, SEQ),
            Case("reset-after-state", {"units": 3, "return_state": True, "return_sequences": True, **B},
                 SEQ),
            Case("batch1-step1-nobias", {"units": 2, "use_bias": False, "reset_after": False}, (1, 1, 3)),
            Case("reset-before", {"units": 4, "reset_after": False, **B}, SEQ),
            Case("reset-before-backwards-sequences", {"units": 3, "reset_after": False, "go_backwards": True,
                                                      "return_sequences": True, **B}, SEQ),
            Case("reset-after-backwards", {"units": 3, "go_backwards": True, **B}, SEQ),
            Case("nobias-reset-after", {"units": 3, "use_bias": False}, SEQ),
            Case("batch1-step1", {"units": 2, "reset_after": False, **B}, (1, 1, 3)),
            Case("tanh-gates-state", {"units": 3, "recurrent_activation": "tanh", "return_state": True, **B},
                 SEQ),
        ],
    ),
]
