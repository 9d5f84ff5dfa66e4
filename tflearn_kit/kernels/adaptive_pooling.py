"""Adaptive pooling: a fixed output size whatever the input size.

Output position i of an axis of n inputs and m outputs pools the window
[floor(i n / m), ceil((i + 1) n / m)): windows cover the axis, with a size that
differs by at most one, and may overlap. The pooling is separable (a rectangular
window is a product of intervals), so each spatial axis is pooled in turn.
"""
import numpy as np


def adaptive_windows(n_in, n_out):
    """[(start, end), ...] for each of the n_out outputs."""
    return [(i * n_in // n_out, -(-(i + 1) * n_in // n_out)) for i in range(n_out)]


def average_matrix(n_in, n_out, dtype):
    """(n_out, n_in): row i averages output i's window."""
    m = np.zeros((n_out, n_in), dtype=dtype)
    for i, (a, b) in enumerate(adaptive_windows(n_in, n_out)):
        m[i, a:b] = 1 / (b - a)
    return m


def adaptive_average_forward(x, output_size):
    """x: (batch, *spatial, C) -> (batch, *output_size, C)."""
    mats = []
    y = x
    for axis, n_out in enumerate(output_size, start=1):
        m = average_matrix(y.shape[axis], n_out, x.dtype)
        y = np.moveaxis(np.tensordot(m, y, axes=([1], [axis])), 0, axis)
        mats.append(m)
    return y, mats


def adaptive_average_backward(dy, cache):
    dx = dy
    for axis in range(len(cache), 0, -1):
        dx = np.moveaxis(np.tensordot(cache[axis - 1].T, dx, axes=([1], [axis])), 0, axis)
    return dx, []


def adaptive_max_forward(x, output_size):
    """Max over each window, one axis at a time; the cache keeps each stage's winners."""
    stages = []
    y = x
    for axis, n_out in enumerate(output_size, start=1):
        n_in = y.shape[axis]
        outs, wins = [], []
        for a, b in adaptive_windows(n_in, n_out):
            window = np.take(y, range(a, b), axis=axis)
            arg = window.argmax(axis=axis)           # the first maximum, as TF's gradient routes it
            outs.append(np.take_along_axis(window, np.expand_dims(arg, axis), axis=axis))
            wins.append(arg + a)
        stages.append((axis, n_in, np.stack(wins, axis=axis)))
        y = np.concatenate(outs, axis=axis)
    return y, stages


def adaptive_max_backward(dy, cache):
    """Each output's gradient goes to the input that won its window (windows may share one)."""
    dx = dy
    for axis, n_in, winners in reversed(cache):
        shape = list(dx.shape)
        shape[axis] = n_in
        out = np.zeros(shape, dtype=dy.dtype)
        index = list(np.indices(winners.shape, sparse=True))
        index[axis] = winners
        np.add.at(out, tuple(index), dx)
        dx = out
    return dx, []
