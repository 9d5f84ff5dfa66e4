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
import inspect
import os
import sys
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
    hint: str = ""               # the formula: shown on a repeated failure, or on request
    rtol: float = RTOL["float64"]
    look: str = ""               # the first hint: what to look at (a quantity, an axis, a case property)
    outputs: tuple = ()          # names of the returned quantities ("dx", "dkernel", "dbias"), for messages
    # known mistakes recognized by their output: (what it is, f(*args) -> that mistake's result, the fix)
    signatures: list = field(default_factory=list)
    grade_adds: str = ""         # what the hidden cases add, said by progress() ("stride 2 and asymmetric pads")
    # the kit's own versions of the answer (dotted names): the notebook never imports or shows them before the
    # exercise (tests/test_exercise_order.py; a kit function named like the exercise's function counts anyway)
    answers: tuple = ()
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


def _is_scalar(v):
    return np.ndim(v) == 0


def _fmt(v):
    v = np.asarray(v).item()
    return repr(float(f"{v:.6g}")) if isinstance(v, float) else repr(v)


def _compare_one(actual, expected, rtol):
    """(ok, reason, max error) for one array or scalar."""
    if actual is None:
        return False, "got None (did you forget to return?)", None
    try:
        actual = np.asarray(actual)
    except Exception:                                   # noqa: BLE001 (anything a student returns)
        return False, f"got {type(actual).__name__}, which is not an array", None
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        if _is_scalar(expected):
            return False, f"expected a single number, got shape {actual.shape}", None
        return False, f"expected shape {expected.shape}, got {actual.shape}", None
    if not np.issubdtype(actual.dtype, np.number) and actual.dtype != bool:
        return False, f"expected numbers, got dtype {actual.dtype}", None
    if np.iscomplexobj(actual) and not np.iscomplexobj(expected):
        return False, f"expected real numbers, got dtype {actual.dtype}", None
    # A float32 result where float64 came in (or the reverse) is a cast the layer would not make.
    if np.issubdtype(expected.dtype, np.floating) and np.issubdtype(actual.dtype, np.floating) \
            and actual.dtype != expected.dtype:
        return False, f"expected dtype {expected.dtype} (the inputs' dtype), got {actual.dtype}", None
    if np.issubdtype(expected.dtype, np.integer) and np.issubdtype(actual.dtype, np.floating):
        if _is_scalar(expected):
            return False, f"expected the integer {_fmt(expected)}, got the float {_fmt(actual)}", None
        return False, f"expected integers, got dtype {actual.dtype}", None
    if expected.size == 0:
        return True, "", 0.0
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    err = float(np.nanmax(diff)) if not np.isnan(diff).all() else float("nan")
    if np.isnan(diff).any():
        where = "" if _is_scalar(expected) else f" ({int(np.isnan(diff).sum())} of {diff.size} values)"
        return False, f"the result contains NaN or inf{where}, where the expected values are finite", err
    scale = max(1.0, float(np.max(np.abs(expected))))
    if err > rtol * scale:
        if _is_scalar(expected):
            return False, f"expected {_fmt(expected)}, got {_fmt(actual)}", err
        return False, f"shape {actual.shape} is right, but the max abs error is {err:.2e}", err
    return True, "", err


def compare_results(actual, expected, rtol, names=()):
    """(ok, reason, max error) for arrays or tuples of arrays; ``names`` name the parts of a tuple."""
    if not isinstance(expected, (tuple, list)):
        ok, reason, err = _compare_one(actual, expected, rtol)
        return ok, (f"{names[0]}: {reason}" if names and reason else reason), err
    labels = [names[i] if i < len(names) else f"result {i + 1} of {len(expected)}" for i in range(len(expected))]
    if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
        return False, (f"expected {len(expected)} results ({', '.join(labels)}) of shapes {_shape(expected)}, "
                       f"got {_shape(actual)}"), None
    worst = 0.0
    for i, (a, e) in enumerate(zip(actual, expected)):
        ok, reason, err = _compare_one(a, e, rtol)
        if not ok:
            swapped = _swapped(actual, expected, rtol, labels)
            if swapped:
                return False, f"{labels[i]}: {reason}. {swapped}", err
            return False, f"{labels[i]}: {reason}", err
        worst = max(worst, err or 0.0)
    return True, "", worst


def _swapped(actual, expected, rtol, labels):
    """'h_t and c_t look swapped: ...' when two parts are right but in each other's place, else ''."""
    n = len(expected)
    for i in range(n):
        for j in range(i + 1, n):
            if _compare_one(actual[i], expected[j], rtol)[0] and _compare_one(actual[j], expected[i], rtol)[0]:
                return (f"{labels[i]} and {labels[j]} look swapped: return "
                        f"({', '.join(labels)}) in that order")
    return ""


def _learner_line(exc):
    """The innermost line of the learner's own code in the traceback (not NumPy's), or None."""
    frames = traceback.extract_tb(exc.__traceback__)
    kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))      # the kit itself is not the learner's either
    def mine(f):
        name = f.filename
        return not (name.startswith((os.path.dirname(np.__file__), kit)) or os.sep + "site-packages" + os.sep in name
                    or os.sep + "lib" + os.sep + "python" in name or name == __file__)
    own = [f for f in frames if mine(f)]
    return (own or frames)[-1]


def _execution_count(filename):
    """The execution count of the notebook cell compiled under ``filename`` (IPython keeps the map), or None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    try:
        return shell.compile._filename_map.get(filename)
    except AttributeError:                              # not in IPython, or an IPython without the map
        return None


def _location(frame):
    """'line 3 of cell [11], in conv2d_forward': the cell named by the execution count JupyterLab shows in
    its left margin, lines counted from 1 in the cell. The grader names a cell the same way (from the
    count saved in the submitted notebook: submission.cell_names)."""
    name = frame.filename
    where = "" if frame.name == "<module>" else f", in {frame.name}"
    if name.startswith("<cell") or name.startswith("<the "):     # the grader's own naming
        return f"line {frame.lineno} of {name.strip('<>')}{where}"
    count = _execution_count(name)
    if count is not None:
        return f"line {frame.lineno} of cell [{count}]{where}"
    if "ipykernel" in name or name.startswith("<ipython-input"):
        return f"line {frame.lineno} of your cell{where}"
    return f"line {frame.lineno} of {os.path.basename(name)}{where}"


def _changed_inputs(fn, originals, passed):
    """Names of the array arguments the call modified in place."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    out = []
    for i, (before, after) in enumerate(zip(originals, passed)):
        if isinstance(before, np.ndarray) and isinstance(after, np.ndarray) \
                and (before.shape != after.shape or not np.array_equal(before, after, equal_nan=True)):
            out.append(names[i] if i < len(names) else f"argument {i + 1}")
    return out


def changed_inputs_message(names):
    return (f"your function changed its input {', '.join(names)} in place; a layer keeps its inputs for "
            f"backward, so compute into a new array (x = x * 2, not x *= 2)")


def recognize(exercise, args, actual):
    """The known mistake the result equals, as a hint ('your output matches ...'), or ''."""
    for what, make, fix in exercise.signatures:
        try:
            wrong = make(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        except Exception:                               # noqa: BLE001 (the mistake does not apply to this case)
            continue
        ok, _, _ = compare_results(actual, wrong, exercise.rtol)
        if ok:
            return f"your output matches {what}: {fix}"
    return ""


def judge(exercise, args, expected, actual):
    """(ok, reason, recognized-mistake hint): the comparison the check and the grader share."""
    ok, reason, err = compare_results(actual, expected, exercise.rtol, exercise.outputs)
    if ok:
        return True, "", ""
    return False, reason, recognize(exercise, args, actual)


@dataclass
class CaseResult:
    case: str
    passed: bool
    message: str
    max_error: object = None
    not_implemented: bool = False
    hint: str = ""                # a recognized mistake, when the output matches one


def run_case(exercise, fn, case):
    args = case.make()
    expected = exercise.reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    passed = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        actual = fn(*passed)
    except NotImplementedError:
        return CaseResult(case.name, False, "not implemented yet", not_implemented=True)
    except Exception as exc:                            # noqa: BLE001 (the student's code raised)
        return CaseResult(case.name, False,
                          f"raised {type(exc).__name__}: {exc} ({_location(_learner_line(exc))})")
    changed = _changed_inputs(fn, args, passed)
    if changed:
        return CaseResult(case.name, False, changed_inputs_message(changed))
    ok, reason, recognized = judge(exercise, args, expected, actual)
    if ok:
        return CaseResult(case.name, True, "", 0.0)
    return CaseResult(case.name, False,
                      f"inputs {_describe_args(args)}; expected {_shape(expected)}: {reason}", None, hint=recognized)


def run_cases(exercise, fn, which="visible"):
    return [run_case(exercise, fn, case) for case in exercise.cases(which)]


def _under_nbgrader():
    """True inside nbgrader's autograde, which sets NBGRADER_EXECUTION in the kernel."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


FAILURES = {}     # (exercise id, case) -> failed checks in this kernel, for the hint's second tier


def _tiered_hint(exercise, case, ask):
    """What to look at on a first failure; the formula when the same case fails again, or when asked."""
    FAILURES[exercise.id, case] = FAILURES.get((exercise.id, case), 0) + 1
    if ask or FAILURES[exercise.id, case] > 1 or not exercise.look:
        return f"Hint: {exercise.hint}" if exercise.hint else ""
    return (f"{first_hint(exercise)} (The formula comes if this case fails again, "
            f"or now with check(..., hint=True) or hint({exercise.id!r}).)")


def sentence(text):
    """``text`` ending in one full stop (or its own question mark)."""
    text = text.rstrip()
    return text if not text or text.endswith(("?", "!", ".")) else text + "."


def first_hint(exercise):
    """The hint a first failure shows, as the check and the grader's feedback both say it (one sentence)."""
    if exercise.look:
        return sentence(f"Look at: {exercise.look}")
    return sentence(f"Hint: {exercise.hint}") if exercise.hint else ""


def hint(exercise_id):
    """Print the exercise's formula (the second tier of its hint)."""
    exercise = get(exercise_id)
    print(f"{exercise_id}: {exercise.hint or 'no hint for this exercise.'}")


def check(exercise_id, fn, hidden=False, hint=False):
    """Run the visible cases of an exercise on the student's function and print the verdict.

    On a failure it names the case and the quantity that is wrong, then hints in tiers:
    first what to look at; when the same case fails again (or with ``hint=True``), the
    formula. ``hidden=True`` runs the hidden cases instead (solutions/ only: release
    removes those calls, and nbgrader's autograde puts them back). Inside nbgrader's
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
        if first.hint:
            message += f"\nHint: {first.hint}."
        tier = _tiered_hint(exercise, first.case, hint)
        if tier:
            message += f"\n{tier}"
    print(message)
    if _under_nbgrader():
        raise AssertionError(message)


def grade_adds(exercise):
    """What the grade's hidden cases add beyond the visible ones, in words."""
    if exercise.grade_adds:
        return exercise.grade_adds
    return ", ".join(c.name for c in exercise.hidden)


def progress(notebook):
    """A summary of this notebook's exercises, as checked so far in this kernel.

    "visible cases pass" is not a promise about the grade: each such exercise says
    what its hidden cases add.
    """
    lines = [f"Progress in {notebook}:"]
    done = 0
    exercises = for_notebook(notebook)
    for e in exercises:
        if e.id not in PROGRESS:
            state = "not checked yet"
        else:
            passed, total = PROGRESS[e.id]
            if passed == total:
                state = (f"visible cases pass; the grade also runs {grade_adds(e)}" if e.hidden
                         else "visible cases pass (the grade runs no other cases)")
            else:
                state = f"{passed}/{total} visible cases"
            done += passed == total
        lines.append(f"  {e.id:28} {state}")
    lines.append(f"{done}/{len(exercises)} exercises pass their visible cases.")
    print("\n".join(lines))
