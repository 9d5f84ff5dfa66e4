"""Dense and the activation layers."""
import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..kernels.dense import dense_backward, dense_forward
from .base import InputSpec, Layer, refuse_unless_none


class Dense(Layer):
    """Fully connected layer: activation(inputs @ kernel + bias). See tf.keras.layers.Dense.

    Args:
        units: size of the last axis of the output.
        activation: a name from ``tflearn_kit.activations`` (None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: names or initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.

    Input shape: (batch, ..., in)      Output shape: (batch, ..., units)
    Weights: kernel (in, units), bias (units,)
    """

    supports_masking = True         # as Keras: a mask over the leading axes passes through

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        refuse_unless_none("Dense", "quantized weights and LoRA adapters",
                           quantization_config=quantization_config, lora_rank=lora_rank,
                           lora_alpha=lora_alpha)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.kernel = self.add_weight(shape=(n_in, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = (self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})

    def call(self, inputs):
        z, self._cache = dense_forward(inputs, self.kernel, self.bias)
        return self.apply_activation(z)

    def backward_call(self, dy):
        dz = self.activation_backward(dy)
        return dense_backward(dz, self._cache)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(), "quantization_config": None,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation elementwise. See tf.keras.layers.Activation.

    Input shape: any      Output shape: the same
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        self._cache = True              # backward needs only the activation's own cache
        return self.apply_activation(inputs)

    def backward_call(self, dy):
        return self.activation_backward(dy), []

    def compute_output_shape(self, input_shape):
        if self.activation.name == "glu":              # glu halves the axis it gates over
            shape = list(input_shape)
            axis = self.activation.kwargs.get("axis", -1)
            shape[axis] = None if shape[axis] is None else shape[axis] // 2
            return tuple(shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Softmax(Activation):
    """Softmax over ``axis`` (an int, or a list of axes normalized together). See tf.keras.layers.Softmax.

    Call arguments: ``mask`` (optional), broadcastable to the input, True (or > 0.5)
    where a value takes part: masked positions enter as -1e9, as Keras writes them,
    and come out as 0 (even when a whole row is masked).

    Input shape: any      Output shape: the same
    """

    def __init__(self, axis=-1, **kwargs):
        norm_axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        super().__init__(activations.Activation("softmax", axis=norm_axis), **kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        self._mask = None
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim > inputs.ndim or any(
                    m not in (1, i) for m, i in zip(mask.shape[::-1], inputs.shape[::-1])):
                raise ValueError(
                    f"Layer '{self.name}' (Softmax): the mask must broadcast to the input, each "
                    f"axis 1 or the input's size; got input shape {inputs.shape}, mask shape "
                    f"{mask.shape}.")
            self._mask = mask if mask.dtype == bool else mask > 0.5
            inputs = np.where(self._mask, inputs, inputs.dtype.type(-1e9))
        y = super().call(inputs)
        return y if self._mask is None else np.where(self._mask, y, 0).astype(y.dtype)

    def backward_call(self, dy):
        if self._mask is not None:
            dy = np.where(self._mask, dy, 0).astype(dy.dtype)
        dx, grads = super().backward_call(dy)
        if self._mask is not None:
            dx = np.where(self._mask, dx, 0).astype(dx.dtype)   # np.where passes nothing to masked x
        return dx, grads

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "axis": self.axis}


class ReLU(Activation):
    """max(x, 0), or Keras's general form. See tf.keras.layers.ReLU.

    Args:
        max_value: the output is capped there (None: no cap); >= 0.
        negative_slope: the slope below ``threshold``; >= 0.
        threshold: values above it pass; below, ``negative_slope * (x - threshold)``.

    Input shape: any      Output shape: the same
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        for arg, value in (("max_value", max_value), ("negative_slope", negative_slope),
                           ("threshold", threshold)):
            if (value is None and arg != "max_value") or (value is not None and value < 0):
                raise ValueError(f"ReLU: {arg} must be a number >= 0"
                                 f"{' or None' if arg == 'max_value' else ''}; got {value!r}.")
        options = {k: v for k, v in (("negative_slope", negative_slope), ("max_value", max_value),
                                     ("threshold", threshold)) if v not in (None, 0, 0.0)}
        super().__init__(activations.Activation("relu", **options), **kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Activation):
    """x for x > 0, negative_slope * x otherwise. See tf.keras.layers.LeakyReLU."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(activations.Activation("leaky_relu", negative_slope=negative_slope),
                         **kwargs)
        self.negative_slope = negative_slope

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "negative_slope": self.negative_slope}
