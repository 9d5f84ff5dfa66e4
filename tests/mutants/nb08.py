"""08_dropout_and_regularization: inverted_dropout, l1_l2_penalty."""
from . import Variant as V

MUTANTS = [
    V("inverted_dropout", "not-inverted", "kept elements not rescaled", """
        def inverted_dropout(x, rate, keep_mask):
            return x * keep_mask
    """),
    V("inverted_dropout", "scale-by-rate", "divides by rate instead of 1 - rate", """
        def inverted_dropout(x, rate, keep_mask):
            return np.where(keep_mask, x / rate if rate else x, 0.0)
    """),
    V("inverted_dropout", "mask-inverted", "zeroes the kept elements", """
        def inverted_dropout(x, rate, keep_mask):
            return np.where(keep_mask, 0.0, x / (1 - rate))
    """),
    V("inverted_dropout", "multiply-by-keep", "multiplies by (1 - rate)", """
        def inverted_dropout(x, rate, keep_mask):
            return np.where(keep_mask, x * (1 - rate), 0.0)
    """),
    V("inverted_dropout", "in-place", "zeroes x in place", """
        def inverted_dropout(x, rate, keep_mask):
            x[~keep_mask] = 0
            x /= 1 - rate
            return x
    """),
    V("l1_l2_penalty", "l2-grad-no-two", "the L2 gradient without the factor 2", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.abs(w).sum() + l2 * np.square(w).sum(), l1 * np.sign(w) + l2 * w
    """),
    V("l1_l2_penalty", "half-l2", "0.5 * l2 * sum w^2 (the other convention)", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.abs(w).sum() + 0.5 * l2 * np.square(w).sum(), l1 * np.sign(w) + l2 * w
    """),
    V("l1_l2_penalty", "mean-not-sum", "means instead of sums", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.abs(w).mean() + l2 * np.square(w).mean(), (l1 * np.sign(w) + 2 * l2 * w) / w.size
    """),
    V("l1_l2_penalty", "l1-grad-is-w", "the L1 gradient as l1 * w", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.abs(w).sum() + l2 * np.square(w).sum(), l1 * w + 2 * l2 * w
    """),
    V("l1_l2_penalty", "swapped", "returns (gradient, penalty)", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.sign(w) + 2 * l2 * w, l1 * np.abs(w).sum() + l2 * np.square(w).sum()
    """),
    V("l1_l2_penalty", "l2-norm", "l2 * ||w|| (the norm, not its square)", """
        def l1_l2_penalty(w, l1, l2):
            return l1 * np.abs(w).sum() + l2 * np.sqrt(np.square(w).sum()), l1 * np.sign(w) + 2 * l2 * w
    """),
]

CORRECT = [
    V("inverted_dropout", "multiply", "mask times scale", """
        def inverted_dropout(x, rate, keep_mask):
            return x * keep_mask.astype(x.dtype) * (1.0 / (1.0 - rate))
    """),
    V("inverted_dropout", "copy-and-zero", "a copy, zeroed where dropped", """
        def inverted_dropout(x, rate, keep_mask):
            y = x.copy() / (1 - rate)
            y[~keep_mask] = 0.0
            return y
    """),
    V("l1_l2_penalty", "vdot", "np.vdot and np.sum", """
        def l1_l2_penalty(w, l1, l2):
            flat = w.ravel()
            return l1 * np.sum(np.abs(flat)) + l2 * np.vdot(flat, flat), l1 * np.sign(w) + 2.0 * l2 * w
    """),
    V("l1_l2_penalty", "where-sign", "sign by np.where", """
        def l1_l2_penalty(w, l1, l2):
            sign = np.where(w > 0, 1.0, np.where(w < 0, -1.0, 0.0))
            return float(l1 * np.abs(w).sum() + l2 * (w * w).sum()), l1 * sign + 2 * l2 * w
    """),
]
