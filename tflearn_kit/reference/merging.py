"""Twins of the merging layers. tf.compat.v1.layers had none: TF1 code wrote the op itself."""
import functools

from .registry import Case, twin
from .tf import modules


def _expanded(tf, xs):
    # Keras inserts axes after the batch axis; TF's own broadcasting aligns on the right,
    # which would pair the batch axis with a feature axis, so TF1 code reshaped first
    rank = max(len(x.shape) for x in xs)
    return [tf.reshape(x, [-1] + [1] * (rank - len(x.shape)) + x.shape.as_list()[1:])
            if len(x.shape) < rank else x for x in xs]


def _tf1(op):
    def build(layer, xs, training, init):
        tf, _, _ = modules()
        return op(tf, layer, _expanded(tf, xs) if isinstance(xs, list) else xs)
    return build


def _fold(fn_name):
    def op(tf, layer, xs):
        out = xs[0]
        for x in xs[1:]:
            out = getattr(tf, fn_name)(out, x)
        return out
    return op


def _dot_tf1(layer, xs, training, init):
    tf, _, _ = modules()
    x, y = xs
    a1, a2 = layer._axes((x.shape, y.shape))
    if layer.normalize:
        x, y = tf.math.l2_normalize(x, axis=a1), tf.math.l2_normalize(y, axis=a2)
    # TF1 code: move the summed axes next to each other, then one batched matmul
    xm = tf.transpose(x, [i for i in range(len(x.shape)) if i != a1] + [a1])
    ym = tf.transpose(y, [0, a2] + [i for i in range(1, len(y.shape)) if i != a2])
    d = x.shape[a1]
    out = tf.matmul(tf.reshape(xm, [-1, int(xm.shape[1:-1].num_elements()), d]),
                    tf.reshape(ym, [-1, d, int(ym.shape[2:].num_elements())]))
    shape = xm.shape.as_list()[1:-1] + ym.shape.as_list()[2:]
    return tf.reshape(out, [-1] + (shape or [1]))


BROADCAST = [Case("broadcast-2x3-2x1", {}, [(2, 3), (2, 1)]),
             Case("broadcast-ranks-2x4x3-2x3", {}, [(2, 4, 3), (2, 3)]),
             Case("broadcast-2x1x3-2x4x1", {}, [(2, 1, 3), (2, 4, 1)])]

TWINS = [
    twin("Add", tf1=_tf1(lambda tf, layer, xs: functools.reduce(tf.add, xs)),
         tf1_name="tf.add_n(xs), tf.add when shapes broadcast (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)]), Case("three-rank3", {}, [(2, 3, 4)] * 3)]
         + BROADCAST),
    twin("Subtract", tf1=_tf1(lambda tf, layer, xs: tf.subtract(xs[0], xs[1])),
         tf1_name="tf.subtract(a, b) (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)])] + BROADCAST),
    twin("Multiply", tf1=_tf1(_fold("multiply")), tf1_name="tf.multiply, chained (no TF1 layer)",
         cases=[Case("three", {}, [(3, 4)] * 3)] + BROADCAST),
    twin("Average", tf1=_tf1(lambda tf, layer, xs: functools.reduce(tf.add, xs) / len(xs)),
         tf1_name="tf.add_n(xs) / n (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)])] + BROADCAST),
    twin("Maximum", tf1=_tf1(_fold("maximum")), tf1_name="tf.maximum, chained (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)]), Case("three-rank3", {}, [(2, 3, 4)] * 3)]
         + BROADCAST),
    twin("Minimum", tf1=_tf1(_fold("minimum")), tf1_name="tf.minimum, chained (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)]), Case("three-rank3", {}, [(2, 3, 4)] * 3)]
         + BROADCAST),
    twin("Concatenate", tf1=_tf1(lambda tf, layer, xs: tf.concat(xs, axis=layer.axis)),
         tf1_name="tf.concat(xs, axis) (no TF1 layer)",
         cases=[Case("last-axis", {}, [(3, 4), (3, 2)]),
                Case("axis1-rank3", {"axis": 1}, [(2, 3, 4), (2, 1, 4), (2, 2, 4)])]),
    twin("Dot", tf1=_dot_tf1,
         tf1_name="tf.matmul over transposed inputs, tf.math.l2_normalize for normalize "
                  "(tf.keras.backend.batch_dot in TF1 Keras; no tf.layers op)",
         cases=[Case("rank2-axes1", {"axes": 1}, [(3, 5), (3, 5)]),
                Case("rank2-normalize", {"axes": -1, "normalize": True}, [(3, 5), (3, 5)]),
                Case("rank3-axes-2-2", {"axes": [2, 2]}, [(2, 4, 3), (2, 5, 3)]),
                Case("rank3-axes-1-2-normalize", {"axes": [1, 2], "normalize": True},
                     [(2, 4, 3), (2, 5, 4)]),
                Case("rank3-rank2-axes-1-1", {"axes": [1, 1]}, [(2, 4, 3), (2, 4)]),
                Case("rank4-rank3", {"axes": [3, 1]}, [(2, 3, 2, 4), (2, 4, 5)])]),
]
