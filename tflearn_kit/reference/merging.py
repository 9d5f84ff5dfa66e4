"""Twins of the merging layers. tf.compat.v1.layers had none: TF1 code wrote the op itself."""
from .registry import Case, twin
from .tf import modules


def _tf1(op):
    def build(layer, xs, training, init):
        tf, _, _ = modules()
        return op(tf, layer, xs)
    return build


def _product(tf, layer, xs):
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


TWINS = [
    twin("Add", tf1=_tf1(lambda tf, layer, xs: tf.add_n(xs)),
         tf1_name="tf.add_n(xs) (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)]), Case("three-rank3", {}, [(2, 3, 4)] * 3)]),
    twin("Subtract", tf1=_tf1(lambda tf, layer, xs: tf.subtract(xs[0], xs[1])),
         tf1_name="tf.subtract(a, b) (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)])]),
    twin("Multiply", tf1=_tf1(_product), tf1_name="tf.multiply, chained (no TF1 layer)",
         cases=[Case("three", {}, [(3, 4)] * 3)]),
    twin("Average", tf1=_tf1(lambda tf, layer, xs: tf.add_n(xs) / len(xs)),
         tf1_name="tf.add_n(xs) / n (no TF1 layer)",
         cases=[Case("two", {}, [(3, 4), (3, 4)])]),
    twin("Concatenate", tf1=_tf1(lambda tf, layer, xs: tf.concat(xs, axis=layer.axis)),
         tf1_name="tf.concat(xs, axis) (no TF1 layer)",
         cases=[Case("last-axis", {}, [(3, 4), (3, 2)]),
                Case("axis1-rank3", {"axis": 1}, [(2, 3, 4), (2, 1, 4), (2, 2, 4)])]),
]
