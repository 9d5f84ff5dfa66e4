"""The hostile corpus, graded by ``tflearn-kit grade`` in the real bubblewrap sandbox.

Each submission attacks the grader, the machine or a classmate (tests/grading_corpus.py,
``hostile``). Whatever it does, the instructor is promised: the classmate's file is
unchanged, no file appears outside the sandbox, a cheat scores less than full marks,
every submission gets its row, and the grader exits normally.
"""
import csv
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from tflearn_kit.grading import exercises

from .grading_corpus import hostile, solution_path

NB02 = "02_dense_and_activations"
FAST = ["--timeout", "30", "--case-timeout", "2"]
pytestmark = pytest.mark.usefixtures("sandbox")


class Listener:
    """A socket on 127.0.0.1 that records whether anyone connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], [], False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections.append(conn.recv(100))
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    submitted, out, planted = root / "submitted", root / "graded", root / "planted"
    planted.mkdir()
    nb = nbformat.read(solution_path(NB02), as_version=4)
    classmate = submitted / "classmate" / f"{NB02}.ipynb"
    classmate.parent.mkdir(parents=True)
    classmate.write_text(nbformat.writes(nb))
    listener = Listener()
    corpus = hostile(nb, classmate, out, listener.port, planted)
    for name, data, _ in corpus:
        (submitted / name).mkdir()
        (submitted / name / f"{NB02}.ipynb").write_bytes(data)
    before = hashlib.sha256(classmate.read_bytes()).hexdigest()
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "grade", str(submitted), "--out", str(out),
                           "--jobs", "2", "--quiet", *FAST], capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    time.sleep(4)                          # longer than the daemons wait before they write
    listener.close()
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return {"done": done, "rows": rows, "corpus": corpus, "classmate": classmate, "before": before,
            "planted": planted, "listener": listener, "out": out, "root": root, "seconds": seconds}


def test_the_grader_exits_normally_and_every_submission_has_its_row(graded):
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]
    expected = {"classmate"} | {name for name, _, _ in graded["corpus"]}
    assert set(graded["rows"]) == {f"{n}__{NB02}" for n in expected}
    assert all(r["status"] == "graded" for r in graded["rows"].values())


def test_the_classmate_is_unchanged_and_scores_full_marks(graded):
    assert hashlib.sha256(graded["classmate"].read_bytes()).hexdigest() == graded["before"]
    assert graded["rows"][f"classmate__{NB02}"]["reason"] == "full marks"


def test_no_file_appears_outside_the_sandbox(graded):
    assert list(graded["planted"].iterdir()) == []
    out = graded["out"]
    assert not (out / "gradebook.csv.tmp").exists()
    package = exercises.__file__.rsplit("/", 1)[0]
    assert not os.path.exists(os.path.join(package, "catalog", "nb99_x.py"))
    assert sorted(p.name for p in out.iterdir()) == ["feedback", "gradebook.csv", "records", "results"]


def test_no_socket_reached_the_machine(graded):
    assert graded["listener"].connections == []


def test_no_student_process_outlives_grading(graded):
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "_worker.py" not in ps or str(graded["root"]) not in ps


@pytest.mark.parametrize("name", ["open_socket", "reference_by_import", "reference_by_importlib",
                                  "reference_by_dunder_import", "reference_by_exec", "reference_by_file",
                                  "reference_from_catalog", "read_hidden_cases"])
def test_every_cheat_scores_less_than_full_marks_with_a_plain_reason(graded, name):
    row = graded["rows"][f"{name}__{NB02}"]
    assert float(row["score"]) == float(row["max_score"]) - exercises.get("dense_forward").points, row["reason"]
    assert "dense_forward: 0/6 cases passed" in row["reason"]
    assert row["flags"] == ""
    assert "Traceback" not in row["reason"]


@pytest.mark.parametrize("name", ["write_outside", "modify_classmate", "forge_records", "leave_daemon",
                                  "setpgrp_child", "kill_the_grader", "stop_the_grader", "kill_everyone",
                                  "fork_bomb"])
def test_an_attack_that_fails_leaves_a_fair_score(graded, name):
    assert graded["rows"][f"{name}__{NB02}"]["reason"] == "full marks"


def test_a_resumed_run_keeps_every_score(graded, tmp_path):
    """The records the hostile run wrote were out of every student's reach: a rerun reuses them as they are."""
    rerun = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "grade", str(graded["root"] / "submitted"),
                            "--out", str(graded["out"]), "--jobs", "2", *FAST], capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "already graded" in rerun.stderr
    with open(graded["out"] / "gradebook.csv", newline="") as f:
        again = {r["student"]: r for r in csv.DictReader(f)}
    assert {k: r["score"] for k, r in again.items()} == {k: r["score"] for k, r in graded["rows"].items()}
