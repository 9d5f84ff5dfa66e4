"""The messages between the grader and the student's sandboxed process.

A message is a length-prefixed ``.npz`` archive: a JSON header (in the array
``__header__``) and the arrays it refers to. It is read with
``allow_pickle=False``, so whatever the student's process writes, the grader
only ever gets numbers and text back, never objects that run code.

A value travels as a tree: ``{"t": "array", "k": key}`` (``"scalar"`` for a
NumPy scalar), ``{"t": "py", "v": 3}`` for a Python bool, int, float or str,
``{"t": "tuple", "items": [...]}`` (also ``list``, ``dict``), ``{"t": "none"}``,
or ``{"t": "other", "type": name}`` for anything else (decoded as an
``Opaque``, which never compares equal to an array).
"""
import io
import json
import os
import struct
import zipfile

import numpy as np

MAX_MESSAGE = 256 * 2**20          # a result bigger than this is refused, not read
MAX_ITEMS = 10_000                 # tuples/lists/dicts longer than this are "other"


class WireError(Exception):
    """The other side sent something that is not a message."""


class Opaque:
    """A student's result that is not an array, a number or a tuple of them."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name}>"


def encode(value, arrays, depth=0):
    """The tree for one value; arrays are added to ``arrays`` (name -> ndarray)."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, (tuple, list)) and depth < 8 and len(value) <= MAX_ITEMS:
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "items": [encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict) and depth < 8 and len(value) <= MAX_ITEMS:
        return {"t": "dict", "items": {str(k): encode(v, arrays, depth + 1) for k, v in value.items()}}
    if type(value) in (bool, int, float, str):          # exactly these: a subclass could lie
        if isinstance(value, str) and len(value) > 100_000:
            return {"t": "other", "type": "very long str"}
        return {"t": "py", "v": value}
    if isinstance(value, (np.ndarray, np.generic, complex)):
        array = np.asarray(value)
        if array.dtype == object:
            return {"t": "other", "type": "array of Python objects"}
        key = f"a{len(arrays)}"
        # a plain C-ordered copy: a subclass arrives as a plain array (and ascontiguousarray would turn 0-d into 1-d)
        arrays[key] = np.array(array, order="C", subok=False)
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "k": key}
    if isinstance(value, (int, float)):                 # subclasses of int/float: their plain value
        return {"t": "py", "v": float(value) if isinstance(value, float) else int(value)}
    return {"t": "other", "type": type(value).__name__}


def decode(tree, arrays):
    kind = tree.get("t")
    if kind == "none":
        return None
    if kind == "py":
        value = tree["v"]
        return value if type(value) in (bool, int, float, str) else Opaque(type(value).__name__)
    if kind == "array":
        return arrays[tree["k"]]
    if kind == "scalar":
        return arrays[tree["k"]][()]
    if kind in ("tuple", "list"):
        items = [decode(t, arrays) for t in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(t, arrays) for k, t in tree["items"].items()}
    return Opaque(str(tree.get("type", "unknown")))


def pack(header, arrays=None):
    buf = io.BytesIO()
    payload = dict(arrays or {})
    payload["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(buf, **payload)
    data = buf.getvalue()
    return struct.pack("<Q", len(data)) + data


def _check_members(data):
    """A message's arrays are stored, never compressed: what is read is at most what was sent.

    (A deflated member of a forged message could inflate 1.5 MB into 1.5 GB in the grader.)
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(data):
                raise WireError("unreadable message (a compressed or oversized array)")


def unpack(data):
    try:
        _check_members(data)
    except WireError:
        raise
    except Exception as exc:                           # noqa: BLE001 (not even a zip archive)
        raise WireError(f"unreadable message ({type(exc).__name__})") from None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        header = json.loads(arrays.pop("__header__").tobytes().decode())
    except Exception as exc:                           # noqa: BLE001 (anything malformed)
        raise WireError(f"unreadable message ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise WireError("unreadable message (header is not an object)")
    return header, arrays


def send(fd, header, arrays=None):
    data = pack(header, arrays)
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exactly(fd, n):
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(fd):
    """(header, arrays); raises EOFError when the other side is gone, WireError on garbage."""
    (length,) = struct.unpack("<Q", read_exactly(fd, 8))
    if length > MAX_MESSAGE:
        raise WireError(f"a message of {length} bytes is too large")
    return unpack(read_exactly(fd, length))
