"""The Layer contract as Keras 3 teaches it: add_weight's signature, the weight records,
backward_call's (dx, [grads]) and the pre-activation a model fuses with its loss."""
import inspect

import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.layers.base import Weight


class Scale(kit.layers.Layer):
    """y = x * scale + shift, with a non-trainable counter in between to test the order."""

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")   # Keras's positional order
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")
        self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="shift",
                                     regularizer="l2")

    def call(self, inputs):
        self._cache = inputs
        return inputs * self.scale + self.shift

    def backward_call(self, dy):
        x = self._cache
        return dy * self.scale, [(dy * x).sum(axis=0), dy.sum(axis=0)]


def test_add_weight_takes_keras_3s_signature_and_order():
    import keras
    ours = list(inspect.signature(kit.layers.Layer.add_weight).parameters)[1:]
    theirs = [p for p in inspect.signature(keras.layers.Layer.add_weight).parameters if p not in ("self", "args")]
    assert ours == [p for p in theirs if p in ours]      # the same names, in Keras's order
    assert ours[:4] == ["shape", "initializer", "dtype", "trainable"] and ours[-1] == "name"


def test_a_positional_name_is_refused_as_keras_3_refuses_it():
    class OldStyle(kit.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (3,))

    with pytest.raises(ValueError, match=r"shape first.*add_weight\(shape=\.\.\., name='w'\)"):
        OldStyle(name="old_style")(np.ones((2, 3)))


def test_weight_records_list_every_weight_in_creation_order_and_keras_order_is_kept():
    layer = Scale(dtype="float64")
    layer.build((None, 3))
    records = layer.weight_records
    assert [type(r) for r in records] == [Weight] * 3
    assert [(r.name, r.trainable) for r in records] == [("scale", True), ("calls", False), ("shift", True)]
    assert records[0].value is layer.scale and records[2].regularizer is not None
    assert [id(w) for w in layer.weights] == [id(layer.scale), id(layer.shift), id(layer.calls)]
    assert layer.weight_names == ["scale/scale", "scale/shift", "scale/calls"]


def test_backward_stores_one_gradient_per_trainable_weight_with_the_regularizers():
    layer = Scale(dtype="float64", name="scale_grads")
    x = np.arange(6.0).reshape(2, 3)
    layer(x)
    layer.shift[...] = 0.5
    dx = layer.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(dx, np.ones((2, 3)))
    np.testing.assert_array_equal(layer.grads[0], x.sum(axis=0))
    np.testing.assert_allclose(layer.grads[1], 2 + 2 * 0.01 * 0.5, rtol=1e-9)   # l2: 0.01 (a float32, as Keras)


def test_a_dict_of_gradients_is_a_clear_error():
    class DictGrads(Scale):
        def backward_call(self, dy):
            dx, (dscale, dshift) = super().backward_call(dy)
            return dx, {"scale": dscale, "shift": dshift}

    layer = DictGrads(name="dict_grads")
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dict_grads.*a list with one gradient per trainable weight "
                                         r"\['scale', 'shift'\].*got dict"):
        layer.backward(np.ones((2, 3)))


def test_pre_activation_and_backward_from_it():
    layer = kit.layers.Dense(3, activation="tanh", dtype="float64")
    x = np.random.default_rng(0).standard_normal((4, 2))
    y = layer(x)
    z = x @ layer.kernel + layer.bias
    np.testing.assert_allclose(layer.pre_activation, z, rtol=1e-15)
    np.testing.assert_allclose(y, np.tanh(z), rtol=1e-15)
    dz = np.random.default_rng(1).standard_normal((4, 3))
    dx = layer.backward(dz, from_pre_activation=True)        # skips tanh: dz is dL/dz
    np.testing.assert_allclose(dx, dz @ layer.kernel.T, rtol=1e-14)
    np.testing.assert_allclose(layer.grads[0], x.T @ dz, rtol=1e-14)
    dx_through = layer.backward(dz)                         # and the activation is back after
    np.testing.assert_allclose(dx_through, (dz * (1 - y ** 2)) @ layer.kernel.T, rtol=1e-14)


def test_a_layer_without_a_final_activation_has_no_pre_activation():
    layer = kit.layers.Flatten()
    layer(np.ones((2, 3, 4)))
    assert layer.pre_activation is None
    with pytest.raises(ValueError, match="no activation"):
        layer.backward(np.ones((2, 12)), from_pre_activation=True)


def test_only_the_base_layer_marks_a_layer_built():
    """One place marks a layer built: Layer wraps each build() (and _maybe_build calls it), so a
    layer module never sets ``self.built = True`` itself (issue 16: it was set in five places)."""
    import ast
    from pathlib import Path
    found = []
    for path in sorted((Path(kit.__file__).parent / "layers").glob("*.py")):
        if path.name == "base.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = [t for node_target in getattr(node, "targets", [])
                       for t in getattr(node_target, "elts", [node_target])]    # a, b = ... too
            if any(isinstance(t, ast.Attribute) and t.attr == "built" and isinstance(t.value, ast.Name)
                   and t.value.id == "self" for t in targets):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, f"self.built set outside layers/base.py: {found}"
