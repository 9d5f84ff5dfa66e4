"""Exercises of 13_attention_and_transformers: scaled dot-product attention forward and backward,
the causal mask, and splitting and merging heads.

The references are written out here in plain NumPy, formula first, so that a reader
can hold them against the notebook's text; tests/test_catalog_nb13.py checks them
against Keras's ``ops.dot_product_attention`` and TensorFlow's gradients.

Conventions (Keras's): a mask is boolean, True where a query may look at a key; a
masked score is *replaced* by -1e9 before the softmax, so a query whose keys are
all masked gets the plain average of the values, never NaN; the causal mask lets
query i see key j when j <= i, counted from the first position, also when the
query and key lengths differ.
"""
import numpy as np

from ..exercises import Case, Exercise, register, seeded

NOTEBOOK = "13_attention_and_transformers"
MASKED_SCORE = -1e9


def _t(a):
    """Swap the last two axes: the transpose of every matrix in a batch of them."""
    return np.swapaxes(a, -1, -2)


def attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d), mask) v -> (out, weights). q: (..., Tq, d) k: (..., Tk, d) v: (..., Tk, dv)"""
    scores = (q / np.sqrt(q.shape[-1])) @ _t(k)
    if mask is not None:
        scores = np.where(mask, scores, MASKED_SCORE)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def attention_backward(dout, q, k, v, mask=None):
    """dout: (..., Tq, dv) -> (dq, dk, dv), each shaped like its input."""
    _, p = attention(q, k, v, mask)
    dv = _t(p) @ dout
    dp = dout @ _t(v)
    dscores = p * (dp - np.sum(p * dp, axis=-1, keepdims=True))
    if mask is not None:
        # a replaced score is a constant: nothing flows back to it (this matters only in a
        # row whose keys are all masked, where p is 1/Tk instead of 0)
        dscores = np.where(mask, dscores, 0.0)
    scale = 1 / np.sqrt(q.shape[-1])
    return dscores @ k * scale, _t(dscores) @ q * scale, dv


def causal_mask(q_len, k_len):
    return np.arange(q_len)[:, None] >= np.arange(k_len)[None, :]


def split_heads(x, num_heads):
    batch, length, width = x.shape
    return x.reshape(batch, length, num_heads, width // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    batch, heads, length, depth = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, length, heads * depth)


# ---- cases -----------------------------------------------------------------------------------

def _qkv(seed, batch, tq, tk, d, dv, scale=1.0):
    g = seeded(seed)
    batch = batch if isinstance(batch, tuple) else (batch,)
    return (g.standard_normal(batch + (tq, d)) * scale, g.standard_normal(batch + (tk, d)) * scale,
            g.standard_normal(batch + (tk, dv)))


def _padding(batch, tq, tk, real_keys):
    """(batch, Tq, Tk): example b may look at its first real_keys[b] keys only."""
    keys = np.arange(tk)[None, :] < np.asarray(real_keys)[:, None]
    return np.broadcast_to(keys[:, None, :], (batch, tq, tk)).copy()


def _fully_masked_row():
    mask = _padding(2, 3, 4, [4, 2])
    mask[1, 2, :] = False                     # query 2 of example 1 may look at nothing
    return mask


ATTENTION_CASES = {
    "self-2x4x3": lambda: (*_qkv(0, 2, 4, 4, 3, 3), None),
    "padding-mask": lambda: (*_qkv(1, 2, 3, 5, 4, 4), _padding(2, 3, 5, [5, 3])),
    "cross-Tq2-Tk5-dv6": lambda: (*_qkv(2, 3, 2, 5, 4, 6), None),
    "batch1-causal": lambda: (*_qkv(3, 1, 5, 5, 2, 3), causal_mask(5, 5)),
    "fully-masked-row": lambda: (*_qkv(4, 2, 3, 4, 3, 2), _fully_masked_row()),
    "heads-axis-causal-cross": lambda: (*_qkv(5, (2, 3), 4, 6, 2, 5), causal_mask(4, 6)),
    "large-scores": lambda: (*_qkv(6, 2, 3, 3, 4, 2, scale=30.0), None),
}


def _cases(names, with_dout=False):
    def make(name):
        def inputs():
            args = ATTENTION_CASES[name]()
            if not with_dout:
                return args
            q, k, v, mask = args
            dout = seeded(100 + list(ATTENTION_CASES).index(name)).standard_normal(
                q.shape[:-1] + v.shape[-1:])
            return dout, q, k, v, mask
        return Case(name, inputs)
    return [make(n) for n in names]


VISIBLE = ["self-2x4x3", "padding-mask"]
HIDDEN = ["cross-Tq2-Tk5-dv6", "batch1-causal", "fully-masked-row", "heads-axis-causal-cross",
          "large-scores"]

register(Exercise(
    id="attention_forward", notebook=NOTEBOOK, function="scaled_dot_product_attention",
    reference=attention, visible=_cases(VISIBLE), hidden=_cases(HIDDEN), points=2,
    hint="scores = q @ swapaxes(k, -1, -2) / sqrt(d) (swapaxes, not .T, so that any number of "
         "batch axes works); where the mask is False, replace the score by -1e9 (np.where); "
         "subtract each row's max before np.exp; weights = e / e.sum(-1, keepdims=True); "
         "return (weights @ v, weights).",
))

register(Exercise(
    id="attention_backward", notebook=NOTEBOOK, function="scaled_dot_product_attention_backward",
    reference=attention_backward, visible=_cases(VISIBLE, True), hidden=_cases(HIDDEN, True),
    points=3,
    hint="Recompute the weights p. dv = p^T @ dout; dp = dout @ v^T; "
         "dscores = p * (dp - sum(p * dp, last axis)); set dscores to 0 where the mask is False; "
         "dq = dscores @ k / sqrt(d); dk = dscores^T @ q / sqrt(d). Return (dq, dk, dv).",
))

register(Exercise(
    id="causal_mask", notebook=NOTEBOOK, function="causal_mask",
    reference=causal_mask,
    visible=[Case("4x4", lambda: (4, 4)), Case("1x1", lambda: (1, 1))],
    hidden=[Case("3-queries-5-keys", lambda: (3, 5)), Case("5-queries-2-keys", lambda: (5, 2)),
            Case("1-query-4-keys", lambda: (1, 4))],
    points=1,
    hint="Query i may see key j when j <= i: compare np.arange(q_len)[:, None] with "
         "np.arange(k_len)[None, :]. Counted from the first position also when q_len != k_len.",
))


def _x(seed, shape):
    return seeded(seed).standard_normal(shape)


register(Exercise(
    id="split_heads", notebook=NOTEBOOK, function="split_heads",
    reference=split_heads,
    visible=[Case("batch2-T3-heads2-d4", lambda: (_x(20, (2, 3, 8)), 2))],
    hidden=[Case("batch1-T5-heads3-d2", lambda: (_x(21, (1, 5, 6)), 3)),
            Case("T1-heads4-d3", lambda: (_x(22, (2, 1, 12)), 4)),
            Case("one-head", lambda: (_x(23, (3, 4, 5)), 1)),
            Case("heads3-d1", lambda: (_x(24, (2, 4, 3)), 3))],
    points=1,
    hint="x.reshape(batch, T, num_heads, width // num_heads), then move the heads axis before "
         "the positions: .transpose(0, 2, 1, 3). A reshape straight to (batch, heads, T, d) "
         "mixes positions into heads.",
))

register(Exercise(
    id="merge_heads", notebook=NOTEBOOK, function="merge_heads",
    reference=merge_heads,
    visible=[Case("batch2-heads2-T3-d4", lambda: (_x(30, (2, 2, 3, 4)),))],
    hidden=[Case("batch1-heads3-T5-d2", lambda: (_x(31, (1, 3, 5, 2)),)),
            Case("heads4-T1-d3", lambda: (_x(32, (2, 4, 1, 3)),)),
            Case("one-head", lambda: (_x(33, (3, 1, 4, 5)),)),
            Case("heads3-d1", lambda: (_x(34, (2, 3, 4, 1)),))],
    points=1,
    hint="The inverse of split_heads: x.transpose(0, 2, 1, 3) to (batch, T, heads, d), then "
         "reshape to (batch, T, heads * d).",
))
