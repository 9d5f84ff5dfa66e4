"""Convolutions forward+backward against tf.keras and against their own matmul floor.

FLOPs count the multiply-adds of the three products (output, dx, dkernel) as
2 each: 3 * 2 * batch * prod(out) * prod(kernel) * in_channels * filters.

The floor. Any im2col convolution, however it gathers, must do three products
on its shapes, with M = batch * prod(out) windows of T = prod(kernel_size) taps
over C input channels and F filters:

    forward           (M, T*C) @ (T*C, F)
    kernel gradient   (T*C, M) @ (M, F)       (the transpose of the forward's cols)
    input gradient    (M, F) @ (F, T*C)       (what col2im then scatters)

The floor is those three matmuls alone, on operands allocated and filled once
before timing and written into preallocated outputs (``np.matmul(..., out=)``),
through the same NumPy BLAS on the same cores, timed in the same run right after
the kit's side. No gather, no scatter, no bias, no allocation: what is left
when everything but the arithmetic is free, so kit/floor >= 1 unless the kit
avoids some of that arithmetic's memory traffic (the shifted input gradient
never forms the (M, T*C) product). A transposed convolution is the adjoint of
the convolution of its geometry, so its floor is that convolution's three
products (M = batch * prod(its input), C = its filters, F = its input channels).

A depthwise convolution (groups = C, depth_multiplier 1) has one (M, T) @ (T, 1)
product per channel: no matmul BLAS can run fast. Its floor is the same
arithmetic per channel in the layout NumPy does fastest, the taps of every window
preallocated as cols (T, M, C), channels last:

    forward           y[m, c]     = sum_t cols[t, m, c] * k[t, c]          (an einsum)
    kernel gradient   dk[t, c]    = sum_m cols[t, m, c] * dy[m, c]         (an einsum)
    input gradient    dcols[t, m, c] = dy[m, c] * k[t, c]                  (one broadcast multiply)

(measured on the busy machine: 48 ms for these, 66 ms for the stacked per-channel
matmuls ``np.matmul((C, M, T), (C, T, 1))`` and their two siblings; two threads over
the rows gave nothing, the passes are memory-bound.) A separable convolution's
floor is its depthwise floor plus its 1x1 pointwise convolution's three matmuls.

Issue 15 sets every convolution's goal at 1.3x its floor: TensorFlow's oneDNN does
the Conv2D step (7.25 GFLOP) in 26-28 ms on the quiet machine, faster than NumPy's
BLAS does the three products alone, so a goal against TF measured OpenBLAS, not the kit.
"""
import math

import numpy as np

from .engine import Benchmark, keras_step


def _conv_flops(batch, out_spatial, kernel_size, channels, filters):
    return 3 * 2 * batch * math.prod(out_spatial) * math.prod(kernel_size) * channels * filters


def matmul_floor(m, tc, f):
    """The three products of an im2col convolution on preallocated operands: a callable."""
    g = np.random.default_rng(2)
    cols = g.standard_normal((m, tc)).astype("float32")
    kernel = g.standard_normal((tc, f)).astype("float32")
    dy = g.standard_normal((m, f)).astype("float32")
    y, dkernel, dcols = (np.empty(shape, "float32") for shape in ((m, f), (tc, f), (m, tc)))

    def floor():
        np.matmul(cols, kernel, out=y)
        np.matmul(cols.T, dy, out=dkernel)
        np.matmul(dy, kernel.T, out=dcols)
    return floor


def depthwise_floor(m, taps, channels):
    """The per-channel products of a depthwise convolution (multiplier 1), channels last: a callable."""
    g = np.random.default_rng(3)
    cols = g.standard_normal((taps, m, channels)).astype("float32")
    kernel = g.standard_normal((taps, channels)).astype("float32")
    dy = g.standard_normal((m, channels)).astype("float32")
    y, dkernel, dcols = (np.empty(shape, "float32") for shape in ((m, channels), (taps, channels),
                                                                  (taps, m, channels)))

    def floor():
        np.einsum("tmc,tc->mc", cols, kernel, out=y)
        np.einsum("tmc,mc->tc", cols, dy, out=dkernel)
        np.multiply(dy, kernel[:, None, :], out=dcols)
    return floor


def _both(*floors):
    def floor():
        for f in floors:
            f()
    return floor


def _layer_setup(layer_name, config, input_shape, flops, naive=None, floor=None):
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
    if floor is not None:
        parts["floor"] = floor()
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
                             _conv_flops(32, (32, 32), (3, 3), 64, 64), _naive_conv2d(32),
                             floor=lambda: matmul_floor(32 * 32 * 32, 9 * 64, 64)),
        goal_floor=1.3, goal_naive=100,
    ),
    Benchmark(
        "Conv1D 1024x128->128 k3 same, batch 32",
        lambda: _layer_setup("Conv1D", {"filters": 128, "kernel_size": 3, "padding": "same"}, (32, 1024, 128),
                             _conv_flops(32, (1024,), (3,), 128, 128),
                             floor=lambda: matmul_floor(32 * 1024, 3 * 128, 128)),
        goal_floor=1.3,
    ),
    Benchmark(
        "Conv3D 16x16x16x32->32 3x3x3 same, batch 8",
        lambda: _layer_setup("Conv3D", {"filters": 32, "kernel_size": 3, "padding": "same"}, (8, 16, 16, 16, 32),
                             _conv_flops(8, (16, 16, 16), (3, 3, 3), 32, 32),
                             floor=lambda: matmul_floor(8 * 16 ** 3, 27 * 32, 32)),
        goal_floor=1.3,
    ),
    Benchmark(
        "Conv2DTranspose 16x16x128->32x32x64 3x3 s2",
        lambda: _layer_setup("Conv2DTranspose",
                             {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same"},
                             (32, 16, 16, 128), _conv_flops(32, (16, 16), (3, 3), 128, 64),
                             floor=lambda: matmul_floor(32 * 16 * 16, 9 * 64, 128)),
        goal_floor=1.3,
    ),
    Benchmark(
        "DepthwiseConv2D 32x32x64 3x3 same, batch 32",
        lambda: _layer_setup("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}, (32, 32, 32, 64),
                             _conv_flops(32, (32, 32), (3, 3), 1, 64),
                             floor=lambda: depthwise_floor(32 * 32 * 32, 9, 64)),
        goal_floor=1.3,
    ),
    Benchmark(
        "SeparableConv2D 32x32x64->64 3x3 same, batch 32",
        lambda: _layer_setup("SeparableConv2D", {"filters": 64, "kernel_size": 3, "padding": "same"},
                             (32, 32, 32, 64),
                             _conv_flops(32, (32, 32), (3, 3), 1, 64) + _conv_flops(32, (32, 32), (1, 1), 64, 64),
                             floor=lambda: _both(depthwise_floor(32 * 32 * 32, 9, 64),
                                                 matmul_floor(32 * 32 * 32, 64, 64))),
        goal_floor=1.3,
    ),
]
