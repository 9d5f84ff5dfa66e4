"""Scaled dot-product attention, fast: the numbers of ``kernels/attention.py``, with every
stack of per-head products through :func:`~tflearn_kit.fast.parallel.stacked_matmul`.

NumPy hands each (Tq, d) @ (d, Tk) of a (batch, heads) stack to a multithreaded OpenBLAS
that spends longer waking its threads than multiplying; one BLAS thread per core, each on
half the stack, is 40x faster on the benchmark's 32 x 8 heads of (128, 32). Same
signatures, same cache, same masks and dropout as the readable kernel.
"""
import numpy as np

from ..kernels.attention import masked_softmax_backward, masked_softmax_forward
from .parallel import stacked_matmul


def scaled_dot_product_attention_forward(q, k, v, mask=None, scale=None, zero_masked=False,
                                         keep_mask=None, dropout=0.0):
    """See ``tflearn_kit.kernels.attention.scaled_dot_product_attention_forward``."""
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    scale = q.dtype.type(scale)
    q_scaled = q * scale
    scores = stacked_matmul(q_scaled, np.swapaxes(k, -1, -2))
    p, mask = masked_softmax_forward(scores, mask, zero_masked=zero_masked)
    p_used = p
    if keep_mask is not None:
        p_used = np.where(keep_mask, p * q.dtype.type(1.0 / (1.0 - dropout)), q.dtype.type(0))
    out = stacked_matmul(p_used, v)
    return out, p, (q_scaled, k, v, p, p_used, mask, scale, keep_mask, dropout)


def scaled_dot_product_attention_backward(dout, cache):
    """See ``tflearn_kit.kernels.attention.scaled_dot_product_attention_backward``."""
    q_scaled, k, v, p, p_used, mask, scale, keep_mask, dropout = cache
    dv = stacked_matmul(np.swapaxes(p_used, -1, -2), dout)
    dp = stacked_matmul(dout, np.swapaxes(v, -1, -2))
    if keep_mask is not None:
        dp = np.where(keep_mask, dp * dp.dtype.type(1.0 / (1.0 - dropout)), dp.dtype.type(0))
    dscores = masked_softmax_backward(dp, p, mask)
    dq = stacked_matmul(dscores, k) * scale
    dk = stacked_matmul(np.swapaxes(dscores, -1, -2), q_scaled)
    return dq, dk, dv
