"""Numerical gradient check: does a layer's backward agree with centered differences?

For a scalar loss L = sum(y * dy) with a fixed random ``dy``, the analytic
gradient from ``layer.backward(dy)`` is compared with

    dL/dw[i]  ~=  (L(w[i] + eps) - L(w[i] - eps)) / (2 eps)

whose error shrinks like eps^2. The comparison uses the symmetric relative error

    rel = |analytic - numeric| / max(|analytic| + |numeric|, floor)

and, for one tensor, the largest rel over its checked entries. The floor is a
thousandth of the tensor's largest analytic gradient: where a derivative passes
through zero (GELU near x = -0.75, a tanh deep in saturation) both numbers are
tiny and their rounding noise would otherwise look like a 1e-3 error. What to expect in
float64 with eps = 1e-6 (``THRESHOLDS``, from ``tflearn_kit.tolerances.GRADIENT_CHECK``):

    rel < 1e-7   correct
    rel < 1e-5   fine for smooth layers; expected near kinks (relu at 0, max pooling ties)
    rel > 1e-4   almost certainly a bug in backward

Always check in float64: in float32 the rounding error of L (about 1e-7 L)
divided by 2 eps swamps everything.
"""
import numpy as np

from .layers.base import as_list
from .tolerances import GRADIENT_CHECK as THRESHOLDS


def central_difference(loss, array, index, eps=1e-6):
    """(L(w + eps) - L(w - eps)) / (2 eps), perturbing ``array[index]`` in place and restoring it."""
    keep = array[index]
    array[index] = keep + eps
    up = loss()
    array[index] = keep - eps
    down = loss()
    array[index] = keep
    return (up - down) / (2 * eps)


def relative_error(analytic, numeric, floor=1e-12):
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    denom = np.maximum(np.abs(analytic) + np.abs(numeric), floor)
    return np.abs(analytic - numeric) / denom


def verdict(rel):
    if rel < THRESHOLDS["correct"]:
        return "correct"
    if rel < THRESHOLDS["acceptable"]:
        return "acceptable (kinks or rounding)"
    if rel < THRESHOLDS["wrong"]:
        return "suspicious"
    return "WRONG"


class GradCheck:
    """Per tensor: the largest relative error and how many entries were checked."""

    def __init__(self, layer_name, results, tolerance):
        self.layer_name, self.results, self.tolerance = layer_name, results, tolerance

    @property
    def ok(self):
        return all(r["max_rel"] <= self.tolerance for r in self.results)

    @property
    def max_rel(self):
        return max((r["max_rel"] for r in self.results), default=0.0)

    def to_text(self):
        lines = [f"gradient check of {self.layer_name} (float64, centered differences), "
                 f"tolerance {self.tolerance:g}"]
        for r in self.results:
            lines.append(f"  {r['tensor']:16} {r['checked']:5d} entries  max rel {r['max_rel']:.1e}  "
                         f"{verdict(r['max_rel'])}")
        return "\n".join(lines)

    __str__ = __repr__ = to_text

    def _repr_html_(self):
        return "<pre>" + self.to_text() + "</pre>"


def gradient_check(layer, x, dy=None, training=False, eps=1e-6, max_entries=40, seed=0,
                   tolerance=THRESHOLDS["acceptable"], wrt_inputs=True, call_kwargs=None):
    """Check ``layer.backward`` against centered differences, for the input and every weight.

    The layer must compute in float64 (``dtype="float64"``). At most
    ``max_entries`` seeded random entries of each tensor are perturbed, which keeps
    the check quick on big weights. ``call_kwargs`` go to every call
    (``{"reverse": True}``). Returns a :class:`GradCheck`.
    """
    call_kwargs = dict(call_kwargs or {})
    if layer.dtype != "float64":
        raise ValueError(
            f"gradient_check: layer '{layer.name}' computes in {layer.dtype}; build it with "
            "dtype='float64' (float32 rounding swamps finite differences)."
        )
    g = np.random.default_rng(seed)
    xs = [np.array(a, dtype=np.float64) if np.issubdtype(np.asarray(a).dtype, np.floating)
          else np.asarray(a) for a in as_list(x)]
    multi = isinstance(x, (list, tuple))
    inputs = xs if multi else xs[0]

    def forward():
        return as_list(layer(inputs, training=training, **call_kwargs))

    ys = forward()
    if dy is None:
        dys = [g.standard_normal(y.shape) for y in ys]
    else:
        dys = [np.asarray(d, np.float64) for d in as_list(dy)]

    def loss():
        return sum(float(np.sum(y * d)) for y, d in zip(forward(), dys))

    # analytic, from the same state the numeric differences start from
    forward()
    dx = as_list(layer.backward(dys if len(dys) > 1 else dys[0]))
    analytic = list(zip(layer.trainable_weight_names, layer.trainable_weights, layer.grads))
    targets = []
    if wrt_inputs:
        # named as the gradient it checks, like the weights' rows beside it ("dkernel")
        targets += [(f"dx[{i}]" if multi else "dx", a, d) for i, (a, d) in enumerate(zip(xs, dx))
                    if np.issubdtype(a.dtype, np.floating) and d is not None]
    targets += [(f"d{name}", w, grad.copy()) for name, w, grad in analytic]

    results = []
    for name, tensor, grad in targets:
        flat = tensor.reshape(-1)           # a view: writing it perturbs the tensor itself
        picks = g.choice(flat.size, size=min(max_entries, flat.size), replace=False)
        rels = []
        floor = max(1e-3 * float(np.max(np.abs(grad))) if grad.size else 0.0, 1e-12)
        for i in picks:
            numeric = central_difference(loss, flat, i, eps)
            rels.append(float(relative_error(grad.reshape(-1)[i], numeric, floor)))
        results.append({"tensor": name, "checked": len(picks), "max_rel": max(rels, default=0.0)})
    return GradCheck(layer.name, results, tolerance)
