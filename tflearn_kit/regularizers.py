"""Weight and activity penalties with Keras's formulas.

A regularizer is called on a weight (or a layer's output) and returns a scalar
penalty; ``grad`` returns its derivative, which a layer's backward adds to the
weight's gradient. L1: l1 * sum|w|  (gradient l1 * sign(w));  L2: l2 * sum w^2
(gradient 2 l2 w). Keras's defaults: l1 = l2 = 0.01. Keras applies the factors
as ``cast(l1, x.dtype)``, which rounds them through float32 (kernels/numerics.py);
the kit does the same so float64 penalties agree to the last digit.
"""
import numpy as np

from . import serialization
from .serialization import Configurable, lookup
from .kernels.numerics import tf_float32_constant


class Regularizer(Configurable):
    def __call__(self, x):
        raise NotImplementedError

    def grad(self, x):
        raise NotImplementedError


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        t = x.dtype.type
        penalty = t(0)
        if self.l1:
            penalty += t(tf_float32_constant(self.l1)) * np.abs(x).sum()
        if self.l2:
            penalty += t(tf_float32_constant(self.l2)) * np.square(x).sum()
        return t(penalty)

    def grad(self, x):
        t = x.dtype.type
        g = np.zeros_like(x)
        if self.l1:
            g += t(tf_float32_constant(self.l1)) * np.sign(x)
        if self.l2:
            g += 2 * t(tf_float32_constant(self.l2)) * x
        return g

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    """None, a name ("l2"), a Keras config dict, or a Regularizer."""
    if identifier is None:
        return None
    return lookup(identifier, "regularizer", Regularizer, _CLASSES, _BY_NAME)


serialize = serialization.serialize
