"""13_attention_and_transformers: attention_forward, attention_backward, causal_mask, split_heads, merge_heads."""
from . import Variant as V

_F = """
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = {scores}
    if mask is not None:
        {masking}
    e = {exp}
    weights = {norm}
    {after}
    return {ret}
"""


def fwd(scores="q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])",
        masking="scores = np.where(mask, scores, -1e9)",
        exp="np.exp(scores - scores.max(axis=-1, keepdims=True))",
        norm="e / e.sum(axis=-1, keepdims=True)", after="", ret="weights @ v, weights"):
    return _F.format(scores=scores, masking=masking, exp=exp, norm=norm, after=after, ret=ret)


_B = """
def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
    scale = {scale}
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        scores = np.where({mask}, scores, -1e9)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    dv = {dv}
    dp = dout @ np.swapaxes(v, -1, -2)
    dscores = {dscores}
    if mask is not None:
        {zero}
    dq = {dq}
    dk = {dk}
    return {ret}
"""


def bwd(scale="1 / np.sqrt(q.shape[-1])", mask="mask", dv="np.swapaxes(p, -1, -2) @ dout",
        dscores="p * (dp - np.sum(p * dp, axis=-1, keepdims=True))",
        zero="dscores = np.where(mask, dscores, 0.0)", dq="dscores @ k * scale",
        dk="np.swapaxes(dscores, -1, -2) @ q * scale", ret="dq, dk, dv"):
    return _B.format(scale=scale, mask=mask, dv=dv, dscores=dscores, zero=zero, dq=dq, dk=dk, ret=ret)


MUTANTS = [
    # ---- attention_forward
    V("attention_forward", "no-scale", "scores not divided by sqrt(d)", fwd(scores="q @ np.swapaxes(k, -1, -2)")),
    V("attention_forward", "scale-by-d", "scores divided by d, not sqrt(d)",
      fwd(scores="q @ np.swapaxes(k, -1, -2) / q.shape[-1]")),
    V("attention_forward", "scale-by-value-dim", "scaled by sqrt of the value width v.shape[-1]",
      fwd(scores="q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1])")),
    V("attention_forward", "scale-by-keys", "scaled by sqrt of the number of keys",
      fwd(scores="q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-2])")),
    V("attention_forward", "transpose-assumes-3d", "k.transpose(0, 2, 1): only one batch axis",
      fwd(scores="q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])")),
    V("attention_forward", "softmax-over-queries", "the softmax normalized over the queries (axis -2)",
      fwd(exp="np.exp(scores - scores.max(axis=-2, keepdims=True))", norm="e / e.sum(axis=-2, keepdims=True)")),
    V("attention_forward", "sum-without-keepdims", "e.sum(axis=-1) without keepdims",
      fwd(norm="e / e.sum(axis=-1)")),
    V("attention_forward", "max-without-keepdims", "scores.max(axis=-1) without keepdims",
      fwd(exp="np.exp(scores - scores.max(axis=-1))")),
    V("attention_forward", "unstabilized", "np.exp(scores) without subtracting each row's max",
      fwd(exp="np.exp(scores)")),
    V("attention_forward", "global-max", "subtracts the max over everything: underflows a row far below it",
      fwd(exp="np.exp(scores - scores.max())")),
    V("attention_forward", "mask-after-softmax", "the weights of masked keys zeroed after the softmax",
      fwd(masking="pass", after="weights = weights if mask is None else np.where(mask, weights, 0.0)")),
    V("attention_forward", "mask-after-softmax-renormalized", "masked after the softmax, then renormalized",
      fwd(masking="pass", after="weights = weights if mask is None else "
                                "np.where(mask, weights, 0.0) / np.where(mask, weights, 0.0).sum(-1, keepdims=True)")),
    V("attention_forward", "mask-inverted", "np.where(mask, -1e9, scores): True read as 'hide'",
      fwd(masking="scores = np.where(mask, -1e9, scores)")),
    V("attention_forward", "mask-added", "scores + (1 - mask) * -1e9: a query with no key left is not averaged",
      fwd(masking="scores = scores + (1 - mask) * -1e9")),
    V("attention_forward", "mask-minus-inf", "masked scores set to -inf: NaN for a query with no key",
      fwd(masking="scores = np.where(mask, scores, -np.inf)")),
    V("attention_forward", "mask-to-zero", "masked scores set to 0 instead of a large negative number",
      fwd(masking="scores = np.where(mask, scores, 0.0)")),
    V("attention_forward", "mask-ignored", "the mask never applied", fwd(masking="pass")),
    V("attention_forward", "swapped-return", "returns (weights, out)", fwd(ret="weights, weights @ v")),
    V("attention_forward", "float32", "the scores computed in float32",
      fwd(scores="(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])).astype(np.float32)")),
    V("attention_forward", "in-place", "q scaled in place (q /= sqrt(d))", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            q /= np.sqrt(q.shape[-1])
            scores = q @ np.swapaxes(k, -1, -2)
            if mask is not None:
                scores = np.where(mask, scores, -1e9)
            e = np.exp(scores - scores.max(axis=-1, keepdims=True))
            weights = e / e.sum(axis=-1, keepdims=True)
            return weights @ v, weights
    """),
    # ---- attention_backward
    V("attention_backward", "masked-scores-not-zeroed", "dscores not zeroed where the mask is False", bwd(zero="pass")),
    V("attention_backward", "dv-without-transpose", "dv = p @ dout", bwd(dv="p @ dout")),
    V("attention_backward", "dk-without-transpose", "dk = dscores @ q", bwd(dk="dscores @ q * scale")),
    V("attention_backward", "scale-forgotten", "dq and dk not scaled by 1/sqrt(d)",
      bwd(dq="dscores @ k", dk="np.swapaxes(dscores, -1, -2) @ q")),
    V("attention_backward", "scale-by-d", "the scale 1/d, not 1/sqrt(d)", bwd(scale="1 / q.shape[-1]")),
    V("attention_backward", "softmax-jacobian-diagonal", "dscores = p * dp: the softmax's coupling term forgotten",
      bwd(dscores="p * dp")),
    V("attention_backward", "softmax-sum-over-queries", "the softmax term summed over axis -2",
      bwd(dscores="p * (dp - np.sum(p * dp, axis=-2, keepdims=True))")),
    V("attention_backward", "softmax-sum-without-keepdims", "np.sum(p * dp, axis=-1) without keepdims",
      bwd(dscores="p * (dp - np.sum(p * dp, axis=-1))")),
    V("attention_backward", "mask-ignored", "the weights recomputed without the mask",
      bwd(mask="np.ones_like(mask)", zero="pass")),
    V("attention_backward", "mask-inverted", "the mask's polarity inverted in both places",
      bwd(mask="~mask", zero="dscores = np.where(mask, 0.0, dscores)")),
    V("attention_backward", "dq-dk-swapped", "returns (dk, dq, dv)", bwd(ret="dk, dq, dv")),
    V("attention_backward", "float32", "dv in float32", bwd(ret="dq, dk, dv.astype(np.float32)")),
    V("attention_backward", "in-place", "q scaled in place (q *= 1/sqrt(d)), the gradients right", """
        def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
            scale = 1 / np.sqrt(q.shape[-1])
            q *= scale
            scores = q @ np.swapaxes(k, -1, -2)
            if mask is not None:
                scores = np.where(mask, scores, -1e9)
            e = np.exp(scores - scores.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=-1, keepdims=True)
            dv = np.swapaxes(p, -1, -2) @ dout
            dp = dout @ np.swapaxes(v, -1, -2)
            dscores = p * (dp - np.sum(p * dp, axis=-1, keepdims=True))
            if mask is not None:
                dscores = np.where(mask, dscores, 0.0)
            return dscores @ k * scale, np.swapaxes(dscores, -1, -2) @ q, dv
    """),
    # ---- causal_mask
    V("causal_mask", "strictly-lower", "j < i instead of j <= i: a query cannot see itself", """
        def causal_mask(q_len, k_len):
            return np.arange(q_len)[:, None] > np.arange(k_len)[None, :]
    """),
    V("causal_mask", "upper", "j >= i: the future instead of the past", """
        def causal_mask(q_len, k_len):
            return np.arange(q_len)[:, None] <= np.arange(k_len)[None, :]
    """),
    V("causal_mask", "square-only", "np.tril of a (q_len, q_len) square", """
        def causal_mask(q_len, k_len):
            return np.tril(np.ones((q_len, q_len), dtype=bool))
    """),
    V("causal_mask", "aligned-to-the-end", "the diagonal aligned to the last key (np.tril(..., k_len - q_len))", """
        def causal_mask(q_len, k_len):
            return np.tril(np.ones((q_len, k_len), dtype=bool), k_len - q_len)
    """),
    V("causal_mask", "keys-by-queries", "shape (k_len, q_len)", """
        def causal_mask(q_len, k_len):
            return np.tril(np.ones((k_len, q_len), dtype=bool))
    """),
    V("causal_mask", "off-by-one-ahead", "j <= i + 1: one key of the future leaks", """
        def causal_mask(q_len, k_len):
            return np.tril(np.ones((q_len, k_len), dtype=bool), 1)
    """),
    V("causal_mask", "all-true", "no mask at all", """
        def causal_mask(q_len, k_len):
            return np.ones((q_len, k_len), dtype=bool)
    """),
    # ---- split_heads
    V("split_heads", "reshape-without-transpose", "x.reshape(batch, heads, T, d): positions mixed into heads", """
        def split_heads(x, num_heads):
            b, t, w = x.shape
            return x.reshape(b, num_heads, t, w // num_heads)
    """),
    V("split_heads", "depth-before-heads", "reshape (T, d, heads) instead of (T, heads, d)", """
        def split_heads(x, num_heads):
            b, t, w = x.shape
            return x.reshape(b, t, w // num_heads, num_heads).transpose(0, 3, 1, 2)
    """),
    V("split_heads", "heads-not-moved", "returns (batch, T, heads, d)", """
        def split_heads(x, num_heads):
            b, t, w = x.shape
            return x.reshape(b, t, num_heads, w // num_heads)
    """),
    V("split_heads", "positions-last", "transpose(0, 2, 3, 1): (batch, heads, d, T)", """
        def split_heads(x, num_heads):
            b, t, w = x.shape
            return x.reshape(b, t, num_heads, w // num_heads).transpose(0, 2, 3, 1)
    """),
    V("split_heads", "num-heads-as-depth", "reshape (T, d, heads), then transpose(0, 2, 1, 3): d lands where the heads go", """
        def split_heads(x, num_heads):
            b, t, w = x.shape
            return x.reshape(b, t, w // num_heads, num_heads).transpose(0, 2, 1, 3)
    """),
    # ---- merge_heads
    V("merge_heads", "reshape-without-transpose", "x.reshape(batch, T, heads * d) straight from (batch, heads, T, d)", """
        def merge_heads(x):
            b, h, t, d = x.shape
            return x.reshape(b, t, h * d)
    """),
    V("merge_heads", "depth-before-heads", "transpose(0, 2, 3, 1): the width ordered (d, heads)", """
        def merge_heads(x):
            b, h, t, d = x.shape
            return x.transpose(0, 2, 3, 1).reshape(b, t, h * d)
    """),
    V("merge_heads", "heads-summed", "heads summed instead of concatenated", """
        def merge_heads(x):
            return x.sum(axis=1)
    """),
    V("merge_heads", "heads-along-time", "heads concatenated along the positions", """
        def merge_heads(x):
            return np.concatenate(list(np.moveaxis(x, 1, 0)), axis=1)
    """),
    V("merge_heads", "transpose-only", "transpose(0, 2, 1, 3) without the reshape", """
        def merge_heads(x):
            return x.transpose(0, 2, 1, 3)
    """),
]

CORRECT = [
    V("attention_forward", "einsum", "einsum, scaled queries", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = np.einsum("...qd,...kd->...qk", q * q.shape[-1] ** -0.5, k)
            if mask is not None:
                scores = np.where(mask, scores, -1e9)
            scores = scores - scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            return np.einsum("...qk,...kv->...qv", weights, v), weights
    """),
    V("attention_forward", "logsumexp", "log-softmax through a stable logsumexp, matmul on moveaxis", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            d = q.shape[-1]
            scores = np.matmul(q, np.moveaxis(k, -1, -2)) / d ** 0.5
            if mask is not None:
                scores = np.where(np.asarray(mask, dtype=bool), scores, -1e9)
            m = np.max(scores, axis=-1, keepdims=True)
            lse = m + np.log(np.sum(np.exp(scores - m), axis=-1, keepdims=True))
            weights = np.exp(scores - lse)
            return np.matmul(weights, v), weights
    """),
    V("attention_forward", "loops", "one query row at a time over the flattened batch axes", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            lead, (tq, d), tk = q.shape[:-2], q.shape[-2:], k.shape[-2]
            m = np.ones(lead + (tq, tk), bool) if mask is None else np.broadcast_to(mask, lead + (tq, tk))
            qs, ks, vs, ms = (a.reshape((-1,) + a.shape[-2:]) for a in (q, k, v, m))
            out = np.zeros(qs.shape[:2] + vs.shape[-1:])
            weights = np.zeros(qs.shape[:2] + (tk,))
            for b in range(qs.shape[0]):
                for i in range(tq):
                    s = np.where(ms[b, i], ks[b] @ qs[b, i] / np.sqrt(d), -1e9)
                    w = np.exp(s - s.max())
                    weights[b, i] = w / w.sum()
                    out[b, i] = weights[b, i] @ vs[b]
            return out.reshape(lead + out.shape[-2:]), weights.reshape(lead + (tq, tk))
    """),
    V("attention_backward", "einsum", "einsum throughout", """
        def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
            s = q.shape[-1] ** -0.5
            scores = np.einsum("...qd,...kd->...qk", q, k) * s
            if mask is not None:
                scores = np.where(mask, scores, -1e9)
            p = np.exp(scores - scores.max(axis=-1, keepdims=True))
            p = p / p.sum(axis=-1, keepdims=True)
            dv = np.einsum("...qk,...qv->...kv", p, dout)
            dp = np.einsum("...qv,...kv->...qk", dout, v)
            ds = p * dp - p * np.einsum("...qk,...qk->...q", p, dp)[..., None]
            if mask is not None:
                ds = ds * mask
            return np.einsum("...qk,...kd->...qd", ds, k) * s, np.einsum("...qk,...qd->...kd", ds, q) * s, dv
    """),
    V("attention_backward", "scaled-queries", "through the scaled queries, with the Jacobian's two terms apart", """
        def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
            d = q.shape[-1]
            qs = q / np.sqrt(d)
            kt = np.moveaxis(k, -1, -2)
            scores = qs @ kt
            keep = np.ones(scores.shape, bool) if mask is None else np.broadcast_to(mask, scores.shape)
            scores = np.where(keep, scores, -1e9)
            p = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
            p /= np.sum(p, axis=-1, keepdims=True)
            dv = np.moveaxis(p, -1, -2) @ dout
            dp = dout @ np.moveaxis(v, -1, -2)
            row = np.sum(dp * p, axis=-1, keepdims=True)
            ds = np.where(keep, p * dp - p * row, 0.0)
            dqs = ds @ k
            dk = np.moveaxis(ds, -1, -2) @ qs
            return dqs / np.sqrt(d), dk, dv
    """),
    V("causal_mask", "tril", "np.tril of ones", """
        def causal_mask(q_len, k_len):
            return np.tril(np.ones((q_len, k_len), dtype=bool))
    """),
    V("causal_mask", "loops", "two loops", """
        def causal_mask(q_len, k_len):
            mask = np.zeros((q_len, k_len), dtype=bool)
            for i in range(q_len):
                for j in range(k_len):
                    mask[i, j] = j <= i
            return mask
    """),
    V("causal_mask", "subtract-outer", "np.subtract.outer(i, j) >= 0", """
        def causal_mask(q_len, k_len):
            return np.subtract.outer(np.arange(q_len), np.arange(k_len)) >= 0
    """),
    V("split_heads", "swapaxes", "reshape, then swapaxes(1, 2)", """
        def split_heads(x, num_heads):
            return x.reshape(x.shape[0], x.shape[1], num_heads, -1).swapaxes(1, 2)
    """),
    V("split_heads", "stack-slices", "one slice of the width per head, stacked", """
        def split_heads(x, num_heads):
            d = x.shape[-1] // num_heads
            return np.stack([x[:, :, h * d:(h + 1) * d] for h in range(num_heads)], axis=1)
    """),
    V("merge_heads", "swapaxes", "swapaxes(1, 2), then reshape", """
        def merge_heads(x):
            return x.swapaxes(1, 2).reshape(x.shape[0], x.shape[2], -1)
    """),
    V("merge_heads", "concatenate", "heads concatenated along the width", """
        def merge_heads(x):
            return np.concatenate([x[:, h] for h in range(x.shape[1])], axis=-1)
    """),
]
