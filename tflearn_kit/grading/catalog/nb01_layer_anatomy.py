"""Exercises of 01_layer_anatomy: a Dense layer's parameter count, a SquareLayer's call and backward."""
import numpy as np

from ..exercises import Case, Exercise, seeded



def count_case(seed, rank, use_bias):
    """(input_shape, units, use_bias), the sizes drawn from ``seed`` (salted when graded: no table holds them)."""
    g = seeded(seed)
    shape = (None, *(int(n) for n in g.integers(1, 9, rank - 2)), int(g.integers(1, 200)))
    return shape, int(g.integers(1, 65)), use_bias


def _count_ref(input_shape, units, use_bias):
    # Written out, not taken from the kit's Dense: the kernel is (in, units), the bias (units,).
    return np.int64(input_shape[-1] * units + (units if use_bias else 0))


DENSE_PARAM_COUNT = Exercise(
    function="dense_param_count",
    reference=_count_ref,
    visible=[
        Case("in3-units4", lambda: ((None, 3), 4, True)),
        Case("no-bias", lambda: ((None, 5), 2, False)),
        Case("rank3-input", lambda: ((None, 7, 6), 10, True)),
    ],
    hidden=[
        Case("units1", lambda: ((None, 100), 1, True)),
        Case("rank2-drawn", lambda: count_case(seed=60, rank=2, use_bias=True)),
        Case("rank4-no-bias", lambda: count_case(seed=61, rank=4, use_bias=False)),
    ],
    points=1,
    look="which axis of input_shape is the layer's input size, and whether use_bias adds anything",
    hint="Only the last axis of the input counts: kernel (in, units) plus, with a bias, (units,).",
)


def x_case(seed, shape):
    return (seeded(seed).standard_normal(shape) * 2,)


def dy_x_case(seed, shape):
    g = seeded(seed)
    return g.standard_normal(shape), g.standard_normal(shape) * 2


SQUARE_FORWARD = Exercise(
    function="square_forward",
    reference=lambda x: x * x,
    visible=[Case("vector", lambda: x_case(seed=40, shape=(5,))),
             Case("batch2-features3", lambda: x_case(seed=41, shape=(2, 3)))],
    hidden=[Case("rank3", lambda: x_case(seed=42, shape=(2, 3, 4))),
            Case("batch1", lambda: x_case(seed=43, shape=(1, 6)))],
    points=1,
    look="the shape and dtype of your result against x's, and whether x itself changed",
    hint="y = x ** 2, elementwise; the output has the input's shape.",
)


SQUARE_BACKWARD = Exercise(
    function="square_backward",
    reference=lambda dy, x: 2 * x * dy,
    visible=[Case("vector", lambda: dy_x_case(seed=50, shape=(5,))),
             Case("batch2-features3", lambda: dy_x_case(seed=51, shape=(2, 3)))],
    hidden=[Case("rank3", lambda: dy_x_case(seed=52, shape=(2, 3, 4)))],
    points=1,
    look="the chain rule: the local derivative d(x^2)/dx times the incoming dy",
    hint="d(x^2)/dx = 2x; the chain rule multiplies it by dy, elementwise.",
)

EXERCISES = [DENSE_PARAM_COUNT, SQUARE_FORWARD, SQUARE_BACKWARD]
