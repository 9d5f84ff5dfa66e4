"""Root pytest configuration: quiet TensorFlow, make nbval ignore what legitimately varies, and
give the same run from any folder of the repository."""
import os
from pathlib import Path

import pytest

# Before anything imports TensorFlow (the test modules and the notebook kernels inherit it).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# TensorFlow turns its oneDNN kernels on only on CPUs with AVX-512 or AMX; without them its
# float32 CPU convolution rejects channels_first (NCHW) and some dilated or transposed cases
# ("The Conv2D op currently only supports the NHWC tensor format on the CPU"), which fails
# tests/test_conv.py and notebook 03 on, e.g., an AMD EPYC. Both wheels behave the same.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

ROOT = Path(__file__).resolve().parent
SANITIZE = ROOT / "solutions" / "nbval_sanitize.cfg"
STUDENT_NOTEBOOKS = ROOT / "notebooks"


def pytest_configure(config):
    # Absolute, so that it is found whatever the current directory.
    if getattr(config.option, "nbval_sanitize_with", "absent") is None:
        config.option.nbval_sanitize_with = str(SANITIZE)
    # A plain `python -m pytest` in a folder that holds no tests (notebooks/, where a
    # JupyterLab terminal opens; docs/) means "the course's tests": run the testpaths,
    # as from the top folder. In tests/ or solutions/ it still runs just that folder.
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        here = Path(config.invocation_params.dir).resolve()
        testpaths = [ROOT / p for p in config.getini("testpaths")]
        if not any(here == t or t in here.parents for t in testpaths):
            config.args[:] = [str(t) for t in testpaths]


def pytest_ignore_collect(collection_path, config):
    # The student notebooks raise NotImplementedError in every exercise by design, so nbval
    # would fail them all; tests/test_notebooks.py runs them as a learner would instead.
    if collection_path.suffix == ".ipynb" and STUDENT_NOTEBOOKS in collection_path.parents:
        return True
    return None


def pytest_collectstart(collector):
    # nbval compares stderr too; TensorFlow's C++ start-up lines land there and vary.
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript",
                                   "application/vnd.jupyter.widget-view+json", "image/png",
                                   "image/svg+xml")
