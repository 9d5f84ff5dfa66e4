"""ConvLSTM1D/2D/3D against tf.keras (Keras 3): outputs, states, dx, d(initial_state) and every
weight gradient over strides, padding, dilation and both data formats; a float64 gradient check.

TF1 had ConvLSTM only in tf.contrib.rnn.ConvLSTMCell, which TF 2 removed: there is no TF1
twin to run (the coverage table says so).
"""
import numpy as np
import pytest

from tflearn_kit import layers as L
from tflearn_kit.compare import make_input
from tflearn_kit.gradcheck import gradient_check

from .test_rnn_wrappers import MASK, assert_close, check_against_keras, run_keras, run_kit

B = {"bias_initializer": "random_normal"}

CASES = {
    # name: (class, config, input shape)  -- kept tiny: each step is two convolutions
    "1D-valid-last": ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, (4, 6, 7, 2)),
    "1D-same-stride2-sequences-state": ("ConvLSTM1D", {"filters": 3, "kernel_size": 3, "strides": 2,
                                                       "padding": "same", "return_sequences": True,
                                                       "return_state": True}, (4, 6, 7, 2)),
    "1D-channels-first-backwards": ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "go_backwards": True,
                                                   "data_format": "channels_first",
                                                   "return_sequences": True}, (4, 6, 3, 6)),
    "2D-valid-last": ("ConvLSTM2D", {"filters": 2, "kernel_size": 3}, (4, 6, 5, 5, 2)),
    "2D-same-stride2-sequences": ("ConvLSTM2D", {"filters": 2, "kernel_size": (3, 2), "strides": (2, 1),
                                                 "padding": "same", "return_sequences": True},
                                  (4, 6, 5, 4, 1)),
    "2D-dilated-state": ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
                                        "return_state": True}, (4, 6, 5, 5, 1)),
    "2D-channels-first-same-state": ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same",
                                                    "data_format": "channels_first",
                                                    "return_sequences": True, "return_state": True},
                                     (4, 6, 2, 4, 4)),
    "3D-same": ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same",
                               "return_sequences": True}, (4, 6, 3, 3, 3, 1)),
    "3D-channels-first-valid-state": ("ConvLSTM3D", {"filters": 2, "kernel_size": 2,
                                                     "data_format": "channels_first",
                                                     "return_state": True}, (4, 6, 1, 3, 3, 3)),
}


def _last(a, lead):
    return a.transpose(*range(lead), *range(lead + 1, a.ndim), lead)


def _first(a, lead):
    return a.transpose(*range(lead), a.ndim - 1, *range(lead, a.ndim - 1))


def check_channels_first_against_keras(layer, x, dtype, mask=None, initial_state=None):
    """TensorFlow runs no channels_first convolution on a CPU: the twin is Keras's channels_last
    layer on the transposed input, its results transposed back (a layout, not arithmetic)."""
    from tflearn_kit.reference.rnn import keras_layer
    import keras
    lead = 2 if layer.return_sequences else 1
    y, dys, dx = run_kit(layer, x, mask, initial_state)
    config = keras_layer(layer).get_config()
    config["data_format"] = "channels_last"
    twin = type(keras_layer(layer)).from_config(config)
    dys_last = [_last(dys[0], lead)] + [_last(d, 1) for d in dys[1:]]
    h0 = None if initial_state is None else [_last(h, 1) for h in initial_state]
    ky, kdx, kgrads, kh0 = run_keras(layer, _last(x, 2), dys_last, mask, h0, twin=twin)
    expected = [_first(ky[0], lead)] + [_first(s, 1) for s in ky[1:]]
    for i, (a, b) in enumerate(zip(y, expected)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, _first(kdx, 2), dtype, "dx")
    for name, a, b in zip(layer.weight_names, layer.grads, kgrads):
        assert_close(a, b, dtype, f"d{name}")
    for i, (a, b) in enumerate(zip(layer.initial_state_grads if initial_state else [], kh0)):
        assert_close(a, _first(b, 1), dtype, f"d initial_state[{i}]")


def check(layer, x, dtype, **kwargs):
    if layer.data_format == "channels_first":
        return check_channels_first_against_keras(layer, x, dtype, **kwargs)
    return check_against_keras(layer, x, dtype, **kwargs)


def build(case, dtype):
    name, config, shape = CASES[case]
    return getattr(L, name)(**config, **B, dtype=dtype), shape


@pytest.mark.parametrize("with_mask", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("case", list(CASES))
def test_convlstm_matches_keras(case, with_mask, dtype):
    layer, shape = build(case, dtype)
    x = make_input(shape, dtype, seed=1)
    check(layer, x, dtype, mask=MASK if with_mask else None)


@pytest.mark.parametrize("case", ["1D-same-stride2-sequences-state", "2D-channels-first-same-state"])
def test_convlstm_initial_state_matches_keras(case, dtype):
    layer, shape = build(case, dtype)
    x = make_input(shape, dtype, seed=2)
    layer.build(shape)
    state_shape = layer.compute_output_shape(shape)[1]
    g = np.random.default_rng(3)
    h0 = [g.standard_normal(state_shape).astype(dtype) for _ in range(2)]
    check(layer, x, dtype, mask=MASK, initial_state=h0)


@pytest.mark.parametrize("case", ["1D-same-stride2-sequences-state", "2D-channels-first-same-state",
                                  "3D-channels-first-valid-state"])
def test_convlstm_gradient_check(case):
    layer, shape = build(case, "float64")
    shape = (2, 3) + shape[2:]
    result = gradient_check(layer, make_input(shape, "float64", seed=4), max_entries=15)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6


@pytest.mark.parametrize("case", ["1D-valid-last", "2D-same-stride2-sequences", "3D-same"])
def test_convlstm_weights_and_config_are_keras(case):
    from tflearn_kit.reference.rnn import keras_layer
    layer, shape = build(case, "float32")
    twin = keras_layer(layer)
    twin.build(shape)
    layer.build(shape)
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in twin.weights]
    assert [n.split("/")[-1] for n in layer.weight_names] == [w.name for w in twin.weights]
    layer.set_weights(twin.get_weights())
    assert set(layer.get_config()) == set(twin.get_config())
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    expected = twin.compute_output_shape(shape)
    mine = layer.compute_output_shape(shape)
    assert [tuple(s) for s in (mine if isinstance(mine, list) else [mine])] == \
        [tuple(s) for s in (expected if isinstance(expected, (list, tuple)) and
                            isinstance(expected[0], (list, tuple)) else [expected])]


def test_convlstm_bad_input_names_the_layer_and_shapes():
    layer = L.ConvLSTM2D(2, 3, name="frames")
    with pytest.raises(ValueError, match=r"'frames' \(ConvLSTM2D\) expected an input of shape .*rank 5.*"
                                         r"\(2, 6, 5, 5\)"):
        layer(np.zeros((2, 6, 5, 5)))
    layer(np.zeros((2, 3, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"'frames' \(ConvLSTM2D\).*\(2, 3, 5, 5, 2\)"):
        layer(np.zeros((2, 3, 5, 5, 2)))
    with pytest.raises(ValueError, match="ConvLSTM1D: padding must be 'valid' or 'same'"):
        L.ConvLSTM1D(2, 3, padding="full")
    with pytest.raises(ValueError, match=r"'tiny' .* smaller than the kernel"):
        L.ConvLSTM1D(2, 5, name="tiny")(np.zeros((1, 2, 3, 1)))


@pytest.mark.parametrize("case, config", [
    ("1D-same-stride2-sequences-state", {"dropout": 0.3, "recurrent_dropout": 0.4}),
    ("2D-valid-last", {"recurrent_dropout": 0.5}),
], ids=["1D-both", "2D-recurrent"])
def test_convlstm_dropout_matches_keras_on_the_kits_masks(case, config, dtype):
    """Keras's ConvLSTM cell draws four masks per dropout (one per gate); Keras is given the kit's."""
    import tensorflow as tf
    import tflearn_kit as kit
    name, base, shape = CASES[case]
    kit.set_seed(5)
    layer = getattr(L, name)(**base, **config, **B, dtype=dtype)
    x = make_input(shape, dtype, seed=6)
    y, dys, dx = run_kit(layer, x, MASK, None, True)
    cell = layer.cell
    assert len(cell.recurrent_dropout_mask) == 4

    def patch(twin):
        def const(m):
            return None if m is None else [tf.constant(a) for a in m]
        dp, rdp = const(cell.dropout_mask), const(cell.recurrent_dropout_mask)
        twin.cell.get_dropout_mask = lambda step_input: dp
        twin.cell.get_recurrent_dropout_mask = lambda step_input: rdp

    ky, kdx, kgrads, _ = run_keras(layer, x, dys, MASK, None, True, patch)
    for i, (a, b) in enumerate(zip(y, ky)):
        assert_close(a, b, dtype, f"output[{i}]")
    assert_close(dx, kdx, dtype, "dx")
    for n, a, b in zip(layer.weight_names, layer.grads, kgrads):
        assert_close(a, b, dtype, f"d{n}")


def test_convlstm_dropout_gradient_check_on_fixed_masks():
    import tflearn_kit as kit
    layer = L.ConvLSTM1D(2, 3, padding="same", dropout=0.3, recurrent_dropout=0.4,
                         return_sequences=True, dtype="float64", **B)
    x = make_input((2, 3, 5, 2), "float64", seed=7)
    kit.set_seed(8)
    layer(x, training=True)
    cell = layer.cell
    masks = (cell.dropout_mask, cell.recurrent_dropout_mask)
    start = cell.start
    cell.start = lambda batch, n_in, training=None, **kw: start(batch, n_in, training, *masks)
    result = gradient_check(layer, x, training=True, max_entries=15)
    assert result.ok, "\n" + result.to_text()
    assert result.max_rel < 1e-6
