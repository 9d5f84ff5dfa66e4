"""fast/ computes what kernels/ computes: every layer that runs a fast kernel gives the same
output, dx and weight gradients when it runs the readable kernel instead.

Over the parity grid (every registered case of the convolutions, pooling and normalization,
both dtypes, in the case's training mode), plus inputs large enough to take the threaded roads (over parallel.MIN_SIZE elements).
The readable modules have the fast ones' names, so swapping the module a layer calls is
the whole switch.
"""
import functools

import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import make_input
from tflearn_kit.fast import conv as fast_conv
from tflearn_kit.fast import pooling as fast_pooling
from tflearn_kit.kernels import conv as readable_conv
from tflearn_kit.kernels import normalization as readable_normalization
from tflearn_kit.kernels import pooling as readable_pooling
from tflearn_kit.kernels import recurrent as readable_recurrent
from tflearn_kit.layers import conv as conv_layers
from tflearn_kit.layers import normalization as normalization_layers
from tflearn_kit.layers import pooling as pooling_layers
from tflearn_kit.reference import families
from tflearn_kit.tolerances import PARITY

FAST_FAMILIES = {conv_layers: readable_conv, pooling_layers: readable_pooling,
                 normalization_layers: readable_normalization}

CASES = [(twin.layer, case, dtype)
         for family in (families.conv, families.pooling, families.normalization) for twin in family.TWINS
         if any(hasattr(layers_module, twin.layer) for layers_module in FAST_FAMILIES)
         for case in twin.cases for dtype in case.dtypes]

LARGE = {   # name: (layer name, config, input shape) on the threaded roads
    "Conv2D-3x3-same-threads": ("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}, (2, 32, 32, 64)),
    "Conv3D-lead-axis-threads": ("Conv3D", {"filters": 8, "kernel_size": 3, "padding": "same",
                                            "dilation_rate": (2, 1, 1)}, (4, 16, 16, 16, 32)),
    "Conv1D-lead-axis-no-gather-threads": ("Conv1D", {"filters": 16, "kernel_size": 3, "padding": "causal"},
                                           (16, 1024, 128)),
    "Conv2D-lead-axis-rest-stride2": ("Conv2D", {"filters": 8, "kernel_size": (3, 2), "strides": (1, 2)},
                                      (8, 40, 40, 32)),
    "Conv2D-1x1-matmul": ("Conv2D", {"filters": 16, "kernel_size": 1}, (2, 32, 32, 64)),
    "Conv2D-stride2-col2im-threads": ("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2}, (4, 64, 64, 32)),
    "Conv2DTranspose-stride2": ("Conv2DTranspose", {"filters": 8, "kernel_size": 3, "strides": 2,
                                                    "padding": "same"}, (4, 32, 32, 32)),
    "DepthwiseConv2D-3x3-same-chunks-threads": ("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"},
                                                (16, 32, 32, 64)),
    "DepthwiseConv2D-multiplier2-stride2": ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2,
                                                                "depth_multiplier": 2}, (4, 33, 31, 24)),
    "SeparableConv2D-3x3-same": ("SeparableConv2D", {"filters": 32, "kernel_size": 3, "padding": "same"},
                                 (4, 32, 32, 64)),
    "MaxPooling2D-2x2-tiled-threads": ("MaxPooling2D", {"pool_size": 2}, (4, 128, 128, 16)),
    "MaxPooling2D-3x3-s2-same": ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
                                 (4, 64, 64, 16)),
    "AveragePooling2D-2x2-tiled": ("AveragePooling2D", {"pool_size": 2}, (4, 64, 64, 16)),
    "AveragePooling2D-3x3-s2-same": ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"},
                                     (4, 64, 64, 16)),
    "BatchNormalization-slabs": ("BatchNormalization", {"momentum": 0.5}, (8, 32, 32, 16)),
}


def _run(name, config, x, dy, dtype, training):
    kit.set_seed(0)
    layer = getattr(kit.layers, name)(dtype=dtype, **config)
    y = layer(x, training=training)
    dx = layer.backward(dy)
    return [y, dx, *layer.grads]


def _same_both_ways(name, config, shape, dtype, monkeypatch, training=False):
    x = make_input(shape, dtype, seed=5)
    probe = getattr(kit.layers, name)(dtype=dtype, **config)
    dy = make_input(probe.compute_output_shape(shape), dtype, seed=6)
    fast = _run(name, config, x, dy, dtype, training)
    for layers_module, readable in FAST_FAMILIES.items():
        monkeypatch.setattr(layers_module, "fast", readable)
    slow = _run(name, config, x, dy, dtype, training)
    assert len(fast) == len(slow)
    for what, a, b in zip(["y", "dx"] + [f"grad {i}" for i in range(len(fast) - 2)], fast, slow):
        scale = max(float(np.max(np.abs(b))), 1e-30)
        assert np.max(np.abs(a - b)) <= PARITY[dtype] * scale, (name, what)


@pytest.mark.parametrize("name, case, dtype", CASES,
                         ids=[f"{n}-{c.name}-{d}" for n, c, d in CASES])
def test_fast_kernels_equal_the_readable_ones_on_the_parity_grid(name, case, dtype, monkeypatch):
    _same_both_ways(name, case.config, case.input_shape, dtype, monkeypatch, case.training)


@pytest.mark.parametrize("name, config, shape", LARGE.values(), ids=LARGE.keys())
def test_fast_kernels_equal_the_readable_ones_on_large_inputs(name, config, shape, monkeypatch):
    _same_both_ways(name, config, shape, "float32", monkeypatch, training=True)


TIED_POOLS = [((9,), (3,), (2,), "same"), ((7, 9), (3, 3), (2, 2), "same"), ((8, 8), (3, 3), (2, 2), "valid"),
              ((7, 9), (3, 3), (1, 1), "same"), ((10, 10), (4, 4), (3, 3), "same"),
              ((5, 6, 7), (3, 3, 2), (2, 1, 2), "same")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spatial, pool, strides, padding", TIED_POOLS,
                         ids=[f"{len(s)}d-pool{'x'.join(map(str, p))}-s{'x'.join(map(str, st))}-{pad}"
                              for s, p, st, pad in TIED_POOLS])
def test_overlapping_pools_one_axis_at_a_time_equal_the_readable_taps_with_ties(spatial, pool, strides, padding,
                                                                           dtype):
    """Inputs rounded to one decimal, so many windows hold several maxima: the one-axis-at-a-time road must
    give each window's dy to the same (first, row-major) maximum as the readable loop."""
    g = np.random.default_rng(21)
    x = np.round(g.standard_normal((3, *spatial, 2)), 1).astype(dtype)
    for mode in ("max", "avg"):
        fast_fw, fast_bw = getattr(fast_pooling, f"{mode}_pool_forward"), getattr(fast_pooling, f"{mode}_pool_backward")
        slow_fw = getattr(readable_pooling, f"{mode}_pool_forward")
        slow_bw = getattr(readable_pooling, f"{mode}_pool_backward")
        y, cache = fast_fw(x, pool, strides, padding)
        y_slow, cache_slow = slow_fw(x, pool, strides, padding)
        dy = g.standard_normal(y.shape).astype(dtype)
        dx, dx_slow = fast_bw(dy, cache)[0], slow_bw(dy, cache_slow)[0]
        assert y.dtype == dx.dtype == np.dtype(dtype)
        np.testing.assert_allclose(y, y_slow, rtol=0, atol=PARITY[dtype] * np.abs(y_slow).max())
        np.testing.assert_allclose(dx, dx_slow, rtol=0, atol=PARITY[dtype] * np.abs(dx_slow).max())


SHIFTED = [(rank, k, d, padding) for rank in (1, 2, 3) for k in (1, 2, 3) for d in (1, 2)
           for padding in ("valid", "same", "causal") if padding != "causal" or rank == 1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rank, k, d, padding", SHIFTED,
                         ids=[f"{r}d-k{k}-dil{d}-{p}" for r, k, d, p in SHIFTED])
def test_shifted_input_gradient_equals_col2im(rank, k, d, padding, dtype):
    """fast.conv takes the shifted-matmul road to a stride-1 dx; it must give the readable col2im's
    numbers, batch 1 included."""
    g = np.random.default_rng(13)
    geom = readable_conv.conv_geometry((7, 6, 5)[:rank], (k,) * rank, dilation=(d,) * rank, padding=padding)
    for batch in (1, 3):
        dy = g.standard_normal((batch, *geom.out_spatial, 5)).astype(dtype)
        kernel = g.standard_normal((k,) * rank + (4, 5)).astype(dtype)
        shifted = fast_conv.input_grad_shifted(dy, kernel, geom, 4)
        reference = readable_conv.input_grad(dy, kernel, geom, 4)
        assert shifted.dtype == np.dtype(dtype) and shifted.shape == (batch, *geom.in_spatial, 4)
        np.testing.assert_allclose(shifted, reference, rtol=0,
                                   atol=PARITY[dtype] * np.abs(reference).max())


STRIDED = [((9,), (3,), (2,), (1,), "same"), ((7, 9), (3, 3), (2, 2), (1, 1), "same"),
           ((8, 8), (3, 2), (2, 3), (1, 1), "valid"), ((2, 3), (7, 5), (2, 2), (1, 1), "same"),
           ((9, 8), (3, 3), (2, 1), (1, 2), "same"), ((5, 6, 7), (3, 2, 3), (2, 2, 1), (1, 1, 1), "same")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spatial, k, strides, dilation, padding", STRIDED,
                         ids=[f"{len(sp)}d-in{'x'.join(map(str, sp))}-k{'x'.join(map(str, k))}"
                              f"-s{'x'.join(map(str, st))}-dil{'x'.join(map(str, d))}-{p}"
                              for sp, k, st, d, p in STRIDED])
def test_strided_blocks_equal_im2col_and_col2im(spatial, k, strides, dilation, padding, dtype):
    """The strided road clips the padding instead of building a padded grid: dx (and a transposed
    convolution's y, bias included) and the transposed backward's dx, dkernel and dbias must be the
    readable col2im/im2col's numbers, with windows that cross both edges and (input 2x3, kernel 7x5)
    taps that only ever read padding."""
    g = np.random.default_rng(17)
    geom = readable_conv.conv_geometry(spatial, k, strides, dilation, padding)
    assert fast_conv._blocks_road(geom)
    for batch in (1, 5):
        dy = g.standard_normal((batch, *geom.out_spatial, 5)).astype(dtype)
        x = g.standard_normal((batch, *geom.in_spatial, 4)).astype(dtype)
        kernel = g.standard_normal((*k, 4, 5)).astype(dtype)
        bias = g.standard_normal(4).astype(dtype)
        fast_y, fast_cache = fast_conv.conv_transpose_forward(dy, kernel, bias, geom)
        slow_y, slow_cache = readable_conv.conv_transpose_forward(dy, kernel, bias, geom)
        fast_dx, fast_grads = fast_conv.conv_transpose_backward(x, fast_cache)
        slow_dx, slow_grads = readable_conv.conv_transpose_backward(x, slow_cache)
        pairs = [(fast_conv.input_grad(dy, kernel, geom, 4), readable_conv.input_grad(dy, kernel, geom, 4)),
                 (fast_y, slow_y), (fast_dx, slow_dx), *zip(fast_grads, slow_grads)]
        assert len(fast_grads) == len(slow_grads) == 2
        for fast, slow in pairs:
            assert fast.dtype == np.dtype(dtype) and fast.shape == slow.shape
            np.testing.assert_allclose(fast, slow, rtol=0, atol=PARITY[dtype] * np.abs(slow).max())


# ---- recurrent: the layers' masked, go_backwards-aware loop (rnn_backward with *_step_backward
# adding into a grads dict) against the readable BPTT (bptt with *_step_gradients) ----------------

RECURRENT_CASES = [(twin.layer, case) for twin in families.recurrent.TWINS
                   if twin.layer in ("SimpleRNN", "LSTM", "GRU") for case in twin.cases]


def _readable_step_gradients(layer):
    acts = {"activation": layer.activation}
    if isinstance(layer, kit.layers.SimpleRNN):
        return functools.partial(readable_recurrent.simple_rnn_step_gradients,
                                 recurrent_kernel=layer.recurrent_kernel, **acts)
    acts["recurrent_activation"] = layer.recurrent_activation
    if isinstance(layer, kit.layers.LSTM):
        return functools.partial(readable_recurrent.lstm_step_gradients,
                                 recurrent_kernel=layer.recurrent_kernel, **acts)
    return functools.partial(readable_recurrent.gru_step_gradients, recurrent_kernel=layer.recurrent_kernel,
                             reset_after=layer.reset_after, **acts)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, case", RECURRENT_CASES, ids=[f"{n}-{c.name}" for n, c in RECURRENT_CASES])
def test_layers_recurrent_backward_equals_the_readable_bptt(name, case, dtype):
    """Unmasked inputs; bptt reads forwards only, so a go_backwards case runs forwards here."""
    config = dict(case.config, go_backwards=False)
    kit.set_seed(0)
    layer = getattr(kit.layers, name)(dtype=dtype, **config)
    x = make_input(case.input_shape, dtype, seed=5)
    out = layer(x)
    outs = out if isinstance(out, list) else [out]
    dys = [make_input(o.shape, dtype, seed=6 + i) for i, o in enumerate(outs)]
    dx = layer.backward(dys if layer.return_state else dys[0])
    layers_way = [dx, *layer.grads]

    cache, out_shape, _ = layer._cache
    d_outputs = dys[0] if layer.return_sequences else np.zeros(out_shape, dtype)
    if not layer.return_sequences:
        d_outputs[:, -1] = dys[0]
    d_final = dys[1:] or [None] * layer.state_count
    dx_r, _, g = readable_recurrent.bptt(d_outputs, d_final, cache, _readable_step_gradients(layer))
    readable_way = [dx_r, g["kernel"], g["recurrent_kernel"]]
    if layer.use_bias:
        gru_two_rows = isinstance(layer, kit.layers.GRU) and layer.reset_after
        readable_way.append(np.stack([g["input_bias"], g["recurrent_bias"]]) if gru_two_rows
                            else g["input_bias"])
    assert len(layers_way) == len(readable_way)
    for what, a, b in zip(["dx", "kernel", "recurrent_kernel", "bias"], layers_way, readable_way):
        assert a.shape == b.shape, what
        scale = max(float(np.max(np.abs(b))), 1e-30)
        assert np.max(np.abs(a - b)) <= PARITY[dtype] * scale, (name, what)
