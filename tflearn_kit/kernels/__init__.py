"""Pure NumPy kernels: ``forward(x, params) -> (y, cache)`` and ``backward(dy, cache) -> (dx, grads)``.

No classes and no state: a layer in ``tflearn_kit.layers`` holds the weights and
calls these. Each family lives in its own module.
"""
