"""Exercises of 06_pooling_and_flatten: 2-D max pooling forward and backward, 2-D average pooling forward."""
from ...kernels import pooling as P
from ..exercises import Case, Exercise, seeded



def pool_case(seed, shape, pool, stride):
    # standard normal draws: no two elements of a window are equal, so the arg-max is unique
    return seeded(seed).standard_normal(shape), pool, stride


def max_backward_case(seed, shape, pool, stride):
    x, pool, stride = pool_case(seed=seed, shape=shape, pool=pool, stride=stride)
    y, _ = P.max_pool_forward(x, pool, stride)
    return seeded(seed + 100).standard_normal(y.shape), x, pool, stride


MAX_POOL2D_FORWARD = Exercise(
    function="max_pool2d_forward",
    reference=lambda x, pool, stride: P.max_pool_forward(x, pool, stride)[0],
    visible=[
        Case("4x4-pool2", lambda: pool_case(seed=0, shape=(1, 4, 4, 1), pool=(2, 2), stride=(2, 2))),
        Case("batch2-channels3", lambda: pool_case(seed=1, shape=(2, 6, 6, 3), pool=(2, 2), stride=(2, 2))),
        Case("pool3-stride1", lambda: pool_case(seed=2, shape=(2, 5, 5, 2), pool=(3, 3), stride=(1, 1))),
        Case("pool2x3-stride1x2", lambda: pool_case(seed=6, shape=(1, 5, 7, 2), pool=(2, 3), stride=(1, 2))),
    ],
    hidden=[
        Case("odd-size-drops-the-edge", lambda: pool_case(seed=3, shape=(2, 7, 5, 2), pool=(2, 2), stride=(2, 2))),
        Case("rectangular-pool", lambda: pool_case(seed=4, shape=(1, 6, 9, 4), pool=(2, 3), stride=(2, 3))),
        Case("pool3-stride2", lambda: pool_case(seed=5, shape=(3, 7, 7, 1), pool=(3, 3), stride=(2, 2))),
    ],
    points=2,
    look="non-square pools and strides, and the output size (n - k) // s + 1 per axis",
    hint="Output size per axis: (n - k) // s + 1. Loop over the k_h * k_w taps: tap (i, j) of every "
         "window is x[:, i : i + s_h * (out_h - 1) + 1 : s_h, j : ... : s_w, :]; keep the running maximum.",
)

AVG_POOL2D_FORWARD = Exercise(
    function="avg_pool2d_forward",
    reference=lambda x, pool, stride: P.avg_pool_forward(x, pool, stride)[0],
    visible=[
        Case("4x4-pool2", lambda: pool_case(seed=10, shape=(1, 4, 4, 1), pool=(2, 2), stride=(2, 2))),
        Case("pool3-stride1", lambda: pool_case(seed=11, shape=(2, 5, 5, 2), pool=(3, 3), stride=(1, 1))),
        Case("pool2x3-stride1x2", lambda: pool_case(seed=14, shape=(1, 5, 7, 2), pool=(2, 3), stride=(1, 2))),
    ],
    hidden=[
        Case("rectangular-pool", lambda: pool_case(seed=12, shape=(1, 6, 9, 4), pool=(2, 3), stride=(2, 3))),
        Case("odd-size", lambda: pool_case(seed=13, shape=(2, 7, 5, 2), pool=(2, 2), stride=(2, 2))),
        Case("overlapping-pool3-stride2", lambda: pool_case(seed=15, shape=(2, 7, 7, 1), pool=(3, 3), stride=(2, 2))),
    ],
    points=1,
    look="the divisor: every element of a k_h x k_w window, for non-square pools",
    hint="The same taps as max pooling; add them up and divide by k_h * k_w ('valid': every window is full).",
)

MAX_POOL2D_BACKWARD = Exercise(
    function="max_pool2d_backward",
    reference=lambda dy, x, pool, stride: P.max_pool_backward(
        dy, P.max_pool_forward(x, pool, stride)[1])[0],
    visible=[
        Case("4x4-pool2", lambda: max_backward_case(seed=20, shape=(1, 4, 4, 1), pool=(2, 2), stride=(2, 2))),
        Case("batch2-channels3",
             lambda: max_backward_case(seed=21, shape=(2, 6, 6, 3), pool=(2, 2), stride=(2, 2))),
        Case("overlapping-pool3-stride1",
             lambda: max_backward_case(seed=22, shape=(2, 5, 5, 2), pool=(3, 3), stride=(1, 1))),
    ],
    hidden=[
        Case("odd-size", lambda: max_backward_case(seed=23, shape=(2, 7, 5, 2), pool=(2, 2), stride=(2, 2))),
        Case("overlapping-pool3-stride2",
             lambda: max_backward_case(seed=24, shape=(3, 7, 7, 1), pool=(3, 3), stride=(2, 2))),
    ],
    points=3,
    look="overlapping windows: an element that wins two windows gets both gradients",
    hint="dx is zero except at each window's maximum, which receives that window's dy. With "
         "overlapping windows an element can win several windows: add (+=), don't assign.",
)

EXERCISES = [MAX_POOL2D_FORWARD, AVG_POOL2D_FORWARD, MAX_POOL2D_BACKWARD]
