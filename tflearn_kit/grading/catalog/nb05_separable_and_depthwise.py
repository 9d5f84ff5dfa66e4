"""Exercises of 05_separable_and_depthwise: depthwise forward; parameter and multiplication counts."""
import math

import numpy as np

from ...kernels import conv as K
from ..exercises import Case, Exercise, seeded



def depthwise_case(seed, batch, hw, channels, kernel_hw, multiplier):
    """(x, kernel) of a depthwise convolution, the numbers drawn from ``seed``."""
    g = seeded(seed)
    return g.standard_normal((batch, *hw, channels)), g.standard_normal((*kernel_hw, channels, multiplier))


def _depthwise_ref(x, kernel):
    geom = K.conv_geometry(x.shape[1:3], kernel.shape[:2], groups=x.shape[-1])
    return K.depthwise_forward(x, kernel, None, geom)[0]


DEPTHWISE_CONV2D = Exercise(
    function="depthwise_conv2d",
    reference=_depthwise_ref,
    visible=[
        Case("3x3-multiplier1",
             lambda: depthwise_case(seed=0, batch=2, hw=(5, 5), channels=3, kernel_hw=(3, 3), multiplier=1)),
        Case("3x3-multiplier2",
             lambda: depthwise_case(seed=1, batch=1, hw=(4, 6), channels=2, kernel_hw=(3, 3), multiplier=2)),
        Case("3x2-multiplier2",
             lambda: depthwise_case(seed=4, batch=1, hw=(5, 4), channels=2, kernel_hw=(3, 2), multiplier=2)),
    ],
    hidden=[
        Case("2x3-multiplier3",
             lambda: depthwise_case(seed=2, batch=2, hw=(5, 4), channels=3, kernel_hw=(2, 3), multiplier=3)),
        Case("1x1",
             lambda: depthwise_case(seed=3, batch=2, hw=(3, 3), channels=4, kernel_hw=(1, 1), multiplier=2)),
    ],
    points=2,
    look="each channel convolved alone, the output channel order c * m + j, and non-square kernels",
    hint="Loop over the kh * kw taps only: y[..., c, j] += window_t[..., c] * kernel[a, b, c, j]; "
         "broadcast window[..., :, None] * kernel[a, b] and reshape (.., C, m) to (.., C * m) at the end.",
)


def costs_case(seed, kernel_size, depth_multiplier=1):
    """(kernel_size, in_channels, filters, depth_multiplier, out_spatial), the sizes drawn from ``seed``."""
    g = seeded(seed)
    channels, filters = (int(n) for n in g.integers(1, 513, 2))
    return kernel_size, channels, filters, depth_multiplier, tuple(int(n) for n in g.integers(1, 33, 2))


def conv_costs_reference(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
    """(Conv2D params, SeparableConv2D params, Conv2D mults, SeparableConv2D mults), biases included."""
    taps = math.prod(kernel_size)
    positions = math.prod(out_spatial)
    mid = in_channels * depth_multiplier
    conv_params = taps * in_channels * filters + filters
    separable_params = taps * mid + mid * filters + filters
    conv_mults = positions * taps * in_channels * filters
    separable_mults = positions * (taps * mid + mid * filters)
    return np.array([conv_params, separable_params, conv_mults, separable_mults])


CONV_COSTS = Exercise(
    function="conv_costs",
    reference=conv_costs_reference,
    visible=[
        Case("3x3-32-to-64", lambda: ((3, 3), 32, 64, 1, (16, 16))),
        Case("5x5-multiplier2", lambda: ((5, 5), 8, 16, 2, (10, 12))),
        Case("1x3-multiplier3", lambda: ((1, 3), 6, 10, 3, (7, 5))),
    ],
    hidden=[
        Case("1x1", lambda: costs_case(seed=80, kernel_size=(1, 1))),
        Case("mobilenet-block", lambda: ((3, 3), 512, 512, 1, (14, 14))),
        Case("3x5-multiplier4", lambda: costs_case(seed=81, kernel_size=(3, 5), depth_multiplier=4)),
    ],
    points=2,
    look="every bias, the depth multiplier, the number of output positions, non-square kernels; integers",
    hint="Conv2D: taps * C * F weights + F biases; each output position does taps * C * F multiplications. "
         "Separable: taps * C * m depthwise + C * m * F pointwise + F biases. Return the four numbers "
         "as np.array([...]).",
)

EXERCISES = [DEPTHWISE_CONV2D, CONV_COSTS]
