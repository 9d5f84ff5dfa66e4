"""ConvLSTM1D, ConvLSTM2D, ConvLSTM3D: an LSTM whose matmuls are convolutions, over time.

The step is ``kernels/convlstm.py``; the loop over time is RNN's (``layers/rnn.py``).
Channels last inside; a channels_first layer moves the channel axis at its boundary
(input, initial states, outputs and their gradients), as the convolution layers do.
"""
import numpy as np

from .. import activations, initializers, regularizers, seeding
from ..kernels import conv as C
from ..kernels.convlstm import convlstm_step, convlstm_step_backward
from .base import InputSpec, Layer
from .recurrent import _UnitForgetBias
from .rnn import RNN


def _tuple(value, rank, what, who):
    t = (value,) * rank if isinstance(value, (int, np.integer)) else tuple(value)
    if len(t) != rank or any(not isinstance(v, (int, np.integer)) or v <= 0 for v in t):
        raise ValueError(f"{who}: {what} must be a positive integer or {rank} of them; got {value!r}.")
    return tuple(int(v) for v in t)


class ConvLSTMCell(Layer):
    """One ConvLSTM step on channels_last arrays; the cell of ConvLSTM1D/2D/3D (Keras's ConvLSTMCell).

    Weights: kernel (*kernel_size, in_channels, 4*filters), recurrent_kernel (*kernel_size,
    filters, 4*filters), bias (4*filters,), gate blocks i, f, c, o. States: [h, c], each
    (batch, *out_spatial, filters).
    """

    state_count = 2

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rank, self.filters = rank, int(filters)
        self.dropout, self.recurrent_dropout = dropout, recurrent_dropout
        self._rng = seeding.rng(seed) if seed is not None else None
        self.kernel_size = kernel_size
        self.strides, self.dilation_rate, self.padding = strides, dilation_rate, padding
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.constraints = (kernel_constraint, recurrent_constraint, bias_constraint)

    @property
    def units(self):
        return self.filters

    output_size = units

    @property
    def state_size(self):
        return [self.filters, self.filters]

    def build(self, input_shape):
        spatial, channels = tuple(input_shape[1:-1]), input_shape[-1]
        self.x_geom = C.conv_geometry(spatial, self.kernel_size, self.strides, self.dilation_rate,
                                      self.padding)
        self.out_spatial = self.x_geom.out_spatial
        self.h_geom = C.conv_geometry(self.out_spatial, self.kernel_size, None, None, "same")
        width = 4 * self.filters
        kc, rc, bc = self.constraints
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, width),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=kc, name="kernel")
        self.recurrent_kernel = self.add_weight(shape=self.kernel_size + (self.filters, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer, constraint=rc,
                                                name="recurrent_kernel")
        init = _UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else self.bias_initializer
        self.bias = (self.add_weight(shape=(width,), initializer=init, regularizer=self.bias_regularizer,
                                     constraint=bc, name="bias") if self.use_bias else None)

    def state_shapes(self, batch):
        return [(batch,) + tuple(self.out_spatial) + (self.filters,)] * 2

    def start(self, batch, n_in, training=None, dropout_mask=None, recurrent_dropout_mask=None):
        """Zero the gradients; in training draw Keras's four masks per dropout (one per gate)."""
        self._grads = [np.zeros_like(self.kernel), np.zeros_like(self.recurrent_kernel)]
        if self.use_bias:
            self._grads.append(np.zeros_like(self.bias))

        def draw(rate, shape, given):
            if given is not None:
                return [np.asarray(m, self.dtype) for m in given]
            if not training or rate == 0:
                return None
            rng = self._rng or seeding.rng()
            scale = np.dtype(self.dtype).type(1.0 / (1.0 - rate))
            return [np.where(rng.random(shape) >= rate, scale, 0).astype(self.dtype) for _ in range(4)]

        self.dropout_mask = draw(self.dropout, (batch,) + self.x_geom.in_spatial + (self.kernel.shape[-2],),
                                 dropout_mask)
        self.recurrent_dropout_mask = draw(self.recurrent_dropout, self.state_shapes(batch)[0],
                                           recurrent_dropout_mask)

    def step(self, x_t, states):
        new_states, cache = convlstm_step(x_t, states, self.kernel, self.recurrent_kernel, self.bias,
                                          self.x_geom, self.h_geom, self.activation,
                                          self.recurrent_activation, self.dropout_mask,
                                          self.recurrent_dropout_mask)
        return new_states[0], new_states, cache

    def step_backward(self, d_output, d_states, cache):
        dx, d_prev, grads = convlstm_step_backward([d_states[0] + d_output, d_states[1]], cache,
                                                   self.activation, self.recurrent_activation)
        for total, g in zip(self._grads, grads):     # every step shares the weights
            total += g
        return dx, d_prev

    def step_grads(self):
        return list(self._grads)


class _ConvLSTM(RNN):
    """What ConvLSTM1D/2D/3D share. See tf.keras.layers.ConvLSTM2D.

    Args (Keras's): filters, kernel_size, strides, padding ("valid"/"same"), data_format
    ("channels_last" or "channels_first"), dilation_rate, activation, recurrent_activation,
    use_bias, kernel/recurrent/bias initializers, unit_forget_bias, regularizers, constraints,
    dropout/recurrent_dropout/seed (in training, four masks each, one per gate, as Keras draws
    them; channels last, like the arrays the cell sees), return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask.

    Input shape: (batch, steps, *spatial, channels) or (batch, steps, channels, *spatial)
    Output shape: (batch, [steps,] *out_spatial, filters) or channels first; states [h, c]
    of (batch, *out_spatial, filters) (channels first with channels_first).
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        who = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{who}: filters must be a positive integer; got {filters!r}.")
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same'; got {padding!r}.")
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; "
                             f"got {data_format!r}.")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{who}: {what} must be in [0, 1); got {rate!r}.")
        rank = self.rank
        cell = ConvLSTMCell(
            rank, filters, _tuple(kernel_size, rank, "kernel_size", who),
            _tuple(strides, rank, "strides", who), padding,
            _tuple(dilation_rate, rank, "dilation_rate", who), activation, recurrent_activation,
            use_bias, kernel_initializer, recurrent_initializer, bias_initializer, unit_forget_bias,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
            recurrent_constraint, bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype", "float32"),
            trainable=kwargs.get("trainable", True))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.data_format = data_format
        self.dropout, self.recurrent_dropout, self.seed = float(dropout), float(recurrent_dropout), seed
        self.input_spec = InputSpec(ndim=rank + 3)

    # channels_first <-> channels_last at the boundary; a[:, t] of a sequence keeps axis 1 as time
    def _last(self, a, lead=2):
        if self.data_format == "channels_last":
            return a
        return a.transpose(*range(lead), *range(lead + 1, a.ndim), lead)

    def _first(self, a, lead=2):
        if self.data_format == "channels_last":
            return a
        return a.transpose(*range(lead), a.ndim - 1, *range(lead, a.ndim - 1))

    def _step_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.data_format == "channels_first":
            shape = shape[:2] + shape[3:] + (shape[2],)
        return (shape[0],) + shape[2:]

    def build(self, input_shape):
        if any(d is None for d in input_shape[2:]):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs static spatial and "
                             f"channel sizes; got input shape {tuple(input_shape)}.")
        step_shape = self._step_shape(input_shape)
        c = self.cell
        out = [C.conv_output_size(n, k, s, d, c.padding)
               for n, k, s, d in zip(step_shape[1:-1], c.kernel_size, c.strides, c.dilation_rate)]
        if min(out) <= 0:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): input shape "
                             f"{tuple(input_shape)} has spatial sizes smaller than the kernel "
                             f"{c.kernel_size} (dilation {c.dilation_rate}) with padding '{c.padding}'.")
        if not c.built:
            c.build(step_shape)
        self._weights = c._weights
        self.input_spec = InputSpec(ndim=self.rank + 3,
                                    axes={i: d for i, d in enumerate(input_shape) if i >= 2})

    def _state_shapes(self, batch):
        return self.cell.state_shapes(batch)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if initial_state is not None:
            initial_state = [self._last(np.asarray(s), lead=1) for s in
                             ([initial_state] if isinstance(initial_state, np.ndarray) else initial_state)]
        out = super().call(self._last(inputs), mask=mask, training=training, initial_state=initial_state)
        if self.return_state:
            y, *states = out
            return [self._first(y, 2 if self.return_sequences else 1)] + [
                self._first(s, lead=1) for s in states]
        return self._first(out, 2 if self.return_sequences else 1)

    def backward_call(self, dy):
        lead = 2 if self.return_sequences else 1
        if self.return_state:
            dy = [self._last(dy[0], lead)] + [self._last(d, lead=1) for d in dy[1:]]
        else:
            dy = self._last(dy, lead)
        dx, grads = super().backward_call(dy)
        self.initial_state_grads = [self._first(d, lead=1) for d in self.initial_state_grads]
        return self._first(dx), grads

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        state = (batch,) + tuple(self.cell.out_spatial if self.cell.built else
                                 [C.conv_output_size(n, k, s, d, self.cell.padding) for n, k, s, d in
                                  zip(self._step_shape(input_shape)[1:-1], self.cell.kernel_size,
                                      self.cell.strides, self.cell.dilation_rate)]) + (self.cell.filters,)
        if self.data_format == "channels_first":
            state = (batch, state[-1]) + state[1:-1]
        out = (batch, steps) + state[1:] if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def get_config(self):
        c = self.cell
        config = Layer.get_config(self)
        config.update({
            "filters": c.filters, "kernel_size": c.kernel_size, "strides": c.strides,
            "padding": c.padding, "data_format": self.data_format, "dilation_rate": c.dilation_rate,
            "activation": activations.serialize(c.activation),
            "recurrent_activation": activations.serialize(c.recurrent_activation),
            "use_bias": c.use_bias,
            "kernel_initializer": initializers.serialize(c.kernel_initializer),
            "recurrent_initializer": initializers.serialize(c.recurrent_initializer),
            "bias_initializer": initializers.serialize(c.bias_initializer),
            "unit_forget_bias": c.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(c.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(c.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(c.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": c.constraints[0], "recurrent_constraint": c.constraints[1],
            "bias_constraint": c.constraints[2], "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        return config


class ConvLSTM1D(_ConvLSTM):
    """1-D ConvLSTM. See tf.keras.layers.ConvLSTM1D. Input (batch, steps, length, channels)."""
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """2-D ConvLSTM. See tf.keras.layers.ConvLSTM2D. Input (batch, steps, rows, cols, channels)."""
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """3-D ConvLSTM. See tf.keras.layers.ConvLSTM3D. Input (batch, steps, d1, d2, d3, channels)."""
    rank = 3
