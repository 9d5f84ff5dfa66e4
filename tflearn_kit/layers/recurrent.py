"""SimpleRNN, LSTM and GRU: a cell step run over the time axis, with Keras's fused weights.

The loop over time and backpropagation through time live in
``tflearn_kit.kernels.recurrent``; a layer here only holds the weights and picks the step.
"""
import functools

import numpy as np

from .. import activations, constraints, initializers, regularizers, seeding
from ..kernels import recurrent as K
from .base import InputSpec, Layer


class GateWeights:
    """What a recurrent layer (here) and its cell (layers/rnn.py) share: the arguments of
    kernel, recurrent_kernel and bias, their build in Keras's order, and their config keys.

    A mixin before ``Layer`` in the bases; ``gates`` is the number of column blocks in the
    fused kernel, ``state_count`` the number of states.
    """

    gates = 1
    state_count = 1

    def set_gate_arguments(self, units, activation, use_bias, kernel_initializer,
                           recurrent_initializer, bias_initializer, kernel_regularizer,
                           recurrent_regularizer, bias_regularizer, kernel_constraint,
                           recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed):
        name = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{name}: units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(name, "dropout", dropout)
        self.recurrent_dropout = _rate(name, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._rng = seeding.rng(seed) if seed is not None else None
        self.dropout_mask = self.recurrent_dropout_mask = None

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        return self.bias_initializer

    def input_bias(self):
        """The bias added to x_t @ kernel (GRU with reset_after has a second, recurrent row)."""
        return self.bias

    def add_gate_weights(self, n_in):
        """kernel (n_in, gates*units), recurrent_kernel (units, gates*units) and the bias."""
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(n_in, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint,
                                                name="recurrent_kernel")
        self.bias = (self.add_weight(shape=self.bias_shape(), initializer=self.bias_init(),
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)

    def gate_config(self):
        """The config keys of the weights' arguments, as Keras's RNN layers and cells have them."""
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_config("kernel", "recurrent", "bias"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


class LSTMGates(GateWeights):
    """LSTM's extra arguments, for LSTM and LSTMCell: gates i, f, c, o; states [h, c]."""

    gates = 4
    state_count = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True,
                 **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_init(self):
        return _UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else self.bias_initializer

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUGates(GateWeights):
    """GRU's extra arguments, for GRU and GRUCell: gates z, r, h; with reset_after the bias has
    two rows, row 0 for the input and row 1 for the state."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True,
                 **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class _UnitForgetBias(initializers.Initializer):
    """LSTM's bias with the forget block set to ones, as Keras builds it: [init, ones, init, init]."""

    def __init__(self, base):
        self.base = base

    def __call__(self, shape, dtype="float32"):
        units = shape[0] // 4
        return np.concatenate([self.base((units,), dtype), np.ones(units, dtype),
                               self.base((2 * units,), dtype)])


class _RNN(GateWeights, Layer):
    """What SimpleRNN, LSTM and GRU share. See tf.keras.layers.RNN.

    Args:
        units: size of the state and of the output.
        activation: of the candidate state and of the output (default tanh).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: names or initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        return_sequences: return the output of every step, not only the last one.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: read the sequence last step first. The sequence returned with
            return_sequences stays in that reversed order, as in Keras.
        kernel_constraint, recurrent_constraint, bias_constraint: applied after each step of fit.
        dropout: drop the input's features, one mask per call shared by every step (Keras's
            rule); recurrent_dropout: the same for the previous state. With recurrent_dropout,
            LSTM and GRU draw one mask per gate for the input and for the state, as Keras's
            implementation 1 does, and run their cell's per-gate step. seed: for the masks.
        stateful: each call starts from the previous call's final states (reset_states()).
        unroll: accepted for Keras's sake; NumPy runs the same loop either way.
        zero_output_for_mask: masked steps output zeros instead of repeating the last output.

    Call arguments: ``layer(x, mask=None, initial_state=None)``; mask (batch, steps) of
    booleans (an Embedding(mask_zero=True) before the layer provides it): where False, the
    states are held and the output repeats the previous one. initial_state: a list of
    (batch, units) arrays (LSTM: [h, c]); zeros by default.

    Input shape: (batch, steps, in)
    Output shape: (batch, steps, units) with return_sequences, else (batch, units)

    After ``backward(dy)`` (dy a list [d_output, *d_states] with return_state),
    ``layer.initial_state_grads`` holds d(loss)/d(initial_state), one array per state.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, return_sequences=False,
                 return_state=False, go_backwards=False, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        self.set_gate_arguments(units, activation, use_bias, kernel_initializer,
                                recurrent_initializer, bias_initializer, kernel_regularizer,
                                recurrent_regularizer, bias_regularizer, kernel_constraint,
                                recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                                seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.input_spec = InputSpec(ndim=3)
        self.initial_state_grads = None
        self.stateful, self.unroll = bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None

    # ---- weights ----------------------------------------------------------------------------

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.add_gate_weights(n_in)
        self.input_spec = InputSpec(ndim=3, axes={-1: n_in})

    # ---- the cell, per family ---------------------------------------------------------------

    def step_functions(self, grads):
        """(step, step_backward) with this layer's weights bound; step_backward adds into grads."""
        raise NotImplementedError

    def bias_grad(self, loop_grads, step_grads):
        return loop_grads["input_bias"]

    # ---- the call ---------------------------------------------------------------------------

    def reset_states(self, states=None):
        """Stateful: start the next call from zeros (or from ``states``)."""
        self.states = None if states is None else [np.asarray(s, self.dtype) for s in states]

    reset_state = reset_states

    def _initial_states(self, inputs, initial_state):
        batch = inputs.shape[0]
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        if initial_state is None:
            return [np.zeros((batch, self.units), dtype=self.dtype) for _ in range(self.state_count)]
        states = [initial_state] if isinstance(initial_state, np.ndarray) else list(initial_state)
        states = [np.asarray(s, dtype=self.dtype) for s in states]
        if len(states) != self.state_count or any(s.shape != (batch, self.units) for s in states):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected initial_state as "
                f"{self.state_count} array(s) of shape ({batch}, {self.units}), but got shapes "
                f"{[s.shape for s in states]}."
            )
        return states

    def _mask(self, inputs, mask):
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != inputs.shape[:2]:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected a mask of shape "
                f"{inputs.shape[:2]} (batch, steps), but got shape {mask.shape}."
            )
        return mask

    def _draw(self, rate, shape, given, training):
        """A dropout multiplier as Keras's cells use it: 0 or 1 / (1 - rate); None when off."""
        if given is not None:
            return np.asarray(given, dtype=self.dtype)
        if not training or rate == 0:
            return None
        keep = (self._rng or seeding.rng()).random(shape) >= rate
        return np.where(keep, np.dtype(self.dtype).type(1.0 / (1.0 - rate)), 0).astype(self.dtype)

    def call(self, inputs, mask=None, initial_state=None, training=None, dropout_mask=None,
             recurrent_dropout_mask=None):
        states = self._initial_states(inputs, initial_state)
        if self.gates > 1 and self.recurrent_dropout > 0 and (training or recurrent_dropout_mask is not None):
            return self._call_per_gate(inputs, states, mask, training, dropout_mask,
                                       recurrent_dropout_mask)
        self._step_grads = {}
        step, self._step_backward = self.step_functions(self._step_grads)
        batch = inputs.shape[0]
        self.dropout_mask = self._draw(self.dropout, (batch, inputs.shape[2]), dropout_mask, training)
        self.recurrent_dropout_mask = self._draw(self.recurrent_dropout, (batch, self.units),
                                                 recurrent_dropout_mask, training)
        if self.dropout_mask is not None:          # the same mask at every step
            inputs = inputs * self.dropout_mask[:, None, :]
        if self.recurrent_dropout_mask is not None:
            step, self._step_backward = _recurrent_dropout(step, self._step_backward,
                                                           self.recurrent_dropout_mask)
        mask = self._mask(inputs, mask)
        outputs, final_states, cache = K.rnn_forward(
            inputs, states, self.kernel, self.input_bias(), step,
            mask=mask, go_backwards=self.go_backwards)
        zero_mask = None
        if self.zero_output_for_mask and mask is not None:
            # outputs are in the order they were produced: reversed with go_backwards
            zero_mask = (mask[:, ::-1] if self.go_backwards else mask)[:, :, None]
            outputs = np.where(zero_mask, outputs, 0).astype(outputs.dtype)
        if self.stateful:
            self.states = [s.copy() for s in final_states]
        self._cache = (cache, outputs.shape, zero_mask)
        output = outputs if self.return_sequences else outputs[:, -1]
        return [output, *final_states] if self.return_state else output

    def _per_gate_cell(self):
        """The layer's cell (LSTMCell or GRUCell) on this layer's own weight arrays."""
        from . import rnn
        config = {"units": self.units, "activation": self.activation, "use_bias": self.use_bias,
                  "recurrent_activation": self.recurrent_activation, "dropout": self.dropout,
                  "recurrent_dropout": self.recurrent_dropout, "dtype": self.dtype}
        if isinstance(self, GRU):
            cell = rnn.GRUCell(reset_after=self.reset_after, **config)
        else:
            cell = rnn.LSTMCell(**config)
        cell.kernel, cell.recurrent_kernel, cell.bias = self.kernel, self.recurrent_kernel, self.bias
        cell._rng, cell.built = self._rng, True
        return cell

    def _call_per_gate(self, inputs, states, mask, training, dropout_mask, recurrent_dropout_mask):
        """Training with recurrent_dropout: Keras's implementation 1, the cell's per-gate step."""
        from ..kernels.recurrent_cells import cell_rnn_forward
        cell = self._per_gate_cell()
        cell.start(inputs.shape[0], inputs.shape[2], training, dropout_mask, recurrent_dropout_mask)
        self.dropout_mask, self.recurrent_dropout_mask = cell.dropout_mask, cell.recurrent_dropout_mask
        outputs, final_states, cache = cell_rnn_forward(
            inputs, states, cell.step, mask=self._mask(inputs, mask), go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask)
        if self.stateful:
            self.states = [s.copy() for s in final_states]
        self._cache = ("per_gate", cell, cache, outputs.shape)
        output = outputs if self.return_sequences else outputs[:, -1]
        return [output, *final_states] if self.return_state else output

    def _backward_per_gate(self, dy):
        from ..kernels.recurrent_cells import cell_rnn_backward
        _, cell, cache, out_shape = self._cache
        dys = list(dy) if self.return_state else [dy]
        d_output = dys[0]
        batch = out_shape[0]
        d_states = [np.zeros((batch, self.units), self.dtype) if d is None else d
                    for d in (dys[1:] or [None] * self.state_count)]
        if self.return_sequences:
            d_outputs = d_output
        else:
            d_outputs = np.zeros(out_shape, dtype=d_output.dtype)
            d_outputs[:, -1] = d_output
        dx, self.initial_state_grads = cell_rnn_backward(d_outputs, d_states, cache, cell.step_backward)
        return dx, cell.step_grads()

    def backward_call(self, dy):
        if self._cache[0] == "per_gate":
            return self._backward_per_gate(dy)
        cache, out_shape, zero_mask = self._cache
        dys = list(dy) if self.return_state else [dy]
        d_output, d_states = dys[0], dys[1:] or [None] * self.state_count
        if self.return_sequences:
            d_outputs = d_output
        else:
            d_outputs = np.zeros(out_shape, dtype=d_output.dtype)
            d_outputs[:, -1] = d_output            # only the last step's output was used
        if zero_mask is not None:
            d_outputs = np.where(zero_mask, d_outputs, 0).astype(d_outputs.dtype)
        for g in self._step_grads.values():
            g[...] = 0
        dx, d_initial, loop_grads = K.rnn_backward(d_outputs, d_states, cache, self._step_backward)
        if self.dropout_mask is not None:
            dx = dx * self.dropout_mask[:, None, :]
        self.initial_state_grads = d_initial
        grads = [loop_grads["kernel"], self._step_grads["recurrent_kernel"]]
        if self.use_bias:
            grads.append(self.bias_grad(loop_grads, self._step_grads))
        return dx, grads

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * self.state_count if self.return_state else output_mask

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        return [out] + [(batch, self.units)] * self.state_count if self.return_state else out

    def get_config(self):
        return {
            **super().get_config(),
            **self.gate_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            **({} if type(self).__name__ == "SimpleRNN" else {"seed": self.seed}),
        }


def _rate(layer, name, rate):
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{layer}: {name} must be in [0, 1); got {rate!r}.")
    return float(rate)


def _recurrent_dropout(step, step_backward, mask):
    """SimpleRNN's step on the dropped previous state h * mask, and its gradient."""
    def dropped_step(xw_t, states):
        return step(xw_t, [states[0] * mask] + list(states[1:]))

    def dropped_backward(d_states, cache):
        dxw, d_prev = step_backward(d_states, cache)
        return dxw, [d_prev[0] * mask] + list(d_prev[1:])
    return dropped_step, dropped_backward


class SimpleRNN(_RNN):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias). See tf.keras.layers.SimpleRNN.

    Arguments, call and shapes: see _RNN.
    Weights: kernel (in, units), recurrent_kernel (units, units), bias (units,)
    """

    def step_functions(self, grads):
        grads["recurrent_kernel"] = np.zeros_like(self.recurrent_kernel)
        return (functools.partial(K.simple_rnn_step, recurrent_kernel=self.recurrent_kernel,
                                  activation=self.activation),
                functools.partial(K.simple_rnn_step_backward, recurrent_kernel=self.recurrent_kernel,
                                  activation=self.activation, grads=grads))


class LSTM(LSTMGates, _RNN):
    """Long short-term memory. See tf.keras.layers.LSTM.

    i, f, o = recurrent_activation(...), g = activation(...) from one fused matmul;
    c_t = f * c_{t-1} + i * g;  h_t = o * activation(c_t).

    Extra args:
        recurrent_activation: of the gates i, f, o (Keras 3 default: sigmoid).
        unit_forget_bias: start the forget gate's bias at 1, so the cell remembers at first.

    Weights: kernel (in, 4*units), recurrent_kernel (units, 4*units), bias (4*units,),
    columns in the gate order i, f, c, o. States: [h, c].
    """

    def step_functions(self, grads):
        grads["recurrent_kernel"] = np.zeros_like(self.recurrent_kernel)
        acts = dict(activation=self.activation, recurrent_activation=self.recurrent_activation)
        return (functools.partial(K.lstm_step, recurrent_kernel=self.recurrent_kernel, **acts),
                functools.partial(K.lstm_step_backward, recurrent_kernel=self.recurrent_kernel,
                                  grads=grads, **acts))


class GRU(GRUGates, _RNN):
    """Gated recurrent unit. See tf.keras.layers.GRU.

    z, r = recurrent_activation(...);  hh = activation(x_t @ kernel_h + r * (h_{t-1} @ rec_h + b_rec_h))
    (reset_after=True) or activation(x_t @ kernel_h + (r * h_{t-1}) @ rec_h + b_h) (False);
    h_t = z * h_{t-1} + (1 - z) * hh.

    Extra args:
        recurrent_activation: of the gates z and r (Keras 3 default: sigmoid).
        reset_after: apply the reset gate after the recurrent matmul (Keras's default, and
            cuDNN's); then the bias has two rows, for the input and for the state.

    Weights: kernel (in, 3*units), recurrent_kernel (units, 3*units), bias (2, 3*units) with
    reset_after else (3*units,); columns in the gate order z, r, h. States: [h].
    """

    def step_functions(self, grads):
        grads["recurrent_kernel"] = np.zeros_like(self.recurrent_kernel)
        recurrent_bias = None
        if self.reset_after and self.use_bias:
            recurrent_bias = self.bias[1]
            grads["recurrent_bias"] = np.zeros_like(recurrent_bias)
        acts = dict(activation=self.activation, recurrent_activation=self.recurrent_activation,
                    reset_after=self.reset_after)
        return (functools.partial(K.gru_step, recurrent_kernel=self.recurrent_kernel,
                                  recurrent_bias=recurrent_bias, **acts),
                functools.partial(K.gru_step_backward, recurrent_kernel=self.recurrent_kernel,
                                  grads=grads, **acts))

    def bias_grad(self, loop_grads, step_grads):
        if self.reset_after:
            return np.stack([loop_grads["input_bias"], step_grads["recurrent_bias"]])
        return loop_grads["input_bias"]
