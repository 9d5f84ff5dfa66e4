"""MultiHeadAttention forward+backward against tf.keras: batch 32, sequence 128, d_model 256,
8 heads of 32, self-attention with a causal mask."""
import numpy as np

from .engine import Benchmark, register

BATCH, SEQ, D_MODEL, HEADS = 32, 128, 256, 8


def _mha_setup():
    from .. import layers
    from ..reference.runners import keras_twin
    from ..reference.tf import modules
    tf, _, _ = modules()
    g = np.random.default_rng(0)
    x = g.standard_normal((BATCH, SEQ, D_MODEL)).astype("float32")
    dy = g.standard_normal((BATCH, SEQ, D_MODEL)).astype("float32")
    layer = layers.MultiHeadAttention(HEADS, D_MODEL // HEADS)
    layer.build([x.shape, x.shape])
    twin = keras_twin(layer, [x.shape, x.shape], layer.get_weights())
    x_t, dy_t = tf.constant(x), tf.constant(dy)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            y = twin(x_t, x_t, use_causal_mask=True)
        # the output is returned too, or tf.function would prune the parts of the forward
        # pass the gradients do not need
        return [y] + tape.gradient(y, [x_t] + twin.trainable_weights, output_gradients=dy_t)

    def kit():
        layer(x, x, use_causal_mask=True)
        layer.backward(dy)

    head = D_MODEL // HEADS
    projections = 4 * 2 * BATCH * SEQ * D_MODEL * D_MODEL          # q, k, v, output
    attention = 2 * 2 * BATCH * HEADS * SEQ * SEQ * head           # q k^T and p v
    return {"kit": kit, "tf": lambda: [t.numpy() for t in step()],
            "flops": 3 * (projections + attention)}                 # backward ~ twice the forward


register(Benchmark(f"MultiHeadAttention {BATCH}x{SEQ}x{D_MODEL}, {HEADS} heads, causal",
                   _mha_setup, goal=2.0))
