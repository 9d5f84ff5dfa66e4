"""The convolution layers: Conv, ConvTranspose, DepthwiseConv and SeparableConv in 1-D, 2-D, 3-D.

Thin classes over ``tflearn_kit.kernels.conv``. The kernels work channels_last;
a channels_first layer moves the channel axis at its boundary (in and out, and
back again for the gradients). The arithmetic is in the kernels.
"""
from .. import activations, constraints, initializers, regularizers
from ..fast import conv as fast     # the kernels of kernels/conv.py, faster on big arrays
from ..kernels import conv as K
from .base import InputSpec, Layer


def _tuple(layer, value, rank, name, allow_zero=False):
    """3 -> (3, 3) for a 2-D layer; checks length and sign, as keras' standardize_tuple."""
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    lowest = 0 if allow_zero else 1
    if len(values) != rank or not all(isinstance(v, int) and v >= lowest for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer._who()}: {name} must be a {kind} integer or a tuple of {rank} "
                         f"{kind} integers; got {name}={value!r}.")
    return values


class _Spatial(Layer):
    """What every convolution layer shares: kernel_size, strides, padding, data_format, dilation."""

    rank = None
    paddings = ("valid", "same")
    strides_with_dilation = False      # Keras refuses strides > 1 with dilation > 1 for Conv

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = _tuple(self, kernel_size, self.rank, "kernel_size")
        self.strides = _tuple(self, strides, self.rank, "strides")
        self.dilation_rate = _tuple(self, dilation_rate, self.rank, "dilation_rate")
        self.padding = str(padding).lower()
        if self.padding not in self.paddings:
            raise ValueError(f"{self._who()}: padding must be one of {list(self.paddings)}; "
                             f"got padding={padding!r}.")
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{self._who()}: data_format must be 'channels_last' or 'channels_first'; "
                             f"got data_format={data_format!r}.")
        if not self.strides_with_dilation and max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{self._who()}: strides > 1 is not supported together with "
                             f"dilation_rate > 1 (as in Keras); got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _who(self):
        return f"{type(self).__name__} '{self.name}'" if hasattr(self, "name") else type(self).__name__

    # ---- channels_first <-> channels_last at the boundary --------------------------------

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _to_last(self, a):
        return a if self.data_format == "channels_last" else a.transpose(0, *range(2, a.ndim), 1)

    def _from_last(self, a):
        return a if self.data_format == "channels_last" else a.transpose(0, a.ndim - 1, *range(1, a.ndim - 1))

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _with_channels(self, batch, spatial, channels):
        if self.data_format == "channels_last":
            return (batch, *spatial, channels)
        return (batch, channels, *spatial)

    def _out_spatial(self, input_shape, groups=1):
        """Output spatial sizes; an unknown (None) input size gives an unknown output size."""
        spatial = self._spatial(input_shape)
        if None in spatial:
            return tuple(None if n is None else K.conv_output_size(n, k, s, d, self.padding)
                         for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        return self._geometry(input_shape, groups).out_spatial

    def _geometry(self, input_shape, groups=1):
        """The kernel's Geometry for an input shape; a clear error when the input is too small."""
        spatial = self._spatial(input_shape)
        geom = K.conv_geometry(spatial, self.kernel_size, self.strides, self.dilation_rate,
                               self.padding, groups)
        if any(o <= 0 for o in geom.out_spatial):
            span = tuple(K.effective_kernel_size(k, d) for k, d in zip(self.kernel_size, self.dilation_rate))
            raise ValueError(
                f"{self._who()}: the input's spatial size {spatial} is too small for kernel_size "
                f"{self.kernel_size} with dilation_rate {self.dilation_rate} (a window spans {span}), "
                f"strides {self.strides} and padding '{self.padding}': the output would have size "
                f"{geom.out_spatial}. Expected every spatial size >= the window span.")
        return geom

    def _input_channels(self, input_shape):
        return input_shape[self._channel_axis]

    def _set_input_spec(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    # ---- activation, applied in the layer's own data_format (softmax's axis depends on it) --

    def _activate(self, z_last):
        return self.apply_activation(self._from_last(z_last))

    def _deactivate(self, dy):
        return self._to_last(self.activation_backward(dy))

    def _add_bias(self, size):
        if not self.use_bias:
            return None
        return self.add_weight(shape=(size,), initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint, name="bias")

    def _positive(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{self._who()}: {name} must be a positive integer; got {name}={value!r}.")
        return value

    def get_config(self):
        return {
            **super().get_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


# ---- Conv ---------------------------------------------------------------------------------

class _Conv(_Spatial):
    """activation(conv(inputs, kernel) + bias). See tf.keras.layers.Conv2D.

    Args:
        filters: number of output channels.
        kernel_size: the window, an int or a tuple of ``rank`` ints.
        strides: the step between windows.
        padding: "valid" (no padding), "same" (output size ceil(input / stride)) or,
            for Conv1D only, "causal" (pad on the left: output t sees inputs <= t).
        data_format: "channels_last" (batch, *spatial, channels) or "channels_first".
        dilation_rate: the spacing of the kernel taps (not together with strides > 1).
        groups: split the input channels into this many independent convolutions.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer: as in Dense.

    Input shape: (batch, *spatial, channels)   Output shape: (batch, *out_spatial, filters)
    Weights: kernel (*kernel_size, channels // groups, filters), bias (filters,)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, **kwargs)
        self._positive("filters", filters)
        self._positive("groups", groups)
        if filters % groups:
            raise ValueError(f"{self._who()}: filters must be divisible by groups; got filters={filters} "
                             f"and groups={groups}.")
        self.filters, self.groups = filters, groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{self._who()}: the input's channels must be divisible by groups; got "
                             f"{channels} channels (input shape {tuple(input_shape)}) and "
                             f"groups={self.groups}.")
        self._out_spatial(input_shape, self.groups)
        self.kernel = self.add_weight(shape=(*self.kernel_size, channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self._add_bias(self.filters)
        self._set_input_spec(channels)

    def call(self, inputs):
        geom = self._geometry(inputs.shape, self.groups)
        z, self._cache = fast.conv_forward(self._to_last(inputs), self.kernel, self.bias, geom)
        return self._activate(z)

    def backward_call(self, dy):
        dx, grads = fast.conv_backward(self._deactivate(dy), self._cache)
        return self._from_last(dx), grads

    def compute_output_shape(self, input_shape):
        return self._with_channels(input_shape[0], self._out_spatial(input_shape, self.groups), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            **self._weight_config("kernel", "bias"),
        }


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels). See tf.keras.layers.Conv1D. Allows padding="causal"."""
    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels). See tf.keras.layers.Conv2D."""
    rank = 2


class Conv3D(_Conv):
    """3-D convolution over (batch, depth, height, width, channels). See tf.keras.layers.Conv3D."""
    rank = 3


# ---- ConvTranspose ------------------------------------------------------------------------

class _ConvTranspose(_Spatial):
    """The transposed convolution: the adjoint (the input gradient) of a convolution.

    See tf.keras.layers.Conv2DTranspose. It upsamples: each input position
    scatters a kernel-sized patch, ``strides`` apart, into the output.

    Args:
        filters, kernel_size, strides, padding ("valid" or "same"), data_format,
        dilation_rate, activation, use_bias, initializers, regularizers: as in Conv.
        output_padding: extra size on the far side of each axis (each < its stride);
            None lets Keras's formula choose.

    Output size per axis: valid: (n - 1) * stride + k_eff + output_padding;
    same: n * stride (output_padding None) or (n - 1) * stride + k_eff % 2 + output_padding.
    Weights: kernel (*kernel_size, filters, channels), bias (filters,)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, **kwargs)
        self._positive("filters", filters)
        self.filters = filters
        self.output_padding = (None if output_padding is None else
                               _tuple(self, output_padding, self.rank, "output_padding", allow_zero=True))
        if self.output_padding is not None:
            for axis, (p, s) in enumerate(zip(self.output_padding, self.strides)):
                if p >= s:
                    raise ValueError(f"{self._who()}: output_padding must be strictly less than strides "
                                     f"on every axis; got output_padding={self.output_padding} and "
                                     f"strides={self.strides} (axis {axis}).")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def _transpose_geometry(self, input_shape):
        try:
            return K.conv_transpose_geometry(self._spatial(input_shape), self.kernel_size, self.strides,
                                             self.dilation_rate, self.padding, self.output_padding)
        except ValueError as exc:
            raise ValueError(f"{self._who()}: {exc}") from None

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._transpose_out_spatial(input_shape)
        self.kernel = self.add_weight(shape=(*self.kernel_size, self.filters, channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self._add_bias(self.filters)
        self._set_input_spec(channels)

    def call(self, inputs):
        geom = self._transpose_geometry(inputs.shape)
        z, self._cache = fast.conv_transpose_forward(self._to_last(inputs), self.kernel, self.bias, geom)
        return self._activate(z)

    def backward_call(self, dy):
        dx, grads = fast.conv_transpose_backward(self._deactivate(dy), self._cache)
        return self._from_last(dx), grads

    def _transpose_out_spatial(self, input_shape):
        spatial = self._spatial(input_shape)
        if None in spatial:
            paddings = self.output_padding or (None,) * self.rank
            return tuple(None if n is None else K.conv_transpose_output_size(n, k, s, d, self.padding, p)
                         for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate,
                                                  paddings))
        return self._transpose_geometry(input_shape).in_spatial

    def compute_output_shape(self, input_shape):
        return self._with_channels(input_shape[0], self._transpose_out_spatial(input_shape), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            **self._weight_config("kernel", "bias"),
        }


class Conv1DTranspose(_ConvTranspose):
    """See tf.keras.layers.Conv1DTranspose."""
    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """See tf.keras.layers.Conv2DTranspose."""
    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """See tf.keras.layers.Conv3DTranspose."""
    rank = 3


# ---- DepthwiseConv ------------------------------------------------------------------------

class _DepthwiseConv(_Spatial):
    """Each input channel convolved with its own depth_multiplier filters.

    See tf.keras.layers.DepthwiseConv2D.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias: as in Conv
            (strides > 1 together with dilation_rate > 1 is allowed here, as in Keras 3).
        depth_multiplier: filters per input channel.
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer.

    Input shape: (batch, *spatial, C)   Output shape: (batch, *out_spatial, C * depth_multiplier)
    Weights: kernel (*kernel_size, C, depth_multiplier), bias (C * depth_multiplier,)
    """

    strides_with_dilation = True

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, **kwargs)
        self._positive("depth_multiplier", depth_multiplier)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._out_spatial(input_shape, channels)
        self.kernel = self.add_weight(shape=(*self.kernel_size, channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint, name="kernel")
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self._set_input_spec(channels)

    def call(self, inputs):
        geom = self._geometry(inputs.shape, self._input_channels(inputs.shape))
        z, self._cache = fast.depthwise_forward(self._to_last(inputs), self.kernel, self.bias, geom)
        return self._activate(z)

    def backward_call(self, dy):
        dx, grads = fast.depthwise_backward(self._deactivate(dy), self._cache)
        return self._from_last(dx), grads

    def compute_output_shape(self, input_shape):
        channels = self._input_channels(input_shape)
        return self._with_channels(input_shape[0], self._out_spatial(input_shape, channels),
                                   channels * self.depth_multiplier)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._weight_config("depthwise", "bias"),
        }


class DepthwiseConv1D(_DepthwiseConv):
    """See tf.keras.layers.DepthwiseConv1D."""
    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """See tf.keras.layers.DepthwiseConv2D."""
    rank = 2


# ---- SeparableConv ------------------------------------------------------------------------

class _SeparableConv(_Spatial):
    """A depthwise convolution, then a 1x1 convolution mixing channels. See tf.keras.layers.SeparableConv2D.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
        activation, use_bias: as in Conv and DepthwiseConv.
        depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer.

    Input shape: (batch, *spatial, C)   Output shape: (batch, *out_spatial, filters)
    Weights: depthwise_kernel (*kernel_size, C, m), pointwise_kernel (1, .., 1, C * m, filters),
        bias (filters,)
    """

    strides_with_dilation = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, **kwargs)
        self._positive("filters", filters)
        self._positive("depth_multiplier", depth_multiplier)
        self.filters, self.depth_multiplier = filters, depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._out_spatial(input_shape, channels)
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(shape=(*self.kernel_size, channels, m),
                                                initializer=self.depthwise_initializer,
                                                regularizer=self.depthwise_regularizer,
                                                constraint=self.depthwise_constraint,
                                                name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(shape=(1,) * self.rank + (channels * m, self.filters),
                                                initializer=self.pointwise_initializer,
                                                regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint,
                                                name="pointwise_kernel")
        self.bias = self._add_bias(self.filters)
        self._set_input_spec(channels)

    def call(self, inputs):
        geom = self._geometry(inputs.shape, self._input_channels(inputs.shape))
        z, self._cache = fast.separable_forward(self._to_last(inputs), self.depthwise_kernel,
                                             self.pointwise_kernel, self.bias, geom)
        return self._activate(z)

    def backward_call(self, dy):
        dx, grads = fast.separable_backward(self._deactivate(dy), self._cache)
        return self._from_last(dx), grads

    def compute_output_shape(self, input_shape):
        out = self._out_spatial(input_shape, self._input_channels(input_shape))
        return self._with_channels(input_shape[0], out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            **self._weight_config("depthwise", "pointwise", "bias"),
        }


class SeparableConv1D(_SeparableConv):
    """See tf.keras.layers.SeparableConv1D."""
    rank = 1


class SeparableConv2D(_SeparableConv):
    """See tf.keras.layers.SeparableConv2D."""
    rank = 2
