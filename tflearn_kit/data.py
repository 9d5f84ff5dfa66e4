"""Datasets: the 8x8 handwritten digits, offline, and MNIST / Fashion-MNIST when the network is there.

``load_digits()`` needs nothing but the package: 1,797 images of 8x8 pixels
(values 0..16) with their labels 0..9, the test set of the UCI "Optical
Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0),
in the copy scikit-learn distributes as ``digits.csv.gz`` (BSD-3), stored here
as ``datasets/digits.npz`` (see datasets/README.md).

``load_mnist()`` and ``load_fashion_mnist()`` go through ``keras.datasets``,
which downloads once into ``~/.keras/datasets`` and reads the cached file from
then on; offline and without the cache they raise a ``RuntimeError`` that says so.
"""
import os
from importlib import resources

import numpy as np

from .seeding import rng


def load_digits(n_per_class=None, flatten=False, normalize=True):
    """The 8x8 digits: ``(images, labels)``.

    Args:
        n_per_class: keep only this many images of each digit (the first ones, in file order).
        flatten: (n, 64) rows instead of (n, 8, 8, 1) images.
        normalize: pixels as float32 in [0, 1] (divided by 16); else the uint8 counts 0..16.

    Returns:
        images: (n, 8, 8, 1) (or (n, 64)), labels: (n,) int64.
    """
    with resources.files("tflearn_kit.datasets").joinpath("digits.npz").open("rb") as f:
        with np.load(f) as data:
            images, labels = data["images"], data["labels"].astype(np.int64)
    if n_per_class is not None:
        keep = np.concatenate([np.flatnonzero(labels == d)[:n_per_class] for d in range(10)])
        keep.sort()
        images, labels = images[keep], labels[keep]
    x = images.astype(np.float32) / 16 if normalize else images
    x = x.reshape(len(x), -1) if flatten else x[..., None]
    return x, labels


def train_test_split(x, y, test_fraction=0.2, seed=0):
    """A seeded shuffle, then the last ``test_fraction`` of it as the test set."""
    order = rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    train, test = order[:-n_test], order[-n_test:]
    return (x[train], y[train]), (x[test], y[test])


def one_hot(labels, depth=None, dtype="float32"):
    """(n,) integer labels -> (n, depth) rows with a single 1."""
    labels = np.asarray(labels, dtype=np.int64)
    depth = int(labels.max()) + 1 if depth is None else depth
    return (labels[..., None] == np.arange(depth)).astype(dtype)


# ---- MNIST and Fashion-MNIST through keras.datasets ----------------------------------------

CACHE_DIR = os.path.join(os.path.expanduser("~"), ".keras", "datasets")


def _load_keras_dataset(name, normalize, limit):
    from .reference.tf import modules
    _, keras, _ = modules()
    loader = getattr(keras.datasets, name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as error:                       # noqa: BLE001 (network errors vary by platform)
        raise RuntimeError(
            f"Could not load {name}: keras.datasets downloads it once into {CACHE_DIR} and this "
            f"machine seems offline (and has no cached copy). Connect once, or use "
            f"tflearn_kit.data.load_digits(), which works offline. ({type(error).__name__}: {error})"
        ) from error
    out = []
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if limit is not None:
            x, y = x[:limit], y[:limit]
        x = x.astype(np.float32) / 255 if normalize else x
        out.append((x[..., None], y.astype(np.int64)))
    return tuple(out)


def load_mnist(normalize=True, limit=None):
    """MNIST: ((x_train, y_train), (x_test, y_test)), images (n, 28, 28, 1), float32 in [0, 1].

    Downloaded once by keras.datasets.mnist and cached; ``limit`` keeps the first n of each split.
    """
    return _load_keras_dataset("mnist", normalize, limit)


def load_fashion_mnist(normalize=True, limit=None):
    """Fashion-MNIST, as :func:`load_mnist` (keras.datasets.fashion_mnist)."""
    return _load_keras_dataset("fashion_mnist", normalize, limit)
