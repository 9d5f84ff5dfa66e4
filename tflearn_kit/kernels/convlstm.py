"""One ConvLSTM step: an LSTM whose matmuls are convolutions, forward and backward.

Mirrors the cell of tf.keras.layers.ConvLSTM1D/2D/3D. Channels last:

    x_t: (N, *in, C)   h, c: (N, *out, F)
    kernel: (*k, C, 4F)   recurrent_kernel: (*k, F, 4F)   bias: (4F,)   gate blocks i, f, c, o

    z = conv(x_t, kernel, strides, padding, dilation) + bias + conv(h, recurrent_kernel, "same")
    i = ra(z_i)  f = ra(z_f)  g = a(z_c)  o = ra(z_o)
    c_t = f * c + i * g        h_t = o * a(c_t)

The four gates' convolutions are one convolution with 4F filters, as the LSTM's four
matmuls are one; the state's convolution keeps the state's size (stride 1, "same"),
so h_t can be convolved again at the next step. The convolutions are
``kernels/conv.py``'s, so each step is two im2col matmuls.

Dropout (training): Keras draws one mask per gate for the input and one per gate for the
state, so each gate then convolves its own masked copy: :func:`gatewise_conv` splits the
fused convolution into four.
"""
import numpy as np

from .conv import conv_backward, conv_forward


def gatewise_conv(a, masks, kernel, bias, geom):
    """The fused convolution, or with masks (one per gate) one convolution per gate on a * mask."""
    if masks is None:
        return conv_forward(a, kernel, bias, geom)
    kernels = np.split(kernel, len(masks), axis=-1)
    biases = [None] * len(masks) if bias is None else np.split(bias, len(masks))
    outs = [conv_forward(a * m, k, b, geom) for m, k, b in zip(masks, kernels, biases)]
    return np.concatenate([y for y, _ in outs], axis=-1), ("gatewise", masks, [c for _, c in outs])


def gatewise_conv_backward(dz, cache):
    """-> da, [dkernel, dbias (if any)]"""
    if not (isinstance(cache[0], str) and cache[0] == "gatewise"):
        return conv_backward(dz, cache)
    _, masks, caches = cache
    da, grads = 0, []
    for m, d, c in zip(masks, np.split(dz, len(masks), axis=-1), caches):
        d_in, g = conv_backward(d, c)
        da = da + d_in * m
        grads.append(g)
    return da, [np.concatenate(parts, axis=-1) for parts in zip(*grads)]


def convlstm_step(x_t, states, kernel, recurrent_kernel, bias, x_geom, h_geom, activation,
                  recurrent_activation, masks=None, recurrent_masks=None):
    """-> [h_t, c_t], cache.  x_geom: the input convolution's geometry; h_geom: the state's ("same").
    masks, recurrent_masks: None, or four dropout multipliers shaped like x_t and like h."""
    h_prev, c_prev = states
    z_x, cache_x = gatewise_conv(x_t, masks, kernel, bias, x_geom)
    z_h, cache_h = gatewise_conv(h_prev, recurrent_masks, recurrent_kernel, None, h_geom)
    z_i, z_f, z_c, z_o = np.split(z_x + z_h, 4, axis=-1)
    i, cache_i = recurrent_activation.forward(z_i)
    f, cache_f = recurrent_activation.forward(z_f)
    g, cache_g = activation.forward(z_c)
    o, cache_o = recurrent_activation.forward(z_o)
    c = f * c_prev + i * g
    a_c, cache_ac = activation.forward(c)
    h = o * a_c
    return [h, c], (cache_x, cache_h, c_prev, i, f, g, o, a_c,
                    cache_i, cache_f, cache_g, cache_o, cache_ac)


def convlstm_step_backward(d_states, cache, activation, recurrent_activation):
    """[dh_t, dc_t] -> dx_t, [dh_{t-1}, dc_{t-1}], [dkernel, drecurrent_kernel, dbias or None]."""
    dh, dc = d_states
    (cache_x, cache_h, c_prev, i, f, g, o, a_c,
     cache_i, cache_f, cache_g, cache_o, cache_ac) = cache
    do = dh * a_c
    dc = dc + activation.backward(dh * o, cache_ac)     # c_t reaches the loss directly and through h_t
    dz = np.concatenate([
        recurrent_activation.backward(dc * g, cache_i),
        recurrent_activation.backward(dc * c_prev, cache_f),
        activation.backward(dc * i, cache_g),
        recurrent_activation.backward(do, cache_o),
    ], axis=-1)
    dx, x_grads = gatewise_conv_backward(dz, cache_x)
    dh_prev, (d_recurrent_kernel,) = gatewise_conv_backward(dz, cache_h)
    d_bias = x_grads[1] if len(x_grads) > 1 else None
    return dx, [dh_prev, dc * f], [x_grads[0], d_recurrent_kernel, d_bias]
