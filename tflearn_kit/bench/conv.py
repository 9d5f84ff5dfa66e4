"""Convolutions forward+backward against tf.keras, and the 2-D kernel against its naive loop.

FLOPs count the multiply-adds of the three products (output, dx, dkernel) as
2 each: 3 * 2 * batch * prod(out) * prod(kernel) * in_channels * filters.

Where the kit's time goes (Conv2D, 7.25 GFLOP a step): TensorFlow's oneDNN does
the whole step, forward included, in 26-28 ms (about 270 GFLOP/s). The kit's
im2col forward and kernel-gradient matmuls, (N*H*W, 576) @ (576, 64) and its
transpose, run at 170-185 GFLOP/s in OpenBLAS (13 ms each), the shifted-matmul
input gradient takes about 20 ms, and the im2col gather of 75 MB about 25 ms.
The three products alone are about 1.4x TensorFlow's step before any data moves,
so the 1.5x goal is out of reach of NumPy on this machine (see the README).
"""
import math

import numpy as np

from .engine import Benchmark, keras_step


def _conv_flops(batch, out_spatial, kernel_size, channels, filters):
    return 3 * 2 * batch * math.prod(out_spatial) * math.prod(kernel_size) * channels * filters


def _layer_setup(layer_name, config, input_shape, flops, naive=None):
    from .. import layers
    from ..reference.runners import keras_twin
    g = np.random.default_rng(0)
    x = g.standard_normal(input_shape).astype("float32")
    layer = getattr(layers, layer_name)(**config)
    layer.build(x.shape)
    dy = g.standard_normal(layer.compute_output_shape(x.shape)).astype("float32")
    twin = keras_twin(layer, x.shape, layer.get_weights())

    def kit():
        layer(x)
        layer.backward(dy)

    parts = {"kit": kit, "tf": keras_step(twin, x, dy), "flops": flops}
    if naive is not None:
        parts.update(naive(layer))
    return parts


NAIVE_BATCH = 1


def _naive_conv2d(batch):
    """The naive loop on NAIVE_BATCH images of the same shape; its time scaled to the whole batch."""
    def parts(layer):
        from ..kernels.conv import conv2d_backward_loops, conv2d_forward_loops, conv_geometry
        g = np.random.default_rng(1)
        x = g.standard_normal((NAIVE_BATCH, 32, 32, 64)).astype("float32")
        dy = g.standard_normal((NAIVE_BATCH, 32, 32, 64)).astype("float32")
        pads = conv_geometry((32, 32), (3, 3), padding="same").pads

        def naive():
            conv2d_forward_loops(x, layer.kernel, layer.bias, pads=pads)
            conv2d_backward_loops(dy, x, layer.kernel, pads=pads)

        return {"naive": naive, "naive_scale": batch / NAIVE_BATCH,
                "note": f"the naive loop ran on {NAIVE_BATCH} of the {batch} images; its time is scaled "
                        f"by {batch // NAIVE_BATCH} (the FLOP ratio)"}
    return parts


BENCHMARKS = [
    Benchmark(
        "Conv2D 32x32x64->64 3x3 same, batch 32",
        lambda: _layer_setup("Conv2D", {"filters": 64, "kernel_size": 3, "padding": "same"}, (32, 32, 32, 64),
                             _conv_flops(32, (32, 32), (3, 3), 64, 64), _naive_conv2d(32)),
        goal=1.5, goal_naive=100,
    ),
    Benchmark(
        "Conv1D 1024x128->128 k3 same, batch 32",
        lambda: _layer_setup("Conv1D", {"filters": 128, "kernel_size": 3, "padding": "same"}, (32, 1024, 128),
                             _conv_flops(32, (1024,), (3,), 128, 128)),
        goal=2.0,
    ),
    Benchmark(
        "Conv3D 16x16x16x32->32 3x3x3 same, batch 8",
        lambda: _layer_setup("Conv3D", {"filters": 32, "kernel_size": 3, "padding": "same"}, (8, 16, 16, 16, 32),
                             _conv_flops(8, (16, 16, 16), (3, 3, 3), 32, 32)),
        goal=2.0,
    ),
    Benchmark(
        "Conv2DTranspose 16x16x128->32x32x64 3x3 s2",
        lambda: _layer_setup("Conv2DTranspose",
                             {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same"},
                             (32, 16, 16, 128), _conv_flops(32, (16, 16), (3, 3), 128, 64)),
        goal=2.0,
    ),
]
