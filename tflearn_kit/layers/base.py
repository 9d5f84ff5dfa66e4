"""The Layer contract: the NumPy twin of ``keras.layers.Layer``.

Keras's life cycle is kept as it is: ``__init__`` stores the configuration,
``build(input_shape)`` creates the weights with ``add_weight`` the first time the
layer sees an input, and ``call(inputs, training)`` computes the output. What
Keras leaves to automatic differentiation is written out: ``backward(dy)``
returns dx for the most recent call and leaves one gradient per trainable weight
in ``layer.grads``, in ``trainable_weights`` order.

Weights are plain ndarrays. ``set_weights`` and the optimizers write into them in
place, so ``layer.kernel`` and ``layer.weights[0]`` stay the same array.
"""
import inspect
import re
from collections import defaultdict

import numpy as np

from .. import initializers, regularizers

_name_counts = defaultdict(int)


def unique_name(base):
    """dense, dense_1, dense_2, ... as Keras names its layers."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name):
    """Keras's rule: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, SimpleRNN -> simple_rnn."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def shape_str(shape):
    """(None, 3) -> '(batch, 3)': None is the batch or any other free axis."""
    return "(" + ", ".join("batch" if i == 0 and d is None else ("?" if d is None else str(d))
                           for i, d in enumerate(shape)) + ("," if len(shape) == 1 else "") + ")"


class InputSpec:
    """What a layer accepts: a rank (exact or a minimum) and fixed sizes on some axes.

    Mirrors ``keras.InputSpec``. ``axes`` maps an axis (negative counts from the
    end) to the size it must have.
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, dtype_kind=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})
        self.dtype_kind = dtype_kind

    def describe(self):
        """A readable expected shape: '(batch, ..., 3)' or '(batch, ?, ?, 3)'."""
        if self.ndim is not None:
            dims = [None] * self.ndim
            for axis, size in self.axes.items():
                dims[axis] = size
            return shape_str(dims) + f" (rank {self.ndim})"
        last = [self.axes.get(-1)] if -1 in self.axes else []
        rank = f"rank >= {self.min_ndim}" if self.min_ndim else "any rank"
        if self.max_ndim is not None:
            rank += f" and <= {self.max_ndim}"
        body = "batch, ..." + "".join(f", {d}" for d in last)
        return f"({body}) ({rank})"

    def check(self, layer, shape):
        rank = len(shape)
        bad = (
            (self.ndim is not None and rank != self.ndim)
            or (self.min_ndim is not None and rank < self.min_ndim)
            or (self.max_ndim is not None and rank > self.max_ndim)
        )
        if not bad:
            for axis, size in self.axes.items():
                if not -rank <= axis < rank or (size is not None and shape[axis] != size):
                    bad = True
        if bad:
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) expected an input of shape "
                f"{self.describe()}, but got shape {tuple(shape)}."
            )


class Layer:
    """Base class of every kit layer. See keras.layers.Layer.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; by default the snake-case class name, made unique.
        dtype: the dtype of the weights and of the computation ("float32" or "float64").
        activity_regularizer: a penalty on the layer's output, added to ``losses``.
    """

    supports_masking = False

    def __init_subclass__(cls, **kwargs):
        # As Keras 3 does: a subclass's build() marks the layer built when it returns,
        # so layer.build(shape) followed by count_params() works without __call__.
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            build = cls.__dict__["build"]

            def built_build(self, input_shape, _build=build):
                result = _build(self, input_shape)
                self.built = True
                return result

            built_build.__doc__, built_build.__name__ = build.__doc__, "build"
            cls.build = built_build

    def __init__(self, trainable=True, name=None, dtype="float32", activity_regularizer=None,
                 **kwargs):
        kwargs.pop("input_shape", None)        # accepted as Keras 2 code passes it; build decides
        kwargs.pop("input_dim", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {sorted(kwargs)}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype).name if dtype is not None else "float32"
        self._trainable = trainable
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec = None
        self._weights = []          # (name, array, trainable, regularizer) in creation order
        self._cache = None          # what backward needs from the most recent call
        self._activity_loss = None
        self.grads = []

    # ---- weights -----------------------------------------------------------------------

    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None):
        """Create, record and return a weight (an ndarray of ``shape``).

        Note the order: the kit takes ``name`` first, as Keras 2 did; Keras 3 takes
        ``shape`` first. Keyword arguments work the same in both.
        """
        shape = tuple(int(d) for d in shape)
        value = initializers.get(initializer)(shape, dtype or self.dtype)
        value = np.require(value, dtype=dtype or self.dtype, requirements="C")   # keeps a 0-d scale 0-d
        self._weights.append((name, value, bool(trainable), regularizers.get(regularizer)))
        return value

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [w for _, w, t, _ in self._weights if t]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return [w for _, w, _, _ in self._weights]
        return [w for _, w, t, _ in self._weights if not t]

    @property
    def weights(self):
        """Trainable weights first, then the others, as Keras orders them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def weight_names(self):
        """Names in ``weights`` order, such as ['dense/kernel', 'dense/bias']."""
        by_id = {id(w): n for n, w, _, _ in self._weights}
        return [f"{self.name}/{by_id[id(w)]}" for w in self.weights]

    @property
    def trainable_weight_names(self):
        by_id = {id(w): n for n, w, _, _ in self._weights}
        return [by_id[id(w)] for w in self.trainable_weights]

    def get_weights(self):
        """Copies of the weights, in Keras's order."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        """Write ``weights`` (Keras's order and shapes) into the layer's arrays, in place."""
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {len(mine)} weights "
                f"{[tuple(w.shape) for w in mine]}, but got {len(weights)}."
            )
        for name, target, value in zip(self.weight_names, mine, weights):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): weight '{name}' has shape "
                    f"{target.shape}, but the value given has shape {value.shape}."
                )
            target[...] = value

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' has not been built yet: call it on an input or call "
                "build(input_shape) before count_params()."
            )
        return int(sum(w.size for _, w, _, _ in self._weights))

    # ---- the call ----------------------------------------------------------------------

    def build(self, input_shape):
        """Create the weights. Override; the base layer has none."""
        self.built = True

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__}.call")

    def backward_call(self, dy):
        """Return (dx, {weight name: gradient}) for the most recent call. Override."""
        raise NotImplementedError(f"{type(self).__name__} has no backward pass.")

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape (None for unknown sizes). Override when it differs."""
        return tuple(input_shape)

    def compute_mask(self, inputs, mask=None):
        """The mask that goes with the output. Layers that support masking pass it on."""
        return mask if self.supports_masking else None

    def convert_input(self, x):
        """Cast an input to the layer's dtype (Keras casts inputs to the compute dtype)."""
        return np.asarray(x, dtype=self.dtype)

    def _shapes(self, inputs):
        if isinstance(inputs, (list, tuple)):
            return [tuple(x.shape) for x in inputs]
        return tuple(inputs.shape)

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if hasattr(first, "_kit_symbolic_call"):   # models.Input: record the call, compute nothing
            return first._kit_symbolic_call(self, inputs, training=training, mask=mask, **kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [self.convert_input(x) for x in inputs]
        else:
            inputs = self.convert_input(inputs)
        if not self.built:
            if self.input_spec is not None and not isinstance(inputs, list):
                self.input_spec.check(self, inputs.shape)
            self.build(self._shapes(inputs))
            self.built = True
        if self.input_spec is not None and not isinstance(inputs, list):
            self.input_spec.check(self, inputs.shape)
        params = inspect.signature(self.call).parameters
        if "training" in params:
            kwargs["training"] = training
        if "mask" in params:
            kwargs["mask"] = mask
        outputs = self.call(inputs, **kwargs)
        self.output_mask = self.compute_mask(inputs, mask)
        if self.activity_regularizer is not None:
            self._activity_output = outputs
            self._activity_loss = self.activity_regularizer(outputs) / outputs.shape[0]
        return outputs

    def backward(self, dy):
        """Gradient of a loss with respect to the most recent call's input.

        ``dy`` is dL/d(output). Returns dL/d(input) and stores dL/dw for every
        trainable weight in ``self.grads`` (regularization gradients included).
        """
        if self._cache is None:
            raise RuntimeError(f"Layer '{self.name}': call the layer before backward().")
        if isinstance(dy, (list, tuple)):
            dy = [np.asarray(d, dtype=self.dtype) for d in dy]
        else:
            dy = np.asarray(dy, dtype=self.dtype)
        if self.activity_regularizer is not None:
            out = self._activity_output
            dy = dy + self.activity_regularizer.grad(out) / out.shape[0]
        dx, grads = self.backward_call(dy)
        self.grads = []
        if self._trainable:
            for name, w, trainable, regularizer in self._weights:
                if not trainable:
                    continue
                g = grads.get(name)
                g = np.zeros_like(w) if g is None else g.astype(w.dtype, copy=False)
                if regularizer is not None:
                    g = g + regularizer.grad(w)
                self.grads.append(g)
        return dx

    @property
    def losses(self):
        """Regularization penalties in Keras 3's order: the activity penalty, then one per regularized weight."""
        out = [] if self._activity_loss is None else [self._activity_loss]
        out += [reg(w) for _, w, _, reg in self._weights if reg is not None]
        return out

    # ---- configuration -----------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "built" if self.built else "not built"
        return f"<{type(self).__name__} name={self.name!r}, {state}>"
