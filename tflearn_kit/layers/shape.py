"""Layers that move or mark values without computing new ones: Permute, RepeatVector,
Identity, Masking, and Lambda (a NumPy function as a layer)."""
import numpy as np

from .base import InputSpec, Layer


class Permute(Layer):
    """Reorders the axes after the batch. See tf.keras.layers.Permute.

    Args:
        dims: a permutation of 1..rank-1 (1 is the first axis after the batch), e.g. (2, 1)
            swaps steps and features.

    Input shape: (batch, d1, ..., dn)      Output shape: (batch, d_dims[0], ..., d_dims[n-1])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}; got {dims!r}.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        self._cache = True
        return np.transpose(inputs, (0,) + self.dims)

    def backward_call(self, dy):
        return np.transpose(dy, np.argsort((0,) + self.dims)), []    # the inverse permutation

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: (batch, features) -> (batch, n, features). See tf.keras.layers.RepeatVector."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"RepeatVector: n must be a positive integer; got {n!r}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        self._cache = True
        return np.repeat(inputs[:, None, :], self.n, axis=1)

    def backward_call(self, dy):
        return dy.sum(axis=1), []          # n copies: their gradients add up

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Identity(Layer):
    """Returns its input unchanged (a placeholder in an architecture). See tf.keras.layers.Identity."""

    supports_masking = True

    def call(self, inputs):
        self._cache = True
        return inputs

    def backward_call(self, dy):
        return dy, []


class Masking(Layer):
    """Marks the steps whose features all equal ``mask_value`` as padding. See tf.keras.layers.Masking.

    The output is the input with those steps set to 0; ``layer.output_mask`` (batch, steps)
    is False there, and an RNN after it skips them.

    Input shape: (batch, steps, features)      Output shape: the same
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def call(self, inputs):
        keep = np.any(inputs != self.mask_value, axis=-1, keepdims=True)
        self._cache = keep
        return np.where(keep, inputs, 0).astype(inputs.dtype)

    def backward_call(self, dy):
        return np.where(self._cache, dy, 0).astype(dy.dtype), []

    def compute_mask(self, inputs, mask=None):
        return np.any(inputs != self.mask_value, axis=-1)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Lambda(Layer):
    """A NumPy function as a layer. See tf.keras.layers.Lambda.

    Keras differentiates the function automatically; the kit cannot, so ``backward``
    needs the derivative too: ``backward=lambda dy, x, y: ...`` returning dL/dx.

    Args:
        function: f(x, **arguments) -> y, on NumPy arrays.
        output_shape: the output shape without the batch (or a function of the input shape);
            None: computed by running the function.
        mask: None, or a function (inputs, mask) -> the output mask.
        arguments: keyword arguments passed to ``function``.
        backward: g(dy, x, y) -> dx (the kit's addition); without it backward raises.
    """

    supports_masking = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, backward=None,
                 **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: function must be callable; got {function!r}.")
        self.function, self.output_shape, self.mask = function, output_shape, mask
        self.arguments = dict(arguments or {})
        self.backward_function = backward

    def call(self, inputs):
        y = np.asarray(self.function(inputs, **self.arguments))
        self._cache = (inputs, y)
        return y

    def backward_call(self, dy):
        if self.backward_function is None:
            raise ValueError(
                f"Layer '{self.name}' (Lambda) cannot take a gradient: NumPy does not "
                f"differentiate {getattr(self.function, '__name__', self.function)!r}. Pass "
                "Lambda(function, backward=lambda dy, x, y: dx) with its derivative.")
        x, y = self._cache
        return np.asarray(self.backward_function(dy, x, y), dtype=dy.dtype), []

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else (mask if self.mask is None
                                                                     else self.mask)

    def compute_output_shape(self, input_shape):
        if callable(self.output_shape):
            return tuple(self.output_shape(input_shape))
        if self.output_shape is not None:
            return (input_shape[0],) + tuple(self.output_shape)
        probe = np.zeros([1 if d is None else d for d in input_shape], dtype=self.dtype)
        return (input_shape[0],) + np.shape(self.function(probe, **self.arguments))[1:]

    def get_config(self):
        config = {**super().get_config(), "function": self.function, "arguments": self.arguments}
        if self.output_shape is not None:
            config["output_shape"] = self.output_shape
        if self.mask is not None:
            config["mask"] = self.mask
        return config
