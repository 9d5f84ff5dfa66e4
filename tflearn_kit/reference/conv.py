"""Twins of the convolution layers in tf.compat.v1.layers (where TF1 had them) and tf.keras.

The tf.keras twins are automatic: the kit's configs are Keras's. The tf.layers
functions (conv2d, conv2d_transpose, ...) lack a few Keras arguments (groups,
output_padding, a transpose's dilation_rate); for those cases the twin builds the
class behind the function (tf.compat.v1.layers.Conv2D, ...), which forwards them to
the Keras 2 layer it wraps. The numbers are the same graph either way.
"""
from .activations import tf1_activation
from .registry import Case, twin
from .tf import modules

# TensorFlow's CPU kernels in float64 (Eigen; oneDNN covers only float32) run convolutions in
# NHWC only ("The Conv2D op currently only supports the NHWC tensor format on the CPU") and
# have no dilated Conv2DBackpropInput ("do not yet support dilation rates larger than 1"),
# which is a dilated transpose's forward: those cases run in float32 only.
FLOAT32_ONLY = ("float32",)


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


TWINS = [
    twin(
        "Conv1D", tf1=_conv_tf1("conv1d", "Conv1D"), tf1_name="tf.compat.v1.layers.conv1d",
        cases=[
            Case("stride1-valid", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
            Case("stride2-same-odd", {"filters": 5, "kernel_size": 4, "strides": 2, "padding": "same"},
                 (2, 11, 3)),
            Case("stride3-valid-channels_first", {"filters": 3, "kernel_size": 2, "strides": 3,
                                                  "data_format": "channels_first"},
                 (2, 3, 11), dtypes=FLOAT32_ONLY),
            Case("dilated3-causal", {"filters": 3, "kernel_size": 3, "dilation_rate": 3,
                                     "padding": "causal"},
                 (2, 13, 2)),
            Case("stride2-causal-batch1", {"filters": 2, "kernel_size": 3, "strides": 2,
                                           "padding": "causal"},
                 (1, 8, 3)),
            Case("groups2-same-channels_first-relu", {"filters": 4, "kernel_size": 3, "groups": 2,
                                                      "padding": "same",
                                                      "data_format": "channels_first",
                                                      "activation": "relu"},
                 (2, 4, 7)),
        ],
    ),
    twin(
        "Conv2D", tf1=_conv_tf1("conv2d", "Conv2D"), tf1_name="tf.compat.v1.layers.conv2d",
        cases=[
            Case("stride1-valid", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
            Case("stride2-same", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same"},
                 (2, 9, 8, 3)),
            Case("stride2-same-channels_first", {"filters": 5, "kernel_size": 3, "strides": 2,
                                                 "padding": "same", "data_format": "channels_first"},
                 (2, 3, 7, 8), dtypes=FLOAT32_ONLY),
            Case("stride2x1-valid-odd-k3x2", {"filters": 3, "kernel_size": (3, 2), "strides": (2, 1)},
                 (2, 9, 7, 2)),
            Case("dilated2-same", {"filters": 3, "kernel_size": 3, "dilation_rate": 2,
                                   "padding": "same"},
                 (2, 9, 7, 2)),
            Case("dilated2x3-valid-channels_first", {"filters": 2, "kernel_size": 2,
                                                     "dilation_rate": (2, 3),
                                                     "data_format": "channels_first"},
                 (1, 3, 7, 8), dtypes=FLOAT32_ONLY),
            Case("groups3-valid", {"filters": 6, "kernel_size": 2, "groups": 3}, (2, 5, 5, 6)),
            Case("groups2-stride2-same-channels_first", {"filters": 4, "kernel_size": 3, "strides": 2,
                                                         "groups": 2, "padding": "same",
                                                         "data_format": "channels_first"},
                 (2, 4, 7, 6)),
            Case("k1x1-nobias-batch1", {"filters": 5, "kernel_size": 1, "use_bias": False}, (1, 4, 3, 6)),
            Case("k4-same-even-kernel-tanh", {"filters": 3, "kernel_size": 4, "padding": "same",
                                              "activation": "tanh"},
                 (2, 6, 5, 2)),
        ],
    ),
    twin(
        "Conv3D", tf1=_conv_tf1("conv3d", "Conv3D"), tf1_name="tf.compat.v1.layers.conv3d",
        cases=[
            Case("stride1-valid", {"filters": 3, "kernel_size": (2, 3, 2)}, (2, 4, 5, 4, 2)),
            Case("stride2-same-odd", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
                 (1, 5, 6, 5, 3)),
            Case("dilated2-same", {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
                                   "padding": "same"},
                 (2, 5, 4, 5, 2)),
            Case("groups2-valid", {"filters": 4, "kernel_size": 2, "groups": 2}, (2, 3, 4, 3, 4)),
        ],
    ),
    twin(
        "Conv1DTranspose", tf1_note="tf.nn.conv1d_transpose (tf.layers had no conv1d_transpose)",
        cases=[
            Case("stride1-valid", {"filters": 3, "kernel_size": 3}, (2, 6, 4)),
            Case("stride2-same", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
                 (2, 5, 3)),
            Case("stride3-valid-k2-channels_first", {"filters": 2, "kernel_size": 2, "strides": 3,
                                                     "data_format": "channels_first"},
                 (2, 3, 5), dtypes=FLOAT32_ONLY),
            Case("stride2-same-outpad0-batch1", {"filters": 3, "kernel_size": 3, "strides": 2,
                                                 "padding": "same", "output_padding": 0},
                 (1, 5, 2)),
            Case("dilated2-valid", {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
                 (2, 5, 3), dtypes=FLOAT32_ONLY),
        ],
    ),
    twin(
        "Conv2DTranspose", tf1=_transpose_tf1("conv2d_transpose", "Conv2DTranspose"),
        tf1_name="tf.compat.v1.layers.conv2d_transpose",
        cases=[
            Case("stride1-valid", {"filters": 3, "kernel_size": 3}, (2, 4, 5, 2)),
            Case("stride2-same", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
                 (2, 4, 5, 3)),
            Case("stride2-same-channels_first", {"filters": 3, "kernel_size": 3, "strides": 2,
                                                 "padding": "same", "data_format": "channels_first"},
                 (2, 2, 4, 3), dtypes=FLOAT32_ONLY),
            Case("stride2x3-valid-odd-k3x2", {"filters": 2, "kernel_size": (3, 2), "strides": (2, 3)},
                 (2, 3, 5, 2)),
            Case("stride2-valid-outpad1", {"filters": 2, "kernel_size": 3, "strides": 2,
                                           "output_padding": 1},
                 (1, 4, 3, 3)),
            Case("stride3-same-outpad2-k4", {"filters": 2, "kernel_size": 4, "strides": 3,
                                             "padding": "same", "output_padding": 2},
                 (2, 3, 3, 2)),
            Case("dilated2-same-relu", {"filters": 3, "kernel_size": 3, "dilation_rate": 2,
                                        "padding": "same", "activation": "relu"},
                 (2, 5, 4, 2), dtypes=FLOAT32_ONLY),
        ],
    ),
    twin(
        "Conv3DTranspose", tf1=_transpose_tf1("conv3d_transpose", "Conv3DTranspose"),
        tf1_name="tf.compat.v1.layers.conv3d_transpose",
        cases=[
            Case("stride2-valid", {"filters": 3, "kernel_size": 2, "strides": 2}, (2, 3, 2, 3, 2)),
            Case("stride1-same", {"filters": 2, "kernel_size": 3, "padding": "same"}, (1, 4, 3, 4, 3)),
            Case("stride2-same-outpad1-odd", {"filters": 2, "kernel_size": 3, "strides": 2,
                                              "padding": "same", "output_padding": 1},
                 (2, 3, 2, 3, 2)),
        ],
    ),
    twin(
        "SeparableConv1D", tf1=_separable_tf1("separable_conv1d"),
        tf1_name="tf.compat.v1.layers.separable_conv1d",
        cases=[
            Case("stride1-valid", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
            Case("stride2-same-dm2", {"filters": 5, "kernel_size": 3, "strides": 2, "padding": "same",
                                      "depth_multiplier": 2},
                 (2, 10, 3)),
            Case("dilated2-valid-channels_first-batch1", {"filters": 3, "kernel_size": 3,
                                                          "dilation_rate": 2,
                                                          "data_format": "channels_first"},
                 (1, 2, 11), dtypes=FLOAT32_ONLY),
        ],
    ),
    twin(
        "SeparableConv2D", tf1=_separable_tf1("separable_conv2d"),
        tf1_name="tf.compat.v1.layers.separable_conv2d",
        cases=[
            Case("stride1-valid", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
            Case("stride2-same-dm3-odd", {"filters": 3, "kernel_size": (3, 2), "strides": 2,
                                          "padding": "same", "depth_multiplier": 3},
                 (2, 7, 9, 2)),
            Case("dilated2-same-dm2", {"filters": 5, "kernel_size": 3, "dilation_rate": 2,
                                       "padding": "same", "depth_multiplier": 2},
                 (1, 8, 7, 2)),
            Case("stride2-valid-channels_first-relu", {"filters": 4, "kernel_size": 2, "strides": 2,
                                                       "data_format": "channels_first",
                                                       "activation": "relu"},
                 (2, 3, 7, 6), dtypes=FLOAT32_ONLY),
        ],
    ),
    twin(
        "DepthwiseConv1D",
        tf1_note="tf.nn.depthwise_conv2d on an input with a height of 1 (tf.layers had no depthwise layer)",
        cases=[
            Case("stride1-valid", {"kernel_size": 3}, (2, 9, 3)),
            Case("stride2-same-dm2", {"kernel_size": 3, "strides": 2, "padding": "same",
                                      "depth_multiplier": 2},
                 (2, 10, 3)),
            Case("dilated2-valid-channels_first-batch1", {"kernel_size": 3, "dilation_rate": 2,
                                                          "data_format": "channels_first"},
                 (1, 3, 11)),
        ],
    ),
    twin(
        "DepthwiseConv2D",
        tf1_note="tf.nn.depthwise_conv2d with a variable made by tf.get_variable (tf.layers had no "
                 "depthwise layer)",
        cases=[
            Case("stride1-valid", {"kernel_size": 3}, (2, 7, 6, 3)),
            Case("stride2-same-dm2", {"kernel_size": 3, "strides": 2, "padding": "same",
                                      "depth_multiplier": 2},
                 (2, 8, 7, 3)),
            Case("dilated2-same-channels_first", {"kernel_size": 3, "dilation_rate": 2,
                                                  "padding": "same", "data_format": "channels_first"},
                 (2, 2, 7, 8)),
            Case("stride2-dilated2-same-dm2-odd", {"kernel_size": 3, "strides": 2, "dilation_rate": 2,
                                                   "padding": "same", "depth_multiplier": 2},
                 (1, 9, 7, 2)),
        ],
    ),
]
