"""Twins of the activation layers with arguments or weights: ReLU's options, ELU, PReLU."""
from .registry import Case, twin
from .tf import modules


def elu_tf1(layer, x, training, init):
    tf, _, _ = modules()
    y = tf.nn.elu(x)                    # tf.nn.elu has alpha 1; TF1 code scaled the negative side
    return y if layer.alpha == 1 else tf.where(x > 0, y, layer.alpha * y)


def prelu_tf1(layer, x, training, init):
    # TF1 code wrote PReLU out: a tf.get_variable alpha and relu(x) - alpha relu(-x)
    tf, _, _ = modules()
    v1 = tf.compat.v1
    alpha = v1.get_variable("alpha", shape=layer.alpha.shape, dtype=x.dtype, initializer=init("alpha"))
    return tf.nn.relu(x) - alpha * tf.nn.relu(-x)


TWINS = [
    twin(
        "ELU", tf1=elu_tf1, tf1_name="tf.nn.elu (alpha 1; other alphas scale its negative side)",
        cases=[Case("alpha1", {}, (4, 6)), Case("alpha0.5-rank3", {"alpha": 0.5}, (2, 3, 5))],
    ),
    twin(
        "PReLU", tf1=prelu_tf1, tf1_name="tf.nn.relu(x) - alpha * tf.nn.relu(-x), alpha a tf.get_variable",
        cases=[
            Case("per-element", {"alpha_initializer": "random_uniform"}, (3, 4, 5)),
            Case("shared-1-2", {"alpha_initializer": "random_uniform", "shared_axes": [1, 2]},
                 (2, 3, 4, 5)),
            Case("shared-1", {"alpha_initializer": "random_uniform", "shared_axes": 1}, (3, 4, 2)),
        ],
    ),
]
