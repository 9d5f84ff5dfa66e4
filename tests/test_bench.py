"""The benchmark command: both sides do the same work, and the table prints.

No test here times anything; the goals are read off ``tflearn-kit bench``.
"""
import numpy as np
import pytest

from tflearn_kit import layers
from tflearn_kit.bench import keras_step, run
from tflearn_kit.compare import TOLERANCES
from tflearn_kit.reference.runners import keras_twin


@pytest.mark.parametrize("make", [lambda: layers.Conv2D(4, 3, padding="same"),
                                  lambda: layers.Dense(5, activation="relu")],
                         ids=["Conv2D", "Dense"])
def test_the_tf_side_computes_the_forward_output_and_every_gradient(make):
    """The TF step must return y itself: tf.function prunes what nobody uses, and a
    conv's gradients don't need y, so a step returning only gradients skips the forward."""
    g = np.random.default_rng(0)
    layer = make()
    x = g.standard_normal((2, 6, 6, 3) if isinstance(layer, layers.Conv2D) else (4, 3)).astype("float32")
    layer.build(x.shape)
    y = layer(x)
    dy = g.standard_normal(y.shape).astype("float32")
    dx = layer.backward(dy)
    outputs = keras_step(keras_twin(layer, x.shape, layer.get_weights()), x, dy)()
    assert len(outputs) == 2 + len(layer.trainable_weights)
    for name, mine, theirs in zip(["y", "dx", "kernel", "bias"], [y, dx, *layer.grads], outputs):
        scale = np.abs(theirs).max()
        assert np.abs(mine - theirs).max() <= TOLERANCES["float32"] * scale, name


def test_bench_prints_a_row_per_benchmark_with_its_goal():
    lines = []
    rows = run(["Dense 256x512 -> 512 relu"], repeat=1, out=lines.append)
    assert lines[0].startswith("float32 matmul peak on this machine")
    assert "kit/TF" in lines[1]
    assert lines[3].startswith("Dense 256x512 -> 512 relu")
    assert len(rows) == 1 and rows[0]["goal"] == 1.5
    assert rows[0]["kit_s"] > 0 and rows[0]["tf_s"] > 0 and rows[0]["gflops"] > 0
