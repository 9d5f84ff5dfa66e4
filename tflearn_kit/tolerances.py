"""Every tolerance of the kit, in one table: how close is close enough, and why.

Three questions get three answers:

``PARITY``: the kit against TensorFlow (``compare``, the parity tests). The same
arithmetic in another order, so the only difference is rounding: a few units of
the dtype's last place, relative to the largest value compared.

``STUDENT``: a learner's function against the reference (``grading``). Looser than
parity: a correct answer may sum in another order or take another (stable) route,
and float32 work may reach the check.

``GRADIENT_CHECK``: backward against central differences in float64 (``gradcheck``),
where the truncation error of the difference (about eps**2) and cancellation set
the floor, not the dtype's rounding.
"""

PARITY = {"float32": 1e-5, "float64": 1e-10}
"""max |kit - tf| / max |tf| per dtype."""

STUDENT = {"float32": 1e-4, "float64": 1e-6}
"""A student's result passes when max|actual - expected| <= STUDENT[dtype] * max(1, max|expected|)."""

GRADIENT_CHECK = {"correct": 1e-7, "acceptable": 1e-5, "wrong": 1e-4}
"""Relative error of backward against central differences (float64, eps = 1e-6):
below "correct" it is right; below "acceptable" fine for smooth layers and expected
near kinks (relu at 0, max pooling ties); above "wrong" almost certainly a bug."""
