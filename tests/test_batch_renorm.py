"""BatchNormalization(renorm=True) against Keras 3 over several training steps."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

CONFIGS = {
    "clipped": {"renorm_clipping": {"rmax": 1.2, "rmin": 0.8, "dmax": 0.3}, "momentum": 0.5,
                "renorm_momentum": 0.6},
    "unclipped-no-center": {"center": False, "momentum": 0.75, "renorm_momentum": 0.5},
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_three_training_steps_match_keras(config, dtype):
    tf, keras, _ = modules()
    layer = kit.layers.BatchNormalization(renorm=True, gamma_initializer="random_normal",
                                          dtype=dtype, **config)
    twin = keras.layers.BatchNormalization(renorm=True, gamma_initializer="random_normal",
                                           dtype=dtype, **config)
    shape = (8, 5)
    layer.build(shape)
    twin.build(shape)
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.get_weights()]
    twin.set_weights(layer.get_weights())
    tol = TOLERANCES[dtype]
    for step in range(3):
        x = make_input(shape, dtype, seed=140 + step) * (1 + step) + step
        dy = make_input(shape, dtype, seed=150 + step)
        y = layer(x, training=True)
        dx = layer.backward(dy)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            yt = twin(xt, training=True)
        grads = tape.gradient(yt, [xt] + twin.trainable_weights, output_gradients=tf.constant(dy))
        pairs = [(y, yt), (dx, grads[0])] + list(zip(layer.grads, grads[1:]))
        pairs += list(zip(layer.get_weights(), twin.get_weights()))
        for ours, theirs in pairs:
            _, rel = errors(ours, np.asarray(theirs))
            assert rel <= tol * 10, f"step {step}: {rel:.1e}"      # a few steps of moving averages
    y_inf = layer(x, training=False)
    _, rel = errors(y_inf, np.asarray(twin(x, training=False)))
    assert rel <= tol * 10


def test_renorm_gradient_check():
    """r and d are constants to backward (Keras stops their gradient); with both clipped they
    are constants of x too, so finite differences check the rest exactly."""
    layer = kit.layers.BatchNormalization(renorm=True, gamma_initializer="random_normal",
                                          renorm_clipping={"rmin": 1.1, "rmax": 1.1, "dmax": 0.05},
                                          beta_initializer="random_normal", dtype="float64")
    x = make_input((6, 4), "float64", seed=160)
    layer.build(x.shape)
    layer.renorm_mean[...] = 5.0                 # d = (mean - 5) / std, clipped to -0.05
    statistics = [w.value for w in layer.weight_records if not w.trainable]
    state = [a.copy() for a in statistics]
    call = layer.call

    def training_call(inputs, training=None):
        for a, saved in zip(statistics, state):  # every probe starts from the same statistics
            a[...] = saved
        return call(inputs, training=True)
    layer.call = training_call
    result = gradient_check(layer, x)
    assert result.ok, "\n" + result.to_text()


def test_renorm_clipping_keys_are_checked():
    with pytest.raises(ValueError, match="renorm_clipping takes the keys rmax, rmin, dmax"):
        kit.layers.BatchNormalization(renorm=True, renorm_clipping={"r": 1})
