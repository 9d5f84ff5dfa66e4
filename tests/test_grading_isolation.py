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
    assert "dense_forward: 0/8 cases passed" in row["reason"]
    assert row["flags"] == ""
    assert "Traceback" not in row["reason"]


@pytest.mark.parametrize("name", ["write_outside", "modify_classmate", "forge_records", "leave_daemon",
                                  "setpgrp_child", "kill_the_grader", "stop_the_grader", "kill_everyone"])
def test_an_attack_that_fails_leaves_a_fair_score(graded, name):
    assert graded["rows"][f"{name}__{NB02}"]["reason"] == "full marks"


def test_a_fork_bomb_costs_at_most_its_own_exercise(graded):
    """It stops at the process limit; on a busy machine the spinning copies may push the call past
    its time limit, which then costs only this exercise."""
    row = graded["rows"][f"fork_bomb__{NB02}"]
    assert float(row["score"]) >= float(row["max_score"]) - exercises.get("dense_forward").points, row["reason"]


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


# -- submissions that once crashed or fooled the grader itself ------------------------------


@pytest.fixture(scope="module")
def breakers(tmp_path_factory):
    from .grading_corpus import grader_breakers
    root = tmp_path_factory.mktemp("breakers")
    folder = root / "submitted"
    folder.mkdir()
    nb = nbformat.read(solution_path(NB02), as_version=4)
    what = {}
    for name, data, kind in grader_breakers(nb):
        path = os.path.join(os.fsencode(folder), name)
        what[kind] = what.get(kind, []) + [path]
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        elif kind == "symlink_loop":
            os.symlink(os.path.basename(path), path)
        elif kind == "dev_zero":
            os.symlink("/dev/zero", path)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "etc_passwd":
            os.symlink("/etc/passwd", path)
        elif kind == "solution_link":
            os.symlink(solution_path(NB02), path)
    out = root / "graded"
    done = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "grade", str(folder), "--out", str(out),
                           "--jobs", "2", "--quiet", "--timeout", "5", "--case-timeout", "2"],
                          capture_output=True, text=True, timeout=600)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"done": done, "rows": rows, "what": what, "out": out, "folder": folder}


def _row(breakers, kind, index=0):
    path = os.fsdecode(breakers["what"][kind][index])
    wanted = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return next(r for r in breakers["rows"] if r["submission"] == wanted)


def test_odd_files_and_names_each_get_a_row_and_the_grader_exits_normally(breakers):
    assert breakers["done"].returncode == 0, breakers["done"].stderr[-3000:]
    assert len(breakers["rows"]) == sum(len(v) for v in breakers["what"].values())
    students = [r["student"] for r in breakers["rows"]]
    assert len(set(students)) == len(students)
    assert len(list((breakers["out"] / "feedback").iterdir())) == len(students)
    assert all(len(s) <= 130 for s in students)
    assert all(not s.startswith("etc") for s in students)        # a symlink to /etc does not move the base


def test_names_that_collide_full_marks_each(breakers):
    for i in range(3):
        assert _row(breakers, "name", i)["reason"] == "full marks"
    assert _row(breakers, "name", 3)["reason"] == "full marks"                  # not UTF-8
    assert _row(breakers, "name", 4)["reason"] == "full marks"                  # 251 characters


@pytest.mark.parametrize("kind,why", [("symlink_loop", "symbolic link"), ("dev_zero", "symbolic link"),
                                      ("fifo", "not a regular file"), ("etc_passwd", "symbolic link"),
                                      ("solution_link", "symbolic link")])
def test_links_and_special_files_are_not_read(breakers, kind, why):
    row = _row(breakers, kind)
    assert (row["status"], row["score"]) == ("ungradable", "0")
    assert why in row["reason"]


def test_printing_reaches_the_feedback_and_cannot_forge_its_score(breakers):
    row = _row(breakers, "fence")
    feedback = (breakers["out"] / "feedback" / f"{row['student']}.md").read_text()
    assert "**Score: 7 / 7**" in feedback
    printed = feedback.split("## What your code printed while graded")[1]
    fence = printed.split("\n")[2]
    assert fence.startswith("````") and printed.count(fence.rstrip("text")) >= 2


def test_a_long_constant_is_graded_not_a_grader_error(breakers):
    assert _row(breakers, "zero")["reason"] == "full marks"


def test_slow_constants_are_bounded_by_the_submission_time_limit(breakers):
    row = _row(breakers, "slow")
    assert float(row["seconds"]) < 5 + 3, row
    assert row["status"] == "graded"


def test_the_file_name_wins_over_the_metadata(breakers):
    row = _row(breakers, "metadata")
    assert row["assignment"] == NB02 and "metadata says it is 01_layer_anatomy" in row["reason"]


def test_a_forged_huge_reply_is_refused_not_inflated(breakers):
    row = _row(breakers, "huge_reply")
    assert "dense_forward: 0/8" in row["reason"] and "could not read the result" in row["reason"]


def test_a_complex_result_does_not_pass(breakers):
    row = _row(breakers, "complex")
    assert "complex" in row["reason"] and float(row["score"]) < float(row["max_score"])


def test_an_out_folder_that_cannot_be_made_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("x")
    done = subprocess.run([sys.executable, "-m", "tflearn_kit.cli", "grade", str(solution_path(NB02)),
                           "--out", str(tmp_path / "file" / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "cannot create it" in done.stderr and "Traceback" not in done.stderr


def test_without_bubblewrap_grading_refuses_unless_no_isolation(tmp_path, monkeypatch, capsys):
    from tflearn_kit.cli import main
    from tflearn_kit.grading import isolation
    monkeypatch.setattr(isolation, "bubblewrap_works", lambda: "bubblewrap (bwrap) is not installed")
    out = tmp_path / "out"
    assert main(["grade", str(solution_path(NB02)), "--out", str(out), "--quiet"]) == 2
    assert "--no-isolation" in capsys.readouterr().err and not (out / "gradebook.csv").exists()
    assert main(["grade", str(solution_path(NB02)), "--out", str(out), "--quiet", "--no-isolation"]) == 0
    with open(out / "gradebook.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["isolation"] == "graded WITHOUT isolation (--no-isolation)"
    assert "graded without isolation" in row["reason"]
    assert "WITHOUT isolation" in next((out / "feedback").iterdir()).read_text()
