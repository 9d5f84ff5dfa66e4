"""Issue 13's "every argument" and "masks" points, checked over every Keras layer class the kit
has, read from the installed Keras at run time (so a new Keras argument shows up here).

- every constructor argument Keras's class takes is accepted by the kit's at Keras's default
  (the parity fuzzer's TypeErrors); production-only options (quantization, LoRA, cuDNN, flash
  attention) are refused with a ValueError naming the layer when set, never ignored;
- every layer whose Keras ``call`` takes a ``mask`` takes it in the kit or carries it through;
- every layer whose Keras constructor has ``data_format`` accepts channels_first.
"""
import inspect
import re

import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.reference import all_twins
from tflearn_kit.reference.tf import modules

# a constructor for the classes the registry has no case of (the cells are compared alone)
SAMPLE = {"SimpleRNNCell": {"units": 2}, "LSTMCell": {"units": 2}, "GRUCell": {"units": 2},
          "StackedRNNCells": {"cells": [{"class_name": "GRUCell", "config": {"units": 2}}]},
          "Lambda": {"function": np.tanh}}


def kit_classes():
    """{name: (keras class, kit class, constructor arguments)} for every canonical Keras layer
    class the kit has."""
    _, keras, _ = modules()
    twins = all_twins()
    out = {}
    for name in sorted(dir(keras.layers)):
        k = getattr(keras.layers, name)
        if (not inspect.isclass(k) or k.__name__ != name or not issubclass(k, keras.layers.Layer)
                or name == "Layer" or not isinstance(getattr(kit.layers, name, None), type)):
            continue
        config = dict(twins[name].cases[0].config) if name in twins else SAMPLE[name]
        out[name] = (k, getattr(kit.layers, name), config)
    return out


CLASSES = kit_classes()


def test_the_audit_sees_every_kit_layer_keras_has():
    assert len(CLASSES) >= 94       # with the aliases, InputSpec and Layer: the catalog's 117


@pytest.mark.parametrize("name", CLASSES)
def test_every_keras_constructor_argument_is_accepted_at_its_default(name):
    keras_cls, kit_cls, config = CLASSES[name]
    refused = []
    for arg, p in inspect.signature(keras_cls.__init__).parameters.items():
        if arg in ("self", "args", "kwargs") or arg in config or p.default is inspect.Parameter.empty:
            continue
        try:
            kit_cls(**config, **{arg: p.default})
        except (TypeError, ValueError) as error:
            refused.append(f"{arg}={p.default!r}: {error}")
    assert not refused, f"{name} refuses Keras's defaults: {refused}"


@pytest.mark.parametrize("make, match", [
    (lambda: kit.layers.Dense(3, lora_rank=4), r"Dense: quantized weights and LoRA adapters .*lora_rank=4"),
    (lambda: kit.layers.Embedding(5, 2, lora_rank=2), r"Embedding: .*lora_rank=2"),
    (lambda: kit.layers.EinsumDense("ab,bc->ac", 3, lora_alpha=8), r"EinsumDense: .*lora_alpha=8"),
    (lambda: kit.layers.LSTM(3, use_cudnn=True), r"LSTM: use_cudnn must be 'auto' or False"),
    (lambda: kit.layers.GRU(3, use_cudnn="always"), r"GRU: use_cudnn must be"),
    (lambda: kit.layers.MultiHeadAttention(2, 3, flash_attention=True),
     r"MultiHeadAttention: flash attention kernels .*flash_attention=True"),
], ids=["Dense-lora", "Embedding-lora", "EinsumDense-lora", "LSTM-cudnn", "GRU-cudnn", "MHA-flash"])
def test_production_options_are_refused_when_set_not_ignored(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_embedding_takes_its_starting_table_as_keras_does():
    _, keras, _ = modules()
    table = np.arange(6.0).reshape(3, 2)
    ours = kit.layers.Embedding(3, 2, weights=table)
    theirs = keras.layers.Embedding(3, 2, weights=table)
    ids = np.array([[2, 0, 1]])
    np.testing.assert_array_equal(ours(ids), np.asarray(theirs(ids)))
    untied = kit.layers.ReversibleEmbedding(3, 2, tie_weights=False, weights=[table, table.T])
    np.testing.assert_array_equal(untied.reverse_embeddings, table.T)


# A layer whose Keras call takes a mask and the kit's cannot use it, with why: none today
# (BatchNormalization was one until its training moments learned to count kept entries only).
MASK_NOT_HONOURED = {}


@pytest.mark.parametrize("name", CLASSES)
def test_a_layer_whose_keras_call_takes_a_mask_honours_or_carries_it(name):
    keras_cls, kit_cls, config = CLASSES[name]
    if "mask" not in inspect.signature(keras_cls.call).parameters:
        return
    layer = kit_cls(**config)
    if name in MASK_NOT_HONOURED:
        assert not layer.accepts_mask(), name
        return
    assert layer.accepts_mask(), f"{name}: Keras's call takes a mask, the kit's neither uses nor carries it"


@pytest.mark.parametrize("name", [n for n, (k, _, _) in CLASSES.items()
                                  if "data_format" in inspect.signature(k.__init__).parameters])
def test_channels_first_is_accepted_wherever_keras_accepts_it(name):
    _, kit_cls, config = CLASSES[name]
    layer = kit_cls(**{**config, "data_format": "channels_first"})
    assert layer.get_config()["data_format"] == "channels_first"


@pytest.mark.parametrize("name", [n for n, (k, _, _) in CLASSES.items()
                                  if any(a.endswith("_constraint")
                                         for a in inspect.signature(k.__init__).parameters)])
def test_every_constraint_argument_reaches_its_weight(name):
    """Each ``*_constraint`` Keras's constructor has is attached to a weight of the built kit
    layer (``fit`` then applies it after each step: tests/test_constraints.py)."""
    from tflearn_kit import constraints
    from tflearn_kit.compare import make_input
    keras_cls, kit_cls, config = CLASSES[name]
    given = {a: constraints.NonNeg() for a in inspect.signature(keras_cls.__init__).parameters
             if a.endswith("_constraint")}
    layer = kit_cls(**config, **given)
    case = all_twins()[name].cases[0] if name in all_twins() else None
    if case is None:                        # a cell: one step of (batch, in)
        layer.build((2, 3))
    elif case.input_shape and isinstance(case.input_shape[0], (tuple, list)):
        layer._maybe_build([make_input(s, "float32", case.input_kind) for s in case.input_shape])
    else:
        layer._maybe_build(make_input(case.input_shape, "float32", case.input_kind))
    attached = {id(w.constraint) for w in layer.weight_records if w.constraint is not None}
    assert not [a for a, c in given.items() if id(c) not in attached], name


def _first_cases():
    for name, twin in sorted(all_twins().items()):
        yield pytest.param(name, twin.cases[0], twin.zero_gradients, id=name)


@pytest.mark.parametrize("name, case, zero_by_math", list(_first_cases()))
def test_every_registered_layer_passes_a_float64_gradient_check(name, case, zero_by_math):
    """One finite-difference check per layer, on its first registered case, at inference (a
    random layer's draw would differ between the calls; their training draws are checked on a
    fixed draw in their own tests). Inputs are drawn with another seed than the check's dy: a
    dy equal to x makes UnitNormalization's gradient exactly zero, and the check meaningless."""
    from tflearn_kit.compare import make_input
    from tflearn_kit.gradcheck import gradient_check
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    # Masking's padded steps sit on its discontinuity (a nudged padding value unmasks the step)
    kind = "normal" if case.input_kind.startswith("padded-steps") else case.input_kind
    shapes = case.input_shape
    if shapes and isinstance(shapes[0], (tuple, list)):
        x = [make_input(s, "float64", kind, seed=7 + i) for i, s in enumerate(shapes)]
    else:
        x = make_input(shapes, "float64", kind, seed=7)
    report = gradient_check(layer, x, training=False, call_kwargs=case.call_kwargs, max_entries=15)
    bad = [r for r in report.results if r["max_rel"] > report.tolerance
           and r["tensor"][1:] not in zero_by_math]      # dkey/bias: zero by mathematics
    assert not bad, report.to_text()


def test_every_kit_row_of_the_keras_catalog_names_what_tf1_used():
    """The cells (compared alone, not registered) and aliases (GroupQueryAttention is Keras's
    alias of GroupedQueryAttention) included: only the base classes and Lambda have none."""
    from tflearn_kit import coverage
    blank = [r["keras class"] for r in coverage.keras_catalog().rows
             if r["status"].startswith("in the kit") and r["tf.layers twin"] == "-"]
    assert sorted(blank) == ["InputSpec", "Lambda", "Layer"]


def _wrong_rank_inputs():
    for name, twin in sorted(all_twins().items()):
        for label in ("rank+1", "rank-1"):
            yield pytest.param(name, twin.cases[0], label, id=f"{name}-{label}")


@pytest.mark.parametrize("name, case, label", list(_wrong_rank_inputs()))
def test_an_input_of_the_wrong_rank_is_accepted_as_keras_would_or_named_in_a_value_error(
        name, case, label):
    """One axis more or one less than the first registered case: many layers take any rank
    (an activation, Dense on the last axis); the others must raise a ValueError that names the
    layer, never NumPy's broadcasting error or an IndexError."""
    from tflearn_kit.compare import make_input

    def mutate(shape):
        return tuple(shape) + (2,) if label == "rank+1" else (tuple(shape)[:-1] or (2,))

    layer = getattr(kit.layers, name)(**case.config, name="probe")
    shapes = case.input_shape
    if shapes and isinstance(shapes[0], (tuple, list)):
        x = [make_input(mutate(s), "float32", case.input_kind) for s in shapes]
    else:
        x = make_input(mutate(shapes), "float32", case.input_kind)
    try:
        layer(x, **case.call_kwargs)
    except ValueError as error:
        # a wrapper may let its inner layer name itself (SpectralNormalization's Dense)
        assert re.search(r"Layer '[^']+' \(\w+\)", str(error)), str(error)
