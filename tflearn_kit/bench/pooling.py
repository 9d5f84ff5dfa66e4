"""Max pooling, average pooling and batch normalization (training) forward+backward against tf.keras."""
import numpy as np

from .engine import Benchmark, keras_step


def _setup(make_layer, shape=(32, 64, 64, 32), training=False):
    def setup():
        from .. import layers
        from ..reference.runners import keras_twin
        g = np.random.default_rng(0)
        x = g.standard_normal(shape).astype("float32")
        layer = make_layer(layers)
        y = layer(x, training=training)
        dy = g.standard_normal(y.shape).astype("float32")
        twin = keras_twin(layer, x.shape, layer.get_weights())

        def kit():
            layer(x, training=training)
            layer.backward(dy)

        return {"kit": kit, "tf": keras_step(twin, x, dy, training=training)}
    return setup


# Overlapping windows (3x3, stride 2, same: the ResNet stem's pool), goal 2x TF since issue 15.


BENCHMARKS = [
    Benchmark("MaxPooling2D 32x64x64x32 2x2", _setup(lambda L: L.MaxPooling2D(2)), goal=2.0),
    Benchmark("AveragePooling2D 32x64x64x32 2x2",
              _setup(lambda L: L.AveragePooling2D(2)), goal=2.0),
    Benchmark("MaxPooling2D 32x64x64x32 3x3 s2 same",
              _setup(lambda L: L.MaxPooling2D(3, strides=2, padding="same")), goal=2.0),
    Benchmark("AveragePooling2D 32x64x64x32 3x3 s2 same",
              _setup(lambda L: L.AveragePooling2D(3, strides=2, padding="same")), goal=2.0),
    Benchmark("BatchNormalization 32x64x64x32 training",
              _setup(lambda L: L.BatchNormalization(), training=True), goal=2.0),
]
