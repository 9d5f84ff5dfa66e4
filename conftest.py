"""Root pytest configuration: quiet TensorFlow and make nbval ignore what legitimately varies."""
import os

# Before anything imports TensorFlow (the test modules and the notebook kernels inherit it).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collectstart(collector):
    # nbval compares stderr too; TensorFlow's C++ start-up lines land there and vary.
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript",
                                   "application/vnd.jupyter.widget-view+json", "image/png",
                                   "image/svg+xml")
