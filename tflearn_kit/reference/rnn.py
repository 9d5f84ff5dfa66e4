"""Twins of RNN over a cell, the cells, StackedRNNCells, Bidirectional and TimeDistributed.

tf.keras: the same classes, nested as the kit's are (:func:`keras_layer`).

TF1 had no layers for these; its code ran ``tf.compat.v1.nn.rnn_cell`` cells (here from
tf_keras, as in ``reference/recurrent.py``) with

    RNN(cell)            tf.compat.v1.nn.dynamic_rnn(cell, x)
    StackedRNNCells      MultiRNNCell([cell, cell]) under dynamic_rnn (scopes cell_0, cell_1)
    Bidirectional        tf.compat.v1.nn.bidirectional_dynamic_rnn(fw_cell, bw_cell, x), whose
                         backward outputs come back in input order; the merge written by hand
    TimeDistributed      the layer applied to the rank-3 input (tf.compat.v1.layers.dense works
                         on the last axis)

The TF1 cells keep their weights in their own layout; as in ``reference/recurrent.py`` a
custom getter builds each cell's layout from Keras's three tensors, so the gradients land
on Keras's kernel, recurrent_kernel and bias. The TF1 variables are named after the kit's
weights in order (kernel, recurrent_kernel, bias, kernel_1, ...).
"""
from types import SimpleNamespace

from .activations import tf1_activation
from .recurrent import _tf1_cell, _tf1_layouts
from .registry import Case, twin
from .tf import modules


def keras_layer(kit_layer):
    """The tf.keras layer (not built) with the kit layer's configuration, nested layers included."""
    from .runners import keras_config       # runners imports the registry, which imports this module
    _, keras, _ = modules()
    name = type(kit_layer).__name__
    if name == "StackedRNNCells":
        return keras.layers.StackedRNNCells([keras_layer(c) for c in kit_layer.cells],
                                            name=kit_layer.name, dtype=kit_layer.dtype)
    if name == "RNN":
        config = {k: v for k, v in kit_layer.get_config().items() if k != "cell"}
        return keras.layers.RNN(keras_layer(kit_layer.cell), **config)
    if name == "Bidirectional":
        return keras.layers.Bidirectional(
            keras_layer(kit_layer.forward_layer), merge_mode=kit_layer.merge_mode,
            backward_layer=keras_layer(kit_layer.backward_layer), name=kit_layer.name,
            dtype=kit_layer.dtype)
    if name == "TimeDistributed":
        return keras.layers.TimeDistributed(keras_layer(kit_layer.layer), name=kit_layer.name,
                                            dtype=kit_layer.dtype)
    return getattr(keras.layers, name)(**keras_config(kit_layer))


# ---- TF1 ----------------------------------------------------------------------------------------

def _as_rnn_layer(cell):
    """A kit cell seen as the SimpleRNN/LSTM/GRU layer reference/recurrent.py's TF1 helpers take."""
    kind = type(cell).__name__.replace("Cell", "")
    if kind not in ("SimpleRNN", "LSTM", "GRU"):
        return cell
    proxy = type(kind, (SimpleNamespace,), {})()
    for attr in ("units", "activation", "use_bias", "gates", "dtype", "bias_shape", "reset_after",
                 "recurrent_activation"):
        if hasattr(cell, attr):
            setattr(proxy, attr, getattr(cell, attr))
    return proxy


def _cells_of(layer):
    """The kit cells a recurrent layer runs, as RNN-layer-like objects (one per TF1 cell)."""
    cell = getattr(layer, "cell", None)
    if cell is None:                       # SimpleRNN, LSTM, GRU
        return [layer]
    cells = cell.cells if type(cell).__name__ == "StackedRNNCells" else [cell]
    return [_as_rnn_layer(c) for c in cells]


class _Namer:
    """kernel, recurrent_kernel, bias, kernel_1, ...: the kit's weight names made unique, in order."""

    def __init__(self):
        self.seen = {}

    def __call__(self, name):
        n = self.seen.get(name, 0)
        self.seen[name] = n + 1
        return name if n == 0 else f"{name}_{n}"


def _tf1_cell_and_layouts(layer, x_width, namer, init):
    """(TF1 cell, {variable name suffix: tensor}) for one recurrent layer; variables from the kit's."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    cells, layouts, width_in = [], [], x_width
    for proxy in _cells_of(layer):
        if getattr(proxy, "recurrent_activation", None) is not None and type(proxy).__name__ != "SimpleRNN" \
                and proxy.recurrent_activation.name != "sigmoid":
            raise NotImplementedError("TF1's cells always use sigmoid gates")
        width = proxy.gates * proxy.units

        def variable(name, shape):
            unique = namer(name)
            return v1.get_variable(unique, shape=shape, dtype=proxy.dtype, initializer=init(unique))

        kernel = variable("kernel", (width_in, width))
        recurrent_kernel = variable("recurrent_kernel", (proxy.units, width))
        bias = (variable("bias", proxy.bias_shape()) if proxy.use_bias
                else tf.zeros((width,), proxy.dtype))
        cells.append(_tf1_cell(proxy))
        layouts.append(_tf1_layouts(proxy, kernel, recurrent_kernel, bias))
        width_in = proxy.units
    if len(cells) == 1:
        return cells[0], {(): layouts[0]}
    from .recurrent import rnn_cells
    return rnn_cells().MultiRNNCell(cells), {(f"cell_{i}/",): lay for i, lay in enumerate(layouts)}


def _getter(layouts):
    def keras_layout(getter, name, *args, **kwargs):
        for scopes, layout in layouts.items():
            if all(s in name for s in scopes):
                for suffix, tensor in layout.items():
                    if name.endswith(suffix):
                        return tensor
        raise ValueError(f"unexpected TF1 cell variable {name!r}")
    return keras_layout


def _flat_states(state):
    """TF1 states in the kit's flat order: an LSTMStateTuple is (c, h) in TF1, [h, c] in Keras."""
    if hasattr(state, "h") and hasattr(state, "c"):
        return [state.h, state.c]
    if isinstance(state, (tuple, list)):
        return [s for part in state for s in _flat_states(part)]
    return [state]


def rnn_tf1(layer, x, training, init):
    """RNN(cell) (or SimpleRNN/LSTM/GRU) as tf.compat.v1.nn.dynamic_rnn ran it."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    namer = _Namer()
    cell, layouts = _tf1_cell_and_layouts(layer, x.shape[-1], namer, init)
    inputs = tf.reverse(x, [1]) if layer.go_backwards else x
    with v1.variable_scope("tf1_rnn", custom_getter=_getter(layouts)):
        outputs, state = v1.nn.dynamic_rnn(cell, inputs, dtype=layer.dtype)
    output = outputs if layer.return_sequences else outputs[:, -1]
    return [output, *_flat_states(state)] if layer.return_state else output


def bidirectional_tf1(layer, x, training, init):
    """Bidirectional as tf.compat.v1.nn.bidirectional_dynamic_rnn ran it, merged by hand."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    namer = _Namer()
    fw, bw = layer.forward_layer, layer.backward_layer
    with v1.variable_scope("fw_weights"):
        fw_cell, fw_layouts = _tf1_cell_and_layouts(fw, x.shape[-1], namer, init)
    with v1.variable_scope("bw_weights"):
        bw_cell, bw_layouts = _tf1_cell_and_layouts(bw, x.shape[-1], namer, init)
    layouts = {("/fw/", *k): v for k, v in fw_layouts.items()}
    layouts.update({("/bw/", *k): v for k, v in bw_layouts.items()})
    with v1.variable_scope("tf1_birnn", custom_getter=_getter(layouts)):
        (y, y_rev), (s_fw, s_bw) = v1.nn.bidirectional_dynamic_rnn(fw_cell, bw_cell, x,
                                                                    dtype=layer.dtype)
    if not layer.return_sequences:
        # the backward pass ends at input step 0: that is its last output
        y, y_rev = y[:, -1], y_rev[:, 0]
    merge = {"concat": lambda: [tf.concat([y, y_rev], axis=-1)], "sum": lambda: [y + y_rev],
             "ave": lambda: [(y + y_rev) / 2], "mul": lambda: [y * y_rev], None: lambda: [y, y_rev]}
    output = merge[layer.merge_mode]()
    if layer.return_state:
        return output + _flat_states(s_fw) + _flat_states(s_bw)
    return output[0] if len(output) == 1 else output


def time_distributed_tf1(layer, x, training, init):
    """TimeDistributed(Dense) as TF1 wrote it: tf.compat.v1.layers.dense on the rank-3 input."""
    _, _, legacy = modules()
    inner = layer.layer
    if type(inner).__name__ != "Dense":
        raise NotImplementedError("TF1 reshaped steps into the batch by hand for layers other than dense")
    return legacy.dense(x, inner.units, activation=tf1_activation(inner.activation),
                        use_bias=inner.use_bias, kernel_initializer=init("kernel"),
                        bias_initializer=init("bias") if inner.use_bias else None)


# ---- the registered twins and cases ---------------------------------------------------------------

SEQ = (2, 5, 3)          # (batch, steps, in)
B = {"bias_initializer": "random_normal"}


def _cell(name, **config):
    return {"class_name": name, "config": {**config, **B}}


def _layer(name, **config):
    return {"class_name": name, "config": {**config, **B}}


CONVLSTM_NOTE = "tf.contrib.rnn.ConvLSTMCell with dynamic_rnn (tf.contrib is gone from TF 2)"

# A cell is one step, not a layer on a sequence: it is compared inside RNN (the cases below,
# `tflearn-kit compare RNN`), and the coverage table names its TF1 cell (coverage.CELLS).
TWINS = [
    twin("RNN", tf1=rnn_tf1, keras=keras_layer,
         tf1_name="tf.compat.v1.nn.dynamic_rnn over a tf.compat.v1.nn.rnn_cell cell",
         cases=[
             Case("SimpleRNNCell-relu-sequences", {"cell": _cell("SimpleRNNCell", units=3, activation="relu"),
                                                   "return_sequences": True}, SEQ),
             Case("LSTMCell-sequences-state", {"cell": _cell("LSTMCell", units=3),
                                               "return_sequences": True, "return_state": True}, SEQ),
             Case("GRUCell-reset-before-backwards", {"cell": _cell("GRUCell", units=3, reset_after=False),
                                                     "go_backwards": True}, SEQ),
             Case("GRUCell-reset-after-state", {"cell": _cell("GRUCell", units=2), "return_state": True},
                  SEQ),
             Case("stacked-LSTM-GRU-state", {"cell": [_cell("LSTMCell", units=3),
                                                      _cell("GRUCell", units=2, reset_after=False)],
                                             "return_sequences": True, "return_state": True}, SEQ),
         ]),
    twin("Bidirectional", tf1=bidirectional_tf1, keras=keras_layer,
         tf1_name="tf.compat.v1.nn.bidirectional_dynamic_rnn",
         tf1_note="bidirectional_dynamic_rnn (tf.nn) over two cells",
         cases=[
             Case("LSTM-concat-sequences-state", {"layer": _layer("LSTM", units=3, return_sequences=True,
                                                                  return_state=True)}, SEQ),
             Case("GRU-sum-last", {"layer": _layer("GRU", units=3, reset_after=False),
                                   "merge_mode": "sum"}, SEQ),
             Case("SimpleRNN-mul-sequences", {"layer": _layer("SimpleRNN", units=2, return_sequences=True),
                                              "merge_mode": "mul"}, SEQ),
             Case("LSTM-ave-last", {"layer": _layer("LSTM", units=2), "merge_mode": "ave"}, SEQ),
             Case("GRU-none-sequences-state", {"layer": _layer("GRU", units=2, return_sequences=True,
                                                               return_state=True, reset_after=False),
                                               "merge_mode": None}, SEQ),
             Case("LSTM-backward-layer-GRU", {"layer": _layer("LSTM", units=3, return_sequences=True),
                                              "backward_layer": _layer("GRU", units=2, go_backwards=True,
                                                                       return_sequences=True,
                                                                       reset_after=False)}, SEQ),
         ]),
    twin("TimeDistributed", tf1=time_distributed_tf1, keras=keras_layer,
         tf1_name="the wrapped layer on the rank-3 input (tf.compat.v1.layers.dense)",
         tf1_note="the layer's own call on the rank-3 input (tf.compat.v1.layers.dense works on the "
                  "last axis); other layers folded the steps into the batch by hand",
         cases=[
             Case("Dense-relu", {"layer": _layer("Dense", units=4, activation="relu")}, SEQ),
             Case("Conv2D-same", {"layer": _layer("Conv2D", filters=2, kernel_size=3, padding="same")},
                  (2, 3, 5, 5, 2)),
         ]),
    *[twin(f"ConvLSTM{d}D", tf1_note=CONVLSTM_NOTE, keras=keras_layer, cases=[
        Case("valid-last", {"filters": 2, "kernel_size": 2, **B}, (2, 4) + (4,) * d + (2,)),
        Case("same-stride2-sequences-state", {"filters": 2, "kernel_size": 3, "strides": 2,
                                              "padding": "same", "return_sequences": True,
                                              "return_state": True, **B}, (2, 4) + (5,) * d + (1,)),
    ]) for d in (1, 2, 3)],
]
