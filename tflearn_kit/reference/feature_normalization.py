"""Twins of GroupNormalization, Normalization and Rescaling (none was a tf.layers layer)."""
from .registry import Case, twin
from .tf import modules


def group_norm_tf1(layer, x, training, init):
    # TF1 code (tf.contrib.layers.group_norm, gone with contrib) reshaped and called tf.nn.moments
    tf, _, _ = modules()
    v1 = tf.compat.v1
    axis = layer.axis % len(x.shape)
    shape = x.shape.as_list()
    grouped_shape = [-1] + shape[1:axis] + [layer.groups, shape[axis] // layer.groups] + shape[axis + 1:]
    g = tf.reshape(x, grouped_shape)
    stats = [a for a in range(1, len(grouped_shape)) if a != axis]
    mean, var = tf.nn.moments(g, stats, keepdims=True)
    bshape = [1] * len(grouped_shape)
    bshape[axis], bshape[axis + 1] = layer.groups, shape[axis] // layer.groups
    gamma = v1.get_variable("gamma", shape=(shape[axis],), dtype=x.dtype, initializer=init("gamma"))
    beta = v1.get_variable("beta", shape=(shape[axis],), dtype=x.dtype, initializer=init("beta"))
    y = tf.nn.batch_normalization(g, mean, var, tf.reshape(beta, bshape), tf.reshape(gamma, bshape),
                                  layer.epsilon)
    return tf.reshape(y, tf.shape(x))


def rescaling_tf1(layer, x, training, init):
    # tf.cast(python_float, float64) goes through a float32 tensor, as Keras 3's cast does;
    # a bare x * (1 / 255) in TF1 code would be exact in float64 (6e-8 relative away)
    tf, _, _ = modules()
    return x * tf.cast(layer.scale, x.dtype) + tf.cast(layer.offset, x.dtype)


def normalization_tf1(layer, x, training, init):
    tf, _, _ = modules()
    mean, var = layer._statistics()
    std = tf.maximum(tf.sqrt(tf.constant(var)), 1e-7)
    return tf.constant(mean) + x * std if layer.invert else (x - tf.constant(mean)) / std


TWINS = [
    twin("GroupNormalization", tf1=group_norm_tf1,
         tf1_name="tf.reshape into groups + tf.nn.moments + tf.nn.batch_normalization "
                  "(tf.contrib.layers.group_norm, removed with tf.contrib)",
         cases=[Case("4-groups-rank4", {"groups": 4, "gamma_initializer": "random_normal",
                                        "beta_initializer": "random_normal"}, (2, 3, 3, 8)),
                Case("2-groups-rank3", {"groups": 2, "epsilon": 1e-5}, (3, 5, 6)),
                Case("instance-norm", {"groups": -1, "gamma_initializer": "random_normal"},
                     (2, 4, 3)),
                Case("channels-first-axis1", {"groups": 2, "axis": 1,
                                              "beta_initializer": "random_normal"}, (2, 4, 3, 3))]),
    twin("Normalization", tf1=normalization_tf1, tf1_name="(x - mean) / tf.maximum(tf.sqrt(var), eps)",
         cases=[Case("given-per-feature", {"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 1.0]},
                     (4, 3)),
                Case("given-scalar-invert", {"mean": 1.5, "variance": 9.0, "invert": True}, (3, 4)),
                Case("axis-1-2", {"axis": (1, 2), "mean": [[0.0, 1.0], [2.0, 3.0]],
                                  "variance": [[1.0, 2.0], [3.0, 4.0]]}, (2, 2, 2))]),
    twin("Rescaling", tf1=rescaling_tf1,
         tf1_name="x * tf.cast(scale, dtype) + tf.cast(offset, dtype) (no TF1 layer)",
         cases=[Case("pixels", {"scale": 1 / 255.0}, (2, 3, 3, 2)),
                Case("to-minus1-1", {"scale": 1 / 127.5, "offset": -1.0}, (4, 5))]),
]
