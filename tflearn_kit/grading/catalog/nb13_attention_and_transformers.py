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

from ..exercises import Case, Exercise, seeded

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

def attention_case(seed, batch, q_len, k_len, key_dim, value_dim, mask=None, score_scale=1.0):
    """(q, k, v, mask); ``batch`` may be a tuple of axes (batch, heads); large ``score_scale``s
    make scores that overflow exp() unless each row's max is subtracted first."""
    g = seeded(seed)
    lead = batch if isinstance(batch, tuple) else (batch,)
    return (g.standard_normal(lead + (q_len, key_dim)) * score_scale,
            g.standard_normal(lead + (k_len, key_dim)) * score_scale,
            g.standard_normal(lead + (k_len, value_dim)), mask)


def padding_mask(batch, q_len, k_len, real_keys):
    """(batch, Tq, Tk): example b may look at its first real_keys[b] keys only."""
    keys = np.arange(k_len)[None, :] < np.asarray(real_keys)[:, None]
    return np.broadcast_to(keys[:, None, :], (batch, q_len, k_len)).copy()


def blind_query_mask(k_len=4):
    """A padding mask where query 2 of example 1 may look at no key at all."""
    mask = padding_mask(batch=2, q_len=3, k_len=k_len, real_keys=[k_len, 2])
    mask[1, 2, :] = False
    return mask


ATTENTION_CASES = {
    "self-2x4x3": lambda: attention_case(seed=0, batch=2, q_len=4, k_len=4, key_dim=3, value_dim=3),
    "padding-mask": lambda: attention_case(seed=1, batch=2, q_len=3, k_len=5, key_dim=4, value_dim=4,
                                           mask=padding_mask(batch=2, q_len=3, k_len=5, real_keys=[5, 3])),
    "cross-Tq2-Tk5-dv6": lambda: attention_case(seed=2, batch=3, q_len=2, k_len=5, key_dim=4, value_dim=6),
    "batch1-causal": lambda: attention_case(seed=3, batch=1, q_len=5, k_len=5, key_dim=2, value_dim=3,
                                            mask=causal_mask(5, 5)),
    "fully-masked-row": lambda: attention_case(seed=4, batch=2, q_len=3, k_len=4, key_dim=3, value_dim=2,
                                               mask=blind_query_mask()),
    "heads-axis-causal-cross": lambda: attention_case(seed=5, batch=(2, 3), q_len=4, k_len=6, key_dim=2,
                                                      value_dim=5, mask=causal_mask(4, 6)),
    "large-scores": lambda: attention_case(seed=6, batch=2, q_len=3, k_len=3, key_dim=4, value_dim=2,
                                           score_scale=30.0),
    # Visible, so that the notebook's check already sees what most mistakes get wrong: a heads axis
    # (a transpose that assumes 3-D), d != dv != Tk (the scale by the wrong width), a query whose
    # keys are all masked (-inf, an added mask, masking after the softmax), and scores that overflow
    # exp() unless each row's own max is subtracted.
    "heads-cross-blind-query": lambda: attention_case(seed=7, batch=(2, 2), q_len=3, k_len=5, key_dim=4,
                                                      value_dim=3, mask=blind_query_mask(k_len=5)[:, None]),
    "large-scores-4x4": lambda: attention_case(seed=8, batch=1, q_len=4, k_len=4, key_dim=3, value_dim=2,
                                               score_scale=30.0),
}
VISIBLE = ["self-2x4x3", "padding-mask", "heads-cross-blind-query", "large-scores-4x4"]
HIDDEN = ["cross-Tq2-Tk5-dv6", "batch1-causal", "fully-masked-row", "heads-axis-causal-cross",
          "large-scores"]


def backward_case(name):
    """(dout, q, k, v, mask): an attention case with an upstream gradient of the output's shape."""
    q, k, v, mask = ATTENTION_CASES[name]()
    dout = seeded(100 + list(ATTENTION_CASES).index(name)).standard_normal(q.shape[:-1] + v.shape[-1:])
    return dout, q, k, v, mask


def _forward_cases(names):
    return [Case(name, ATTENTION_CASES[name]) for name in names]


def _backward_cases(names):
    return [Case(name, lambda name=name: backward_case(name)) for name in names]


# Known mistakes, recognized by their output (each the exact result of that mistake, never a guess).
def _unscaled(q, k, v, mask=None):
    return attention(q * np.sqrt(q.shape[-1]), k, v, mask)


def _scaled_by_d(q, k, v, mask=None):
    return attention(q / np.sqrt(q.shape[-1]), k, v, mask)


def _mask_inverted(q, k, v, mask=None):
    if mask is None:
        raise ValueError("no mask: this mistake needs one")
    return attention(q, k, v, ~np.asarray(mask, bool))


ATTENTION_SIGNATURES = [
    ("scores not divided by sqrt(d)", _unscaled, "scores = q @ swapaxes(k, -1, -2) / sqrt(d), d = q.shape[-1]"),
    ("scores divided by d", _scaled_by_d, "divide by sqrt(d), not by d"),
    ("the mask read the other way round", _mask_inverted,
     "True means the query may look at that key: np.where(mask, scores, -1e9)"),
]

HEADS_SIGNATURES = [
    ("x.reshape(batch, heads, T, d) with no transpose", lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1),
     "reshape to (batch, T, heads, d) first (each head is a slice of the width), then transpose(0, 2, 1, 3)"),
]

MERGE_SIGNATURES = [
    ("x.reshape(batch, T, heads * d) with no transpose", lambda x: x.reshape(x.shape[0], x.shape[2], -1),
     "transpose(0, 2, 1, 3) to (batch, T, heads, d) first, then reshape"),
]

CAUSAL_SIGNATURES = [
    ("j < i (a query may not see itself)", lambda q, k: np.tril(np.ones((q, k), bool), -1),
     "j <= i: a query sees its own position and the ones before it"),
    ("the diagonal aligned to the last key", lambda q, k: np.tril(np.ones((q, k), bool), k - q),
     "count from the first position: query i sees keys 0..i whatever k_len is"),
]


ATTENTION_FORWARD = Exercise(
    id="attention_forward", notebook=NOTEBOOK, function="scaled_dot_product_attention",
    reference=attention, visible=_forward_cases(VISIBLE), hidden=_forward_cases(HIDDEN), points=2,
    outputs=("out", "weights"), signatures=ATTENTION_SIGNATURES,
    look="the scale (sqrt of q's last axis), the axis the softmax normalizes over, what a query with "
         "every key masked gets, and whether exp() can overflow",
    hint="scores = q @ swapaxes(k, -1, -2) / sqrt(d) (swapaxes, not .T, so that any number of "
         "batch axes works); where the mask is False, replace the score by -1e9 (np.where); "
         "subtract each row's max before np.exp; weights = e / e.sum(-1, keepdims=True); "
         "return (weights @ v, weights).",
)

ATTENTION_BACKWARD = Exercise(
    id="attention_backward", notebook=NOTEBOOK, function="scaled_dot_product_attention_backward",
    reference=attention_backward, visible=_backward_cases(VISIBLE), hidden=_backward_cases(HIDDEN),
    points=3, outputs=("dq", "dk", "dv"),
    look="which of p, dscores needs its last two axes swapped for each gradient, the softmax's "
         "sum term, the scale, and the masked scores (constants: no gradient)",
    hint="Recompute the weights p. dv = p^T @ dout; dp = dout @ v^T; "
         "dscores = p * (dp - sum(p * dp, last axis)); set dscores to 0 where the mask is False; "
         "dq = dscores @ k / sqrt(d); dk = dscores^T @ q / sqrt(d). Return (dq, dk, dv).",
)

CAUSAL_MASK = Exercise(
    id="causal_mask", notebook=NOTEBOOK, function="causal_mask",
    reference=causal_mask,
    # 2 queries, 4 keys: a square mask, one aligned to the last key, or (k_len, q_len) fail at once
    visible=[Case("4x4", lambda: (4, 4)), Case("1x1", lambda: (1, 1)), Case("2-queries-4-keys", lambda: (2, 4))],
    hidden=[Case("3-queries-5-keys", lambda: (3, 5)), Case("5-queries-2-keys", lambda: (5, 2)),
            Case("1-query-4-keys", lambda: (1, 4))],
    points=1,
    look="the diagonal (may a query see its own position?), and the shape when q_len != k_len",
    signatures=CAUSAL_SIGNATURES,
    hint="Query i may see key j when j <= i: compare np.arange(q_len)[:, None] with "
         "np.arange(k_len)[None, :]. Counted from the first position also when q_len != k_len.",
)


def heads_case(seed, shape, num_heads=None):
    """(x,) or (x, num_heads) with x drawn from a standard normal."""
    x = seeded(seed).standard_normal(shape)
    return (x,) if num_heads is None else (x, num_heads)


SPLIT_HEADS = Exercise(
    id="split_heads", notebook=NOTEBOOK, function="split_heads",
    reference=split_heads,
    visible=[Case("batch2-T3-heads2-d4", lambda: heads_case(seed=20, shape=(2, 3, 8), num_heads=2))],
    hidden=[Case("batch1-T5-heads3-d2", lambda: heads_case(seed=21, shape=(1, 5, 6), num_heads=3)),
            Case("T1-heads4-d3", lambda: heads_case(seed=22, shape=(2, 1, 12), num_heads=4)),
            Case("one-head", lambda: heads_case(seed=23, shape=(3, 4, 5), num_heads=1)),
            Case("heads3-d1", lambda: heads_case(seed=24, shape=(2, 4, 3), num_heads=3))],
    points=1,
    look="the order of the reshape's new axes: each head is a contiguous slice of the width",
    signatures=HEADS_SIGNATURES,
    hint="x.reshape(batch, T, num_heads, width // num_heads), then move the heads axis before "
         "the positions: .transpose(0, 2, 1, 3). A reshape straight to (batch, heads, T, d) "
         "mixes positions into heads.",
)

MERGE_HEADS = Exercise(
    id="merge_heads", notebook=NOTEBOOK, function="merge_heads",
    reference=merge_heads,
    visible=[Case("batch2-heads2-T3-d4", lambda: heads_case(seed=30, shape=(2, 2, 3, 4)))],
    hidden=[Case("batch1-heads3-T5-d2", lambda: heads_case(seed=31, shape=(1, 3, 5, 2))),
            Case("heads4-T1-d3", lambda: heads_case(seed=32, shape=(2, 4, 1, 3))),
            Case("one-head", lambda: heads_case(seed=33, shape=(3, 1, 4, 5))),
            Case("heads3-d1", lambda: heads_case(seed=34, shape=(2, 3, 4, 1)))],
    points=1,
    look="which axes must sit next to each other before the reshape (heads, then d)",
    signatures=MERGE_SIGNATURES,
    hint="The inverse of split_heads: x.transpose(0, 2, 1, 3) to (batch, T, heads, d), then "
         "reshape to (batch, T, heads * d).",
)

EXERCISES = [ATTENTION_FORWARD, ATTENTION_BACKWARD, CAUSAL_MASK, SPLIT_HEADS, MERGE_HEADS]

