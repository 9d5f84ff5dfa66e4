"""binder/ and the README agree with pyproject.toml: what Binder installs is what the package needs."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_binder_requirements_cover_the_package_dependencies():
    binder = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    package = {_name(r) for r in _pyproject()["dependencies"]}
    package = {"tensorflow-cpu" if n == "tensorflow" else n for n in package}   # Binder is Linux x86-64
    assert {_name(r) for r in binder} == package


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
