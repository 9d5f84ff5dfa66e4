"""What the autograder writes: the gradebook row, the student's feedback, Gradescope's results.json.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
top-level ``score``, ``execution_time``, ``output``, ``output_format``,
``visibility``, ``stdout_visibility``, ``extra_data`` and ``tests``, each test
with ``score``, ``max_score``, ``status``, ``name``, ``number``, ``output``,
``output_format``, ``visibility``. Each exercise becomes two tests: its visible
cases (shown at once) and its hidden ones (shown after the grades are
published), sharing the exercise's points in proportion to their case counts.
"""
import csv
import io
import re

GRADEBOOK_COLUMNS = ["submission", "student", "assignment", "score", "max_score", "status", "reason",
                     "exercises", "flags", "execution", "isolation", "sha256", "seconds"]
HIDDEN_VISIBILITY = "after_published"


def _fmt(x):
    return f"{x:g}"


def gradebook_row(result, student):
    return {
        "submission": result.submission, "student": student, "assignment": result.assignment,
        "score": _fmt(result.score), "max_score": _fmt(result.max_score), "status": result.status,
        "reason": result.reason,
        "exercises": "; ".join(f"{e.id}={_fmt(e.score)}/{_fmt(e.points)}" for e in result.exercises),
        "flags": "; ".join(result.flags), "execution": result.execution, "isolation": result.isolation,
        "sha256": result.sha256, "seconds": f"{result.seconds:.2f}",
    }


def gradebook_csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=GRADEBOOK_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _case_line(case, hidden):
    mark = "passed" if case.passed else "FAILED"
    text = case.public if hidden else case.message
    return f"- `{case.name}`: {mark}" + (f": {text}" if text and not case.passed else "")


def feedback_markdown(result, student="", hidden_details=True):
    """The feedback a student reads: score, then each exercise's cases (hidden ones without inputs;
    with ``hidden_details=False``, only their count, for where hidden tests are shown later)."""
    lines = [f"# Feedback: {result.assignment or 'unknown assignment'}", ""]
    if student:
        lines += [f"Submission: `{student}`", ""]
    if hidden_details:            # otherwise the score includes hidden results not shown yet: Gradescope shows it
        lines += [f"**Score: {_fmt(result.score)} / {_fmt(result.max_score)}**", ""]
    if result.status != "graded":
        lines += [f"This submission could not be graded: {result.reason}.", ""]
    for note in result.notes:
        lines += [f"> Note: {note}", ""]
    if result.execution:
        lines += [f"Running your notebook top to bottom: {result.execution}.", ""]
    for e in result.exercises:
        points = f": {_fmt(e.score)} / {_fmt(e.points)}" if hidden_details else f" ({_fmt(e.points)} points)"
        lines += [f"## {e.id} (`{e.function}`){points}", ""]
        if e.problem:
            lines += [e.problem, ""]
            continue
        visible = [c for c in e.cases if c.kind == "visible"]
        hidden = [c for c in e.cases if c.kind != "visible"]
        lines += [_case_line(c, hidden=False) for c in visible]
        if hidden and hidden_details:
            lines.append(f"- hidden cases: {sum(c.passed for c in hidden)}/{len(hidden)} passed")
            lines += ["  " + _case_line(c, hidden=True) for c in hidden if not c.passed]
        elif hidden:
            lines.append(f"- {len(hidden)} hidden cases: shown when the grades are published")
        lines.append("")
    if result.isolation:
        lines += [f"_Grading: {result.isolation}._", ""]
    if result.output.strip():
        # a fence longer than any run of backticks in the output: printed text cannot close it
        printed = result.output[:5000]
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", printed)), default=0))
        lines += ["## What your code printed while graded", "", fence + "text", printed, fence, ""]
    return "\n".join(lines)


def gradescope_results(result, student=""):
    """The results.json dict for one submission, to Gradescope's specification."""
    tests, number = [], 0
    for e in result.exercises:
        groups = [("visible cases", "visible", [c for c in e.cases if c.kind == "visible"]),
                  ("hidden cases", HIDDEN_VISIBILITY, [c for c in e.cases if c.kind != "visible"])]
        total = len(e.cases)
        if e.problem or not total:
            number += 1
            tests.append({"name": f"{e.id} ({e.function})", "number": str(number), "score": 0.0,
                          "max_score": float(e.points), "status": "failed", "output": e.problem or "no cases",
                          "output_format": "text", "visibility": "visible"})
            continue
        for label, visibility, cases in groups:
            if not cases:
                continue
            number += 1
            share = e.points * len(cases) / total
            score = round(share * sum(c.passed for c in cases) / len(cases), 4)
            hidden = visibility != "visible"
            output = "\n".join(_case_line(c, hidden) for c in cases)
            tests.append({"name": f"{e.id} ({e.function}): {label}", "number": str(number),
                          "score": score, "max_score": round(share, 4),
                          "status": "passed" if all(c.passed for c in cases) else "failed",
                          "output": output, "output_format": "md", "visibility": visibility})
    return {
        "score": float(result.score),
        "execution_time": int(round(result.seconds)),
        "output": feedback_markdown(result, student, hidden_details=False),   # the hidden tests say the rest
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"assignment": result.assignment, "status": result.status, "reason": result.reason,
                       "sha256": result.sha256, "max_score": float(result.max_score), "flags": result.flags},
    }
