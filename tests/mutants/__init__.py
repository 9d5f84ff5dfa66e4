"""Plausible wrong answers (mutants) and differently written correct answers for every exercise.

Data for the tests, never shipped in the package: a mutant is a near-solution, and
nothing under tests/ is in the grading sandbox. One module per notebook, each with
``MUTANTS`` and ``CORRECT``: lists of ``Variant(exercise, name, description, code)``,
where ``code`` is the source of the learner's function (NumPy is ``np``).
"""
import importlib
import textwrap
from dataclasses import dataclass

import numpy as np

MODULES = ["nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb08", "nb09", "nb10",
           "nb11", "nb12", "nb13", "nb14"]


@dataclass(frozen=True)
class Variant:
    exercise: str        # the catalog's exercise id
    name: str
    description: str
    code: str            # defines the exercise's function

    def __post_init__(self):
        object.__setattr__(self, "code", textwrap.dedent(self.code).strip() + "\n")


def load(kind):
    """Every variant of ``kind`` ("MUTANTS" or "CORRECT") across the notebooks, with its notebook module."""
    out = []
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        out += [(name, v) for v in getattr(module, kind)]
    return out


def function_of(variant, function_name):
    """The learner's function defined by the variant's code."""
    namespace = {"np": np}
    exec(compile(variant.code, f"<{variant.exercise}:{variant.name}>", "exec"), namespace)  # noqa: S102
    return namespace[function_name]
