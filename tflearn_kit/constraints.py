"""Weight constraints, as ``keras.constraints`` defines them.

A constraint is a projection applied to a weight after every optimizer step
(``Model.fit`` does it, as Keras's optimizer does): ``w <- constraint(w)``. It is
not part of the gradient. Norms are taken along ``axis`` (0 by default: for a
Dense kernel (in, units), the incoming weights of each unit).
"""
import numpy as np

from . import serialization
from .serialization import Configurable, lookup

EPSILON = 1e-7     # keras.backend.epsilon(): keeps the division finite for a zero column


class Constraint(Configurable):
    def __call__(self, w):
        return w

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale each slice along ``axis`` whose L2 norm exceeds ``max_value`` down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        t = w.dtype.type
        return w * (np.clip(norms, 0, t(self.max_value)) / (t(EPSILON) + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative entries set to 0."""

    def __call__(self, w):
        return np.maximum(w, 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Each slice along ``axis`` divided by its L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (w.dtype.type(EPSILON) + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms moved a fraction ``rate`` of the way into [min_value, max_value]."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        t = w.dtype.type
        desired = t(self.rate) * np.clip(norms, t(self.min_value), t(self.max_value)) \
            + t(1 - self.rate) * norms
        return w * (desired / (t(EPSILON) + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


_CLASSES = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}
_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm}


def get(identifier):
    """None, a name ("max_norm", "NonNeg"), a Keras config dict, or a Constraint."""
    if identifier is None or (callable(identifier) and not isinstance(identifier, type)):
        return identifier                   # a plain function w -> w' works as a constraint
    return lookup(identifier, "constraint", Constraint, _CLASSES, _BY_NAME)


serialize = serialization.serialize
