"""Recurrent kernels: one cell step forward and backward, and the loop over time (BPTT).

Mirrors tf.keras.layers.SimpleRNN, LSTM and GRU (Keras 3) with their fused weights, so
weights copy between the kit and Keras as they are:

    kernel (in, k*units)   recurrent_kernel (units, k*units)   bias (k*units,)
    k = 1 SimpleRNN;  k = 4 LSTM, gates in the order i, f, c, o;  k = 3 GRU, gates z, r, h
    (GRU with reset_after=True has bias (2, 3*units): row 0 for the input, row 1 for the state)

The input's share of every gate, ``x_t @ kernel + bias``, does not depend on the state,
so :func:`rnn_forward` computes it for all steps at once in one big matmul; only
``h_{t-1} @ recurrent_kernel`` has to wait for the previous step. A step therefore takes
``xw_t`` (batch, k*units), the input's share at step t, and the states.

Every step uses the same weights, so their gradients are sums over the steps: each
``*_step_gradients`` returns its step's share of the recurrent weights' gradients, and
:func:`bptt` adds them up and turns the per-step gradients of ``xw_t`` into dkernel and dx
with one matmul each. The layers run :func:`rnn_forward` and :func:`rnn_backward`, the same
loop with masks and ``go_backwards``, whose ``*_step_backward`` add into a ``grads`` dict
(tests/test_fast.py checks them equal to :func:`bptt` on unmasked inputs). Activations are kit :class:`~tflearn_kit.activations.Activation`
objects (``forward(x) -> (y, cache)``, ``backward(dy, cache)``).
"""
import numpy as np


# ---- SimpleRNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias) -------------

def simple_rnn_step(xw_t, states, recurrent_kernel, activation):
    """xw_t: (batch, units)   states: [h (batch, units)]  ->  [h_t], cache"""
    (h_prev,) = states
    h, act_cache = activation.forward(xw_t + h_prev @ recurrent_kernel)
    return [h], (h_prev, act_cache)


def simple_rnn_step_gradients(d_states, cache, recurrent_kernel, activation):
    """d_states: [dh_t] -> dxw_t, [dh_{t-1}], {recurrent_kernel: this step's share}."""
    (dh,) = d_states
    h_prev, act_cache = cache
    dz = activation.backward(dh, act_cache)
    return dz, [dz @ recurrent_kernel.T], {"recurrent_kernel": h_prev.T @ dz}


def simple_rnn_step_backward(d_states, cache, recurrent_kernel, activation, grads):
    """simple_rnn_step_gradients, adding the step's share into grads (for rnn_backward)."""
    dz, d_prev, step_grads = simple_rnn_step_gradients(d_states, cache, recurrent_kernel, activation)
    _add_into(grads, step_grads)
    return dz, d_prev


# ---- LSTM --------------------------------------------------------------------------------------
#   z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias, split into four (batch, units) blocks
#   i = ra(z_i)  f = ra(z_f)  g = a(z_c)  o = ra(z_o)      (a: activation, ra: recurrent_activation)
#   c_t = f * c_{t-1} + i * g          h_t = o * a(c_t)

def lstm_step(xw_t, states, recurrent_kernel, activation, recurrent_activation):
    """xw_t: (batch, 4*units)   states: [h, c] each (batch, units)  ->  [h_t, c_t], cache"""
    h_prev, c_prev = states
    z = xw_t + h_prev @ recurrent_kernel
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
    i, cache_i = recurrent_activation.forward(z_i)
    f, cache_f = recurrent_activation.forward(z_f)
    g, cache_g = activation.forward(z_c)
    o, cache_o = recurrent_activation.forward(z_o)
    c = f * c_prev + i * g
    a_c, cache_ac = activation.forward(c)
    h = o * a_c
    return [h, c], (h_prev, c_prev, i, f, g, o, a_c, cache_i, cache_f, cache_g, cache_o, cache_ac)


def lstm_step_gradients(d_states, cache, recurrent_kernel, activation, recurrent_activation):
    """d_states: [dh_t, dc_t] -> dxw_t (batch, 4*units), [dh_{t-1}, dc_{t-1}],
    {recurrent_kernel: this step's share}."""
    dh, dc = d_states
    h_prev, c_prev, i, f, g, o, a_c, cache_i, cache_f, cache_g, cache_o, cache_ac = cache
    do = dh * a_c
    dc = dc + activation.backward(dh * o, cache_ac)    # c_t reaches the loss directly and through h_t
    dz = np.concatenate([
        recurrent_activation.backward(dc * g, cache_i),
        recurrent_activation.backward(dc * c_prev, cache_f),
        activation.backward(dc * i, cache_g),
        recurrent_activation.backward(do, cache_o),
    ], axis=1)
    # the carry's own path, dc * f, has no matmul in it: this is why LSTMs keep gradients alive
    return dz, [dz @ recurrent_kernel.T, dc * f], {"recurrent_kernel": h_prev.T @ dz}


def lstm_step_backward(d_states, cache, recurrent_kernel, activation, recurrent_activation, grads):
    """lstm_step_gradients, adding the step's share into grads (for rnn_backward)."""
    dz, d_prev, step_grads = lstm_step_gradients(d_states, cache, recurrent_kernel, activation,
                                                 recurrent_activation)
    _add_into(grads, step_grads)
    return dz, d_prev


# ---- GRU ---------------------------------------------------------------------------------------
#   reset_after=True (Keras's default, cuDNN's form):
#     inner = h_{t-1} @ recurrent_kernel + recurrent_bias
#     z = ra(xw_z + inner_z)   r = ra(xw_r + inner_r)   hh = a(xw_h + r * inner_h)
#   reset_after=False (the original paper's form, TF1's GRUCell):
#     z, r as above with no recurrent bias;  hh = a(xw_h + (r * h_{t-1}) @ recurrent_kernel_h)
#   h_t = z * h_{t-1} + (1 - z) * hh

def gru_step(xw_t, states, recurrent_kernel, recurrent_bias, activation, recurrent_activation,
             reset_after=True):
    """xw_t: (batch, 3*units)   states: [h (batch, units)]   recurrent_bias: (3*units,) or None."""
    (h_prev,) = states
    units = h_prev.shape[1]
    xw_z, xw_r, xw_h = np.split(xw_t, 3, axis=1)
    if reset_after:
        inner = h_prev @ recurrent_kernel
        if recurrent_bias is not None:
            inner = inner + recurrent_bias
    else:
        inner = h_prev @ recurrent_kernel[:, :2 * units]
    z, cache_z = recurrent_activation.forward(xw_z + inner[:, :units])
    r, cache_r = recurrent_activation.forward(xw_r + inner[:, units:2 * units])
    if reset_after:
        inner_h = inner[:, 2 * units:]
        hh, cache_hh = activation.forward(xw_h + r * inner_h)
    else:
        inner_h = r * h_prev          # kept for the backward pass: the left operand of the matmul
        hh, cache_hh = activation.forward(xw_h + inner_h @ recurrent_kernel[:, 2 * units:])
    h = z * h_prev + (1 - z) * hh
    return [h], (h_prev, z, r, hh, inner_h, cache_z, cache_r, cache_hh)


def gru_step_gradients(d_states, cache, recurrent_kernel, activation, recurrent_activation,
                       reset_after=True):
    """d_states: [dh_t] -> dxw_t (batch, 3*units), [dh_{t-1}],
    {recurrent_kernel: this step's share, and with reset_after recurrent_bias: its share}."""
    (dh,) = d_states
    h_prev, z, r, hh, inner_h, cache_z, cache_r, cache_hh = cache
    units = h_prev.shape[1]
    dz = recurrent_activation.backward(dh * (h_prev - hh), cache_z)
    d_pre_h = activation.backward(dh * (1 - z), cache_hh)
    dh_prev = dh * z
    if reset_after:
        dr = recurrent_activation.backward(d_pre_h * inner_h, cache_r)
        d_inner = np.concatenate([dz, dr, d_pre_h * r], axis=1)
        step_grads = {"recurrent_kernel": h_prev.T @ d_inner, "recurrent_bias": d_inner.sum(axis=0)}
        dh_prev = dh_prev + d_inner @ recurrent_kernel.T
    else:
        d_rh = d_pre_h @ recurrent_kernel[:, 2 * units:].T
        dr = recurrent_activation.backward(d_rh * h_prev, cache_r)
        d_zr = np.concatenate([dz, dr], axis=1)
        # z and r multiply h_{t-1}; the candidate's block multiplies r * h_{t-1}
        step_grads = {"recurrent_kernel": np.concatenate([h_prev.T @ d_zr, inner_h.T @ d_pre_h], axis=1)}
        dh_prev = dh_prev + d_rh * r + d_zr @ recurrent_kernel[:, :2 * units].T
    return np.concatenate([dz, dr, d_pre_h], axis=1), [dh_prev], step_grads


def gru_step_backward(d_states, cache, recurrent_kernel, activation, recurrent_activation, grads,
                      reset_after=True):
    """gru_step_gradients, adding the step's share into grads (for rnn_backward); the
    recurrent bias's share only when grads has a 'recurrent_bias' (the layer has a bias)."""
    dxw, d_prev, step_grads = gru_step_gradients(d_states, cache, recurrent_kernel, activation,
                                                 recurrent_activation, reset_after)
    _add_into(grads, step_grads)
    return dxw, d_prev


def _add_into(grads, step_grads):
    """grads[name] += step_grads[name] in place, for the names grads holds (the recurrent kernel
    always; a GRU without a bias has no recurrent bias to collect)."""
    grads["recurrent_kernel"] += step_grads["recurrent_kernel"]
    for name in step_grads.keys() & grads.keys() - {"recurrent_kernel"}:
        grads[name] += step_grads[name]


# ---- the loop over time ------------------------------------------------------------------------

def rnn_forward(x, initial_states, kernel, input_bias, step, mask=None, go_backwards=False):
    """Run ``step`` over the time axis, as keras.layers.RNN does.

    x: (batch, steps, in)   initial_states: list of (batch, units)   kernel: (in, k*units)
    input_bias: (k*units,) or None   step(xw_t, states) -> (new_states, cache); new_states[0] is h_t
    mask: (batch, steps) booleans or None: where False, the states are held and the output
    repeats the previous step's output (zeros before the first unmasked step), as Keras does.
    go_backwards: read the steps last to first; the outputs stay in that reversed order (Keras).

    -> outputs (batch, steps, units), final_states, cache
    """
    batch, steps, n_in = x.shape
    # time-major copies, so that each step reads and writes one contiguous (batch, ...) block
    xs = np.ascontiguousarray(x.transpose(1, 0, 2)[::-1] if go_backwards else x.transpose(1, 0, 2))
    masks = None if mask is None else np.asarray(mask, bool).T
    if masks is not None and go_backwards:
        masks = masks[::-1]
    xw = (xs.reshape(-1, n_in) @ kernel).reshape(steps, batch, -1)   # every step's input share, one matmul
    if input_bias is not None:
        xw += input_bias
    states = list(initial_states)
    outputs = np.zeros((steps, batch, states[0].shape[1]), dtype=xw.dtype)
    prev_output = np.zeros_like(states[0])
    caches = []
    for t in range(steps):
        new_states, cache = step(xw[t], states)
        caches.append(cache)
        if masks is None:
            states, prev_output = new_states, new_states[0]
        else:
            m = masks[t, :, None]
            prev_output = np.where(m, new_states[0], prev_output)
            states = [np.where(m, new, old) for new, old in zip(new_states, states)]
        outputs[t] = prev_output
    cache = (xs, kernel, input_bias is not None, masks, go_backwards, caches)
    return outputs.transpose(1, 0, 2), states, cache


def bptt(d_outputs, d_final_states, cache, step_gradients):
    """Backpropagation through time: the loop of rnn_forward run in reverse (no mask, forwards).

    d_outputs: (batch, steps, units)   d_final_states: list of (batch, units) or Nones
    cache: rnn_forward's   step_gradients(d_states, step_cache) -> (dxw_t, d_prev_states, step_grads)

    -> dx (batch, steps, in), d_initial_states, {kernel, input_bias (if any), and the sums over
       the steps of every step_grads (recurrent_kernel, ...)}

    At each step the gradient reaching h_t is what the loss sends through the output y_t plus
    what step t+1 sends back through the state. The layers run :func:`rnn_backward`: the same
    loop, with masks and go_backwards.
    """
    xs, kernel, has_bias, masks, go_backwards, caches = cache
    if masks is not None or go_backwards:
        raise ValueError("bptt: expected an unmasked, forward rnn_forward cache; got "
                         f"mask={masks is not None}, go_backwards={go_backwards} (use rnn_backward)")
    steps, batch, n_in = xs.shape
    d_states = [np.zeros((batch, d_outputs.shape[2]), d_outputs.dtype) if d is None else d
                for d in d_final_states]
    dxw = np.zeros((steps, batch, kernel.shape[1]), dtype=d_outputs.dtype)
    grads = {}
    for t in reversed(range(steps)):
        d_states[0] = d_states[0] + d_outputs[:, t]
        dxw[t], d_states, step_grads = step_gradients(d_states, caches[t])
        for name, g in step_grads.items():          # the weights are shared: their gradients add up
            grads[name] = grads[name] + g if name in grads else g
    rows_x = xs.reshape(-1, n_in)
    rows_dxw = dxw.reshape(-1, dxw.shape[-1])
    grads["kernel"] = rows_x.T @ rows_dxw          # the kernel is shared by every step and row
    if has_bias:
        grads["input_bias"] = rows_dxw.sum(axis=0)
    dx = (rows_dxw @ kernel.T).reshape(steps, batch, n_in).transpose(1, 0, 2)
    return dx, d_states, grads


def rnn_backward(d_outputs, d_final_states, cache, step_backward):
    """Backpropagation through time: the loop of rnn_forward run in reverse, with masks and
    go_backwards (:func:`bptt` is the same loop without them, for reading).

    d_outputs: (batch, steps, units) (zeros except the last step when only the last output
    was used)   d_final_states: list of (batch, units) or Nones
    step_backward(d_states, step_cache) -> (dxw_t, d_prev_states)

    -> dx (batch, steps, in), d_initial_states, {kernel: (in, k*units), input_bias: (k*units,)}
    """
    xs, kernel, has_bias, masks, go_backwards, caches = cache
    steps, batch, n_in = xs.shape
    d_outputs = d_outputs.transpose(1, 0, 2)          # time-major, like the forward pass
    d_states = [np.zeros_like(d_outputs[0]) if d is None else d for d in d_final_states]
    d_prev_output = np.zeros_like(d_outputs[0])    # only masked steps pass gradient this way
    dxw = np.zeros((steps, batch, kernel.shape[1]), dtype=d_outputs.dtype)
    for t in reversed(range(steps)):
        d_out = d_outputs[t] + d_prev_output
        if masks is None:
            d_step = [d_states[0] + d_out] + d_states[1:]
            held = [0.0] * len(d_states)
        else:
            # where the mask is False the step's results were discarded: their gradient is
            # zero, and the gradient goes to the held state and the repeated output instead
            m = masks[t, :, None]
            d_step = [np.where(m, d, 0) for d in d_states]
            d_step[0] = d_step[0] + np.where(m, d_out, 0)
            held = [np.where(m, 0, d) for d in d_states]
            d_prev_output = np.where(m, 0, d_out)
        dxw[t], d_prev = step_backward(d_step, caches[t])
        d_states = [dp + h for dp, h in zip(d_prev, held)]
    rows_x = xs.reshape(-1, n_in)
    rows_dxw = dxw.reshape(-1, dxw.shape[-1])
    grads = {"kernel": rows_x.T @ rows_dxw}     # the kernel is shared by every step and row
    if has_bias:
        grads["input_bias"] = rows_dxw.sum(axis=0)
    dx = (rows_dxw @ kernel.T).reshape(steps, batch, n_in)
    if go_backwards:
        dx = dx[::-1]
    return np.ascontiguousarray(dx.transpose(1, 0, 2)), d_states, grads
