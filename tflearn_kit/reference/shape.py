"""Twins of Permute, RepeatVector, Identity and Masking: TF1 code wrote the op (no tf.layers)."""
from .registry import Case, twin
from .tf import modules


def permute_tf1(layer, x, training, init):
    tf, _, _ = modules()
    return tf.transpose(x, (0,) + layer.dims)


def repeat_vector_tf1(layer, x, training, init):
    tf, _, _ = modules()
    return tf.tile(tf.expand_dims(x, 1), [1, layer.n, 1])


def identity_tf1(layer, x, training, init):
    tf, _, _ = modules()
    return tf.identity(x)


def masking_tf1(layer, x, training, init):
    tf, _, _ = modules()
    keep = tf.reduce_any(tf.not_equal(x, layer.mask_value), axis=-1, keepdims=True)
    return tf.where(tf.broadcast_to(keep, tf.shape(x)), x, tf.zeros_like(x))


TWINS = [
    twin("Permute", tf1=permute_tf1, tf1_name="tf.transpose(x, (0,) + dims)",
         cases=[Case("swap", {"dims": (2, 1)}, (2, 3, 4)),
                Case("rank4-3-1-2", {"dims": (3, 1, 2)}, (2, 3, 4, 2))]),
    twin("RepeatVector", tf1=repeat_vector_tf1, tf1_name="tf.tile(tf.expand_dims(x, 1), [1, n, 1])",
         cases=[Case("n3", {"n": 3}, (2, 4))]),
    twin("Identity", tf1=identity_tf1, tf1_name="tf.identity",
         cases=[Case("rank3", {}, (2, 3, 4))]),
    twin("Masking", tf1=masking_tf1,
         tf1_name="tf.where(tf.reduce_any(x != value, -1, keepdims=True), x, 0) "
                  "(TF1 RNNs took sequence_length instead of a mask)",
         cases=[Case("value0", {"mask_value": 0.0}, (3, 5, 2), input_kind="padded-steps:0"),
                Case("value1-features3", {"mask_value": 1.0}, (2, 7, 3), input_kind="padded-steps:1")]),
]
