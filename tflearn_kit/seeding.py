"""One place where the kit's randomness comes from.

Every random draw in the kit (initializers, dropout masks, shuffling) takes an
explicit ``seed`` or, when none is given, the next draw of this module's
generator. The generator starts from a fixed seed, so a notebook prints the same
numbers on every run; ``set_seed`` restarts it.
"""
import numpy as np

DEFAULT_SEED = 1337
_rng = np.random.default_rng(DEFAULT_SEED)


def set_seed(seed):
    """Restart the kit's global generator (as ``keras.utils.set_random_seed`` does for Keras)."""
    global _rng
    _rng = np.random.default_rng(seed)


def rng(seed=None):
    """A generator for one draw: ``np.random.default_rng(seed)``, or the global one when seed is None."""
    if seed is None:
        return _rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
