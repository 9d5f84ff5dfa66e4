"""Exercises of 06_pooling_and_flatten: 2-D max pooling forward and backward, 2-D average pooling forward."""
from ...kernels import pooling as P
from ..exercises import Case, Exercise, seeded



def _pool_args(seed, shape, pool, stride):
    # standard normal draws: no two elements of a window are equal, so the arg-max is unique
    return seeded(seed).standard_normal(shape), pool, stride


def _max_backward_args(seed, shape, pool, stride):
    x, pool, stride = _pool_args(seed, shape, pool, stride)
    y, _ = P.max_pool_forward(x, pool, stride)
    return seeded(seed + 100).standard_normal(y.shape), x, pool, stride


MAX_POOL2D_FORWARD = Exercise(
    function="max_pool2d_forward",
    reference=lambda x, pool, stride: P.max_pool_forward(x, pool, stride)[0],
    visible=[
        Case("4x4-pool2", lambda: _pool_args(0, (1, 4, 4, 1), (2, 2), (2, 2))),
        Case("batch2-channels3", lambda: _pool_args(1, (2, 6, 6, 3), (2, 2), (2, 2))),
        Case("pool3-stride1", lambda: _pool_args(2, (2, 5, 5, 2), (3, 3), (1, 1))),
    ],
    hidden=[
        Case("odd-size-drops-the-edge", lambda: _pool_args(3, (2, 7, 5, 2), (2, 2), (2, 2))),
        Case("rectangular-pool", lambda: _pool_args(4, (1, 6, 9, 4), (2, 3), (2, 3))),
        Case("pool3-stride2", lambda: _pool_args(5, (3, 7, 7, 1), (3, 3), (2, 2))),
    ],
    points=2,
    hint="Output size per axis: (n - k) // s + 1. Loop over the k_h * k_w taps: tap (i, j) of every "
         "window is x[:, i : i + s_h * (out_h - 1) + 1 : s_h, j : ... : s_w, :]; keep the running maximum.",
)

AVG_POOL2D_FORWARD = Exercise(
    function="avg_pool2d_forward",
    reference=lambda x, pool, stride: P.avg_pool_forward(x, pool, stride)[0],
    visible=[
        Case("4x4-pool2", lambda: _pool_args(10, (1, 4, 4, 1), (2, 2), (2, 2))),
        Case("pool3-stride1", lambda: _pool_args(11, (2, 5, 5, 2), (3, 3), (1, 1))),
    ],
    hidden=[
        Case("rectangular-pool", lambda: _pool_args(12, (1, 6, 9, 4), (2, 3), (2, 3))),
        Case("odd-size", lambda: _pool_args(13, (2, 7, 5, 2), (2, 2), (2, 2))),
    ],
    points=1,
    hint="The same taps as max pooling; add them up and divide by k_h * k_w ('valid': every window is full).",
)

MAX_POOL2D_BACKWARD = Exercise(
    function="max_pool2d_backward",
    reference=lambda dy, x, pool, stride: P.max_pool_backward(
        dy, P.max_pool_forward(x, pool, stride)[1])[0],
    visible=[
        Case("4x4-pool2", lambda: _max_backward_args(20, (1, 4, 4, 1), (2, 2), (2, 2))),
        Case("batch2-channels3", lambda: _max_backward_args(21, (2, 6, 6, 3), (2, 2), (2, 2))),
        Case("overlapping-pool3-stride1", lambda: _max_backward_args(22, (2, 5, 5, 2), (3, 3), (1, 1))),
    ],
    hidden=[
        Case("odd-size", lambda: _max_backward_args(23, (2, 7, 5, 2), (2, 2), (2, 2))),
        Case("overlapping-pool3-stride2", lambda: _max_backward_args(24, (3, 7, 7, 1), (3, 3), (2, 2))),
    ],
    points=3,
    hint="dx is zero except at each window's maximum, which receives that window's dy. With "
         "overlapping windows an element can win several windows: add (+=), don't assign.",
)

EXERCISES = [MAX_POOL2D_FORWARD, AVG_POOL2D_FORWARD, MAX_POOL2D_BACKWARD]
