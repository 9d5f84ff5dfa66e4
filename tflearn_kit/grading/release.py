"""solutions/ -> notebooks/: the student versions of the instructor notebooks.

In a code cell, everything between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the same
indentation (in a Markdown cell, "YOUR ANSWER HERE"), exactly as nbgrader's
``generate_assignment`` writes it; blocks between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` are removed; outputs and execution counts are cleared.

Cells carry nbgrader's metadata (schema 3), so nbgrader accepts solutions/ as a
source too: a cell with solution markup is a solution cell; a cell that calls
``check("<exercise id>", ...)`` is a locked, graded test cell worth the
exercise's points. ``annotate`` writes that metadata; ``release`` applies it to
both trees.
"""
import copy
import re
from pathlib import Path

import nbformat

from . import exercises

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z0-9_.]+)["']""")
DEF_NAME = re.compile(r"^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)


def replace_solutions(source, cell_type="code"):
    """The student version of one cell's source."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if cell_type == "code":
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            else:
                out.append("YOUR ANSWER HERE")
        elif stripped == END_SOLUTION:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{BEGIN_SOLUTION}' without '{END_SOLUTION}' in:\n{source}")
    return "\n".join(out)


def remove_hidden_tests(source):
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_HIDDEN:
            inside = True
        elif stripped == END_HIDDEN:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{BEGIN_HIDDEN}' without '{END_HIDDEN}' in:\n{source}")
    return "\n".join(out)


def _nbgrader(grade, solution, locked, grade_id, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return meta


def annotate(nb, assignment=None):
    """Set nbgrader metadata on every solution and test cell (in place); returns nb.

    With ``assignment`` (the notebook's name), also record it in the notebook's
    metadata, where ``tflearn-kit grade`` looks first to tell a renamed file's assignment.
    """
    if assignment is not None:
        nb.metadata["tflearn_kit"] = {"assignment": assignment}
    seen = set()
    for index, cell in enumerate(nb.cells):
        source = cell.source
        meta = None
        if BEGIN_SOLUTION in source:
            names = DEF_NAME.findall(source)
            grade_id = f"solution_{names[0]}" if names else f"solution_cell_{index}"
            meta = _nbgrader(False, True, False, grade_id)
        elif cell.cell_type == "code" and CHECK_CALL.search(source):
            exercise_ids = CHECK_CALL.findall(source)
            points = sum(exercises.get(e).points for e in dict.fromkeys(exercise_ids))
            meta = _nbgrader(True, False, True, f"check_{exercise_ids[0]}", points)
        if meta is None:
            cell.metadata.pop("nbgrader", None)
            continue
        if meta["grade_id"] in seen:
            meta["grade_id"] += f"_{index}"
        seen.add(meta["grade_id"])
        cell.metadata["nbgrader"] = meta
    return nb


def student_version(nb, assignment=None):
    """A released copy of an (annotated) solution notebook."""
    nb = copy.deepcopy(nb)
    annotate(nb, assignment)
    for cell in nb.cells:
        cell.source = remove_hidden_tests(replace_solutions(cell.source, cell.cell_type))
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def _text(nb):
    return nbformat.writes(nb) + "\n"


def plan(solutions_dir="solutions", notebooks_dir="notebooks", names=None):
    """[(solution path, student path, student text, solution text annotated)] for each notebook."""
    solutions_dir, notebooks_dir = Path(solutions_dir), Path(notebooks_dir)
    paths = sorted(solutions_dir.glob("*.ipynb"))
    if not paths:
        # Outside the repository (or with a mistyped --solutions) there is nothing to
        # compare: saying "in sync" or writing an empty notebooks/ would hide the mistake.
        where = "does not exist" if not solutions_dir.is_dir() else "holds no .ipynb notebook"
        raise ValueError(f"{solutions_dir}/ {where}. Run from the repository's top folder "
                         "(the one with solutions/ and notebooks/), or pass --solutions DIR.")
    if names:
        wanted = {Path(n).stem for n in names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise ValueError(f"No solution notebook named {sorted(unknown)} in {solutions_dir}/.")
        paths = [p for p in paths if p.stem in wanted]
    out = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        annotated = annotate(copy.deepcopy(nb), path.stem)
        out.append((path, notebooks_dir / path.name, _text(student_version(nb, path.stem)),
                    _text(annotated)))
    return out


def release(solutions_dir="solutions", notebooks_dir="notebooks", names=None):
    """Write notebooks/ from solutions/ (annotating solutions/ in place). Returns the paths written."""
    written = []
    planned = plan(solutions_dir, notebooks_dir, names)     # raises before anything is created
    Path(notebooks_dir).mkdir(parents=True, exist_ok=True)
    for src, dst, student, annotated in planned:
        if src.read_text() != annotated:
            src.write_text(annotated)
            written.append(src)
        if not dst.exists() or dst.read_text() != student:
            dst.write_text(student)
            written.append(dst)
    return written


def stale(solutions_dir="solutions", notebooks_dir="notebooks", names=None):
    """Human-readable reasons notebooks/ is out of date (empty when in sync)."""
    reasons = []
    for src, dst, student, annotated in plan(solutions_dir, notebooks_dir, names):
        if src.read_text() != annotated:
            reasons.append(f"{src}: nbgrader metadata is missing or out of date")
        if not dst.exists():
            reasons.append(f"{dst}: missing")
        elif dst.read_text() != student:
            reasons.append(f"{dst}: differs from the release of {src}")
    known = {p.name for p in Path(solutions_dir).glob("*.ipynb")}
    if not names:
        for extra in sorted(Path(notebooks_dir).glob("*.ipynb")):
            if extra.name not in known:
                reasons.append(f"{extra}: has no solution notebook")
    return reasons
