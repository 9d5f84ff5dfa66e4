"""Dense and the activation layers."""
from .. import activations, initializers, regularizers
from ..kernels.dense import dense_backward, dense_forward
from .base import InputSpec, Layer


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

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.kernel = self.add_weight(shape=(n_in, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.bias = (self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, name="bias")
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
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
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

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Softmax(Activation):
    """Softmax over ``axis``. See tf.keras.layers.Softmax.

    Input shape: any      Output shape: the same
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(activations.Activation("softmax", axis=axis), **kwargs)
        self.axis = axis

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return {**config, "axis": self.axis}


class ReLU(Activation):
    """max(x, 0). See tf.keras.layers.ReLU (without max_value / threshold)."""

    def __init__(self, **kwargs):
        super().__init__("relu", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("activation")
        return config


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
