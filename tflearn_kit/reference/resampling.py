"""Twins of the resampling layers: tf.compat.v1.image.resize for upsampling, tf.pad, slicing."""
from .registry import Case, twin
from .tf import modules


def _channels_last(tf, layer, x, fn):
    """Run ``fn`` on a channels_last tensor, as TF1 code transposed NCHW around image ops."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        rank = len(x.shape)
        y = fn(tf.transpose(x, [0] + list(range(2, rank)) + [1]))
        return tf.transpose(y, [0, rank - 1] + list(range(1, rank - 1)))
    return fn(x)


def upsampling1d_tf1(layer, x, training, init):
    tf, _, _ = modules()
    v1 = tf.compat.v1
    steps = int(x.shape[1]) * layer.size
    y = v1.image.resize(x[:, :, None, :], (steps, 1), method=v1.image.ResizeMethod.NEAREST_NEIGHBOR)
    return y[:, :, 0, :]


def upsampling2d_tf1(layer, x, training, init):
    tf, _, _ = modules()
    v1 = tf.compat.v1

    def resize(t):
        size = (int(t.shape[1]) * layer.size[0], int(t.shape[2]) * layer.size[1])
        if layer.interpolation == "bilinear":
            # TF1's default (half_pixel_centers=False) samples other points; Keras 3 and
            # TF2's tf.image.resize use the pixel centres, which TF 1.14 added as an option
            return v1.image.resize_bilinear(t, size, half_pixel_centers=True)
        return v1.image.resize(t, size, method=v1.image.ResizeMethod.NEAREST_NEIGHBOR)
    return _channels_last(tf, layer, x, resize)


def upsampling3d_tf1(layer, x, training, init):
    tf, _, _ = modules()

    def repeat(t):
        for axis, factor in enumerate(layer.size, start=1):
            t = tf.repeat(t, factor, axis=axis)
        return t
    return _channels_last(tf, layer, x, repeat)


def zero_padding_tf1(layer, x, training, init):
    tf, _, _ = modules()
    return _channels_last(tf, layer, x,
                          lambda t: tf.pad(t, [[0, 0]] + [list(p) for p in layer.padding] + [[0, 0]]))


def cropping_tf1(layer, x, training, init):
    tf, _, _ = modules()

    def crop(t):
        index = (slice(None),) + tuple(slice(a, int(n) - b) for (a, b), n in
                                       zip(layer.cropping, t.shape[1:-1]))
        return t[index + (slice(None),)]
    return _channels_last(tf, layer, x, crop)


NOTE_FIRST = "channels_first: transposed to NHWC around it, as TF1 CPU code had to"

TWINS = [
    twin("UpSampling1D", tf1=upsampling1d_tf1,
         tf1_name="tf.compat.v1.image.resize(NEAREST_NEIGHBOR) on (batch, steps, 1, C)",
         cases=[Case("size2", {}, (2, 4, 3)), Case("size3", {"size": 3}, (2, 3, 2))]),
    twin("UpSampling2D", tf1=upsampling2d_tf1,
         tf1_name="tf.compat.v1.image.resize(NEAREST_NEIGHBOR) / resize_bilinear(half_pixel_centers=True)",
         cases=[Case("nearest-2x2", {}, (2, 3, 4, 2)),
                Case("nearest-2x3-channels-first", {"size": (2, 3), "data_format": "channels_first"},
                     (2, 2, 3, 4)),
                # tf.image.resize's bilinear kernel computes in float32 whatever the dtype
                Case("bilinear-2x2", {"interpolation": "bilinear"}, (2, 3, 4, 2), dtypes=("float32",)),
                Case("bilinear-3x2", {"size": (3, 2), "interpolation": "bilinear"}, (1, 4, 3, 2),
                     dtypes=("float32",)),
                Case("bilinear-channels-first", {"interpolation": "bilinear",
                                                 "data_format": "channels_first"}, (2, 2, 3, 3),
                     dtypes=("float32",))]),
    twin("UpSampling3D", tf1=upsampling3d_tf1,
         tf1_name="tf.repeat on each axis (tf.keras.backend.resize_volumes in TF1 Keras)",
         cases=[Case("2x2x2", {}, (2, 2, 3, 2, 2)),
                Case("1x2x3-channels-first", {"size": (1, 2, 3), "data_format": "channels_first"},
                     (1, 2, 2, 3, 2))]),
    twin("ZeroPadding1D", tf1=zero_padding_tf1, tf1_name="tf.pad",
         cases=[Case("pad1", {}, (2, 4, 3)), Case("pad-2-1", {"padding": (2, 1)}, (2, 3, 2))]),
    twin("ZeroPadding2D", tf1=zero_padding_tf1, tf1_name="tf.pad",
         cases=[Case("pad1", {}, (2, 3, 4, 2)),
                Case("pad-asym-channels-first", {"padding": ((1, 0), (2, 3)),
                                                 "data_format": "channels_first"}, (2, 2, 3, 3))]),
    twin("ZeroPadding3D", tf1=zero_padding_tf1, tf1_name="tf.pad",
         cases=[Case("pad1", {}, (1, 2, 3, 2, 2)),
                Case("pad-2-0-1", {"padding": (2, 0, 1)}, (1, 2, 2, 3, 1))]),
    twin("Cropping1D", tf1=cropping_tf1, tf1_name="x[:, a:-b] (slicing)",
         cases=[Case("crop-1-1", {}, (2, 5, 3)), Case("crop-2-0", {"cropping": (2, 0)}, (2, 4, 2))]),
    twin("Cropping2D", tf1=cropping_tf1, tf1_name="x[:, a:-b, c:-d] (slicing)",
         cases=[Case("crop-1-2", {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 2)),
                Case("crop-sym-channels-first", {"cropping": (1, 1), "data_format": "channels_first"},
                     (2, 2, 4, 5))]),
    twin("Cropping3D", tf1=cropping_tf1, tf1_name="x[:, a:-b, c:-d, e:-f] (slicing)",
         cases=[Case("crop-default", {}, (1, 4, 3, 5, 2)),
                Case("crop-1-0-2-channels-first", {"cropping": ((1, 0), (0, 0), (2, 1)),
                                                   "data_format": "channels_first"}, (1, 2, 3, 2, 4))]),
]
