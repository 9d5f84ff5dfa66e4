"""Masks through the merging layers, against Keras 3 (keras/src/layers/merging).

Each case runs a kit merge and its Keras twin eagerly on the same inputs, with Keras masks
set on the input tensors (as a Masking or Embedding layer before the merge would leave
them), and compares the output, the output mask and every dx in float32 (1e-5) and
float64 (1e-10). A functional model then checks that a mask flows through a merge into a
layer that uses it, as in Keras.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

L = kit.layers
M1 = np.array([[1, 1, 0, 0], [0, 1, 1, 0]], bool)     # (batch, steps)
M2 = np.array([[0, 1, 1, 0], [0, 0, 0, 1]], bool)
M3 = np.array([[1, 0, 0, 0], [0, 1, 0, 1]], bool)
X = (2, 4, 3)                                           # (batch, steps, features)

CASES = {   # name: (layer, config, input shapes, masks)
    "Add-both": ("Add", {}, [X, X], [M1, M2]),
    "Add-one": ("Add", {}, [X, X], [M1, None]),
    "Subtract-both": ("Subtract", {}, [X, X], [M1, M2]),
    "Average-three": ("Average", {}, [X, X, X], [M1, M2, M3]),
    "Multiply-both": ("Multiply", {}, [X, X], [M1, M2]),
    "Multiply-second-only": ("Multiply", {}, [X, X], [None, M2]),
    "Multiply-three-broadcast-features": ("Multiply", {}, [X, (2, 4, 1), X], [M1, M2, M3]),
    "Multiply-ranks-differ": ("Multiply", {}, [X, (2, 3)], [M1, None]),
    "Maximum-ranks-differ-both-masked": ("Maximum", {}, [X, (2, 3)], [M1, M2[:, 3:]]),
    "Maximum-both": ("Maximum", {}, [X, X], [M1, M2]),
    "Maximum-first-only": ("Maximum", {}, [X, X], [M1, None]),
    "Maximum-three": ("Maximum", {}, [X, X, X], [M1, M2, M3]),
    "Minimum-both": ("Minimum", {}, [X, X], [M1, M2]),
    "Minimum-three-middle-unmasked": ("Minimum", {}, [X, X, X], [M1, None, M3]),
    "Concatenate-steps": ("Concatenate", {"axis": 1}, [X, X], [M1, None]),
    "Concatenate-features-both": ("Concatenate", {"axis": -1}, [X, X], [M1, M2]),
    "Concatenate-features-one": ("Concatenate", {"axis": 2}, [X, (2, 4, 2)], [None, M3]),
    "Dot-steps": ("Dot", {"axes": 2}, [X, X], [M1, M2]),
}


def keras_run(name, config, xs, masks, dy, dtype):
    tf, keras, _ = modules()
    from keras.src.backend import get_keras_mask, set_keras_mask
    layer = getattr(keras.layers, name)(**config, dtype=dtype)
    ts = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        inputs = []
        for t, m in zip(ts, masks):
            t = tf.identity(t)          # a fresh tensor to carry the mask, as a Masking output
            if m is not None:
                set_keras_mask(t, tf.constant(m))
            inputs.append(t)
        y = layer(inputs)
    dxs = tape.gradient(y, ts, output_gradients=tf.constant(dy))
    mask = get_keras_mask(y)
    return y.numpy(), None if mask is None else mask.numpy(), [d.numpy() for d in dxs]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_merge_with_masks_matches_keras(case, dtype):
    name, config, shapes, masks = case
    xs = [make_input(s, dtype, seed=20 + i) for i, s in enumerate(shapes)]
    if name in ("Maximum", "Minimum") and shapes[0] == shapes[1]:
        xs[1][0, 1] = xs[0][0, 1]        # a tie between unmasked entries: the first input wins
    layer = getattr(L, name)(**config, dtype=dtype)
    y = layer(xs, mask=masks)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dxs = layer.backward(dy)
    k_y, k_mask, k_dxs = keras_run(name, config, xs, masks, dy, dtype)
    _, rel = errors(y, k_y)
    assert rel <= TOLERANCES[dtype], f"output: {rel:.1e}"
    if k_mask is None:
        assert layer.output_mask is None
    else:
        np.testing.assert_array_equal(layer.output_mask, k_mask)
    for i, (a, b) in enumerate(zip(dxs, k_dxs)):
        _, rel = errors(a, b)
        assert rel <= TOLERANCES[dtype], f"dx[{i}]: {rel:.1e}"


def test_the_masks_change_multiply_and_maximum_by_hand():
    a = np.array([[[2.0], [3.0]]])
    b = np.array([[[5.0], [-1.0]]])
    m_a, m_b = np.array([[True, False]]), np.array([[False, False]])
    # step 0: only a is kept -> b counts as 1; step 1: nothing kept -> 0
    np.testing.assert_array_equal(L.Multiply()([a, b], mask=[m_a, m_b]), [[[2.0], [0.0]]])
    # step 0: b is masked, so a wins though b is larger; step 1: both masked, a (the first) stays
    np.testing.assert_array_equal(L.Maximum()([a, b], mask=[m_a, m_b]), [[[2.0], [3.0]]])


@pytest.mark.parametrize("name", ["Multiply", "Maximum", "Minimum"])
def test_masked_merge_gradient_check(name):
    xs = [make_input(X, "float64", seed=30 + i) for i in range(3)]

    class Masked(getattr(L, name)):
        def __call__(self, inputs, training=None, mask=None, **kwargs):
            return super().__call__(inputs, training=training, mask=[M1, M2, M3], **kwargs)

    report = gradient_check(Masked(dtype="float64"), xs)
    assert report.ok, report.to_text()


def test_a_wrong_mask_list_names_the_layer():
    x = np.zeros(X)
    with pytest.raises(ValueError, match=r"'plus' \(Add\) expected a list of 2 masks.*got 1"):
        L.Add(name="plus")([x, x], mask=[M1])
    with pytest.raises(ValueError, match=r"'cat' \(Concatenate\) expected a list of 2 masks"):
        L.Concatenate(name="cat")([x, x], mask=M1)


@pytest.mark.parametrize("merge", ["Add", "Maximum", "Multiply", "Concatenate"])
def test_a_mask_flows_through_a_merge_in_a_functional_model_as_in_keras(merge, dtype):
    """Masking -> merge -> GlobalAveragePooling1D, which averages over the kept steps only."""
    tf, keras, _ = modules()
    x1 = make_input((3, 5, 2), dtype, seed=40)
    x2 = make_input((3, 5, 2), dtype, seed=41)
    x1[0, 1:3] = 0.0                 # padded steps: Masking drops them
    x2[0, 2:4] = 0.0
    x1[1, :] = 0.0                   # and an example whose first input is all padding
    x2[2, 4] = 0.0

    def build(Input, layers, Model):
        a, b = Input((5, 2), dtype=dtype), Input((5, 2), dtype=dtype)
        ma = layers.Masking(dtype=dtype)(a)
        mb = layers.Masking(dtype=dtype)(b)
        y = getattr(layers, merge)(dtype=dtype)([ma, mb])
        y = layers.GlobalAveragePooling1D(dtype=dtype)(y)
        return Model([a, b], y)

    ours = build(kit.models.Input, kit.layers, kit.models.Model)([x1, x2])
    theirs = build(keras.Input, keras.layers, keras.Model)([tf.constant(x1), tf.constant(x2)])
    _, rel = errors(ours, theirs.numpy())
    assert rel <= TOLERANCES[dtype], f"{rel:.1e}"
