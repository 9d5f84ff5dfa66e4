"""Import TensorFlow quietly, with tf.keras as Keras 3 and the legacy tf.layers beside it.

TensorFlow 2.16+ makes ``tf.keras`` Keras 3, and then ``tf.compat.v1.layers.*``
raises "not available with Keras 3". The legacy layers still ship in the
``tf_keras`` package (pinned to TensorFlow's minor version); importing them from
there leaves ``tf.keras`` alone. Never set TF_USE_LEGACY_KERAS: it would turn
``tf.keras`` back into Keras 2.
"""
import contextlib
import functools
import logging
import os
import sys
import warnings


def quiet_tensorflow():
    """Silence TensorFlow's C++ and Python logging. Call before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # On a CPU without AVX-512 TensorFlow leaves oneDNN off, and its float32 CPU
    # convolution then rejects channels_first (notebooks 03-05 compare it).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*tf\.layers\..* is deprecated.*")
    warnings.filterwarnings("ignore", message=r".*is deprecated and will be removed.*")


@contextlib.contextmanager
def _import_log_silenced():
    """Send file descriptor 2 to /dev/null while TensorFlow loads.

    TensorFlow 2.21 writes absl INFO lines (oneDNN, no CUDA) straight to fd 2 while it
    loads, before its logging honours TF_CPP_MIN_LOG_LEVEL; in a notebook they land in
    the cell's output with a timestamp and a process id. Python exceptions still raise.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):          # no usable fd 2: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@functools.lru_cache(maxsize=None)
def modules():
    """(tf, keras, legacy) where legacy holds tf.compat.v1.layers' functions and classes."""
    quiet_tensorflow()
    with _import_log_silenced():
        import tensorflow as tf
        import keras
        import tf_keras.api._v1.keras.__internal__.legacy.layers as legacy

    tf.get_logger().setLevel(logging.ERROR)
    return tf, keras, legacy


def tf_dtype(dtype):
    tf, _, _ = modules()
    return tf.as_dtype(str(dtype))
