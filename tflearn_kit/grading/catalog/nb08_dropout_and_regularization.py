"""Exercises of 08_dropout_and_regularization: inverted dropout on a given mask, the L1/L2 penalty and its gradient."""
import numpy as np

from ...kernels.dropout import dropout_forward
from ..exercises import Case, Exercise, seeded



def dropout_case(seed, shape, rate):
    g = seeded(seed)
    return g.standard_normal(shape), rate, g.random(shape) >= rate


INVERTED_DROPOUT = Exercise(
    function="inverted_dropout",
    reference=lambda x, rate, keep_mask: dropout_forward(x, rate, keep_mask)[0],
    visible=[Case("rate0.5", lambda: dropout_case(seed=0, shape=(4, 6), rate=0.5)),
             Case("rate0.2-rank3", lambda: dropout_case(seed=1, shape=(2, 3, 5), rate=0.2))],
    hidden=[Case("rate0.9", lambda: dropout_case(seed=2, shape=(10, 10), rate=0.9)),
            Case("rate0", lambda: dropout_case(seed=3, shape=(3, 4), rate=0.0))],
    points=1,
    look="the scale of the kept elements (1 / (1 - rate)), and x itself must not change",
    hint="Zero where keep_mask is False; multiply the kept elements by 1 / (1 - rate).",
)


def penalty_case(seed, shape, l1, l2):
    return seeded(seed).standard_normal(shape), l1, l2


def _reference_penalty(w, l1, l2):
    # the textbook formulas (the kit rounds l1, l2 through float32 like Keras: 1e-9 away)
    return l1 * np.abs(w).sum() + l2 * np.square(w).sum(), l1 * np.sign(w) + 2 * l2 * w


L1_L2_PENALTY = Exercise(
    function="l1_l2_penalty",
    reference=_reference_penalty,
    visible=[Case("l2-only", lambda: penalty_case(seed=10, shape=(4, 3), l1=0.0, l2=0.01)),
             Case("l1-only", lambda: penalty_case(seed=11, shape=(5,), l1=0.02, l2=0.0)),
             Case("both", lambda: penalty_case(seed=12, shape=(3, 3), l1=0.01, l2=0.05))],
    hidden=[Case("rank4", lambda: penalty_case(seed=13, shape=(2, 3, 3, 4), l1=0.003, l2=0.2))],
    points=2,
    look="the derivative of l2 * w^2, and sums (not means) over every weight",
    outputs=("penalty", "gradient"),
    hint="penalty = l1 * sum|w| + l2 * sum w^2; gradient = l1 * sign(w) + 2 * l2 * w. Return (penalty, gradient).",
)

EXERCISES = [INVERTED_DROPOUT, L1_L2_PENALTY]
