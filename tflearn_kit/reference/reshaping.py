"""Twins of Flatten (tf.compat.v1.layers.flatten) and Reshape (tf.reshape in TF1 code)."""
from .registry import Case, twin
from .tf import modules


def flatten_tf1(layer, x, training, init):
    _, _, legacy = modules()
    return legacy.flatten(x, data_format=layer.data_format)


def reshape_tf1(layer, x, training, init):
    tf, _, _ = modules()
    return tf.reshape(x, (x.shape[0],) + layer.target_shape)


TWINS = [
    twin("Flatten", tf1=flatten_tf1, tf1_name="tf.compat.v1.layers.flatten", cases=[
        Case("rank4", {}, (2, 3, 4, 5)),
        Case("rank2", {}, (3, 4)),
        Case("rank3", {}, (2, 3, 4)),
        Case("channels-first", {"data_format": "channels_first"}, (2, 3, 4, 5)),
        # rank 3: the one axis after the channels moves in front of them
        Case("channels-first-rank3", {"data_format": "channels_first"}, (2, 3, 4)),
    ]),
    twin("Reshape", tf1=reshape_tf1, tf1_name="tf.reshape(x, (batch, *target_shape)) (no TF1 layer)",
         cases=[
             Case("to-rank3", {"target_shape": (4, 6)}, (2, 24)),
             Case("with-minus-one", {"target_shape": (-1, 3)}, (2, 4, 6)),
             Case("to-rank4", {"target_shape": (2, 3, 4)}, (3, 24)),
             Case("to-rank2", {"target_shape": (12,)}, (2, 3, 4)),
         ]),
]
