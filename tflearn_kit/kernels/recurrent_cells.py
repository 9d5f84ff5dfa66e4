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


# ---- Keras's "implementation 1": one dropout mask per gate ----------------------------------------
# With recurrent_dropout, Keras's LSTMCell and GRUCell draw one mask per gate for the input and
# one per gate for the state, so the fused matmul splits into one matmul per gate. The masks are
# the multipliers Keras uses (0 or 1 / (1 - rate)); a None mask keeps its operand as it is.

def gatewise_matmul(a, masks, w):
    """concat over gates g of (a * masks[g]) @ w_g.   a: (B, n)   w: (n, G*u)   -> (B, G*u)"""
    blocks = np.split(w, len(masks), axis=1)
    return np.concatenate([(a if m is None else a * m) @ b for m, b in zip(masks, blocks)], axis=1)


def gatewise_matmul_backward(dz, a, masks, w):
    """dz: (B, G*u) -> da (B, n), dw (n, G*u)."""
    da, dws = np.zeros_like(a), []
    for m, d, b in zip(masks, np.split(dz, len(masks), axis=1), np.split(w, len(masks), axis=1)):
        dws.append((a if m is None else a * m).T @ d)
        g = d @ b.T
        da += g if m is None else g * m
    return da, np.concatenate(dws, axis=1)


def lstm_gatewise_step(x_t, states, kernel, recurrent_kernel, bias, masks, recurrent_masks,
                       activation, recurrent_activation):
    """One LSTM step with a mask per gate.  x_t: (B, in)   states: [h, c]   -> [h_t, c_t], cache"""
    h_prev, c_prev = states
    z = gatewise_matmul(x_t, masks, kernel) + gatewise_matmul(h_prev, recurrent_masks, recurrent_kernel)
    if bias is not None:
        z = z + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
    i, cache_i = recurrent_activation.forward(z_i)
    f, cache_f = recurrent_activation.forward(z_f)
    g, cache_g = activation.forward(z_c)
    o, cache_o = recurrent_activation.forward(z_o)
    c = f * c_prev + i * g
    a_c, cache_ac = activation.forward(c)
    h = o * a_c
    return [h, c], (x_t, h_prev, c_prev, i, f, g, o, a_c, cache_i, cache_f, cache_g, cache_o, cache_ac)


def lstm_gatewise_step_backward(d_states, cache, kernel, recurrent_kernel, masks, recurrent_masks,
                                activation, recurrent_activation):
    """[dh_t, dc_t] -> dx_t, [dh_{t-1}, dc_{t-1}], [dkernel, drecurrent_kernel, dbias]"""
    dh, dc = d_states
    x_t, h_prev, c_prev, i, f, g, o, a_c, cache_i, cache_f, cache_g, cache_o, cache_ac = cache
    do = dh * a_c
    dc = dc + activation.backward(dh * o, cache_ac)
    dz = np.concatenate([
        recurrent_activation.backward(dc * g, cache_i),
        recurrent_activation.backward(dc * c_prev, cache_f),
        activation.backward(dc * i, cache_g),
        recurrent_activation.backward(do, cache_o),
    ], axis=1)
    dx, dkernel = gatewise_matmul_backward(dz, x_t, masks, kernel)
    dh_prev, drecurrent = gatewise_matmul_backward(dz, h_prev, recurrent_masks, recurrent_kernel)
    return dx, [dh_prev, dc * f], [dkernel, drecurrent, dz.sum(axis=0)]


def gru_gatewise_step(x_t, states, kernel, recurrent_kernel, input_bias, recurrent_bias, masks,
                      recurrent_masks, activation, recurrent_activation, reset_after=True):
    """One GRU step with a mask per gate (gates z, r, h).   x_t: (B, in)   states: [h]"""
    (h_prev,) = states
    units = h_prev.shape[1]
    xw = gatewise_matmul(x_t, masks, kernel)
    if input_bias is not None:
        xw = xw + input_bias
    xw_z, xw_r, xw_h = np.split(xw, 3, axis=1)
    m_z, m_r, m_h = [(lambda a, m=m: a if m is None else a * m) for m in recurrent_masks]
    r_zr = gatewise_matmul(h_prev, recurrent_masks[:2], recurrent_kernel[:, :2 * units])
    if recurrent_bias is not None:
        r_zr = r_zr + recurrent_bias[:2 * units]
    z, cache_z = recurrent_activation.forward(xw_z + r_zr[:, :units])
    r, cache_r = recurrent_activation.forward(xw_r + r_zr[:, units:])
    h_dropped = m_h(h_prev)
    if reset_after:
        inner_h = h_dropped @ recurrent_kernel[:, 2 * units:]
        if recurrent_bias is not None:
            inner_h = inner_h + recurrent_bias[2 * units:]
        hh, cache_hh = activation.forward(xw_h + r * inner_h)
    else:
        inner_h = r * h_dropped        # the matmul's left operand, kept for its gradient
        hh, cache_hh = activation.forward(xw_h + inner_h @ recurrent_kernel[:, 2 * units:])
    h = z * h_prev + (1 - z) * hh
    return [h], (x_t, h_prev, h_dropped, z, r, hh, inner_h, cache_z, cache_r, cache_hh)


def gru_gatewise_step_backward(d_states, cache, kernel, recurrent_kernel, masks, recurrent_masks,
                               activation, recurrent_activation, reset_after=True):
    """[dh_t] -> dx_t, [dh_{t-1}], [dkernel, drecurrent_kernel, d input bias (3u,), d recurrent bias (3u,)]"""
    (dh,) = d_states
    x_t, h_prev, h_dropped, z, r, hh, inner_h, cache_z, cache_r, cache_hh = cache
    units = h_prev.shape[1]
    rk_h = recurrent_kernel[:, 2 * units:]
    dz = recurrent_activation.backward(dh * (h_prev - hh), cache_z)
    d_pre_h = activation.backward(dh * (1 - z), cache_hh)
    dh_prev = dh * z
    if reset_after:
        dr = recurrent_activation.backward(d_pre_h * inner_h, cache_r)
        d_inner_h = d_pre_h * r
        d_rk_h = h_dropped.T @ d_inner_h
        d_h_dropped = d_inner_h @ rk_h.T
    else:
        d_rh = d_pre_h @ rk_h.T
        dr = recurrent_activation.backward(d_rh * h_dropped, cache_r)
        d_inner_h = d_pre_h                 # the recurrent bias has no h block without reset_after
        d_rk_h = inner_h.T @ d_pre_h
        d_h_dropped = d_rh * r
    m_h = recurrent_masks[2]
    dh_prev = dh_prev + (d_h_dropped if m_h is None else d_h_dropped * m_h)
    d_zr = np.concatenate([dz, dr], axis=1)
    dh_zr, d_rk_zr = gatewise_matmul_backward(d_zr, h_prev, recurrent_masks[:2],
                                              recurrent_kernel[:, :2 * units])
    dh_prev = dh_prev + dh_zr
    dxw = np.concatenate([dz, dr, d_pre_h], axis=1)
    dx, dkernel = gatewise_matmul_backward(dxw, x_t, masks, kernel)
    d_recurrent_bias = np.concatenate([dz, dr, d_inner_h], axis=1).sum(axis=0)
    return dx, [dh_prev], [dkernel, np.concatenate([d_rk_zr, d_rk_h], axis=1), dxw.sum(axis=0),
                           d_recurrent_bias]
