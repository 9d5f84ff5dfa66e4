"""Twins of BatchNormalization and LayerNormalization, and the moving statistics over training steps.

tf.compat.v1.layers.batch_normalization is built with ``fused=False``. TF1's
default for 4-D inputs was the fused kernel (FusedBatchNorm), which updates the
moving variance with the *unbiased* batch variance (times N / (N - 1)); Keras 3
and the non-fused path use the biased one. tests/test_normalization.py shows the
difference on a fused twin.
"""
import numpy as np

from .registry import Case, register
from .runners import keras_twin
from .tf import modules


def batch_normalization_tf1(layer, x, training, init, fused=False):
    _, _, legacy = modules()
    return legacy.batch_normalization(
        x, axis=layer.axis, momentum=layer.momentum, epsilon=layer.epsilon,
        center=layer.center, scale=layer.scale,
        beta_initializer=init("beta") if layer.center else None,
        gamma_initializer=init("gamma") if layer.scale else None,
        moving_mean_initializer=init("moving_mean"),
        moving_variance_initializer=init("moving_variance"),
        training=training, fused=fused,
    )


_NOT_DEFAULT = {"gamma_initializer": "random_normal", "beta_initializer": "random_normal",
                "moving_mean_initializer": "random_normal",
                "moving_variance_initializer": "ones"}

# The training cases use momenta whose 1 - momentum is exact in float32 (0.25, 0.5, 0.125).
# tf.layers computes its decay as float32(1 - momentum) even for float64 variables
# (moving_average_tf1 in kernels/normalization.py); Keras 3 does not. With 0.99 the
# two APIs' float64 moving statistics differ by about 1e-9 relative, more than the
# 1e-10 tolerance: tests/test_normalization.py checks that difference explicitly.
register("BatchNormalization", tf1=batch_normalization_tf1,
         tf1_name="tf.compat.v1.layers.batch_normalization(fused=False)", cases=[
             Case("dense-training", dict(_NOT_DEFAULT, momentum=0.75), (8, 5), training=True),
             Case("dense-inference", dict(_NOT_DEFAULT), (8, 5), training=False),
             Case("conv-training", dict(_NOT_DEFAULT, momentum=0.5), (4, 3, 5, 2), training=True),
             Case("channels-first-training", dict(_NOT_DEFAULT, axis=1, epsilon=1e-2,
                                                  momentum=0.875), (3, 4, 5, 2), training=True),
             Case("no-center-no-scale", {"center": False, "scale": False, "momentum": 0.75},
                  (6, 4), training=True),
         ])

register("LayerNormalization", tf1_note="tf.contrib.layers.layer_norm (removed with tf.contrib)",
         cases=[
             Case("last-axis", {"gamma_initializer": "random_normal",
                                "beta_initializer": "random_normal"}, (4, 6)),
             Case("rank3-last-axis", {}, (2, 3, 5)),
             Case("axes-1-2", {"axis": [1, 2], "gamma_initializer": "random_normal"}, (2, 3, 4, 5)),
             Case("no-center", {"center": False, "epsilon": 1e-5}, (3, 7)),
             Case("axes-1-minus1-keras-order", {"axis": [1, -1], "gamma_initializer": "random_normal",
                                                "beta_initializer": "random_normal"}, (2, 5, 1)),
             Case("axes-2-minus3-keras-order", {"axis": [2, -3], "gamma_initializer": "random_normal",
                                                "beta_initializer": "random_normal"}, (2, 3, 4, 2)),
             Case("rms-scaling", {"rms_scaling": True, "gamma_initializer": "random_normal"}, (3, 6)),
             Case("rms-scaling-axes-1-2", {"rms_scaling": True, "axis": [1, 2],
                                           "gamma_initializer": "random_normal"}, (2, 3, 4)),
         ])


def moving_statistics_after_steps(layer, batches, apis=("tf.keras", "tf.layers")):
    """Run ``len(batches)`` training steps through each twin; return their moving statistics.

    The twins start from the kit layer's current weights. Returns
    {api: {"moving_mean": array, "moving_variance": array}}. The tf.layers twin runs in a
    graph where each step evaluates the output *and* the UPDATE_OPS collection, as
    TF1 training code had to (``tf.control_dependencies(update_ops)``).
    """
    tf, _, _ = modules()
    by_name = {w.name: w.value.copy() for w in layer.weight_records}
    result = {}
    if "tf.keras" in apis:
        twin = keras_twin(layer, batches[0].shape, layer.get_weights())
        for x in batches:
            twin(tf.constant(x), training=True)
        result["tf.keras"] = {v.name.split("/")[-1].split(":")[0]: np.asarray(v)
                              for v in twin.non_trainable_weights}
    if "tf.layers" in apis:
        v1 = tf.compat.v1
        with tf.Graph().as_default() as graph:
            x_ph = v1.placeholder(tf.as_dtype(batches[0].dtype), shape=batches[0].shape)
            y = batch_normalization_tf1(layer, x_ph, True,
                                        lambda name: v1.constant_initializer(by_name[name]))
            update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            stats = [v for v in v1.global_variables() if "moving" in v.name]
            with v1.Session(graph=graph) as sess:
                sess.run(v1.global_variables_initializer())
                for x in batches:
                    sess.run([y, update_ops], {x_ph: x})
                values = sess.run(stats)
        result["tf.layers"] = {v.name.split("/")[-1].split(":")[0]: a
                               for v, a in zip(stats, values)}
    return result
