"""Attention: a soft dictionary lookup, forward and backward, as pure NumPy functions.

Every query asks every key "how well do we match?"; the answers, turned into
probabilities by a softmax, weight an average of the values:

    scores = (q * scale) @ k^T            (batch..., Tq, Tk)
    p      = softmax(scores, masked)      each row sums to 1 over the keys it may see
    out    = p @ v                        (batch..., Tq, dv)

Backward, with g = dL/dp:

    dv      = p^T @ dout
    g       = dout @ v^T
    dscores = p * (g - sum_k(p * g))      the softmax Jacobian, never built as a matrix
    dq      = scale * dscores @ k         dk = scale * dscores^T @ q

Masks (True = may attend) are applied as Keras applies them: the masked scores
are *replaced* by a large negative number before the softmax, so they get
exp(...) = 0 exactly, and no gradient flows to them. A row whose keys are all
masked has every score equal to that number: the softmax gives it the uniform
average of the values (what ``ops.dot_product_attention`` returns), and Keras's
``Softmax`` layer (MultiHeadAttention with ``return_attention_scores``, dropout
or several attention axes) then zeroes it. ``zero_masked=True`` does the latter.
Either way, no NaN.

Heads are axes, not loops: ``split_heads`` reshapes (batch, T, heads * d) into
(batch, heads, T, d) and ``merge_heads`` undoes it, so one batched matmul runs
every head of every example at once. Every function keeps the input's dtype. ``stacked_matmul`` is ``a @ b``, made fast for
stacks of small matrices (see ``kernels/parallel.py``: 40x on the benchmark's 256 heads).

Mirrors keras.layers.MultiHeadAttention (``_compute_attention``), the TensorFlow
backend's ``dot_product_attention``, and TF1-era code that wrote
``tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / sqrt(d)) @ v`` in a graph.
"""
import numpy as np

from .parallel import stacked_matmul

# TensorFlow's dot_product_attention fills masked logits with -0.7 * float32 max;
# Keras's Softmax layer uses -1e9. Both replace the score, so after exp() both give 0.
LARGE_NEGATIVE = -1e9


# ---- masks ------------------------------------------------------------------------------

def causal_mask(q_len, k_len):
    """(q_len, k_len) bool: query i may see key j when j <= i (Keras's lower triangle)."""
    return np.arange(q_len)[:, None] >= np.arange(k_len)[None, :]


def padding_mask(ids, pad=0):
    """(batch, T) bool from token ids: True where the token is real, as Embedding(mask_zero=True)."""
    return np.asarray(ids) != pad


def combine_masks(*masks):
    """Logical AND of the masks given (None ones skipped); None when there are none."""
    out = None
    for m in masks:
        if m is not None:
            m = np.asarray(m, dtype=bool)
            out = m if out is None else out & m
    return out


# ---- softmax ----------------------------------------------------------------------------

def softmax(x, axis=-1):
    """exp(x - max) / sum(exp(x - max)) over ``axis``; subtracting the max prevents overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def masked_softmax_forward(scores, mask=None, axis=-1, zero_masked=False, fill="replace"):
    """Softmax over ``axis`` where ``mask`` is True; the masked entries get probability 0.

    scores: (..., Tk)   mask: bool, broadcastable to scores, or None   ->  p: like scores
    fill="replace" sets a masked score to LARGE_NEGATIVE (MultiHeadAttention);
    fill="subtract" subtracts 1e9 from it (keras.layers.Attention / AdditiveAttention).
    """
    if mask is not None:
        mask = np.broadcast_to(mask, scores.shape)
        big = scores.dtype.type(LARGE_NEGATIVE)
        scores = np.where(mask, scores, big if fill == "replace" else scores + big)
    p = softmax(scores, axis)
    if mask is not None and zero_masked:
        p = np.where(mask, p, scores.dtype.type(0))
    return p, mask


def masked_softmax_backward(dp, p, mask=None, axis=-1):
    """dL/dp -> dL/dscores = p * (dp - sum(p * dp)); zero where the mask hid the score."""
    if mask is not None:
        dp = np.where(mask, dp, dp.dtype.type(0))
    ds = p * (dp - np.sum(p * dp, axis=axis, keepdims=True))
    if mask is not None:
        ds = np.where(mask, ds, ds.dtype.type(0))
    return ds


# ---- scaled dot-product attention -------------------------------------------------------

def scaled_dot_product_attention_forward(q, k, v, mask=None, scale=None, zero_masked=False,
                                         keep_mask=None, dropout=0.0):
    """out = softmax((q * scale) @ k^T, mask) @ v.

    q: (batch..., Tq, d)   k: (batch..., Tk, d)   v: (batch..., Tk, dv)
    mask: bool broadcastable to (batch..., Tq, Tk), True = may attend (or None)
    scale: defaults to 1 / sqrt(d)
    keep_mask, dropout: attention dropout on p, with a given keep mask (inverted dropout)
    ->  out: (batch..., Tq, dv), p: (batch..., Tq, Tk), cache
    The batch axes may include a heads axis: every head is one more batch entry.
    """
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    scale = q.dtype.type(scale)
    q_scaled = q * scale                     # Keras scales the query, not the scores
    scores = stacked_matmul(q_scaled, np.swapaxes(k, -1, -2))
    p, mask = masked_softmax_forward(scores, mask, zero_masked=zero_masked)
    p_used = p
    if keep_mask is not None:
        p_used = np.where(keep_mask, p * q.dtype.type(1.0 / (1.0 - dropout)), q.dtype.type(0))
    out = stacked_matmul(p_used, v)
    return out, p, (q_scaled, k, v, p, p_used, mask, scale, keep_mask, dropout)


def scaled_dot_product_attention_backward(dout, cache):
    """dout: (batch..., Tq, dv) -> dq (batch..., Tq, d), dk (batch..., Tk, d), dv (batch..., Tk, dv)."""
    q_scaled, k, v, p, p_used, mask, scale, keep_mask, dropout = cache
    dv = stacked_matmul(np.swapaxes(p_used, -1, -2), dout)   # every query's share of each value
    dp = stacked_matmul(dout, np.swapaxes(v, -1, -2))
    if keep_mask is not None:
        dp = np.where(keep_mask, dp * dp.dtype.type(1.0 / (1.0 - dropout)), dp.dtype.type(0))
    dscores = masked_softmax_backward(dp, p, mask)
    dq = stacked_matmul(dscores, k) * scale
    dk = stacked_matmul(np.swapaxes(dscores, -1, -2), q_scaled)
    return dq, dk, dv


# ---- heads ------------------------------------------------------------------------------

def split_heads(x, num_heads):
    """(batch, T, heads * d) -> (batch, heads, T, d): a reshape, then heads before positions."""
    batch, length, width = x.shape
    return x.reshape(batch, length, num_heads, width // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(batch, heads, T, d) -> (batch, T, heads * d): the inverse of split_heads."""
    batch, heads, length, depth = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, length, heads * depth)


# ---- einsum dense: the projections of MultiHeadAttention ---------------------------------

def _parse(equation):
    inputs, output = equation.replace(" ", "").split("->")
    x_spec, k_spec = inputs.split(",")
    return x_spec, k_spec, output


def einsum_dense_forward(x, kernel, equation, bias=None):
    """y = einsum(equation, x, kernel) + bias.

    x: matches the equation's first operand   kernel: its second   bias: broadcastable to y
    e.g. "abc,cde->abde": x (batch, T, d_model), kernel (d_model, heads, key_dim)
    ->  y (batch, T, heads, key_dim). Mirrors keras.layers.EinsumDense.
    """
    y = np.einsum(equation, x, kernel, optimize=True)
    if bias is not None:
        y = y + bias
    return y, (x, kernel, equation, bias is not None)


def einsum_dense_backward(dy, cache, bias_shape=None):
    """dy: like y -> dx (like x), [dkernel (like kernel), dbias (bias_shape)].

    The chain rule of a product of two operands: each one's gradient is the einsum
    of dy with the other, with the equation's roles swapped.
    """
    x, kernel, equation, has_bias = cache
    x_spec, k_spec, y_spec = _parse(equation)
    dx = np.einsum(f"{y_spec},{k_spec}->{x_spec}", dy, kernel, optimize=True)
    dkernel = np.einsum(f"{x_spec},{y_spec}->{k_spec}", x, dy, optimize=True)
    grads = [dkernel]
    if has_bias:
        # the bias is shared by every output entry along the axes it does not have
        lead = dy.ndim - len(bias_shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(bias_shape) if n == 1)
        grads.append(dy.sum(axis=axes, keepdims=True).reshape(bias_shape))
    return dx, grads


# ---- normalizations ---------------------------------------------------------------------

def rms_normalization_forward(x, scale, axis=-1, epsilon=1e-6):
    """y = x / sqrt(mean(x^2) + epsilon) * scale: LayerNormalization without the mean.

    x: (batch, ..., d)   scale: broadcastable over ``axis``   ->  y: like x
    Mirrors keras.layers.RMSNormalization (keras.ops.rms_normalization).
    """
    inv = 1.0 / np.sqrt(np.mean(np.square(x), axis=axis, keepdims=True) + x.dtype.type(epsilon))
    inv = inv.astype(x.dtype, copy=False)
    x_hat = x * inv
    return x_hat * scale, (x_hat, inv, scale, axis)


def rms_normalization_backward(dy, cache):
    """dy -> dx, [dscale]; the mean of x^2 depends on every x, hence the subtracted term."""
    x_hat, inv, scale, axis = cache
    g = dy * scale
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = np.prod([x_hat.shape[a] for a in axes])
    dx = inv * (g - x_hat * np.sum(g * x_hat, axis=axes, keepdims=True) / x_hat.dtype.type(n))
    keep = tuple(a % dy.ndim for a in axes)
    dscale = np.sum(dy * x_hat, axis=tuple(i for i in range(dy.ndim) if i not in keep))
    return dx, [dscale.reshape(np.shape(scale))]


def unit_normalization_forward(x, axis=-1):
    """y = x / ||x|| along ``axis``: every vector scaled to length 1.

    Mirrors keras.layers.UnitNormalization: ops.normalize(order=2, epsilon=1e-12) computes
    x * min(1 / sqrt(sum(x^2)), 1e12), so a vector shorter than 1e-12 is scaled by 1e12.
    """
    sq = np.sum(np.square(x), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        inv = 1.0 / np.sqrt(sq)
    cap = x.dtype.type(1e12)
    active = inv < cap                   # where the cap is used, the length is a constant
    inv = np.minimum(inv, cap).astype(x.dtype, copy=False)
    y = x * inv
    return y, (y, inv, active, axis)


def unit_normalization_backward(dy, cache):
    """dy -> dx = inv * (dy - y * sum(dy * y)), the projection off the vector's own direction."""
    y, inv, active, axis = cache
    radial = np.where(active, np.sum(dy * y, axis=axis, keepdims=True), y.dtype.type(0))
    return inv * (dy - y * radial), []


# ---- positions --------------------------------------------------------------------------

def sinusoidal_positions(length, depth, max_wavelength=10000.0, dtype="float32"):
    """(length, depth) positional encodings of "Attention is all you need", interleaved:

    PE[t, 2i]     = sin(t / max_wavelength^(2i / depth))
    PE[t, 2i + 1] = cos(t / max_wavelength^(2i / depth))

    Each pair of features turns at its own frequency, from one turn per 2 pi positions
    down to one per 2 pi * max_wavelength, so nearby positions get nearby codes and
    PE[t + k] is a fixed rotation of PE[t]. Computed in float64, then cast.
    """
    if depth % 2:
        raise ValueError(f"sinusoidal_positions: depth must be even; got {depth}.")
    positions = np.arange(length, dtype=np.float64)[:, None]
    freqs = max_wavelength ** (-np.arange(0, depth, 2, dtype=np.float64) / depth)
    angles = positions * freqs[None, :]                      # (length, depth / 2)
    pe = np.empty((length, depth), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe.astype(dtype)
