"""Read a submitted notebook: which assignment it is, and the code that defines its functions.

The grader does not run a submission top to bottom. It takes, from every code
cell in order, the top-level statements the exercise functions depend on,
transitively:

- the ``def`` of each exercise function, and the ``def``/``class`` of every
  helper they use,
- assignments to names they use (constants such as ``EPS = 1e-7``),
- the ``import`` statements binding names they use (TensorFlow only when an
  exercise function uses it, as in the TF1 -> TF2 migration notebook),

and leaves out everything else (checks, prints, plots, experiments). Later
definitions replace earlier ones, as they would in a kernel run top to bottom.
A cell that does not parse is skipped with a note; so is a cell whose type was
changed from code. What could not be found is reported in plain words.
"""
import ast
import hashlib
import json
import re
import symtable
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import exercises

# CPython before 3.11.8/3.12.1 keeps ast.parse's recursion counter per interpreter, not per
# thread: two threads parsing at once (`grade --jobs 2`) fail at random with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905). The other parser need not be
# ours: TensorFlow's autograph parses the source of the layers a TF reference calls (notebook 11's
# references run here, in the grader). So our parses take PARSE_LOCK, the TF references take it
# too (autograde), and a parse that still meets the error is simply run again: it is deterministic.
PARSE_LOCK = threading.RLock()


def parse(source, attempts=3):
    """ast.parse, one thread at a time, run again if another thread's parse upset CPython's counter."""
    for attempt in range(attempts):
        try:
            with PARSE_LOCK:
                return ast.parse(source)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == attempts - 1:
                raise


TF_MODULES = {"tensorflow", "keras", "tf_keras"}
TF_KIT_MODULES = ("tflearn_kit.reference", "tflearn_kit.compare")     # these import TensorFlow
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z0-9_.]+)["']""")
DEF_TEXT = re.compile(r"^\s*def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)


class NotGradable(Exception):
    """The file cannot be graded at all (not a notebook, empty, unknown assignment)."""


@dataclass
class Submission:
    path: Path
    sha256: str
    notebook: object = None
    assignment: str = None


def _source(cell):
    """A cell's source as text, whatever shape the JSON had (list of lines, missing, junk)."""
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_notebook(path):
    """The notebook, or raises NotGradable saying in plain words what is wrong with the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotGradable(f"the file could not be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise NotGradable("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotGradable("the file is not a notebook (it is not text; a .ipynb file is JSON text)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotGradable(f"the file is not valid notebook JSON (corrupted at line {exc.lineno}, "
                          f"column {exc.colno}: {exc.msg})") from None
    if isinstance(raw, dict) and "worksheets" in raw:  # nbformat 3: let nbformat convert it
        try:
            import nbformat
            raw = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as exc:                       # noqa: BLE001 (nbformat raises many kinds)
            raise NotGradable(f"the notebook could not be read ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotGradable("the file is JSON but not a Jupyter notebook (it has no cells)")
    return Notebook(raw)


class _Node(dict):
    """A dict whose keys read as attributes, like nbformat's NotebookNode (without importing nbformat:
    its JSON-schema setup costs seconds per process)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def Notebook(raw):
    """The parts of a notebook the grader reads: cells (type, source, metadata) and metadata."""
    cells = []
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        count = cell.get("execution_count")
        cells.append(_Node(cell_type=str(cell.get("cell_type", "raw")), source=_source(cell),
                           metadata=meta if isinstance(meta, dict) else {},
                           execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None))
    meta = raw.get("metadata")
    return _Node(cells=cells, metadata=meta if isinstance(meta, dict) else {})


def known_assignments():
    exercises._load_catalog()
    return sorted({e.notebook for e in exercises.REGISTRY.values()})


def detect_assignment(nb, path, explain=False):
    """The assignment (e.g. '02_dense_and_activations'): file name, else notebook metadata, else content.

    The file name comes first because the instructor's collection names it (nbgrader
    puts it in the path too); a notebook's metadata that names another assignment is
    overruled, with a note. ``explain=True`` returns (assignment, note).
    """
    known = known_assignments()
    meta = nb.metadata.get("tflearn_kit", {}) if nb is not None else {}
    declared = meta.get("assignment") if isinstance(meta, dict) else None
    name = Path(path).name
    by_name = [a for a in known if a in name]
    found, note = None, ""
    if by_name:
        found = max(by_name, key=len)
        if declared in known and declared != found:
            note = (f"the notebook's metadata says it is {declared}, but its file name says {found}; "
                    f"it was graded as {found}")
    elif declared in known:
        found = declared
    else:
        found = _assignment_from_checks(nb)
    if found is None:
        raise NotGradable(f"could not tell which assignment '{name}' is: no known notebook name "
                          f"({', '.join(known)}) in the file name, no assignment in its metadata, "
                          "and no exercise checks in its cells")
    return (found, note) if explain else found


def _assignment_from_checks(nb):
    votes = {}
    for cell in (nb.cells if nb is not None else []):
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        grade_id = str(nbgrader.get("grade_id", "")) if isinstance(nbgrader, dict) else ""
        ids = CHECK_CALL.findall(_source(cell))
        if grade_id.startswith("check_"):
            ids.append(grade_id[len("check_"):])
        for exercise_id in ids:
            exercise = exercises.REGISTRY.get(exercise_id)
            if exercise is not None:
                votes[exercise.notebook] = votes.get(exercise.notebook, 0) + 1
    return max(votes, key=votes.get) if votes else None


# -- naming a cell the way the learner sees it -----------------------------------------

def _ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def cell_names(nb):
    """{position (from 1, every cell counted): how feedback names that cell}.

    JupyterLab shows a code cell's execution count in its left margin ("[11]:"), and
    the notebook's own check says "line 5 of cell [11]": the grader names a cell the
    same way, from the count saved in the submitted notebook. A cell never run has no
    count, and a count two cells share (the kernel was restarted between them) does not
    say which one is meant: then the position says it, "the 24th cell".
    """
    cells = nb.cells if nb is not None else []
    counts = [c.get("execution_count") if c.get("cell_type") == "code" else None for c in cells]
    names = {}
    for number, count in enumerate(counts, start=1):
        if count is None:
            names[number] = f"the {_ordinal(number)} cell"
        elif counts.count(count) > 1:
            names[number] = f"cell [{count}] (the {_ordinal(number)} cell)"
        else:
            names[number] = f"cell [{count}]"
    return names


# -- extracting the definitions ------------------------------------------------------


@dataclass
class Extraction:
    chunks: list = field(default_factory=list)        # [{"cell", "source", "label"}] in order
    defined: dict = field(default_factory=dict)        # function/class name -> cell number (last wins)
    notes: list = field(default_factory=list)          # plain-words problems found while reading
    syntax_errors: dict = field(default_factory=dict)  # cell number -> "line 3: invalid syntax"
    broken_defs: dict = field(default_factory=dict)    # name -> cell number, defs in cells that do not parse
    retyped_defs: dict = field(default_factory=dict)   # name -> (cell number, cell type)
    solution_cells: dict = field(default_factory=dict)  # nbgrader grade_id -> (cell number, cell type, names)
    uses_kit: dict = field(default_factory=dict)       # function name -> kit names it uses (for review)
    uses_tensorflow: bool = False                      # the definitions import TensorFlow (more memory, time)
    cell_names: dict = field(default_factory=dict)     # cell number -> "cell [11]" (see cell_names)

    def cell(self, number):
        return self.cell_names.get(number, f"the {_ordinal(number)} cell")


def _python_source(source):
    """IPython magics and shell escapes turned into plain Python (which the grader then ignores)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:                                  # noqa: BLE001 (fall back to dropping the lines)
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _root(module):
    return (module or "").split(".")[0]


def _names_loaded(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _segment(lines, node):
    """A top-level statement's own source text (no ast.unparse: it recurses, and fails on long expressions)."""
    if node.lineno == node.end_lineno:
        return lines[node.lineno - 1][node.col_offset:node.end_col_offset]
    return "\n".join([lines[node.lineno - 1][node.col_offset:], *lines[node.lineno:node.end_lineno - 1],
                      lines[node.end_lineno - 1][:node.end_col_offset]])


def _globals_used(node, source=None):
    """The global names a def or class refers to (its locals and parameters excluded), via symtable."""
    try:
        table = symtable.symtable(source if source is not None else ast.unparse(node), "<definition>", "exec")
    except (SyntaxError, RecursionError, ValueError):
        return _names_loaded(node)
    names = set()

    def walk(t):
        for sym in t.get_symbols():
            if not sym.is_referenced():
                continue
            if t.get_type() == "module" or (t.get_type() == "function" and sym.is_global()) \
                    or (t.get_type() == "class" and not sym.is_assigned()):
                names.add(sym.get_name())
        for child in t.get_children():
            walk(child)
    walk(table)
    return names


def _needs(node, lines):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return _globals_used(node, _definition_source(lines, node, blank_lines=False))
    return _names_loaded(node)


def _definition_source(lines, node, blank_lines=True):
    """A def or class with its decorators; blank lines in front keep the cell's line numbers in tracebacks."""
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    text = "\n".join(lines[first - 1: node.end_lineno])
    return "\n" * (first - 1) + text if blank_lines else text


def _bound_names(node):
    """The top-level names a statement binds (only those kinds the grader may run)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets if isinstance(t, (ast.Name, ast.Tuple, ast.List))
                for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, ast.Import):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom):
        return {a.asname or a.name for a in node.names if a.name != "*"}
    return set()


def extract(nb, functions=None):
    """The definitions ``functions`` (default: every function) need, as chunks the sandbox runs one by one."""
    out = Extraction(cell_names=cell_names(nb))
    statements = _parse_cells(nb, out)
    if functions is None:
        functions = [node.name for _, node, _ in statements if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    needs = _NeedsCache()
    needed = _needed_names(statements, functions, needs)
    kit_names = _kit_names(statements)
    for number, node, lines in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.defined[node.name] = number
            out.uses_kit[node.name] = _kit_use(node, lines, kit_names, needs)
        star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
        if _bound_names(node) & needed or star:          # a star import may bind anything
            chunk = _chunk(number, node, lines)
            if chunk is not None:
                chunk["name"] = out.cell(number)
                out.chunks.append(chunk)
                out.uses_tensorflow |= chunk.pop("tensorflow", False)
    for number, why in sorted(out.syntax_errors.items()):
        out.notes.append(f"{out.cell(number)} has a syntax error ({why}); the grader skipped that cell")
    return out


def _parse_cells(nb, out):
    """[(cell number, top-level statement, the cell's lines)] of every code cell that parses, noting the rest."""
    statements = []
    for number, cell in enumerate(nb.cells, start=1):
        source = _source(cell)
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
        if grade_id:
            out.solution_cells[grade_id] = (number, cell.cell_type, DEF_TEXT.findall(source))
        if cell.cell_type != "code":
            for name in DEF_TEXT.findall(source):
                out.retyped_defs.setdefault(name, (number, cell.cell_type))
            continue
        if source.lstrip().startswith("%%"):
            continue                                    # a cell magic (%%time, %%writefile): not Python
        python = _python_source(source)
        try:
            tree = parse(python)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            where = f"line {exc.lineno}: " if getattr(exc, "lineno", None) else ""
            why = getattr(exc, "msg", None) or ("nested too deeply to read" if isinstance(exc, RecursionError)
                                                else str(exc) or type(exc).__name__)
            out.syntax_errors[number] = f"{where}{why}"
            for name in DEF_TEXT.findall(source):
                out.broken_defs[name] = number
            continue
        lines = python.splitlines()
        statements += [(number, node, lines) for node in tree.body]
    return statements


class _NeedsCache(dict):
    """The names each statement needs, computed once per statement."""

    def of(self, node, lines):
        if id(node) not in self:
            self[id(node)] = _needs(node, lines)
        return self[id(node)]


def _needed_names(statements, functions, needs):
    """Every name the exercise functions need, transitively: the definitions, constants and imports that
    bind a name they use. Nothing else runs, so an unrelated cell (a plot, an experiment) cannot get in
    the way. A work list: each statement is looked at once, however long the chain of names."""
    binders = {}
    for number, node, lines in statements:
        for name in _bound_names(node):
            binders.setdefault(name, []).append((node, lines))
    needed, todo, seen = set(functions), list(functions), set()
    while todo:
        for node, lines in binders.get(todo.pop(), []):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for name in needs.of(node, lines) - needed:
                needed.add(name)
                todo.append(name)
    return needed


def _kit_names(statements):
    """Names bound to the kit at the top level, except its grading tools (check, progress)."""
    names = set()
    for _, node, _ in statements:
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if _root(a.name) == "tflearn_kit"}
        elif isinstance(node, ast.ImportFrom) and _root(node.module) == "tflearn_kit" \
                and not (node.module or "").startswith("tflearn_kit.grading"):
            names |= {a.asname or a.name for a in node.names}
    return names


def _kit_use(node, lines, kit_names, needs):
    """The kit names a def or class uses (for the instructor's review when grading without isolation)."""
    local = {a.name for n in ast.walk(node) if isinstance(n, ast.Import) for a in n.names
             if _root(a.name) == "tflearn_kit"}
    local |= {n.module for n in ast.walk(node) if isinstance(n, ast.ImportFrom) and _root(n.module) == "tflearn_kit"}
    return sorted((needs.of(node, lines) & kit_names) | local)


def _chunk(number, node, lines):
    """The chunk the sandbox runs for one needed statement (None for kinds it never runs)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        return {"cell": number, "source": _segment(lines, node), "kind": "import",
                "label": "import " + ", ".join(a.name for a in node.names),
                "tensorflow": any(_root(m) in TF_MODULES or m.startswith(TF_KIT_MODULES) for m in modules)}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        kind = "class" if isinstance(node, ast.ClassDef) else "def"
        return {"cell": number, "source": _definition_source(lines, node), "label": f"{kind} {node.name}",
                "kind": kind}
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return {"cell": number, "source": _segment(lines, node), "kind": "assignment",
                "label": f"assignment to {', '.join(sorted(_bound_names(node)))}"}
    return None


def missing_function_reason(extraction, function):
    """Why ``function`` is not among the definitions, in plain words."""
    if function in extraction.broken_defs:
        cell = extraction.broken_defs[function]
        return (f"{function} is in {extraction.cell(cell)}, which has a syntax error "
                f"({extraction.syntax_errors[cell]}), so it could not be graded")
    if function in extraction.retyped_defs:
        cell, kind = extraction.retyped_defs[function]
        return f"{function} is in {extraction.cell(cell)}, which is a {kind} cell, not a code cell, so it never runs"
    solution = extraction.solution_cells.get(f"solution_{function}")
    if solution is not None:
        cell, kind, names = solution
        if kind != "code":
            return f"the exercise cell of {function} ({extraction.cell(cell)}) was changed into a {kind} cell"
        if names:
            return (f"no function named {function}: its exercise cell ({extraction.cell(cell)}) defines "
                    f"{', '.join(names)} instead. Was it renamed?")
    import difflib
    exercise_functions = {e.function for e in exercises.REGISTRY.values()}
    others = [n for n in extraction.defined if n not in exercise_functions]
    close = difflib.get_close_matches(function, others, n=1, cutoff=0.6)
    if close:
        return (f"no function named {function}, but there is a {close[0]} in "
                f"{extraction.cell(extraction.defined[close[0]])}. Was it renamed? The grader looks for {function}")
    return f"no function named {function} was found (was its cell deleted, or the function renamed?)"
