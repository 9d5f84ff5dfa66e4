"""Dense forward+backward against tf.keras."""
import numpy as np

from .engine import Benchmark, keras_step


def _setup(batch=256, n_in=512, units=512):
    from .. import layers
    from ..reference.runners import keras_twin
    g = np.random.default_rng(0)
    x = g.standard_normal((batch, n_in)).astype("float32")
    dy = g.standard_normal((batch, units)).astype("float32")
    layer = layers.Dense(units, activation="relu")
    layer.build(x.shape)
    twin = keras_twin(layer, x.shape, layer.get_weights())

    def kit():
        layer(x)
        layer.backward(dy)

    return {"kit": kit, "tf": keras_step(twin, x, dy), "flops": 3 * 2 * batch * n_in * units}


BENCHMARKS = [
    Benchmark("Dense 256x512 -> 512 relu", _setup, goal=1.5),
]
