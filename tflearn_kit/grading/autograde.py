"""The autograder: one submitted notebook -> a score per exercise, with reasons in plain words.

    result = grade_submission("alice/02_dense_and_activations.ipynb")
    result.score, result.max_score, result.status, result.reason

How a submission is graded (see docs/instructors.md for why):

1. Read the file and detect its assignment (notebook metadata, else file name,
   else the exercise checks in its cells).
2. Extract the student's definitions (``submission.extract``): imports,
   functions, classes and the constants they use; not the rest of the notebook.
3. Load them in a limited, separate process (``sandbox.StudentProcess``), inside
   a bubblewrap sandbox (isolation.py) where the kit's kernels and this catalog
   do not exist.
4. For every case of every exercise (visible, hidden, and the instructor's
   extra cases), build the inputs and the expected result HERE, ask the
   student's process for the function's result, and compare HERE. No student
   code ever runs in this process, so patching NumPy, the checker or builtins in
   the notebook changes nothing. Hidden cases are drawn with the instructor's
   salt, when given, so their inputs are ones no student has.
5. Points per exercise: its points times the fraction of its cases passed.

Nothing a submission does makes ``grade_submission`` raise: every problem
becomes part of the result's ``reason``. (It raises IsolationUnavailable, before
anything runs, when there is no sandbox and ``--no-isolation`` was not asked for.)
"""
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import exercises, sandbox
from .isolation import choose as choose_isolation
from .submission import (PARSE_LOCK, NotGradable, detect_assignment, extract, missing_function_reason,
                         read_notebook, sha256_of)

CASE_TIMEOUT = 10.0          # seconds for one call of a student's function
TOTAL_TIMEOUT = 120.0        # seconds for one submission, everything included
# When the exercise functions use TensorFlow (the TF1 -> TF2 migration notebook), at least:
TF_MEMORY_MB = 6144          # TF alone reserves ~2 GB of address space (VmPeak 1.9 GB measured)
TF_CASE_TIMEOUT = 60.0
TF_TOTAL_TIMEOUT = 300.0


@dataclass
class CaseOutcome:
    name: str
    kind: str                    # "visible", "hidden", "extra" (instructor's case) or "test" (instructor's test)
    passed: bool
    message: str = ""            # full detail (inputs, shapes, error), for the instructor
    public: str = ""             # what a student may see for a hidden case (no inputs)
    timed_out: bool = False      # the student's function did not return in time


@dataclass
class ExerciseResult:
    id: str
    function: str
    points: float
    score: float = 0.0
    cases: list = field(default_factory=list)
    problem: str = ""            # why nothing was graded, when nothing was

    @property
    def passed(self):
        return sum(c.passed for c in self.cases)

    def summary(self):
        """One short phrase for the gradebook's reason column."""
        if self.problem:
            return self.problem
        if self.cases and all(c.message == "not implemented yet" for c in self.cases):
            return "not implemented yet"
        failed = [c for c in self.cases if not c.passed]
        if not failed:
            return "all cases passed"
        first = failed[0]
        return f"{self.passed}/{len(self.cases)} cases passed; case '{first.name}' {_short(first.message)}"


@dataclass
class Result:
    submission: str
    sha256: str = ""
    assignment: str = ""
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"       # "graded", "ungradable" (nothing could be graded) or "grader-error"
    reason: str = ""
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)          # for the instructor's review, not scored
    exercises: list = field(default_factory=list)
    output: str = ""             # the student's printing while graded (truncated)
    seconds: float = 0.0
    execution: str = ""          # with execute=True: how running the notebook top to bottom went
    isolation: str = ""          # how the student's code was walled off (isolation.Isolation.describe)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data["exercises"] = [ExerciseResult(**{**e, "cases": [CaseOutcome(**c) for c in e["cases"]]})
                             for e in data.get("exercises", [])]
        return cls(**data)


def _short(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class StudentFunctionError(Exception):
    """Raised inside an instructor's test when the student's function failed."""


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


@dataclass
class Settings:
    """How to grade: time limits, memory, the wall around the student's process, the hidden-case salt."""
    timeout: float = TOTAL_TIMEOUT
    case_timeout: float = CASE_TIMEOUT
    memory_mb: int = sandbox.MEMORY_LIMIT_MB
    isolation: object = None          # isolation.Isolation
    salt: str = ""                    # the instructor's secret; hidden cases are drawn from it
    private: tuple = ()               # more paths the student's process must not see (the output folder)


def _evaluate(exercise, case, kind, process, deadline, settings):
    """Run one case: inputs and expected value here, the student's function in the sandbox."""
    if time.monotonic() > deadline:
        why = "not run: the time limit for the whole submission was reached"
        return CaseOutcome(case.name, kind, False, why, why)
    with exercises.salted(settings.salt if kind == "hidden" else ""):
        args = case.make()
    with PARSE_LOCK:                 # a TF reference may parse source (autograph): see submission.PARSE_LOCK
        expected = exercise.reference(*_copy(args))
    call = process.call(exercise.function, _copy(args),
                        timeout=min(settings.case_timeout, max(deadline - time.monotonic(), 0.1)))
    if not call.ok:
        return CaseOutcome(case.name, kind, False, call.error, call.error, timed_out=call.timed_out)
    ok, reason, recognized = exercises.judge(exercise, args, expected, call.value)
    if ok:
        return CaseOutcome(case.name, kind, True)
    # the same hints the notebook's check shows on a first failure: a recognized mistake, then what to look at
    hints = (f" Hint: {exercises.sentence(recognized)}" if recognized else "") + \
        (f" {exercises.first_hint(exercise)}" if exercises.first_hint(exercise) else "")
    detail = f"inputs {exercises._describe_args(args)}; expected {exercises._shape(expected)}: {reason}.{hints}"
    return CaseOutcome(case.name, kind, False, detail, reason)


def _run_instructor_test(exercise, test, process, case_timeout):
    """An instructor's ``test_<exercise>(fn)``, run HERE with ``fn`` calling the student's function."""
    def fn(*args):
        call = process.call(exercise.function, args, timeout=case_timeout)
        if not call.ok:
            raise StudentFunctionError(call.error)
        return call.value
    name = test.__name__
    try:
        test(fn)
    except StudentFunctionError as exc:
        return CaseOutcome(name, "test", False, f"your function {exc}", f"your function {exc}")
    except AssertionError as exc:
        text = f"failed: {exc}" if str(exc) else "failed"
        return CaseOutcome(name, "test", False, text, text)
    except Exception as exc:                            # noqa: BLE001 (e.g. an Opaque result misused)
        text = f"failed ({type(exc).__name__}: {_short(exc)})"
        return CaseOutcome(name, "test", False, text, text)
    return CaseOutcome(name, "test", True)


def _ungradable(path, sha, reason, assignment=""):
    result = Result(submission=str(path), sha256=sha, assignment=assignment or "", status="ungradable",
                    reason=reason)
    if assignment:
        result.exercises = [ExerciseResult(e.id, e.function, float(e.points), 0.0, [], reason)
                            for e in exercises.for_notebook(assignment)]
        result.max_score = float(sum(e.points for e in result.exercises))
    return result


def grade_submission(path, assignment=None, extra=None, timeout=TOTAL_TIMEOUT, case_timeout=CASE_TIMEOUT,
                     memory_mb=sandbox.MEMORY_LIMIT_MB, execute=False, isolation=None, salt="", private=(),
                     sha256=None):
    """Grade one submitted file. Never raises: problems become the result's status and reason.

    ``extra`` (from ``load_extra_tests``) adds an instructor's cases and tests.
    ``isolation`` is the wall around the student's process (default: bubblewrap,
    else IsolationUnavailable is raised before anything runs). ``salt`` draws the
    hidden cases from the instructor's secret. ``execute=True`` also runs the
    notebook top to bottom in a fresh kernel (``execute.py``) and reports how
    that went; it does not change the score. ``sha256``: the file's hash when
    the caller already has it (batch.py grades a private copy of the original).
    """
    started = time.monotonic()
    settings = Settings(timeout, case_timeout, memory_mb or sandbox.MEMORY_LIMIT_MB,
                        isolation or choose_isolation(), salt or "", tuple(private))
    path = Path(path)
    sha = sha256 or _hash_or_empty(path)
    try:
        result = _grade(path, sha, assignment, extra or ExtraTests(), settings)
    except Exception as exc:                            # noqa: BLE001 (a bug of ours must not lose the row)
        result = _ungradable(path, sha, f"the grader itself failed ({type(exc).__name__}: {_short(exc)}); "
                                        "please report this", assignment or "")
        result.status = "grader-error"
        result.notes.append(traceback.format_exc(limit=5))
    result.isolation = settings.isolation.describe()
    if not settings.isolation.isolated:
        note = "graded without isolation (--no-isolation): the student's code ran unconfined"
        result.notes.append(note)
        result.reason = f"{result.reason}; {note}" if result.reason else note
    if execute and result.status == "graded":
        from .execute import execute_notebook
        run = execute_notebook(path, timeout=max(timeout, 60), isolation=settings.isolation, private=settings.private)
        result.execution = run.reason + "".join(f"; {e}" for e in run.errors[:5])
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _hash_or_empty(path):
    try:
        return sha256_of(path)
    except OSError:
        return ""


def _read_and_detect(path, sha, assignment):
    """(notebook, assignment), or raises _Ungradable with the result to return."""
    try:
        nb = read_notebook(path)
    except NotGradable as exc:
        raise _Ungradable(_ungradable(path, sha, str(exc), assignment or _assignment_from_name(path))) from None
    if assignment:
        return nb, assignment, ""
    try:
        found, note = detect_assignment(nb, path, explain=True)
    except NotGradable as exc:
        raise _Ungradable(_ungradable(path, sha, str(exc))) from None
    return nb, found, note


class _Ungradable(Exception):
    def __init__(self, result):
        super().__init__(result.reason)
        self.result = result


def _limits(found, settings, started):
    """(memory MB, case timeout, deadline) for these definitions: more for TensorFlow."""
    deadline = started + settings.timeout
    if not found.uses_tensorflow:
        return settings.memory_mb, settings.case_timeout, deadline
    # TensorFlow reserves ~2 GB of address space on import and builds graphs on the first call.
    return (max(settings.memory_mb, TF_MEMORY_MB), max(settings.case_timeout, TF_CASE_TIMEOUT),
            max(deadline, time.monotonic() + TF_TOTAL_TIMEOUT))


def _grade_exercise(exercise, process, extra, deadline, case_timeout, settings):
    """Every case of one exercise (visible, hidden, the instructor's) -> its ExerciseResult."""
    er = ExerciseResult(exercise.id, exercise.function, float(exercise.points))
    case_settings = replace(settings, case_timeout=case_timeout)
    timeouts = 0
    for kind, cases in (("visible", exercise.visible), ("hidden", exercise.hidden),
                        ("extra", extra.cases.get(exercise.id, []))):
        for case in cases:
            if timeouts >= 2:                 # two cases looped: the rest would too, at 10 s each
                why = "not run: two earlier cases of this exercise did not finish in time"
                er.cases.append(CaseOutcome(case.name, kind, False, why, why))
                continue
            outcome = _evaluate(exercise, case, kind, process, deadline, case_settings)
            timeouts += outcome.timed_out
            er.cases.append(outcome)
    for test in extra.tests.get(exercise.id, []):
        er.cases.append(_run_instructor_test(exercise, test, process, case_timeout))
    total = len(er.cases)
    er.score = round(exercise.points * er.passed / total, 4) if total else 0.0
    return er


def _kit_flags(found, todo):
    """Without isolation the kit is importable: exercise functions that use it, for the instructor's review."""
    flags = []
    for e in todo:
        used = found.uses_kit.get(e.function)
        if used:
            flags.append(f"{e.function} uses the kit ({', '.join(used)}); check it is not calling "
                         "the reference implementation")
    return flags


def _grade(path, sha, assignment, extra, settings):
    started = time.monotonic()
    try:
        nb, assignment, note = _read_and_detect(path, sha, assignment)
    except _Ungradable as exc:
        return exc.result
    todo = exercises.for_notebook(assignment)
    result = Result(submission=str(path), sha256=sha, assignment=assignment, notes=[note] if note else [])
    result.max_score = float(sum(e.points for e in todo))
    if not todo:
        result.reason = "this assignment has no graded exercises"
        return result
    found = extract(nb, [e.function for e in todo])
    result.notes += found.notes
    if not settings.isolation.isolated:
        result.flags += _kit_flags(found, todo)
    present = [e for e in todo if e.function in found.defined]
    memory_mb, case_timeout, deadline = _limits(found, settings, started)
    process = sandbox.StudentProcess(
        found.chunks, memory_mb=memory_mb, load_timeout=case_timeout,
        cpu_seconds=int(max(settings.timeout, TF_TOTAL_TIMEOUT)) + 30, isolation=settings.isolation,
        exports=exercises.student_kit(assignment), with_tensorflow=found.uses_tensorflow,
        private=settings.private, deadline=deadline)
    try:
        if present:
            process.start()
            result.notes += process.load.errors
        for e in todo:
            if e in present:
                result.exercises.append(_grade_exercise(e, process, extra, deadline, case_timeout, settings))
            else:
                result.exercises.append(ExerciseResult(e.id, e.function, float(e.points),
                                                       problem=missing_function_reason(found, e.function)))
    finally:
        process.close()
    result.output = process.output()
    result.score = round(sum(er.score for er in result.exercises), 4)
    result.reason = _reason(result)
    return result


def _assignment_from_name(path):
    from .submission import known_assignments
    matches = [a for a in known_assignments() if a in Path(path).name]
    return max(matches, key=len) if matches else ""


def _reason(result):
    if result.max_score and result.score >= result.max_score:
        parts = ["full marks"]
    else:
        parts = [f"{er.id}: {er.summary()}" for er in result.exercises if er.score < er.points]
    parts += [n for n in result.notes]
    return _short("; ".join(parts), 600)


# -- the instructor's extra tests --------------------------------------------------------


@dataclass
class ExtraTests:
    """Cases and test functions from ``--tests DIR``: {exercise id: [Case]} and {exercise id: [fn]}."""
    cases: dict = field(default_factory=dict)
    tests: dict = field(default_factory=dict)
    files: list = field(default_factory=list)

    def digest(self):
        import hashlib
        h = hashlib.sha256()
        for f in sorted(self.files):
            h.update(Path(f).read_bytes())
        return h.hexdigest()[:16]


def load_extra_tests(directory):
    """Read every ``*.py`` in ``directory``: ``CASES = {exercise id: [Case, ...]}`` and
    ``def test_<exercise id>(fn)`` (or ``test_<exercise id>__<what>(fn)``) functions. Raises ValueError naming an unknown exercise."""
    import importlib.util
    extra = ExtraTests()
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"--tests: {directory} is not a directory")
    exercises._load_catalog()
    for file in sorted(directory.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"tflearn_kit_extra_tests.{file.stem}", file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        extra.files.append(str(file))
        for exercise_id, cases in getattr(module, "CASES", {}).items():
            exercises.get(exercise_id)                 # ValueError when unknown
            extra.cases.setdefault(exercise_id, []).extend(cases)
        for name, value in vars(module).items():
            if name.startswith("test_") and callable(value):
                exercise_id = name[len("test_"):].split("__")[0]      # test_<id> or test_<id>__<what>
                if exercise_id not in exercises.REGISTRY:
                    raise ValueError(f"{file}: {name} names no exercise {exercise_id!r}. "
                                     f"Known: {', '.join(sorted(exercises.REGISTRY))}.")
                extra.tests.setdefault(exercise_id, []).append(value)
    return extra
