"""Layers that merge several inputs into one: Add, Subtract, Multiply, Average, Concatenate.

They take a list of arrays and their backward returns a list of dx, one per input.
A skip connection ``Add()([x, f(x)])`` is the reason they exist: the gradient
reaching the sum flows unchanged into both branches.
"""
import numpy as np

from .base import Layer


class _Merge(Layer):
    supports_masking = True
    min_inputs = 2

    def _check(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < self.min_inputs:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list of at least "
                             f"{self.min_inputs} inputs, but got {shapes!r}.")

    def build(self, input_shape):
        self._check(input_shape)
        batchless = {tuple(s[1:]) for s in input_shape}
        if len(batchless) != 1:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected inputs of one shape, "
                             f"but got shapes {[tuple(s) for s in input_shape]}.")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def compute_mask(self, inputs, mask=None):
        return None

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list of inputs, "
                             f"but got a single {type(inputs).__name__}.")
        return super().__call__(list(inputs), training=training, mask=mask, **kwargs)


class Add(_Merge):
    """The elementwise sum of its inputs. See tf.keras.layers.Add.

    Input shape: a list of arrays of one shape      Output shape: the same
    """

    def call(self, inputs):
        self._cache = len(inputs)
        out = inputs[0].copy()
        for x in inputs[1:]:
            out += x
        return out

    def backward_call(self, dy):
        return [dy] * self._cache, []          # d(sum)/d(each input) is the identity


class Subtract(_Merge):
    """inputs[0] - inputs[1]. See tf.keras.layers.Subtract."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (Subtract) expected exactly 2 inputs, "
                             f"but got {len(input_shape)}.")

    def call(self, inputs):
        self._cache = True
        return inputs[0] - inputs[1]

    def backward_call(self, dy):
        return [dy, -dy], []


class Multiply(_Merge):
    """The elementwise product of its inputs. See tf.keras.layers.Multiply."""

    def call(self, inputs):
        self._cache = inputs
        out = inputs[0].copy()
        for x in inputs[1:]:
            out *= x
        return out

    def backward_call(self, dy):
        xs = self._cache
        dxs = []
        for i in range(len(xs)):
            others = dy.copy()
            for j, x in enumerate(xs):
                if j != i:
                    others *= x          # the product of every other input, without dividing by x_i
            dxs.append(others)
        return dxs, []


class Average(_Merge):
    """The elementwise mean of its inputs. See tf.keras.layers.Average."""

    def call(self, inputs):
        self._cache = len(inputs)
        return sum(inputs[1:], inputs[0].copy()) / len(inputs)

    def backward_call(self, dy):
        return [dy / self._cache] * self._cache, []


class Concatenate(_Merge):
    """Joins its inputs along ``axis``. See tf.keras.layers.Concatenate.

    Input shape: a list of arrays equal on every axis but ``axis``
    Output shape: the sum of their sizes on ``axis``
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        self._check(input_shape)
        ranks = {len(s) for s in input_shape}
        rank = ranks.pop() if len(ranks) == 1 else None
        axis = self.axis % rank if rank else None
        rest = {tuple(d for i, d in enumerate(s) if i not in (0, axis)) for s in input_shape}
        if rank is None or len(rest) != 1:
            raise ValueError(f"Layer '{self.name}' (Concatenate) expected inputs with matching shapes "
                             f"except on axis {self.axis}, but got shapes "
                             f"{[tuple(s) for s in input_shape]}.")

    def call(self, inputs):
        self._cache = np.cumsum([x.shape[self.axis] for x in inputs])[:-1]
        return np.concatenate(inputs, axis=self.axis)

    def backward_call(self, dy):
        return np.split(dy, self._cache, axis=self.axis), []     # each input gets its own slice

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        sizes = [s[self.axis] for s in input_shape]
        out[self.axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
