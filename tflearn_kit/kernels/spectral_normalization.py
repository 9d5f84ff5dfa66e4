"""Spectral normalization: a kernel divided by its largest singular value. Mirrors
tf.keras.layers.SpectralNormalization (Miyato et al., 2018).

The largest singular value sigma of W (the kernel seen as a (fan_in, units) matrix) is
how much W can stretch a vector; W / sigma stretches no vector, which keeps a GAN's
discriminator 1-Lipschitz. Computing sigma exactly is an SVD; power iteration estimates
it with two matrix-vector products per step and keeps its vector u between calls, so one
step per training call converges as training goes (the top singular vector barely moves
from one step to the next).
"""
import numpy as np

EPSILON = 1e-7     # keras.backend.epsilon(): the normalization caps 1 / |v| at 1 / EPSILON


def l2_normalize(v):
    """v / |v| over every entry, as keras.ops.normalize(v, axis=None): v * min(1 / |v|, 1 / eps)."""
    inv_norm = np.minimum(1 / np.sqrt(np.sum(v * v)), v.dtype.type(1 / EPSILON))
    return v * inv_norm


def power_iteration(weights, u, iterations=1):
    """Estimate W's top singular value from the running right singular vector u.

    weights: (m, n)   u: (1, n)   ->  u: (1, n), v: (1, m), sigma: (1, 1)
    Each step v = normalize(u W^T), u = normalize(v W); then sigma = v W u^T.
    """
    v = None
    for _ in range(iterations):
        v = l2_normalize(u @ weights.T)
        u = l2_normalize(v @ weights)
    sigma = (v @ weights) @ u.T
    return u, v, sigma


def spectral_normalize(kernel, u, iterations=1):
    """kernel: (..., units) any rank, u: (1, units) -> (new u, kernel / sigma of the same shape).

    The kernel is read as a matrix with ``units`` columns (a conv kernel's taps and input
    channels become rows), as Keras reshapes it.
    """
    weights = kernel.reshape(-1, kernel.shape[-1])
    u, _, sigma = power_iteration(weights, u, iterations)
    return u, kernel / sigma
