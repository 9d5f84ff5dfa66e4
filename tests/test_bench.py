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
    assert "kit/TF" in lines[1] and "floor ms" in lines[1] and "kit/floor" in lines[1]
    assert lines[3].startswith("Dense 256x512 -> 512 relu") and "1.5x TF" in lines[3]
    assert len(rows) == 1 and rows[0]["goal"] == 1.5
    assert rows[0]["kit_s"] > 0 and rows[0]["tf_s"] > 0 and rows[0]["gflops"] > 0


def test_every_convolution_has_a_floor_goal_and_the_goal_column_names_it():
    from tflearn_kit.bench import conv, pooling
    assert all(b.goal_floor == 1.3 and b.goal is None for b in conv.BENCHMARKS)
    assert {"Conv2D", "Conv1D", "Conv3D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"} == {
        b.name.split()[0] for b in conv.BENCHMARKS}
    assert conv.BENCHMARKS[0].goal_text() == "1.3x floor"
    overlapping = [b for b in pooling.BENCHMARKS if "3x3 s2 same" in b.name]
    assert [b.name.split()[0] for b in overlapping] == ["MaxPooling2D", "AveragePooling2D"]
    assert all(b.goal_text() == "2.0x TF" for b in overlapping)


def test_bench_against_a_revision_prints_before_after_and_the_change(capsys):
    """One cheap row, one call per side: the table's shape, not its numbers."""
    from tflearn_kit.cli import main
    assert main(["bench", "Dense 256x512 -> 512 relu", "--against", "HEAD", "--repeat", "1",
                 "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("before: HEAD (")
    assert lines[1].split() == ["benchmark", "before", "ms", "after", "ms", "after/before", "change"]
    name, row = lines[3][:48].strip(), lines[3][48:].split()
    assert name == "Dense 256x512 -> 512 relu" and len(row) == 4
    assert float(row[0]) > 0 and float(row[1]) > 0 and row[2].endswith("x") and row[3].endswith("%")


def test_bench_against_an_unknown_revision_is_a_clear_error(capsys):
    from tflearn_kit.cli import main
    assert main(["bench", "Dense", "--against", "no-such-revision-15"]) == 2
    assert "'no-such-revision-15' is not a commit" in capsys.readouterr().err
