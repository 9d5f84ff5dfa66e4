"""binder/ and the README agree with pyproject.toml: what Binder installs is what the package needs."""
import platform
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# Every wheel that installs the top-level ``tensorflow/`` package. Two of them in one
# environment overwrite each other's files: the second is a wasted 570 MB download,
# and uninstalling either one breaks the other.
TENSORFLOW_WHEELS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel",
                     "tensorflow-macos", "tensorflow-aarch64", "tensorflow-cpu-aws",
                     "tf-nightly", "tf-nightly-cpu", "tf-nightly-gpu"}


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_binder_requirements_cover_the_package_dependencies():
    binder = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert {_name(r) for r in binder} == {_name(r) for r in _pyproject()["dependencies"]}


def test_tf_keras_is_pinned_to_tensorflows_minor_version():
    deps = _pyproject()["dependencies"]
    tf_pins = {re.search(r"==(\d+\.\d+)\.\*", d).group(1) for d in deps if _name(d).startswith("tensorflow")}
    tf_keras = [d for d in deps if _name(d) == "tf-keras"]
    assert len(tf_pins) == 1 and tf_keras == [f"tf_keras=={tf_pins.pop()}.*"]
    import tensorflow as tf
    import tf_keras
    assert tf.__version__.rsplit(".", 1)[0] == tf_keras.__version__.rsplit(".", 1)[0]


def test_binder_start_quiets_tensorflow_and_runs_the_command():
    start = (ROOT / "binder" / "start").read_text()
    assert "export TF_CPP_MIN_LOG_LEVEL=" in start
    assert "export TF_ENABLE_ONEDNN_OPTS=1" in start      # channels_first convolutions on any CPU
    assert start.rstrip().endswith('exec "$@"')
    assert (ROOT / "binder" / "start").stat().st_mode & 0o111
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_badge_opens_jupyterlab_at_the_welcome_notebook():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]+\)", readme).group(0)
    assert "urlpath=lab/tree/notebooks/00_welcome.ipynb" in badge


def test_readme_commands_are_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && pytest' in readme
    assert 'pip install --quiet -e ".[test]"' in ci and "\npytest\n" in ci
    assert "pip install -e . && jupyter lab notebooks/00_welcome.ipynb" in readme


def test_tensorflow_keeps_tf_keras_as_keras_3():
    import os
    assert "TF_USE_LEGACY_KERAS" not in os.environ
    from tflearn_kit.reference.tf import modules
    tf, keras, legacy = modules()
    assert keras.__version__.startswith("3.")
    assert tf.keras.layers.Dense is keras.layers.Dense
    assert callable(legacy.dense) and callable(legacy.batch_normalization)


def _binder_requirements():
    return [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def _closure(requirements):
    """Names of every distribution the requirements pull in on this platform.

    Walks the installed distributions' own metadata (what pip would resolve, without
    a download): tf_keras requiring ``tensorflow`` is visible only one level down.
    """
    seen, todo = set(), [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = _name(req.name)
        extras = sorted(req.extras) or [""]
        if (name, tuple(extras)) in seen:
            continue
        seen.add((name, tuple(extras)))
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue            # not installed here: its own requirements are unknown
        todo += [(Requirement(r), e) for r in requires for e in extras]
    return {name for name, _ in seen}


@pytest.mark.parametrize("source", ["pyproject.toml", "binder/requirements.txt"])
def test_requirements_resolve_to_exactly_one_tensorflow(source):
    requirements = _pyproject()["dependencies"] if source == "pyproject.toml" else _binder_requirements()
    tensorflows = sorted(_closure(requirements) & TENSORFLOW_WHEELS)
    assert tensorflows == ["tensorflow"], f"{source} installs {tensorflows}"
    tf_lines = [r for r in requirements if _name(r) == "tensorflow"]
    assert tf_lines == ["tensorflow==2.21.*"], "no extras: [and-cuda] would add 3 GB of CUDA wheels"


def test_this_environment_has_exactly_one_tensorflow():
    owners = sorted({_name(d.metadata["Name"]) for d in metadata.distributions()
                     if any(str(f) == "tensorflow/__init__.py" for f in d.files or [])})
    assert owners == ["tensorflow"], (
        f"{owners} all install tensorflow/; keep one: pip uninstall -y tensorflow-cpu && "
        "pip install --force-reinstall --no-deps 'tensorflow==2.21.*'")


def test_the_closure_walk_sees_tf_keras_pull_in_tensorflow():
    # The trap the two tests above guard against, shown on the old requirements.
    old = ["tensorflow-cpu==2.21.*; sys_platform == 'linux' and platform_machine == 'x86_64'",
           "tensorflow==2.21.*; sys_platform != 'linux' or platform_machine != 'x86_64'",
           "tf_keras==2.21.*"]
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert {"tensorflow-cpu", "tensorflow"} <= _closure(old)
    else:
        assert "tensorflow" in _closure(old)
