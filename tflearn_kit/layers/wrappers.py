"""Bidirectional and TimeDistributed: layers that run another layer.

A wrapper owns no weights of its own: its weights are the wrapped layers' records
(forward layer's first, then the backward layer's, as Keras orders them), so
``set_weights(keras_wrapper.get_weights())`` works, and its gradients are the
wrapped layers' ``backward_call`` gradients, in the same order.
"""
import numpy as np

from .base import InputSpec, Layer
from .rnn import deserialize_layer, serialize_layer

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _renamed(layer, prefix, **changes):
    """A fresh copy of ``layer`` from its config, named prefix + its name, as Keras rebuilds it."""
    config = layer.get_config()
    name = layer.name[len(prefix):] if layer.name.startswith(prefix) else layer.name
    config.update(name=prefix + name, **changes)
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy backwards, and merge. See tf.keras.layers.Bidirectional.

    Args:
        layer: a kit RNN, SimpleRNN, LSTM or GRU; a copy named forward_<name> runs forwards.
        merge_mode: how the two outputs join: "concat" (last axis), "sum", "mul", "ave", or
            None (return both, [forward, backward]).
        weights: initial weights (Keras's order), as Keras takes them.
        backward_layer: the layer to run backwards (go_backwards=True); by default a copy
            of ``layer`` named backward_<name>.

    The backward layer's sequence comes out last step first; with return_sequences it is
    flipped back before the merge, so step t of both halves describes input step t.
    With return_sequences, masked steps output zeros (Keras forces zero_output_for_mask).
    return_state: ``[output(s)..., *forward states, *backward states]``.
    initial_state: the forward layer's states, then the backward layer's.

    Input shape: (batch, steps, in)   Output: (batch, [steps,] 2*units) for concat, else units
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer = deserialize_layer(layer, self.dtype)
        backward_layer = deserialize_layer(backward_layer, self.dtype)
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {MERGE_MODES}; got {merge_mode!r}.")
        if not hasattr(layer, "return_sequences") or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: layer must be a recurrent layer (RNN, SimpleRNN, LSTM, "
                             f"GRU); got {type(layer).__name__}.")
        self.merge_mode = merge_mode
        self.forward_layer = _renamed(layer, "forward_")
        self.backward_layer = (_renamed(layer, "backward_", go_backwards=not layer.go_backwards)
                               if backward_layer is None else backward_layer)
        f, b = self.forward_layer, self.backward_layer
        for attr in ("return_sequences", "return_state"):
            if getattr(f, attr) != getattr(b, attr):
                raise ValueError(f"Bidirectional: forward and backward layers must have the same "
                                 f"{attr}; got {getattr(f, attr)} and {getattr(b, attr)}.")
        if f.go_backwards == b.go_backwards:
            raise ValueError("Bidirectional: the backward layer must have go_backwards="
                             f"{not f.go_backwards}, the opposite of the forward layer's.")
        self.return_sequences, self.return_state = f.return_sequences, f.return_state
        for sub in (f, b):
            sub.zero_output_for_mask = self.return_sequences
        self._initial_weights = weights
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(tuple(input_shape))
        self._weights = self.forward_layer._weights + self.backward_layer._weights
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, mask=None, training=None, initial_state=None):
        f, b = self.forward_layer, self.backward_layer
        f_state = b_state = None
        if initial_state is not None:
            initial_state = _as_list(initial_state)
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y = _as_list(f(inputs, mask=mask, training=training, initial_state=f_state))
        y_rev = _as_list(b(inputs, mask=mask, training=training, initial_state=b_state))
        states = y[1:] + y_rev[1:]
        y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        self._cache = (y, y_rev, len(states))
        if self.merge_mode == "concat":
            output = [np.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            output = [y + y_rev]
        elif self.merge_mode == "ave":
            output = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            output = [y * y_rev]
        else:
            output = [y, y_rev]
        if self.return_state:
            return output + states
        return output[0] if len(output) == 1 else output

    def merge_backward(self, d_merged):
        """dL/d(merged output) -> (dL/dy, dL/dy_rev), for the outputs as the merge saw them."""
        y, y_rev, _ = self._cache
        if self.merge_mode == "concat":
            return d_merged[..., :y.shape[-1]], d_merged[..., y.shape[-1]:]
        if self.merge_mode == "sum":
            return d_merged, d_merged
        if self.merge_mode == "ave":
            return d_merged / 2, d_merged / 2
        if self.merge_mode == "mul":
            return d_merged * y_rev, d_merged * y         # each half scales the other
        return d_merged

    def backward_call(self, dy):
        y, y_rev, n_states = self._cache
        dys = _as_list(dy)
        n_out = 2 if self.merge_mode is None else 1
        if self.merge_mode is None:
            dy_f, dy_b = dys[0], dys[1]
        else:
            dy_f, dy_b = self.merge_backward(dys[0])
        d_states = dys[n_out:]
        if self.return_sequences:
            dy_b = dy_b[:, ::-1]          # back to the order the backward layer produced
        f, b = self.forward_layer, self.backward_layer
        half = n_states // 2
        dx_f, grads_f = f.backward_call([dy_f, *d_states[:half]] if self.return_state else dy_f)
        dx_b, grads_b = b.backward_call([dy_b, *d_states[half:]] if self.return_state else dy_b)
        f.grads, b.grads = list(grads_f), list(grads_b)
        self.initial_state_grads = list(f.initial_state_grads) + list(b.initial_state_grads)
        return dx_f + dx_b, list(grads_f) + list(grads_b)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        n_out = 2 if self.merge_mode is None else 1
        if self.return_state:
            n_states = self.forward_layer.state_count + self.backward_layer.state_count
            return [output_mask] * n_out + [None] * n_states
        return [output_mask] * 2 if n_out == 2 else output_mask

    def compute_output_shape(self, input_shape):
        f = self.forward_layer.compute_output_shape(input_shape)
        b = self.backward_layer.compute_output_shape(input_shape)
        f, b = (f if isinstance(f, list) else [f]), (b if isinstance(b, list) else [b])
        out, out_b = f[0], b[0]
        if self.merge_mode == "concat":
            outputs = [out[:-1] + (out[-1] + out_b[-1],)]
        elif self.merge_mode is None:
            outputs = [out, out_b]
        else:
            outputs = [out]
        if self.return_state:
            return outputs + f[1:] + b[1:]
        return outputs[0] if len(outputs) == 1 else outputs

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer),
                "backward_layer": serialize_layer(self.backward_layer)}


class TimeDistributed(Layer):
    """Apply a layer to every time step. See tf.keras.layers.TimeDistributed.

    Args: layer, any kit layer on one step's input (batch, ...).

    The steps are folded into the batch, (batch, steps, ...) -> (batch * steps, ...), so
    the wrapped layer runs once, vectorized; Keras calls it step by step. Both agree for
    every layer that treats the samples of a batch independently (not a BatchNormalization
    in training, which would see all the steps' statistics at once here).
    A mask (batch, steps) goes to the wrapped layer flattened the same way.

    Input shape: (batch, steps, ...)   Output shape: (batch, steps, the layer's output...)
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        layer = deserialize_layer(layer, self.dtype)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: layer must be a kit Layer; got {layer!r}.")
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((input_shape[0],) + tuple(input_shape[2:]))
        self._weights = self.layer._weights

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[:2]
        kwargs = {"training": training}
        if mask is not None:
            mask = np.asarray(mask, bool)
            if mask.ndim < 2 or mask.shape[:2] != (batch, steps):
                raise ValueError(f"Layer '{self.name}' (TimeDistributed) expected a mask of shape "
                                 f"({batch}, {steps}, ...), but got shape {mask.shape}.")
            kwargs["mask"] = mask.reshape((batch * steps,) + mask.shape[2:])
        y = self.layer(inputs.reshape((batch * steps,) + inputs.shape[2:]), **kwargs)
        self._cache = inputs.shape
        return y.reshape((batch, steps) + y.shape[1:])

    def backward_call(self, dy):
        batch, steps = self._cache[:2]
        dx, grads = self.layer.backward_call(dy.reshape((batch * steps,) + dy.shape[2:]))
        self.layer.grads = list(grads)
        return dx.reshape(self._cache), grads

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}
