"""Twins of Dense and the activation layers."""
from ..activations import ALL as ACTIVATIONS
from .activations import tf1_activation
from .registry import Case, twin
from .tf import modules


def dense_tf1(layer, x, training, init):
    _, _, legacy = modules()
    return legacy.dense(
        x, layer.units, activation=tf1_activation(layer.activation), use_bias=layer.use_bias,
        kernel_initializer=init("kernel"),
        bias_initializer=init("bias") if layer.use_bias else None,
    )


def activation_tf1(layer, x, training, init):
    fn = tf1_activation(layer.activation)
    return x if fn is None else fn(x)


TWINS = [
    twin(
        "Dense", tf1=dense_tf1, tf1_name="tf.compat.v1.layers.dense",
        cases=[
            Case("rank2", {"units": 4}, (3, 5)),
            Case("rank2-nobias", {"units": 4, "use_bias": False}, (3, 5)),
            Case("rank3-relu", {"units": 4, "activation": "relu"}, (2, 3, 5)),
            Case("rank3-nobias-tanh", {"units": 2, "activation": "tanh", "use_bias": False}, (2, 4, 3)),
            Case("rank4-tanh-nobias", {"units": 3, "activation": "tanh", "use_bias": False}, (2, 2, 3, 4)),
            Case("rank4-sigmoid", {"units": 3, "activation": "sigmoid"}, (2, 2, 3, 4)),
            Case("rank4-nobias", {"units": 5, "use_bias": False}, (1, 2, 3, 4)),
            Case("batch1-units1", {"units": 1}, (1, 7)),
            Case("softmax", {"units": 6, "activation": "softmax"}, (4, 5)),
        ] + [
            # every other activation fused into Dense, named by itself; 6 units: glu halves an
            # even axis; sparsemax left out as for Activation below
            Case(name, {"units": 6, "activation": name}, (3, 4))
            for name in ACTIVATIONS if name not in ("sparsemax", "softmax")
        ],
    ),
    twin(
        "Activation", tf1=activation_tf1, tf1_name="tf.nn.<activation> (TF1 had no activation layer)",
        # glu needs an even axis; sparsemax is left out: Keras 3's differs from the definition
        # (activations.DIFFERENCES), tests/test_activations_keras.py compares it where they agree.
        # Inputs of scale 3 reach the saturated and negative regions. An elementwise activation
        # computes the same at any rank; the three that work along the last axis get ranks 3, 4.
        cases=[Case(name, {"activation": name}, (3, 8), input_kind="wide")
               for name in ACTIVATIONS if name != "sparsemax"]
              + [Case(f"{name}-{rank}", {"activation": name}, shape, input_kind="wide")
                 for name in ("softmax", "log_softmax", "glu")
                 for rank, shape in (("rank3", (2, 3, 6)), ("rank4", (2, 2, 3, 4)))],
    ),
    twin(
        "Softmax", tf1=activation_tf1, tf1_name="tf.nn.softmax(x, axis)",
        cases=[Case("last-axis", {"axis": -1}, (3, 5)),
               Case("axis1-rank3", {"axis": 1}, (2, 4, 3)),
               Case("axis0-rank3", {"axis": 0}, (3, 4, 5)),
               Case("axis2-rank3", {"axis": 2}, (3, 4, 5)),
               Case("last-axis-rank3", {"axis": -1}, (3, 4, 5))],
    ),
    twin(
        "ReLU", tf1=activation_tf1,
        tf1_name="tf.nn.relu (with options: tf.nn.relu6, tf.clip_by_value and tf.where, as Keras "
                 "writes them)",
        cases=[
            Case("rank2", {}, (4, 6)),
            Case("max6", {"max_value": 6.0}, (4, 6)),
            Case("slope0.1", {"negative_slope": 0.1}, (4, 6)),
            Case("max1-slope0.2-threshold0.5", {"max_value": 1.0, "negative_slope": 0.2,
                                                "threshold": 0.5}, (2, 3, 5)),
        ],
    ),
    twin(
        "LeakyReLU", tf1=activation_tf1, tf1_name="tf.nn.leaky_relu(x, alpha)",
        cases=[Case("slope0.3", {"negative_slope": 0.3}, (4, 6)),
               Case("slope0.01", {"negative_slope": 0.01}, (4, 6))],
    ),
]
