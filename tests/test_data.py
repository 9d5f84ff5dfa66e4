"""The offline digits, the split and one-hot helpers, and the MNIST / Fashion-MNIST loaders on small
local files (keras's download redirected to file:// URLs in a temporary cache; never the network)."""
import gzip

import numpy as np
import pytest

from tflearn_kit import data


def test_digits_are_the_uci_test_set():
    x, y = data.load_digits()
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    # the class counts of the UCI optdigits test set (optdigits.tes)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert y[:10].tolist() == list(range(10))


@pytest.mark.parametrize("kwargs, shape, dtype", [
    (dict(flatten=True), (1797, 64), np.float32),
    (dict(normalize=False), (1797, 8, 8, 1), np.uint8),
    (dict(n_per_class=5, flatten=True), (50, 64), np.float32),
], ids=["flatten", "raw-counts", "five-per-class"])
def test_digits_options(kwargs, shape, dtype):
    x, y = data.load_digits(**kwargs)
    assert x.shape == shape and x.dtype == dtype and len(y) == shape[0]
    if kwargs.get("normalize") is False:
        assert x.max() == 16
    if "n_per_class" in kwargs:
        assert np.bincount(y).tolist() == [5] * 10


def test_train_test_split_is_seeded_and_disjoint():
    x, y = data.load_digits(flatten=True)
    (a, ya), (b, yb) = data.train_test_split(x, y, 0.25, seed=1)
    (a2, _), _ = data.train_test_split(x, y, 0.25, seed=1)
    (a3, _), _ = data.train_test_split(x, y, 0.25, seed=2)
    assert len(b) == round(1797 * 0.25) and len(a) + len(b) == 1797
    np.testing.assert_array_equal(a, a2)
    assert not np.array_equal(a, a3)
    rows = {r.tobytes() for r in a}
    assert sum(r.tobytes() in rows for r in b) < 5          # (a few digits repeat in the data)


def test_one_hot():
    np.testing.assert_array_equal(data.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


@pytest.fixture
def local_keras_downloads(tmp_path, monkeypatch):
    """Small MNIST-format files served through file:// URLs into a temporary Keras cache."""
    import keras.src.datasets.fashion_mnist as fashion
    import keras.src.datasets.mnist as mnist
    from keras.src.utils.file_utils import get_file

    g = np.random.default_rng(0)
    source = tmp_path / "source"
    source.mkdir()
    sets = {name: (g.integers(0, 256, (n, 28, 28), dtype=np.uint8), g.integers(0, 10, n, dtype=np.uint8))
            for name, n in (("train", 6), ("test", 4))}
    np.savez(source / "mnist.npz", x_train=sets["train"][0], y_train=sets["train"][1],
             x_test=sets["test"][0], y_test=sets["test"][1])
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = sets[split]
        with gzip.open(source / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images.tobytes())
        with gzip.open(source / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels.tobytes())
    calls = []

    def local_get_file(fname, origin, cache_subdir="datasets", **_):
        calls.append(fname)
        return get_file(fname, origin=(source / fname).as_uri(), cache_dir=str(tmp_path / "cache"),
                        cache_subdir=cache_subdir)

    monkeypatch.setattr(mnist, "get_file", local_get_file)
    monkeypatch.setattr(fashion, "get_file", local_get_file)
    return sets, source, calls


@pytest.mark.parametrize("loader", [data.load_mnist, data.load_fashion_mnist], ids=["mnist", "fashion"])
def test_keras_loaders_on_local_files_then_from_the_cache(loader, local_keras_downloads):
    sets, source, calls = local_keras_downloads
    (x, y), (xt, yt) = loader()
    assert x.shape == (6, 28, 28, 1) and xt.shape == (4, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], sets["train"][0] / np.float32(255))
    np.testing.assert_array_equal(yt, sets["test"][1])
    for f in source.iterdir():             # the "network" goes away: the cache still serves it
        f.unlink()
    (x2, _), _ = loader(normalize=False, limit=3)
    assert x2.shape == (3, 28, 28, 1) and x2.dtype == np.uint8
    assert calls


def test_offline_loader_says_what_to_do(monkeypatch):
    import keras.src.datasets.mnist as mnist

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist, "get_file", no_network)
    with pytest.raises(RuntimeError, match=r"Could not load mnist.*offline.*load_digits\(\)"):
        data.load_mnist()
