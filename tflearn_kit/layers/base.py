"""The Layer contract: the NumPy twin of ``keras.layers.Layer``.

Keras's life cycle is kept as it is: ``__init__`` stores the configuration,
``build(input_shape)`` creates the weights with ``add_weight`` the first time the
layer sees an input, and ``call(inputs, training)`` computes the output. What
Keras leaves to automatic differentiation is written out: a layer's
``backward_call(dy)`` returns ``(dx, grads)``, grads a list with one gradient per
trainable weight in creation order, and ``backward(dy)`` returns dx and leaves
those gradients (regularizers' included) in ``layer.grads``, in
``trainable_weights`` order.

Weights are plain ndarrays. ``set_weights`` and the optimizers write into them in
place, so ``layer.kernel`` and ``layer.weights[0]`` stay the same array.
"""
import inspect
import re
from collections import defaultdict
from typing import Callable, NamedTuple, Optional

import numpy as np

from .. import constraints, initializers, regularizers

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


def as_list(x):
    """One array or a list of them (a layer with several inputs or outputs) -> a list."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


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


class Weight(NamedTuple):
    """One weight as ``add_weight`` recorded it; ``layer.weight_records`` lists them.

    ``value`` is the ndarray itself (``layer.kernel is record.value``), so writing
    into it changes the layer. Keras keeps the same facts on its Variable
    (``.name``, ``.trainable``, ``.regularizer``, ``.constraint``).
    """
    name: str
    value: np.ndarray
    trainable: bool
    regularizer: Optional[Callable] = None
    constraint: Optional[Callable] = None


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
        self._weights = []          # Weight records, in creation order
        self._cache = None          # what backward needs from the most recent call
        self._activation_cache = None   # (z, the activation's cache): see apply_activation
        self._skip_activation = False
        self._activity_loss = None
        self.grads = []

    # ---- weights -----------------------------------------------------------------------

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None):
        """Create, record and return a weight: an ndarray of ``shape``.

        Keras 3's signature and order (``keras.layers.Layer.add_weight``); pass
        ``name`` as a keyword, as Keras requires. ``initializer`` None is
        glorot_uniform, as Keras picks for a float weight. ``regularizer`` adds a
        penalty to ``losses`` and its gradient to ``grads``; ``constraint`` (a
        function of the array) is applied after every optimizer step in ``fit``.
        """
        if isinstance(shape, str):
            raise ValueError(
                f"Layer '{self.name}': add_weight takes the shape first, as Keras 3 does; got "
                f"add_weight({shape!r}, ...). Use add_weight(shape=..., name={shape!r}).")
        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(dtype or self.dtype).name
        value = initializers.get(initializer or "glorot_uniform")(shape, dtype)
        value = np.array(value, dtype=dtype, order="C")   # (ascontiguousarray makes a scalar 1-D)
        if name is None:
            name = "variable" if not self._weights else f"variable_{len(self._weights)}"
        self._weights.append(Weight(name, value, bool(trainable), regularizers.get(regularizer),
                                    constraint))
        return value

    @property
    def weight_records(self):
        """Every weight as a :class:`Weight` record, in creation order."""
        return list(self._weights)

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
        return [w.value for w in self._weights if w.trainable]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return [w.value for w in self._weights]
        return [w.value for w in self._weights if not w.trainable]

    @property
    def weights(self):
        """Trainable weights first, then the others, as Keras orders them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def weight_names(self):
        """Names in ``weights`` order, such as ['dense/kernel', 'dense/bias']."""
        by_id = {id(w.value): w.name for w in self._weights}
        return [f"{self.name}/{by_id[id(w)]}" for w in self.weights]

    @property
    def trainable_weight_names(self):
        by_id = {id(w.value): w.name for w in self._weights}
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
        return int(sum(w.value.size for w in self._weights))

    # ---- the call ----------------------------------------------------------------------

    def build(self, input_shape):
        """Create the weights. Override; the base layer has none."""
        self.built = True

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__}.call")

    def backward_call(self, dy):
        """Return (dx, grads) for the most recent call. Override.

        dx: dL/d(input), a list (one per input) for a layer called on a list.
        grads: a list, one dL/dw per weight created with ``trainable=True``, in creation
        order (the order of ``trainable_weights``); [] for a layer without weights.
        """
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

    def accepts_mask(self):
        """Whether a mask can reach this layer: its call uses one, or it carries one through."""
        return self.supports_masking or "mask" in inspect.signature(self.call).parameters

    def _shapes(self, inputs):
        if isinstance(inputs, (list, tuple)):
            return [tuple(x.shape) for x in inputs]
        return tuple(inputs.shape)

    def _maybe_build(self, inputs):
        """Check ``inputs`` (arrays or symbolic tensors) against ``input_spec``, building first if needed.

        The spec is checked before build (a wrong rank fails with a clear message, not
        inside build) and again after it (build fixes sizes such as the channels).
        """
        single = not isinstance(inputs, (list, tuple))
        if not self.built:
            if single and self.input_spec is not None:
                self.input_spec.check(self, inputs.shape)
            self.build(self._shapes(inputs))
        if single and self.input_spec is not None:
            self.input_spec.check(self, inputs.shape)

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if hasattr(first, "_kit_symbolic_call"):   # models.Input: record the call, compute nothing
            return first._kit_symbolic_call(self, inputs, training=training, mask=mask, **kwargs)
        if isinstance(inputs, (list, tuple)):
            inputs = [self.convert_input(x) for x in inputs]
        else:
            inputs = self.convert_input(inputs)
        self._maybe_build(inputs)
        params = inspect.signature(self.call).parameters
        if "training" in params:
            kwargs["training"] = training
        if "mask" in params:
            kwargs["mask"] = mask
        elif mask is not None and not self.supports_masking:
            # Keras raises too (its call has no mask argument); ignoring it would be a silent
            # wrong answer, e.g. an average over padded steps
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot use a mask: it neither takes "
                f"one in call() nor carries one through, as in Keras. Got mask of shape "
                f"{np.shape(mask)} for an input of shape {self._shapes(inputs)}.")
        outputs = self.call(inputs, **kwargs)
        self.output_mask = self.compute_mask(inputs, mask)
        if self.activity_regularizer is not None:
            self._activity_output = outputs
            self._activity_loss = self.activity_regularizer(outputs) / outputs.shape[0]
        return outputs

    def backward(self, dy, from_pre_activation=False):
        """Gradient of a loss with respect to the most recent call's input.

        ``dy`` is dL/d(output). Returns dL/d(input) and stores dL/dw for every
        trainable weight in ``self.grads`` (regularization gradients included).
        With ``from_pre_activation=True``, ``dy`` is dL/d(``pre_activation``) and the
        layer's final activation is skipped (a model fusing softmax with its loss).
        """
        if self._cache is None:
            raise RuntimeError(f"Layer '{self.name}': call the layer before backward().")
        if from_pre_activation and self.pre_activation is None:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) ends with no activation, "
                             "so it has no pre_activation to take a gradient from.")
        if isinstance(dy, (list, tuple)):
            dy = [np.asarray(d, dtype=self.dtype) for d in dy]
        else:
            dy = np.asarray(dy, dtype=self.dtype)
        if self.activity_regularizer is not None:
            out = self._activity_output
            dy = dy + self.activity_regularizer.grad(out) / out.shape[0]
        self._skip_activation = from_pre_activation
        try:
            dx, grads = self.backward_call(dy)
        finally:
            self._skip_activation = False
        self.grads = self._with_penalties(grads) if self._trainable else []
        return dx

    def _with_penalties(self, grads):
        """backward_call's gradients, checked against the trainable weights, plus each regularizer's."""
        records = [w for w in self._weights if w.trainable]
        if isinstance(grads, dict) or len(grads) != len(records):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): backward_call must return (dx, a list "
                f"with one gradient per trainable weight {[w.name for w in records]}, in creation "
                f"order); got {type(grads).__name__} of length {len(grads)}.")
        out = []
        for w, g in zip(records, grads):
            g = np.zeros_like(w.value) if g is None else g.astype(w.value.dtype, copy=False)
            if w.regularizer is not None:
                g = g + w.regularizer.grad(w.value)
            out.append(g)
        return out

    # ---- a final activation --------------------------------------------------------------
    # A layer whose call ends with ``self.activation`` (Dense, the convolutions,
    # Activation) returns ``self.apply_activation(z)`` from call and starts
    # backward_call with ``dz = self.activation_backward(dy)``. Then ``pre_activation``
    # holds z, and a model can fuse a softmax or sigmoid with its cross-entropy.

    def apply_activation(self, z):
        """y = self.activation(z), the last step of ``call``; keeps z as ``pre_activation``."""
        y, act_cache = self.activation.forward(z)
        self._activation_cache = (z, act_cache)
        return y

    def activation_backward(self, dy):
        """dL/dy -> dL/dz through the final activation (the identity under from_pre_activation)."""
        if self._skip_activation:
            return dy
        return self.activation.backward(dy, self._activation_cache[1])

    @property
    def pre_activation(self):
        """The final activation's input in the most recent call; None for a layer without one."""
        return None if self._activation_cache is None else self._activation_cache[0]

    @property
    def losses(self):
        """Regularization penalties in Keras 3's order: the activity penalty, then one per regularized weight."""
        out = [] if self._activity_loss is None else [self._activity_loss]
        out += [w.regularizer(w.value) for w in self._weights if w.regularizer is not None]
        return out

    # ---- configuration -----------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _weight_config(self, *weights):
        """For get_config: each weight's initializer, regularizer and constraint, under Keras's config keys."""
        config = {}
        for weight in weights:
            config[f"{weight}_initializer"] = initializers.serialize(getattr(self, f"{weight}_initializer"))
            config[f"{weight}_regularizer"] = regularizers.serialize(getattr(self, f"{weight}_regularizer"))
            config[f"{weight}_constraint"] = constraints.serialize(getattr(self, f"{weight}_constraint"))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "built" if self.built else "not built"
        return f"<{type(self).__name__} name={self.name!r}, {state}>"
