"""Submissions for the grading tests, generated from a solution notebook.

``solution_path(name)`` is the real ``solutions/<name>.ipynb`` when it exists,
else the stand-in in tests/grading_fixtures/ (for 02 until it lands).
``faults(nb)`` makes the fault corpus: every way the issue lists a submission can
go wrong, each as (name, file bytes); ``cheats(nb)`` the submissions that try
to fool the checker.
"""
import copy
import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "grading_fixtures"


def solution_path(name):
    real = ROOT / "solutions" / f"{name}.ipynb"
    return real if real.exists() else FIXTURES / f"{name}.ipynb"


def solution_paths():
    """Every assignment's solution notebook: the real ones, plus the fixture for any not yet written."""
    real = {p.stem: p for p in (ROOT / "solutions").glob("*.ipynb")}
    for p in FIXTURES.glob("*.ipynb"):
        real.setdefault(p.stem, p)
    return [real[k] for k in sorted(real)]


def _text(nb):
    return nbformat.writes(nb).encode()


def _def_cell(nb, function):
    pattern = re.compile(rf"^def {function}\(", re.M)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and pattern.search(cell.source):
            return i
    raise LookupError(f"no cell defines {function}")


def _inject(nb, function, lines):
    """A copy of nb where ``function`` starts by running ``lines`` (its docstring kept first)."""
    nb = copy.deepcopy(nb)
    cell = nb.cells[_def_cell(nb, function)]
    src = cell.source.splitlines()
    start = next(i for i, line in enumerate(src) if line.startswith(f"def {function}("))
    # after the signature (and a one-line docstring if any)
    at = start + 1
    if at < len(src) and src[at].strip().startswith(('"""', "'''")) and src[at].strip().count('"""') != 1:
        at += 1
    elif at < len(src) and src[at].strip().startswith(('"""', "'''")):
        at = next(i for i in range(at + 1, len(src)) if '"""' in src[i] or "'''" in src[i]) + 1
    cell.source = "\n".join(src[:at] + [f"    {line}" for line in lines] + src[at:])
    return nb


def _replace_return(nb, function, new_return):
    """A copy of nb where the last ``return`` of ``function``'s cell returns ``new_return`` of the value."""
    nb = copy.deepcopy(nb)
    cell = nb.cells[_def_cell(nb, function)]
    src = cell.source.splitlines()
    last = max(i for i, line in enumerate(src) if line.strip().startswith("return "))
    indent = src[last][: len(src[last]) - len(src[last].lstrip())]
    value = src[last].strip()[len("return "):]
    src[last] = f"{indent}__value = {value}\n{indent}return {new_return.format(v='__value')}"
    cell.source = "\n".join(src)
    return nb


def faults(nb):
    """[(name, bytes, what the reason must mention)] for every fault the issue lists."""
    out = []

    def add(name, data, expect):
        out.append((name, data if isinstance(data, bytes) else _text(data), expect))

    add("infinite_loop", _inject(nb, "dense_forward", ["while True:", "    pass"]), "did not finish within")
    add("sys_exit", _inject(nb, "dense_forward", ["import sys", "sys.exit(3)"]), "sys.exit")
    add("os_exit", _inject(nb, "sigmoid", ["import os", "os._exit(7)"]), "exited with code 7")
    add("dead_kernel", _inject(nb, "sigmoid", ["import os, signal", "os.kill(os.getpid(), signal.SIGKILL)"]),
        "killed")
    add("huge_allocation", _inject(nb, "dense_backward", ["import numpy", "numpy.ones((200_000, 200_000))"]),
        "MemoryError")
    add("print_50mb", _inject(nb, "dense_forward", ["print('x' * 50_000_000)"]), "full marks")
    hang = _replace_return(nb, "dense_forward", "{v} + OFFSET")
    hang.cells.insert(1, nbformat.v4.new_code_cell("def _forever():\n    while True:\n        pass\n\n\nOFFSET = _forever()"))
    add("hang_while_loading", _renumber(hang), "did not finish within")
    broken = copy.deepcopy(nb)
    i = _def_cell(broken, "dense_forward")
    broken.cells[i].source = re.sub(r"^(def dense_forward\(.*\)):", r"\1", broken.cells[i].source, flags=re.M)
    add("syntax_error", broken, "syntax error")
    deleted = copy.deepcopy(nb)
    del deleted.cells[_def_cell(deleted, "dense_backward")]
    add("deleted_cell", deleted, "no function named dense_backward")
    duplicated = copy.deepcopy(nb)
    duplicated.cells = [c for cell in nb.cells for c in (cell, copy.deepcopy(cell))]
    for c in duplicated.cells:                         # nbformat wants unique cell ids
        c.pop("id", None)
    add("duplicated_cells", _renumber(duplicated), "full marks")
    reordered = copy.deepcopy(nb)
    reordered.cells = list(reversed(reordered.cells))
    add("reordered_cells", reordered, "full marks")
    retyped = copy.deepcopy(nb)
    i = _def_cell(retyped, "sigmoid")
    retyped.cells[i] = nbformat.v4.new_markdown_cell(retyped.cells[i].source, metadata=retyped.cells[i].metadata)
    add("retyped_cell", retyped, "markdown cell")
    renamed = copy.deepcopy(nb)
    i = _def_cell(renamed, "dense_forward")
    renamed.cells[i].source = renamed.cells[i].source.replace("def dense_forward(", "def dense_fwd(")
    add("renamed_function", renamed, "dense_fwd")
    add("wrong_shape", _replace_return(nb, "dense_forward", "{v}[..., :1]"), "expected shape")
    add("wrong_dtype", _replace_return(nb, "sigmoid", "{v}.astype('float16')"), "float16")
    text = _text(nb)
    add("corrupted_json", text[: len(text) // 2], "not valid notebook JSON")
    add("empty_file", b"", "empty")
    add("not_a_notebook", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a notebook")
    add("json_not_notebook", json.dumps({"hello": "world"}).encode(), "not a Jupyter notebook")
    return out


def _renumber(nb):
    """Fresh cell ids (a duplicated or inserted cell would repeat or lack one)."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


CHEAT_LINES = [
    "import builtins, numpy, numpy.testing",
    "import tflearn_kit.grading.exercises as _ex",
    "_ex.compare_results = lambda *a, **k: (True, '', 0.0)",
    "_ex.check = lambda *a, **k: print('all cases passed.')",
    "numpy.allclose = lambda *a, **k: True",
    "numpy.testing.assert_allclose = lambda *a, **k: None",
    "builtins.abs = lambda x: 0",
    "builtins.max = lambda *a, **k: 0",
]


def cheats(nb):
    """[(name, bytes)]: wrong answers that try to make the grader believe they pass."""
    out = []
    # 1. patches at the top level of a cell, plus a function that returns zeros
    top = copy.deepcopy(nb)
    top.cells.insert(1, nbformat.v4.new_code_cell("\n".join(CHEAT_LINES)))
    top = _replace_return(top, "dense_forward", "numpy.zeros_like({v})")
    top.cells.insert(1, nbformat.v4.new_code_cell("import numpy"))
    out.append(("patch_at_top_level", _text(_renumber(top))))
    # 2. the same patches from inside the function, while it runs
    inside = _inject(nb, "dense_forward", CHEAT_LINES)
    inside = _replace_return(inside, "dense_forward", "numpy.zeros_like({v})")
    out.append(("patch_inside_function", _text(inside)))
    # 3. an ndarray subclass that claims to equal anything
    liar = copy.deepcopy(nb)
    liar.cells.insert(1, nbformat.v4.new_code_cell(
        "import numpy\n"
        "class Liar(numpy.ndarray):\n"
        "    def __eq__(self, other): return numpy.ones(numpy.shape(other), bool)\n"
        "    def __sub__(self, other): return numpy.zeros(numpy.shape(other))\n"
        "    def __rsub__(self, other): return numpy.zeros(numpy.shape(other))\n"
        "    def astype(self, *a, **k): return numpy.zeros(self.shape)\n"))
    liar = _replace_return(liar, "dense_forward", "numpy.zeros_like({v}).view(Liar)")
    out.append(("ndarray_subclass", _text(_renumber(liar))))
    return out


def hostile(nb, classmate, out, port, planted):
    """[(name, bytes, kind)]: submissions that attack the grader, its machine and the class.

    ``classmate`` is another submission's file, ``out`` the grader's --out folder,
    ``port`` a socket the test listens on at 127.0.0.1, ``planted`` a folder where no
    file may appear. ``kind`` is "cheat" (it must score less than full marks) or
    "attack" (its function still returns the right answer when the attack fails).
    """
    import tflearn_kit.kernels.dense as dense_kernel
    catalog = ROOT / "tflearn_kit" / "grading" / "catalog" / "nb02_dense_and_activations.py"
    out_list = []

    def attack(name, lines):
        out_list.append((name, _text(_inject(nb, "dense_forward", ["try:", *[f"    {x}" for x in lines],
                                                                     "except BaseException:", "    pass"])),
                         "attack"))

    def cheat(name, body):
        copy_ = copy.deepcopy(nb)
        cell = copy_.cells[_def_cell(copy_, "dense_forward")]
        cell.source = "def dense_forward(x, kernel, bias):\n" + "".join(f"    {x}\n" for x in body)
        out_list.append((name, _text(copy_), "cheat"))

    attack("write_outside", [f"open({str(planted / 'written.txt')!r}, 'w').write('x')",
                             "import os, sys",
                             "os.makedirs(os.path.join(os.path.dirname(sys.argv[0]), 'catalog'), exist_ok=True)",
                             "open(os.path.join(os.path.dirname(sys.argv[0]), 'catalog', 'nb99_x.py'), 'w')"
                             ".write('from ..exercises import compare_results')",
                             f"os.makedirs({str(out / 'gradebook.csv.tmp')!r})"])
    attack("modify_classmate", [f"open({str(classmate)!r}, 'a').write('appended')"])
    attack("forge_records", ["import glob",
                             f"for f in glob.glob({str(out / 'records' / '*.json')!r}):",
                             "    open(f, 'w').write('{}')",
                             f"open({str(out / 'gradebook.csv')!r}, 'w').write('forged')"])
    cheat("open_socket", ["import socket",
                          f"socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'leak')",
                          "return x @ kernel + (0 if bias is None else bias)"])
    attack("leave_daemon", ["import os, time",
                            "if os.fork() == 0:",
                            "    os.setsid()",
                            "    if os.fork() == 0:",
                            "        time.sleep(3)",
                            f"        open({str(planted / 'daemon.txt')!r}, 'w').write('still here')",
                            "    os._exit(0)"])
    attack("setpgrp_child", ["import os, time",
                             "if os.fork() == 0:",
                             "    os.setpgrp()",
                             "    time.sleep(3)",
                             f"    open({str(planted / 'child.txt')!r}, 'w').write('still here')",
                             "    os._exit(0)"])
    attack("fork_bomb", ["import os",
                         "while True:",
                         "    os.fork()"])
    attack("kill_the_grader", ["import os, signal", "os.kill(os.getppid(), signal.SIGKILL)"])
    attack("stop_the_grader", ["import os, signal", "os.kill(os.getppid(), signal.SIGSTOP)"])
    attack("kill_everyone", ["import os, signal", "os.kill(-1, signal.SIGKILL)"])
    reference = "tflearn_kit.kernels.dense"
    cheat("reference_by_import", [f"from {reference} import dense_forward as f", "return f(x, kernel, bias)[0]"])
    cheat("reference_by_importlib", ["import importlib",
                                     f"return importlib.import_module({reference!r}).dense_forward(x, kernel, bias)[0]"])
    cheat("reference_by_dunder_import", [f"m = __import__({reference!r}, fromlist=['dense_forward'])",
                                         "return m.dense_forward(x, kernel, bias)[0]"])
    cheat("reference_by_exec", ["ns = {}", f"exec('from {reference} import dense_forward as f', ns)",
                                "return ns['f'](x, kernel, bias)[0]"])
    cheat("reference_by_file", ["ns = {}", f"exec(open({dense_kernel.__file__!r}).read(), ns)",
                                "return ns['dense_forward'](x, kernel, bias)[0]"])
    cheat("reference_from_catalog", ["from tflearn_kit.grading.catalog.nb02_dense_and_activations import DENSE_FORWARD",
                                     "return DENSE_FORWARD.reference(x, kernel, bias)"])
    cheat("read_hidden_cases", [f"source = open({str(catalog)!r}).read()",
                                "return x @ kernel + (0 if bias is None else bias)"])
    return out_list


def grader_breakers(nb):
    """[(file name as bytes, data or None, what)]: submissions that once crashed or fooled the grader itself.

    ``data`` None means the test makes a special file (see test_grading_isolation.py).
    """
    nb02 = "02_dense_and_activations"
    fence = _inject(nb, "dense_forward", ["print('```')", "print('**Score: 7 / 7**')"])
    zero = copy.deepcopy(nb)
    zero.cells.insert(1, nbformat.v4.new_code_cell("ZERO = " + "+".join(["0"] * 800)))
    zero = _replace_return(_renumber(zero), "sigmoid", "{v} + ZERO")
    slow = copy.deepcopy(nb)
    slow.cells.insert(1, nbformat.v4.new_code_cell(
        "import time\n\ndef _slow():\n    time.sleep(4)\n    return 0\n\n"
        + "\n".join(f"C{i} = _slow()" for i in range(6))))
    slow = _replace_return(_renumber(slow), "dense_forward", "{v} + " + " + ".join(f"C{i}" for i in range(6)))
    other = copy.deepcopy(nb)
    other.metadata["tflearn_kit"] = {"assignment": "01_layer_anatomy"}
    huge_reply = _inject(nb, "dense_forward", [
        "import io, os, struct, sys, zipfile",
        "buf = io.BytesIO()",
        "with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z, z.open('a0.npy', 'w', force_zip64=True) as f:",
        "    for _ in range(64):",
        "        f.write(bytes(2**20))",
        "data = buf.getvalue()",
        "os.write(int(sys.argv[2]), struct.pack('<Q', len(data)) + data)",
        "import time; time.sleep(30)"])
    return [
        (f"a b_{nb02}.ipynb".encode(), _text(nb), "name"),
        (f"a_b_{nb02}.ipynb".encode(), _text(nb), "name"),
        (f"a_b_{nb02}-2.ipynb".encode(), _text(nb), "name"),
        (b"\xff\xfe_" + nb02.encode() + b".ipynb", _text(nb), "name"),
        ((nb02 + "_" + "x" * (251 - len(nb02) - 7)).encode() + b".ipynb", _text(nb), "name"),
        (f"fence_{nb02}.ipynb".encode(), _text(fence), "fence"),
        (f"zero_{nb02}.ipynb".encode(), _text(zero), "zero"),
        (f"slow_constants_{nb02}.ipynb".encode(), _text(slow), "slow"),
        (f"metadata_says_01_{nb02}.ipynb".encode(), _text(other), "metadata"),
        (f"huge_reply_{nb02}.ipynb".encode(), _text(huge_reply), "huge_reply"),
        (f"complex_{nb02}.ipynb".encode(), _text(_replace_return(nb, "sigmoid", "{v} + 0j")), "complex"),
        (f"loop_{nb02}.ipynb".encode(), None, "symlink_loop"),
        (f"zero_device_{nb02}.ipynb".encode(), None, "dev_zero"),
        (f"fifo_{nb02}.ipynb".encode(), None, "fifo"),
        (f"passwd_{nb02}.ipynb".encode(), None, "etc_passwd"),
        (f"solution_link_{nb02}.ipynb".encode(), None, "solution_link"),
    ]


def grade_solution_release_and_edit(tmp_path, name, function, old, new, timeout):
    """`tflearn-kit grade` over three students, one per folder as nbgrader collects them: the
    solution, the released (untouched) notebook, and 'edited': the solution with ``old`` replaced
    by ``new`` in ``function``'s cell. Returns the gradebook's rows by student."""
    import csv

    from tflearn_kit.cli import main

    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    edited = copy.deepcopy(solution)
    cell = edited.cells[_def_cell(edited, function)]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    submissions = {"solution": solution, "untouched": nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", 4),
                   "edited": edited}
    paths = []
    for student, nb in submissions.items():
        (tmp_path / student).mkdir()
        paths.append(tmp_path / student / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    out = tmp_path / "graded"
    assert main(["grade", *map(str, paths), "--out", str(out), "--quiet",
                 "--timeout", str(timeout), "--case-timeout", "5"]) == 0
    with open(out / "gradebook.csv", newline="") as f:
        return {row["student"].split("__")[0]: row for row in csv.DictReader(f)}
