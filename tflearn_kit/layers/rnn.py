"""RNN over a cell: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and the RNN layer.

A cell is one time step; ``RNN(cell)`` runs it over the time axis
(``tflearn_kit.kernels.recurrent_cells``). The cells keep Keras's fused weights
(kernel, recurrent_kernel, bias; see ``kernels/recurrent.py``) and reuse its step
kernels, so ``RNN(LSTMCell(4))`` and ``LSTM(4)`` compute the same numbers from the
same weights, as in Keras.

A cell's step is ``step(x_t, states) -> (output, new_states, cache)`` and
``step_backward(d_output, d_states, cache) -> (dx_t, d_prev_states)``; the weight
gradients add up in the cell over the steps of one call.
"""
import numpy as np

from .. import seeding
from ..kernels import recurrent as K
from ..kernels import recurrent_cells as KC
from ..kernels.recurrent_cells import cell_rnn_backward, cell_rnn_forward
from .base import InputSpec, Layer
from .recurrent import GateWeights, GRUGates, LSTMGates


def serialize_layer(layer):
    """A kit layer as Keras serializes a sub-layer: {'class_name', 'config'}."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config, dtype=None):
    """A layer from {'class_name', 'config'}; a config without a dtype takes the wrapper's."""
    from .. import layers
    if not isinstance(config, dict):
        return config
    inner = dict(config["config"])
    if dtype is not None:
        inner.setdefault("dtype", dtype)
    return getattr(layers, config["class_name"]).from_config(inner)


class _Cell(GateWeights, Layer):
    """What SimpleRNNCell, LSTMCell and GRUCell share. See tf.keras.layers.SimpleRNNCell.

    Args: units, activation, use_bias, the initializers, regularizers and constraints of
    kernel, recurrent_kernel and bias, as Keras's; dropout (of the step input) and
    recurrent_dropout (of the previous state), each one mask per call shared by every
    step, as Keras draws them; seed for those masks.

    Call (one step, as Keras): ``output, new_states = cell(x_t, states, training=None)``.
    Input shape: (batch, in)   states: list of (batch, units)   Output: (batch, units)
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.set_gate_arguments(units, activation, use_bias, kernel_initializer,
                                recurrent_initializer, bias_initializer, kernel_regularizer,
                                recurrent_regularizer, bias_regularizer, kernel_constraint,
                                recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                                seed)
        self.input_spec = InputSpec(ndim=2)

    @property
    def state_size(self):
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.add_gate_weights(n_in)
        self.input_spec = InputSpec(ndim=2, axes={-1: n_in})

    # ---- the step, as RNN runs it -----------------------------------------------------------

    def start(self, batch, n_in, training=None, dropout_mask=None, recurrent_dropout_mask=None):
        """Before the first step of a call: zero the gradients, draw the dropout masks.

        A mask is the multiplier Keras's cell uses: 0 or 1 / (1 - rate), of shape (batch, in)
        for the input and (batch, units) for the state; pass them to replay Keras's. With
        recurrent_dropout, LSTMCell and GRUCell use one mask per gate (Keras's implementation 1):
        each mask is then a list, one per gate.
        """
        self._step_grads = {"kernel": np.zeros_like(self.kernel),
                            "recurrent_kernel": np.zeros_like(self.recurrent_kernel)}
        if self.use_bias:
            self._step_grads["bias"] = np.zeros_like(self.bias)
        self._kernel_step, self._kernel_step_backward = self.step_functions(self._step_grads)

        def draw(rate, shape, given):
            if given is not None:
                return np.asarray(given, dtype=self.dtype)
            if not training or rate == 0:
                return None
            keep = (self._rng or seeding.rng()).random(shape) >= rate
            return np.where(keep, np.dtype(self.dtype).type(1.0 / (1.0 - rate)), 0).astype(self.dtype)

        # Keras's LSTMCell/GRUCell switch to one mask per gate when recurrent_dropout is set
        self._gatewise = self.gates > 1 and self.recurrent_dropout > 0 and bool(
            training or recurrent_dropout_mask is not None)
        if self._gatewise:
            def draws(rate, shape, given):
                if given is not None:
                    return [np.asarray(m, dtype=self.dtype) for m in given]
                if rate == 0:
                    return None
                return [draw(rate, shape, None) for _ in range(self.gates)]
            self.dropout_mask = draws(self.dropout, (batch, n_in), dropout_mask)
            self.recurrent_dropout_mask = draws(self.recurrent_dropout, (batch, self.units),
                                                recurrent_dropout_mask)
            return
        self.dropout_mask = draw(self.dropout, (batch, n_in), dropout_mask)
        self.recurrent_dropout_mask = draw(self.recurrent_dropout, (batch, self.units),
                                           recurrent_dropout_mask)

    def _masks(self):
        none = [None] * self.gates
        return self.dropout_mask or none, self.recurrent_dropout_mask or none

    def step(self, x_t, states):
        if self._gatewise:
            new_states, cache = self.gatewise_step(x_t, states)
            return new_states[0], new_states, cache
        if self.dropout_mask is not None:
            x_t = x_t * self.dropout_mask
        xw = x_t @ self.kernel
        bias = self.input_bias()
        if bias is not None:
            xw = xw + bias
        if self.recurrent_dropout_mask is not None:
            states = [states[0] * self.recurrent_dropout_mask] + list(states[1:])
        new_states, cache = self._kernel_step(xw, states)
        return new_states[0], new_states, (x_t, cache)

    def step_backward(self, d_output, d_states, cache):
        d_states = [d_states[0] + d_output] + list(d_states[1:])   # the output is the first state
        if self._gatewise:
            dx, d_prev, grads = self.gatewise_step_backward(d_states, cache)
            for name, g in zip(("kernel", "recurrent_kernel"), grads):
                self._step_grads[name] += g
            if self.use_bias:
                self.add_gatewise_bias_grads(grads[2:])
            return dx, d_prev
        x_t, kernel_cache = cache
        dxw, d_prev = self._kernel_step_backward(d_states, kernel_cache)
        if self.recurrent_dropout_mask is not None:
            d_prev = [d_prev[0] * self.recurrent_dropout_mask] + list(d_prev[1:])
        g = self._step_grads
        g["kernel"] += x_t.T @ dxw
        if self.use_bias:
            self.add_input_bias_grad(dxw.sum(axis=0))
        dx = dxw @ self.kernel.T
        if self.dropout_mask is not None:
            dx = dx * self.dropout_mask
        return dx, d_prev

    def add_input_bias_grad(self, g):
        self._step_grads["bias"] += g

    def step_grads(self):
        """The gradients summed over the call's steps, in trainable_weights order."""
        g = self._step_grads
        return [g["kernel"], g["recurrent_kernel"]] + ([g["bias"]] if self.use_bias else [])

    # ---- one step as a layer call, as Keras's cell(x_t, states) -------------------------------

    def __call__(self, inputs, states=None, training=None, **kwargs):
        inputs = self.convert_input(inputs)
        self._maybe_build(inputs)
        if states is None:
            states = [np.zeros((inputs.shape[0], self.units), self.dtype)] * self.state_count
        states = [np.asarray(s, self.dtype) for s in
                  ([states] if isinstance(states, np.ndarray) else states)]
        self.start(inputs.shape[0], inputs.shape[1], training)
        output, new_states, cache = self.step(inputs, states)
        self._cache = cache
        return output, new_states

    def backward_call(self, dy):
        """dy: [d_output, d_states (a list)] -> [dx, d_prev_states]."""
        d_output, d_states = dy
        dx, d_prev = self.step_backward(d_output, list(d_states), self._cache)
        return [dx, d_prev], self.step_grads()

    def get_config(self):
        return {
            **super().get_config(),
            **self.gate_config(),
            "seed": self.seed,
        }


class SimpleRNNCell(_Cell):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias). See tf.keras.layers.SimpleRNNCell.

    Weights: kernel (in, units), recurrent_kernel (units, units), bias (units,). States: [h].
    """

    def step_functions(self, grads):
        def step(xw, states):
            return K.simple_rnn_step(xw, states, self.recurrent_kernel, self.activation)

        def back(d_states, cache):
            return K.simple_rnn_step_backward(d_states, cache, self.recurrent_kernel,
                                              self.activation, grads)
        return step, back


class LSTMCell(LSTMGates, _Cell):
    """One LSTM step. See tf.keras.layers.LSTMCell.

    Extra args: recurrent_activation (sigmoid), unit_forget_bias (True).
    Weights: kernel (in, 4*units), recurrent_kernel (units, 4*units), bias (4*units,), gate
    columns i, f, c, o. States: [h, c].
    """

    def step_functions(self, grads):
        acts = dict(activation=self.activation, recurrent_activation=self.recurrent_activation)

        def step(xw, states):
            return K.lstm_step(xw, states, self.recurrent_kernel, **acts)

        def back(d_states, cache):
            return K.lstm_step_backward(d_states, cache, self.recurrent_kernel, grads=grads, **acts)
        return step, back

    def gatewise_step(self, x_t, states):
        return KC.lstm_gatewise_step(x_t, states, self.kernel, self.recurrent_kernel, self.bias,
                                     *self._masks(), self.activation, self.recurrent_activation)

    def gatewise_step_backward(self, d_states, cache):
        return KC.lstm_gatewise_step_backward(d_states, cache, self.kernel, self.recurrent_kernel,
                                              *self._masks(), self.activation,
                                              self.recurrent_activation)

    def add_gatewise_bias_grads(self, grads):
        self._step_grads["bias"] += grads[0]


class GRUCell(GRUGates, _Cell):
    """One GRU step. See tf.keras.layers.GRUCell.

    Extra args: recurrent_activation (sigmoid), reset_after (True: bias (2, 3*units), row 0
    for the input, row 1 for the state). Weights: kernel (in, 3*units), recurrent_kernel
    (units, 3*units), gate columns z, r, h. States: [h].
    """

    def add_input_bias_grad(self, g):
        if self.reset_after:
            self._step_grads["bias"][0] += g
        else:
            self._step_grads["bias"] += g

    def step_functions(self, grads):
        recurrent_bias = None
        kernel_grads = grads
        if self.reset_after and self.use_bias:
            recurrent_bias = self.bias[1]
            # the kernel step adds the recurrent bias's gradient into row 1 of the bias's
            kernel_grads = _GRUGrads(grads)
        acts = dict(activation=self.activation, recurrent_activation=self.recurrent_activation,
                    reset_after=self.reset_after)

        def step(xw, states):
            return K.gru_step(xw, states, self.recurrent_kernel, recurrent_bias, **acts)

        def back(d_states, cache):
            return K.gru_step_backward(d_states, cache, self.recurrent_kernel, grads=kernel_grads,
                                       **acts)
        return step, back

    def gatewise_step(self, x_t, states):
        recurrent_bias = self.bias[1] if self.reset_after and self.use_bias else None
        return KC.gru_gatewise_step(x_t, states, self.kernel, self.recurrent_kernel, self.input_bias(),
                                    recurrent_bias, *self._masks(), self.activation,
                                    self.recurrent_activation, self.reset_after)

    def gatewise_step_backward(self, d_states, cache):
        return KC.gru_gatewise_step_backward(d_states, cache, self.kernel, self.recurrent_kernel,
                                             *self._masks(), self.activation,
                                             self.recurrent_activation, self.reset_after)

    def add_gatewise_bias_grads(self, grads):
        d_input_bias, d_recurrent_bias = grads
        if self.reset_after:
            self._step_grads["bias"][0] += d_input_bias
            self._step_grads["bias"][1] += d_recurrent_bias
        else:
            self._step_grads["bias"] += d_input_bias


class _GRUGrads(dict):
    """The grads dict gru_step_backward writes into, with 'recurrent_bias' as row 1 of the bias's."""

    def __init__(self, grads):
        super().__init__(recurrent_kernel=grads["recurrent_kernel"], recurrent_bias=grads["bias"][1])


class StackedRNNCells(Layer):
    """Several cells as one: each step feeds each cell's output to the next. See
    tf.keras.layers.StackedRNNCells.

    Args: cells, a list of cells. States: every cell's states, flattened in cell order
    (Keras nests them per cell: [[h1], [h2, c2]] is [h1, h2, c2] here).
    Weights: every cell's, in cell order.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = [deserialize_layer(c, self.dtype) for c in cells]
        if not self.cells:
            raise ValueError("StackedRNNCells: cells must be a non-empty list of cells.")

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def state_counts(self):
        return [c.state_count for c in self.cells]

    @property
    def state_count(self):
        return sum(self.state_counts)

    @property
    def flat_state_sizes(self):
        return [c.units for c in self.cells for _ in range(c.state_count)]

    @property
    def output_size(self):
        return self.cells[-1].output_size

    @property
    def units(self):
        return self.output_size

    @property
    def dropout(self):
        return max(c.dropout for c in self.cells)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
            shape = (shape[0], cell.output_size)
        self._weights = [w for c in self.cells for w in c._weights]

    def _split(self, states):
        out, i = [], 0
        for n in self.state_counts:
            out.append(list(states[i:i + n]))
            i += n
        return out

    def start(self, batch, n_in, training=None, **masks):
        for cell in self.cells:
            cell.start(batch, n_in, training)
            n_in = cell.output_size

    def step(self, x_t, states):
        new_states, caches = [], []
        for cell, cell_states in zip(self.cells, self._split(states)):
            x_t, cell_new, cache = cell.step(x_t, cell_states)
            new_states += cell_new
            caches.append(cache)
        return x_t, new_states, caches

    def step_backward(self, d_output, d_states, cache):
        d_prev = []
        for cell, d_cell_states, c in reversed(list(zip(self.cells, self._split(d_states), cache))):
            d_output, d_cell_prev = cell.step_backward(d_output, d_cell_states, c)
            d_prev = list(d_cell_prev) + d_prev
        return d_output, d_prev

    def step_grads(self):
        return [g for c in self.cells for g in c.step_grads()]

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}


class RNN(Layer):
    """Run a cell over the time axis. See tf.keras.layers.RNN.

    Args:
        cell: a kit cell (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) or a list of
            cells (stacked, as Keras does).
        return_sequences: the output of every step, not only the last.
        return_state: also return the final states: ``[output, *states]`` (flattened for a
            stack of cells).
        go_backwards: read the sequence last step first; returned sequences stay reversed.
        stateful: each call starts from the previous call's final states (``reset_states()``
            sets them back to zeros); the batch size must stay the same.
        unroll: accepted for Keras's sake: NumPy runs the same Python loop either way.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Call: ``layer(x, mask=None, initial_state=None, training=None)``.
    After ``backward``, ``layer.initial_state_grads`` holds d(loss)/d(initial_state).

    Input shape: (batch, steps, ...)   Output shape: (batch, steps, units) with
    return_sequences, else (batch, units)
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell), dtype=kwargs.get("dtype", "float32"))
        cell = deserialize_layer(cell, self.dtype)
        if not hasattr(cell, "step") or not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: cell must be a kit cell with step() and state_size; got {cell!r}.")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None
        self.initial_state_grads = None
        self.input_spec = InputSpec(min_ndim=3)

    @property
    def units(self):
        return self.cell.output_size

    @property
    def state_count(self):
        return self.cell.state_count

    def _state_shapes(self, batch):
        sizes = (self.cell.flat_state_sizes if isinstance(self.cell, StackedRNNCells)
                 else [self.cell.units] * self.cell.state_count)
        return [(batch, s) for s in sizes]

    def build(self, input_shape):
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if not self.cell.built:
            self.cell.build(step_shape)
        self._weights = self.cell._weights
        self.input_spec = InputSpec(ndim=len(input_shape), axes={-1: input_shape[-1]})

    def reset_states(self, states=None):
        """Stateful: start the next call from zeros (or from ``states``)."""
        self.states = None if states is None else [np.asarray(s, self.dtype) for s in states]

    reset_state = reset_states

    def _initial_states(self, inputs, initial_state):
        batch = inputs.shape[0]
        shapes = self._state_shapes(batch)
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        if initial_state is None:
            return [np.zeros(s, self.dtype) for s in shapes]
        states = [initial_state] if isinstance(initial_state, np.ndarray) else list(initial_state)
        states = [np.asarray(s, dtype=self.dtype) for s in states]
        if [s.shape for s in states] != shapes:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected initial_state as "
                f"{len(shapes)} array(s) of shapes {shapes}, but got shapes {[s.shape for s in states]}.")
        return states

    def _mask(self, inputs, mask):
        if mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != inputs.shape[:2]:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected a mask of shape "
                f"{inputs.shape[:2]} (batch, steps), but got shape {mask.shape}.")
        return mask

    def call(self, inputs, mask=None, training=None, initial_state=None):
        states = self._initial_states(inputs, initial_state)
        self.cell.start(inputs.shape[0], inputs.shape[2] if inputs.ndim == 3 else None, training)
        outputs, final_states, cache = cell_rnn_forward(
            inputs, states, self.cell.step, mask=self._mask(inputs, mask),
            go_backwards=self.go_backwards, zero_output_for_mask=self.zero_output_for_mask)
        if self.stateful:
            self.states = [s.copy() for s in final_states]
        self._cache = (cache, outputs.shape, [s.shape for s in final_states])
        output = outputs if self.return_sequences else outputs[:, -1]
        return [output, *final_states] if self.return_state else output

    def backward_call(self, dy):
        cache, out_shape, state_shapes = self._cache
        dys = list(dy) if self.return_state else [dy]
        d_output = dys[0]
        d_states = [np.zeros(s, self.dtype) if d is None else d
                    for s, d in zip(state_shapes, dys[1:] or [None] * len(state_shapes))]
        if self.return_sequences:
            d_outputs = d_output
        else:
            d_outputs = np.zeros(out_shape, dtype=d_output.dtype)
            d_outputs[:, -1] = d_output            # only the last step's output was used
        dx, self.initial_state_grads = cell_rnn_backward(d_outputs, d_states, cache,
                                                         self.cell.step_backward)
        grads = self.cell.step_grads()
        self.cell.grads = list(grads)
        return dx, grads

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * self.state_count if self.return_state else output_mask

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + self._state_shapes(batch)
        return out

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_layer(self.cell)}
