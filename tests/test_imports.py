"""Imports run one way, down the floors of the house; a test that reads the source with ``ast``.

    floor 0  kernels                 pure functions on arrays; no state, nothing else of the kit
    floor 1  fast                    the kernels' fast paths (threads, tiled special cases), chosen by shape
    floor 2  seeding tolerances      what every layer and model is made of (constraints too;
             serialization           the config round trip they share)
             activations initializers regularizers losses metrics optimizers callbacks
    floor 3  layers                  the Layer contract and the layers
    floor 4  models gradcheck        layers composed and trained; the finite-difference check of a layer
    floor 5  reference data datasets the TensorFlow twins (they read layers and models); the data;
             tflearn_kit (the package's front door, ``import tflearn_kit as kit``)
    floor 6  compare bench coverage  kit against twins: numbers, speed, the curriculum map
    floor 7  grading                 exercises and the autograder
    floor 8  cli                     the command line

A module may import its own floor or any floor below, never one above, wherever
the import statement is (a function-local import counts the same). Within a
floor, a module may import another of the same floor.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tflearn_kit"

FLOORS = [
    ["kernels"],
    ["fast"],
    ["seeding", "tolerances", "serialization", "activations", "constraints", "initializers",
     "regularizers", "losses", "metrics", "optimizers", "callbacks"],
    ["layers"],
    ["models", "gradcheck"],
    ["reference", "data", "datasets", ""],    # "": the package's own __init__ (the front door)
    ["compare", "bench", "coverage"],
    ["grading"],
    ["cli"],
]
FLOOR_OF = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


def room_of(module):
    """'tflearn_kit.layers.conv' -> 'layers'; 'tflearn_kit' -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("tflearn_kit",) + path.relative_to(PACKAGE).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        yield name, path, is_package


def kit_imports(name, path, is_package):
    """(line, imported module) for every import of the kit in the file, at any depth."""
    package = name if is_package else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            # ``from . import layers`` imports the module tflearn_kit.layers
            targets = [f"{module}.{a.name}" if node.module is None else module for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):     # once per statement
            if target == "tflearn_kit" or target.startswith("tflearn_kit."):
                yield node.lineno, target


def upward_imports():
    found = []
    for name, path, is_package in modules():
        floor = FLOOR_OF.get(room_of(name))
        assert floor is not None, f"{name}: no floor; add its room to FLOORS in {__file__}"
        for line, target in kit_imports(name, path, is_package):
            target_floor = FLOOR_OF.get(room_of(target))
            assert target_floor is not None, f"{path}:{line} imports {target}, which has no floor"
            if target_floor > floor:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name} (floor {floor}) "
                             f"imports {target} (floor {target_floor})")
    return found


def test_every_room_has_a_floor():
    rooms = {room_of(name) for name, _, _ in modules()}
    assert rooms <= set(FLOOR_OF), sorted(rooms - set(FLOOR_OF))


def test_no_module_imports_a_floor_above_its_own():
    found = upward_imports()
    assert not found, "imports up the floors:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("from ..models import Sequential", "tflearn_kit.models"),
    ("from .. import compare", "tflearn_kit.compare"),
    ("import tflearn_kit.grading", "tflearn_kit.grading"),
    ("def f():\n    from ..reference.tf import modules\n", "tflearn_kit.reference.tf"),
], ids=["relative-from", "relative-module", "absolute", "function-local"])
def test_the_parser_sees_each_form_of_import(tmp_path, source, expected):
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [t for _, t in kit_imports("tflearn_kit.layers.probe", path, False)] == [expected]


def test_kernels_hold_no_state():
    """kernels/ is pure functions: no thread pool, no ``global`` rebinding, no threading imports."""
    found = []
    for path in sorted((PACKAGE / "kernels").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Global):
                found.append(f"{path.name}:{node.lineno}: global {', '.join(node.names)}")
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}:{node.lineno}: imports {n}" for n in names
                      if n.split(".")[0] in ("threading", "concurrent", "multiprocessing")]
    assert not found, found
