"""BatchNormalization(x, training=True, mask=m) against Keras: the batch statistics count only
the kept entries (Keras's ``_moments`` with a mask), every entry is normalized with them.
Output, dx, dgamma, dbeta and the moving statistics after the step, float32 (1e-5) and
float64 (1e-10); a finite-difference check through the weighted moments; the errors."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference.runners import keras_twin
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

CASES = {
    "sequence-channels-last": ((3, 5, 4), -1),
    "image-channels-last": ((2, 4, 3, 3), -1),
    "sequence-axis1": ((3, 4, 5), 1),
}
RANDOM = {"beta_initializer": "random_normal", "gamma_initializer": "random_normal"}


def random_mask(shape, seed=2):
    mask = np.random.default_rng(seed).random(shape[:-1]) > 0.4
    mask.flat[0] = False           # at least one entry dropped, one kept
    mask.flat[-1] = True
    return mask


@pytest.mark.parametrize("shape, axis", CASES.values(), ids=CASES.keys())
def test_masked_training_step_matches_keras(shape, axis, dtype):
    tf, _, _ = modules()
    layer = kit.layers.BatchNormalization(axis=axis, dtype=dtype, **RANDOM)
    x, dy = make_input(shape, dtype, seed=1), make_input(shape, dtype, seed=3)
    mask = random_mask(shape)
    layer.build(x.shape)
    twin = keras_twin(layer, x.shape, layer.get_weights())
    y = layer(x, training=True, mask=mask)
    dx = layer.backward(dy)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        k_y = twin(xt, training=True, mask=tf.constant(mask))
    k_grads = tape.gradient(k_y, [xt] + twin.trainable_weights, output_gradients=tf.constant(dy))
    pairs = [("output", y, k_y), ("dx", dx, k_grads[0])]
    pairs += list(zip(["dgamma", "dbeta"], layer.grads, k_grads[1:]))
    pairs += list(zip(["moving_mean", "moving_variance"], layer.non_trainable_weights,
                      twin.non_trainable_weights))
    for what, a, b in pairs:
        _, rel = errors(a, np.asarray(b))
        assert rel <= TOLERANCES[dtype], f"{what}: {rel:.1e}"
    np.testing.assert_array_equal(layer.output_mask, mask)      # the mask passes on


def test_the_statistics_are_those_of_the_kept_entries_by_hand():
    layer = kit.layers.BatchNormalization(epsilon=0.0, dtype="float64")
    x = np.array([[[1.0], [3.0], [100.0]]])             # the padded step holds 100
    y = layer(x, training=True, mask=np.array([[True, True, False]]))
    # mean 2 and variance 1 over the kept steps (up to Keras's 1e-7 in the count)
    np.testing.assert_allclose(y[0, :2, 0], [-1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(layer.moving_mean, 0.99 * 0 + 0.01 * 2.0, rtol=1e-6)


@pytest.mark.parametrize("shape, axis", CASES.values(), ids=CASES.keys())
def test_masked_gradient_check(shape, axis):
    layer = kit.layers.BatchNormalization(axis=axis, dtype="float64", **RANDOM)
    report = gradient_check(layer, make_input(shape, "float64", seed=4), training=True,
                            call_kwargs={"mask": random_mask(shape)})
    assert report.ok, report.to_text()


def test_inference_ignores_the_mask_as_keras_does():
    layer = kit.layers.BatchNormalization(**RANDOM)
    x = make_input((2, 3, 4), "float32", seed=5)
    np.testing.assert_array_equal(layer(x, mask=random_mask(x.shape)), layer(x))


def test_bad_masks_name_the_layer():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"'bn' \(BatchNormalization\) expected a mask with one axis "
                                         r"less.*\(2, 3, 4\).*\(2, 3, 4\)"):
        kit.layers.BatchNormalization(name="bn")(x, training=True, mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match=r"'bnr' \(BatchNormalization\): a mask with renorm=True"):
        kit.layers.BatchNormalization(renorm=True, name="bnr")(x, training=True,
                                                               mask=np.ones((2, 3), bool))
