"""The reverse projection of a ReversibleEmbedding. Mirrors tf.keras.layers.ReversibleEmbedding(reverse=True).

A language model reads token ids through an embedding table and writes a score per
vocabulary word at the end. With tied weights the same table does both: the forward
call looks rows up (``kernels/embedding.py``), the reverse call multiplies a hidden
vector by the table's transpose, so the score of word i is the dot product of the
hidden vector with word i's embedding.
"""
import numpy as np


def reverse_projection_forward(x, kernel, soft_cap=None):
    """logits = x @ kernel, and with a soft cap ``soft_cap * tanh(logits / soft_cap)``.

    x: (batch, ..., output_dim)   kernel: (output_dim, input_dim), the table's transpose when
    tied   ->  logits: (batch, ..., input_dim)
    The cap squashes every logit into (-soft_cap, soft_cap) smoothly (Gemma's logit soft-capping).
    """
    logits = x @ kernel
    if soft_cap is None:
        return logits, (x, kernel, None)
    squashed = np.tanh(logits / soft_cap)
    return squashed * soft_cap, (x, kernel, squashed)


def reverse_projection_backward(dy, cache):
    """dy: (batch, ..., input_dim) -> dx: (batch, ..., output_dim), [dkernel (output_dim, input_dim)]"""
    x, kernel, squashed = cache
    # d/dz [c tanh(z / c)] = 1 - tanh(z / c)^2: the cap's slope, 1 near zero and 0 far out
    dz = dy if squashed is None else dy * (1 - squashed * squashed)
    dx = dz @ kernel.T
    dkernel = x.reshape(-1, x.shape[-1]).T @ dz.reshape(-1, dz.shape[-1])   # every leading axis is a row
    return dx, [dkernel]
