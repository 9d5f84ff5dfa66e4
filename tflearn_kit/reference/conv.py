"""Twins of the convolution layers in tf.compat.v1.layers (where TF1 had them) and tf.keras.

The tf.keras twins are automatic: the kit's configs are Keras's. The tf.layers
functions (conv2d, conv2d_transpose, ...) lack a few Keras arguments (groups,
output_padding, a transpose's dilation_rate); for those cases the twin builds the
class behind the function (tf.compat.v1.layers.Conv2D, ...), which forwards them to
the Keras 2 layer it wraps. The numbers are the same graph either way.
"""
from .registry import Case, register
from .runners import tf1_activation
from .tf import modules


def _common(layer, init):
    return dict(
        kernel_size=layer.kernel_size, strides=layer.strides, padding=layer.padding,
        data_format=layer.data_format, activation=tf1_activation(layer.activation),
        use_bias=layer.use_bias, bias_initializer=init("bias") if layer.use_bias else None,
    )


def _conv_tf1(function, cls):
    def tf1(layer, x, training, init):
        _, _, legacy = modules()
        kwargs = dict(_common(layer, init), dilation_rate=layer.dilation_rate,
                      kernel_initializer=init("kernel"))
        if layer.groups == 1:
            return getattr(legacy, function)(x, layer.filters, **kwargs)
        return getattr(legacy, cls)(layer.filters, groups=layer.groups, **kwargs)(x)
    return tf1


def _transpose_tf1(function, cls):
    def tf1(layer, x, training, init):
        _, _, legacy = modules()
        kwargs = dict(_common(layer, init), kernel_initializer=init("kernel"))
        extra = {}
        if layer.output_padding is not None:
            extra["output_padding"] = layer.output_padding
        if max(layer.dilation_rate) > 1:
            extra["dilation_rate"] = layer.dilation_rate
        if not extra:
            return getattr(legacy, function)(x, layer.filters, **kwargs)
        return getattr(legacy, cls)(layer.filters, **kwargs, **extra)(x)
    return tf1


def _separable_tf1(function):
    def tf1(layer, x, training, init):
        _, _, legacy = modules()
        return getattr(legacy, function)(
            x, layer.filters, dilation_rate=layer.dilation_rate,
            depth_multiplier=layer.depth_multiplier, depthwise_initializer=init("depthwise_kernel"),
            pointwise_initializer=init("pointwise_kernel"), **_common(layer, init))
    return tf1


register(
    "Conv1D", tf1=_conv_tf1("conv1d", "Conv1D"), tf1_name="tf.compat.v1.layers.conv1d",
    cases=[
        Case("k3-valid", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
        Case("k4-stride2-same-relu", {"filters": 5, "kernel_size": 4, "strides": 2, "padding": "same",
                                      "activation": "relu"}, (2, 11, 3)),
        Case("k3-dilated2-causal", {"filters": 3, "kernel_size": 3, "dilation_rate": 2,
                                    "padding": "causal"}, (1, 10, 2)),
        Case("groups2-channels_first", {"filters": 4, "kernel_size": 3, "groups": 2,
                                        "data_format": "channels_first", "padding": "same"}, (2, 4, 7)),
    ],
)

register(
    "Conv2D", tf1=_conv_tf1("conv2d", "Conv2D"), tf1_name="tf.compat.v1.layers.conv2d",
    cases=[
        Case("3x3-valid", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
        Case("3x2-stride2-same-tanh", {"filters": 5, "kernel_size": (3, 2), "strides": 2,
                                       "padding": "same", "activation": "tanh"}, (2, 9, 8, 3)),
        Case("3x3-dilated2-same", {"filters": 3, "kernel_size": 3, "dilation_rate": 2,
                                   "padding": "same"}, (1, 9, 7, 2)),
        Case("groups3-channels_first", {"filters": 6, "kernel_size": 2, "groups": 3,
                                        "data_format": "channels_first"}, (2, 6, 5, 5)),
    ],
)

register(
    "Conv3D", tf1=_conv_tf1("conv3d", "Conv3D"), tf1_name="tf.compat.v1.layers.conv3d",
    cases=[
        Case("2x3x2-valid", {"filters": 3, "kernel_size": (2, 3, 2)}, (2, 4, 5, 4, 2)),
        Case("3x3x3-stride2-same", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
             (1, 5, 6, 5, 3)),
    ],
)

register(
    "Conv1DTranspose", tf1_note="tf.nn.conv1d_transpose (tf.layers had no conv1d_transpose)",
    cases=[
        Case("k3-stride2-valid", {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 6, 3)),
        Case("k4-stride2-same-outpad1", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same",
                                         "output_padding": 1}, (1, 5, 2)),
    ],
)

register(
    "Conv2DTranspose", tf1=_transpose_tf1("conv2d_transpose", "Conv2DTranspose"),
    tf1_name="tf.compat.v1.layers.conv2d_transpose",
    cases=[
        Case("3x3-stride2-same", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
             (2, 4, 5, 3)),
        Case("2x3-stride2-valid-relu", {"filters": 3, "kernel_size": (2, 3), "strides": 2,
                                        "activation": "relu"}, (2, 3, 4, 2)),
        Case("3x3-stride2-valid-outpad1", {"filters": 2, "kernel_size": 3, "strides": 2,
                                           "output_padding": 1}, (1, 4, 3, 3)),
    ],
)

register(
    "Conv3DTranspose", tf1=_transpose_tf1("conv3d_transpose", "Conv3DTranspose"),
    tf1_name="tf.compat.v1.layers.conv3d_transpose",
    cases=[
        Case("2x2x2-stride2-valid", {"filters": 3, "kernel_size": 2, "strides": 2}, (2, 3, 2, 3, 2)),
        Case("3x3x3-same", {"filters": 2, "kernel_size": 3, "padding": "same"}, (1, 4, 3, 4, 3)),
    ],
)

register(
    "SeparableConv1D", tf1=_separable_tf1("separable_conv1d"),
    tf1_name="tf.compat.v1.layers.separable_conv1d",
    cases=[
        Case("k3-valid", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
        Case("k3-stride2-same-dm2", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same",
                                     "depth_multiplier": 2}, (2, 10, 3)),
    ],
)

register(
    "SeparableConv2D", tf1=_separable_tf1("separable_conv2d"),
    tf1_name="tf.compat.v1.layers.separable_conv2d",
    cases=[
        Case("3x3-valid", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
        Case("3x3-dilated2-same-dm2", {"filters": 5, "kernel_size": 3, "dilation_rate": 2,
                                       "padding": "same", "depth_multiplier": 2}, (1, 8, 7, 2)),
    ],
)

register(
    "DepthwiseConv1D",
    tf1_note="tf.nn.depthwise_conv2d on an input with a height of 1 (tf.layers had no depthwise layer)",
    cases=[
        Case("k3-valid", {"kernel_size": 3}, (2, 9, 3)),
        Case("k3-stride2-same-dm2", {"kernel_size": 3, "strides": 2, "padding": "same",
                                     "depth_multiplier": 2}, (2, 10, 3)),
    ],
)

register(
    "DepthwiseConv2D",
    tf1_note="tf.nn.depthwise_conv2d with a variable made by tf.get_variable (tf.layers had no "
             "depthwise layer)",
    cases=[
        Case("3x3-valid", {"kernel_size": 3}, (2, 7, 6, 3)),
        Case("3x3-stride2-same-dm2-relu", {"kernel_size": 3, "strides": 2, "padding": "same",
                                           "depth_multiplier": 2, "activation": "relu"}, (2, 8, 7, 3)),
    ],
)
