"""Twins of BatchNormalization and LayerNormalization, and TF1's moving-average update.

tf.compat.v1.layers.batch_normalization is built with ``fused=False``. TF1's
default for 4-D inputs was the fused kernel (FusedBatchNorm), which updates the
moving variance with the *unbiased* batch variance (times N / (N - 1)); Keras 3
and the non-fused path use the biased one. tests/test_normalization.py shows the
difference on a fused twin.
"""
from ..kernels.numerics import tf_float32_constant
from .registry import Case, twin
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


def moving_average_tf1(moving, batch_value, momentum):
    """tf.compat.v1.layers.batch_normalization's update: moving - (moving - batch) * decay.

    TF1 builds decay = 1 - momentum as a float32 tensor and casts it to the
    variable's dtype, so a float64 layer moves by float32(1 - momentum): with
    momentum 0.99 that is 1e-9 relative away from Keras 3's update. Not used by
    the kit's layer (which follows Keras 3): it lives with the TF1 twin, to show and
    test the difference.
    """
    decay = moving.dtype.type(tf_float32_constant(1.0 - momentum))
    return moving - (moving - batch_value) * decay


_NOT_DEFAULT = {"gamma_initializer": "random_normal", "beta_initializer": "random_normal",
                "moving_mean_initializer": "random_normal",
                "moving_variance_initializer": "ones"}

# The training cases use momenta whose 1 - momentum is exact in float32 (0.25, 0.5, 0.125).
# tf.layers computes its decay as float32(1 - momentum) even for float64 variables
# (moving_average_tf1 above); Keras 3 does not. With 0.99 the
# two APIs' float64 moving statistics differ by about 1e-9 relative, more than the
# 1e-10 tolerance: tests/test_normalization.py checks that difference explicitly.
TWINS = [
    twin("BatchNormalization", tf1=batch_normalization_tf1,
         tf1_name="tf.compat.v1.layers.batch_normalization(fused=False)", cases=[
             Case("dense-training", dict(_NOT_DEFAULT, momentum=0.75), (8, 5), training=True),
             Case("dense-inference", dict(_NOT_DEFAULT), (8, 5), training=False),
             Case("conv-training", dict(_NOT_DEFAULT, momentum=0.5), (4, 3, 5, 2), training=True),
             Case("conv-inference", dict(_NOT_DEFAULT), (4, 3, 5, 2), training=False),
             Case("channels-first-training", dict(_NOT_DEFAULT, axis=1, epsilon=1e-2,
                                                  momentum=0.875), (3, 4, 5, 2), training=True),
             Case("rank3-axis1-training", {"axis": 1, "momentum": 0.5}, (4, 3, 6), training=True),
             Case("no-center-training", {"center": False, "momentum": 0.75}, (6, 4), training=True),
             Case("no-scale-training", {"scale": False, "momentum": 0.75}, (6, 4), training=True),
             Case("no-center-no-scale", {"center": False, "scale": False, "momentum": 0.75},
                  (6, 4), training=True),
             Case("batch3-training", {"momentum": 0.5}, (3, 4), training=True),
         ]),
    twin("LayerNormalization", tf1_note="tf.contrib.layers.layer_norm (removed with tf.contrib)",
         cases=[
             Case("last-axis", {"gamma_initializer": "random_normal",
                                "beta_initializer": "random_normal"}, (4, 6)),
             Case("rank3-last-axis", {}, (2, 3, 5)),
             Case("axes-1-2", {"axis": [1, 2], "gamma_initializer": "random_normal"}, (2, 3, 4, 5)),
             Case("axes-minus1-minus3", {"axis": [-1, -3], "beta_initializer": "random_normal"},
                  (2, 3, 4, 5)),
             Case("axis1-rank3", {"axis": 1}, (2, 4, 3)),
             Case("no-center", {"center": False, "epsilon": 1e-5}, (3, 7)),
             Case("no-scale-no-center", {"center": False, "scale": False}, (3, 7)),
             Case("axes-1-minus1-keras-order", {"axis": [1, -1], "gamma_initializer": "random_normal",
                                                "beta_initializer": "random_normal"}, (2, 5, 1)),
             Case("axes-2-minus3-keras-order", {"axis": [2, -3], "gamma_initializer": "random_normal",
                                                "beta_initializer": "random_normal"}, (2, 3, 4, 2)),
             Case("rms-scaling", {"rms_scaling": True, "gamma_initializer": "random_normal"}, (3, 6)),
             Case("rms-scaling-axes-1-2", {"rms_scaling": True, "axis": [1, 2],
                                           "gamma_initializer": "random_normal"}, (2, 3, 4)),
         ]),
]
