"""The loop over time for any cell, as keras.layers.RNN runs it, and its backward pass.

``kernels/recurrent.py`` runs SimpleRNN, LSTM and GRU with the input's share of every
gate computed for all steps in one matmul. A cell given to ``RNN`` may be anything
(a stack of cells, a ConvLSTM cell), so here a step sees the raw input of its step:

    step(x_t, states)                      -> output_t, new_states, cache
    step_backward(d_output_t, d_states, cache) -> dx_t, d_prev_states

and keeps its own weight gradients (it adds into them, since every step shares the
weights). The output and the first state are the same array for the Keras cells, but
not for a stack of cells (the output is the top cell's), so they are kept apart.
"""
import numpy as np


def _where(m, a, b):
    """m (batch,) booleans broadcast over every other axis of a and b."""
    return np.where(m.reshape(m.shape + (1,) * (a.ndim - 1)), a, b)


def cell_rnn_forward(x, initial_states, step, mask=None, go_backwards=False,
                     zero_output_for_mask=False):
    """Run ``step`` over axis 1 of x.

    x: (batch, steps, ...)   initial_states: list of (batch, ...)   mask: (batch, steps) or None
    Where the mask is False the states are held and the output repeats the previous one
    (zeros before the first step), or is zeros with ``zero_output_for_mask``, as Keras does.
    go_backwards: read the steps last to first; the outputs stay in that reversed order.

    -> outputs (batch, steps, ...), final_states, cache
    """
    steps = x.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    states = list(initial_states)
    outputs, caches, prev_output = [], [], None
    for t in order:
        output, new_states, cache = step(x[:, t], states)
        caches.append(cache)
        if prev_output is None:
            prev_output = np.zeros_like(output)
        if mask is not None:
            m = mask[:, t]
            held = np.zeros_like(output) if zero_output_for_mask else prev_output
            output = _where(m, output, held)
            new_states = [_where(m, new, old) for new, old in zip(new_states, states)]
        outputs.append(output)
        states, prev_output = new_states, output
    cache = (mask, list(order), zero_output_for_mask, caches)
    return np.stack(outputs, axis=1), states, cache


def cell_rnn_backward(d_outputs, d_final_states, cache, step_backward):
    """Backpropagation through time for cell_rnn_forward.

    d_outputs: (batch, steps, ...) in the order the outputs were returned
    d_final_states: list of arrays (zeros where the final states were not used) -> dx (batch, steps, ...), d_initial_states
    """
    mask, order, zero_output_for_mask, caches = cache
    d_states = list(d_final_states)
    d_carry = 0.0        # gradient reaching a masked step's repeated output from later steps
    dxs = [None] * len(order)
    for i in reversed(range(len(order))):
        t = order[i]
        d_out = d_outputs[:, i] + d_carry
        if mask is None:
            dx_t, d_prev = step_backward(d_out, d_states, caches[i])
        else:
            # a masked step's results were thrown away: its gradient goes to what was held
            m = mask[:, t]
            zero = np.zeros_like(d_out)
            d_step_states = [_where(m, d, np.zeros_like(d)) for d in d_states]
            dx_t, d_prev = step_backward(_where(m, d_out, zero), d_step_states, caches[i])
            dx_t = _where(m, dx_t, np.zeros_like(dx_t))
            d_prev = [dp + _where(m, np.zeros_like(d), d) for dp, d in zip(d_prev, d_states)]
            d_carry = zero if zero_output_for_mask else _where(m, zero, d_out)
        dxs[t] = dx_t
        d_states = d_prev
    return np.stack(dxs, axis=1), d_states
