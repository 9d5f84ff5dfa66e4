"""The exercise registry and the instant check a notebook's test cell runs.

An exercise names the student's function, a reference implementation, and test
cases: visible ones (run by ``check`` in the notebook) and hidden ones (run only
by the autograder). A case builds its inputs from a seed, so every run sees the
same numbers.

    check("dense_forward", dense_forward)

prints one line when every case passes, or which case failed, with the input
shapes, the expected and actual output shapes, the max error and a hint; an
exercise not yet done prints "not implemented yet" instead of a traceback.
"""
import contextlib
import contextvars
import hashlib
import importlib
import os
import traceback
from dataclasses import dataclass, field

import numpy as np

from ..tolerances import STUDENT as RTOL    # max|actual - expected| <= RTOL * max(1, max|expected|)

REGISTRY = {}
PROGRESS = {}      # exercise id -> (passed, total) from the latest check in this kernel
STUDENT_KIT = {}   # notebook -> the kit helpers its exercises may use in the sandbox (catalog STUDENT_KIT)
_LOADED = []       # the catalog modules imported so far


@dataclass
class Case:
    name: str
    make: object                 # f() -> tuple of positional arguments (seeded inside)


@dataclass
class Exercise:
    function: str                # the name the student defines
    reference: object            # f(*args) -> expected result
    visible: list
    hidden: list = field(default_factory=list)
    points: int = 1
    hint: str = ""
    rtol: float = RTOL["float64"]
    id: str = ""                 # what check() names; the function's name unless given
    notebook: str = ""           # set from the catalog module that lists the exercise

    def __post_init__(self):
        self.id = self.id or self.function

    def cases(self, which="visible"):
        return {"visible": self.visible, "hidden": self.hidden,
                "all": self.visible + self.hidden}[which]


def register(exercise):
    REGISTRY[exercise.id] = exercise
    return exercise


def notebook_of(module_name):
    """'nb02_dense_and_activations' -> '02_dense_and_activations'."""
    return module_name.rpartition(".")[2][len("nb"):]


def _load_catalog():
    """Import the modules catalog.MODULES lists (and only those), registering their exercises."""
    from . import catalog
    if _LOADED == catalog.MODULES:
        return
    for name in catalog.MODULES[len(_LOADED):]:
        module = importlib.import_module(f"{catalog.__name__}.{name}")
        notebook = notebook_of(name)
        for exercise in module.EXERCISES:
            exercise.notebook = exercise.notebook or notebook
            register(exercise)
        STUDENT_KIT[notebook] = list(getattr(module, "STUDENT_KIT", []))
        _LOADED.append(name)


def student_kit(notebook):
    """The kit helpers (dotted names) the exercises of ``notebook`` may use while graded."""
    _load_catalog()
    return STUDENT_KIT.get(notebook, [])


def get(exercise_id):
    _load_catalog()
    try:
        return REGISTRY[exercise_id]
    except KeyError:
        raise ValueError(f"No exercise {exercise_id!r}. Known: {', '.join(sorted(REGISTRY))}.") from None


def for_notebook(notebook):
    """The exercises of one notebook ('02_dense_and_activations'), in registration order."""
    _load_catalog()
    return [e for e in REGISTRY.values() if e.notebook == notebook]


_SALT = contextvars.ContextVar("tflearn_kit_grading_salt", default=())


def seeded(seed):
    """The random generator a case draws its inputs from: ``seed``, mixed with the grading salt if any."""
    return np.random.default_rng([seed, *_SALT.get()] if _SALT.get() else seed)


@contextlib.contextmanager
def salted(salt):
    """Cases made inside draw from ``salt`` too (the instructor's secret; '' leaves them as shipped).

    The autograder makes the hidden cases this way, so their inputs are ones no
    student can compute from the installed package.
    """
    words = [int.from_bytes(hashlib.sha256(salt.encode()).digest()[i:i + 4], "little") for i in range(0, 16, 4)] \
        if salt else []
    token = _SALT.set(tuple(words))
    try:
        yield
    finally:
        _SALT.reset(token)


def _shape(v):
    if isinstance(v, np.ndarray):
        return tuple(v.shape)
    if isinstance(v, (list, tuple)):
        return tuple(_shape(e) for e in v)
    return type(v).__name__


def _describe_args(args):
    return ", ".join(f"{tuple(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in args)


def compare_results(actual, expected, rtol):
    """(ok, reason, max error) for arrays or tuples of arrays."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return False, (f"expected {len(expected)} results {_shape(expected)}, "
                           f"got {_shape(actual)}"), None
        worst = 0.0
        for i, (a, e) in enumerate(zip(actual, expected)):
            ok, reason, err = compare_results(a, e, rtol)
            if not ok:
                return False, f"result {i}: {reason}", err
            worst = max(worst, err or 0.0)
        return True, "", worst
    if actual is None:
        return False, "got None (did you forget to return?)", None
    try:
        actual = np.asarray(actual)
    except Exception:                                   # noqa: BLE001 (anything a student returns)
        return False, f"got {type(actual).__name__}, which is not an array", None
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        return False, f"expected shape {expected.shape}, got {actual.shape}", None
    if not np.issubdtype(actual.dtype, np.number) and actual.dtype != bool:
        return False, f"expected numbers, got dtype {actual.dtype}", None
    if np.iscomplexobj(actual) and not np.iscomplexobj(expected):
        return False, f"expected real numbers, got dtype {actual.dtype}", None
    if expected.size == 0:
        return True, "", 0.0
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    err = float(np.nanmax(diff)) if not np.isnan(diff).all() else float("nan")
    if np.isnan(diff).any():
        return False, "the result contains NaN", err
    scale = max(1.0, float(np.max(np.abs(expected))))
    if err > rtol * scale:
        dtype = "" if actual.dtype == expected.dtype else f" (your dtype is {actual.dtype}, expected {expected.dtype})"
        return False, f"shape {actual.shape} is right, but the max abs error is {err:.2e}{dtype}", err
    return True, "", err


@dataclass
class CaseResult:
    case: str
    passed: bool
    message: str
    max_error: object = None
    not_implemented: bool = False


def run_case(exercise, fn, case):
    args = case.make()
    expected = exercise.reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    try:
        actual = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except NotImplementedError:
        return CaseResult(case.name, False, "not implemented yet", not_implemented=True)
    except Exception as exc:                            # noqa: BLE001 (the student's code raised)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return CaseResult(case.name, False,
                          f"raised {type(exc).__name__}: {exc} (line {where.lineno})")
    ok, reason, err = compare_results(actual, expected, exercise.rtol)
    if ok:
        return CaseResult(case.name, True, "", err)
    return CaseResult(case.name, False,
                      f"inputs {_describe_args(args)}; expected {_shape(expected)}: {reason}", err)


def run_cases(exercise, fn, which="visible"):
    return [run_case(exercise, fn, case) for case in exercise.cases(which)]


def _under_nbgrader():
    """True inside nbgrader's autograde, which sets NBGRADER_EXECUTION in the kernel."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def check(exercise_id, fn, hidden=False):
    """Run the visible cases of an exercise on the student's function and print the verdict.

    ``hidden=True`` runs the hidden cases instead (solutions/ only: release removes
    those calls, and nbgrader's autograde puts them back). Inside nbgrader's
    autograde a failure raises AssertionError, so nbgrader scores the cell 0.
    """
    exercise = get(exercise_id)
    which = "hidden" if hidden else "visible"
    results = run_cases(exercise, fn, which)
    passed = sum(r.passed for r in results)
    if not hidden:
        PROGRESS[exercise_id] = (passed, len(results))
    label = f"{exercise_id} (hidden cases)" if hidden else exercise_id
    if any(r.not_implemented for r in results):
        message = (f"{label}: not implemented yet. Replace `raise NotImplementedError()` "
                   f"in {exercise.function} with your code, then run this cell again.")
    elif passed == len(results):
        print(f"{label}: all {len(results)} cases passed.")
        return
    else:
        first = next(r for r in results if not r.passed)
        message = f"{label}: {passed}/{len(results)} cases passed. Case '{first.case}' failed: {first.message}."
        if exercise.hint:
            message += f"\nHint: {exercise.hint}"
    print(message)
    if _under_nbgrader():
        raise AssertionError(message)


def progress(notebook):
    """A summary of this notebook's exercises, as checked so far in this kernel."""
    lines = [f"Progress in {notebook}:"]
    done = 0
    exercises = for_notebook(notebook)
    for e in exercises:
        if e.id not in PROGRESS:
            state = "not checked yet"
        else:
            passed, total = PROGRESS[e.id]
            state = "done" if passed == total else f"{passed}/{total} cases"
            done += passed == total
        lines.append(f"  {e.id:28} {state}")
    lines.append(f"{done}/{len(exercises)} exercises done.")
    print("\n".join(lines))
