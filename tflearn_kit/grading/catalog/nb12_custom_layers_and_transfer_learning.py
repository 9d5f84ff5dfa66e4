"""Exercise of 12_custom_layers_and_transfer_learning: a custom kit layer with a trainable weight.

The student writes ``MyPReLU``, a kit layer whose slope for negative inputs is a
trainable weight ``alpha`` (one per channel), with its backward pass. The given
``prelu_step(x, alpha, dy)`` runs it; the reference is Keras's own
``keras.layers.PReLU`` (alpha shared over every axis but the channels), with its
gradients from a GradientTape. TensorFlow is imported inside the reference only.
"""
import numpy as np

from ..exercises import Case, Exercise, seeded

# MyPReLU subclasses the kit's Layer base class (which needs initializers and regularizers), so the
# sandbox has that and nothing else of the kit: no kernels, no other layers.
STUDENT_KIT = ["tflearn_kit.layers.Layer"]



def keras_prelu_step(x, alpha, dy):
    """(y, dx, dalpha) of keras.layers.PReLU with alpha (channels,) shared over the other axes."""
    from ...reference.tf import modules
    tf, keras, _ = modules()
    shared = list(range(1, x.ndim - 1)) or None
    layer = keras.layers.PReLU(shared_axes=shared, dtype=str(x.dtype))
    layer.build(x.shape)
    layer.set_weights([alpha.reshape(layer.alpha.shape)])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
    dx, dalpha = tape.gradient(y, [xt, layer.alpha], output_gradients=tf.constant(dy))
    return np.asarray(y), np.asarray(dx), np.asarray(dalpha).reshape(alpha.shape)


def prelu_case(seed, shape, alpha_range=(-0.5, 0.5)):
    g = seeded(seed)
    x = g.standard_normal(shape)
    alpha = g.uniform(*alpha_range, shape[-1])     # nonzero, some negative: every term matters
    dy = g.standard_normal(shape)
    return x, alpha, dy


PRELU_LAYER = Exercise(
    id="prelu_layer", function="prelu_step",
    reference=keras_prelu_step,
    visible=[
        Case("dense-4x5", lambda: prelu_case(seed=0, shape=(4, 5))),
        Case("images-2x3x3x4", lambda: prelu_case(seed=1, shape=(2, 3, 3, 4))),
        # nothing bounds a learned slope: past 1, max(x, alpha * x) is no longer PReLU
        Case("alpha-above-1", lambda: prelu_case(seed=4, shape=(3, 4), alpha_range=(1.1, 2.0))),
    ],
    hidden=[
        Case("sequence-2x5x3", lambda: prelu_case(seed=2, shape=(2, 5, 3))),
        Case("batch1-1ch", lambda: prelu_case(seed=3, shape=(1, 6, 1))),
        Case("images-alpha-above-1", lambda: prelu_case(seed=5, shape=(2, 2, 2, 3), alpha_range=(1.1, 2.0))),
    ],
    points=3,
    look="alpha's shape (one per channel), x > 0 versus x <= 0 in both passes, and the axes dalpha sums over",
    outputs=("y", "dx", "dalpha"),
    hint="build: self.alpha = self.add_weight(shape=(input_shape[-1],), initializer='zeros', name='alpha'). "
         "call: y = max(x, 0) + alpha * min(x, 0). backward: dx = dy * (1 where x > 0, else alpha); "
         "dalpha sums dy * min(x, 0) over every axis but the last. Return (dx, [dalpha]).",
)

EXERCISES = [PRELU_LAYER]
