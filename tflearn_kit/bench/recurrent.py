"""Embedding, LSTM and GRU forward+backward against tf.keras: batch 64, 50 steps, 128 units."""
import numpy as np

from .engine import Benchmark, keras_step

BATCH, STEPS, UNITS, VOCAB = 64, 50, 128, 10000


def _rnn_setup(name):
    def setup():
        from .. import layers
        from ..reference.runners import keras_twin
        g = np.random.default_rng(0)
        x = g.standard_normal((BATCH, STEPS, UNITS)).astype("float32")
        dy = g.standard_normal((BATCH, STEPS, UNITS)).astype("float32")
        layer = getattr(layers, name)(UNITS, return_sequences=True)
        layer.build(x.shape)
        twin = keras_twin(layer, x.shape, layer.get_weights())

        def kit():
            layer(x)
            layer.backward(dy)

        gates = layer.gates
        # per step: x @ kernel and h @ recurrent_kernel forward; dx, dkernel, dh, drecurrent backward
        flops = 6 * 2 * BATCH * UNITS * gates * UNITS * STEPS
        return {"kit": kit, "tf": keras_step(twin, x, dy), "flops": flops}
    return setup


def _embedding_setup():
    from .. import layers
    from ..reference.runners import keras_twin
    from ..reference.tf import modules
    tf, _, _ = modules()
    g = np.random.default_rng(0)
    ids = g.integers(0, VOCAB, size=(BATCH, STEPS))
    dy = g.standard_normal((BATCH, STEPS, UNITS)).astype("float32")
    layer = layers.Embedding(VOCAB, UNITS)
    layer.build(ids.shape)
    twin = keras_twin(layer, ids.shape, layer.get_weights())
    ids_t, dy_t = tf.constant(ids), tf.constant(dy)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            y = twin(ids_t)
        (grad,) = tape.gradient(y, twin.trainable_weights, output_gradients=dy_t)
        return y, tf.convert_to_tensor(grad)   # the output (else it is pruned) and a dense table gradient

    def kit():
        layer(ids)
        layer.backward(dy)

    return {"kit": kit, "tf": lambda: [t.numpy() for t in step()], "flops": None}


BENCHMARKS = [
    Benchmark(f"Embedding {VOCAB}x{UNITS}, ids {BATCH}x{STEPS}", _embedding_setup, goal=3.0),
    Benchmark(f"LSTM {BATCH}x{STEPS}x{UNITS} -> {UNITS} seq", _rnn_setup("LSTM"), goal=3.0),
    Benchmark(f"GRU {BATCH}x{STEPS}x{UNITS} -> {UNITS} seq", _rnn_setup("GRU"), goal=3.0),
]
