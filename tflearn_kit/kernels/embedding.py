"""The embedding kernel: a table lookup. Mirrors tf.keras.layers.Embedding and tf.compat.v1.nn.embedding_lookup.

Looking up row ``ids[n]`` of the table is the same as multiplying a one-hot row by the
table, ``one_hot(ids) @ embeddings``; the lookup just skips the zeros. The backward pass
of that product, ``one_hot(ids).T @ dy``, adds every dy row into the row of its id: a
scatter-add, where an id that appears several times collects the sum of its rows.
"""
import numpy as np


def embedding_forward(ids, embeddings):
    """y = embeddings[ids].

    ids: (batch, ...) integers in [0, input_dim)   embeddings: (input_dim, output_dim)
    ->  y: (batch, ..., output_dim)
    """
    return embeddings[ids], (ids, embeddings.shape)


def embedding_backward(dy, cache):
    """dy: (batch, ..., output_dim) -> dx None (ids have no gradient), [dembeddings (input_dim, output_dim)]"""
    ids, (input_dim, output_dim) = cache
    dtable = np.zeros(input_dim * output_dim, dtype=dy.dtype)
    # np.add.at, not dtable[ids] += dy: with fancy indexing a repeated id would be
    # written once (the last row wins); add.at accumulates every occurrence. Indexing the
    # flattened table element by element (row id, column j -> id * output_dim + j) is the
    # same sum, and NumPy's 1-D add.at is several times faster than its row form.
    flat_index = ids.reshape(-1, 1) * output_dim + np.arange(output_dim)
    np.add.at(dtable, flat_index.reshape(-1), dy.reshape(-1))
    return None, [dtable.reshape(input_dim, output_dim)]


def one_hot(ids, depth, dtype="float64"):
    """ids: (batch, ...) -> (batch, ..., depth) with a single 1 per row."""
    return (ids[..., None] == np.arange(depth)).astype(dtype)


def embedding_forward_one_hot(ids, embeddings):
    """The same lookup as a matmul, for reading: one_hot(ids) @ embeddings.

    Costs input_dim times more arithmetic than the lookup; tested equal to embedding_forward.
    """
    return one_hot(ids, embeddings.shape[0], embeddings.dtype) @ embeddings


def embedding_backward_one_hot(dy, ids, input_dim):
    """The matmul's backward, for reading: one_hot(ids).T @ dy, summed over every leading axis."""
    rows = one_hot(ids, input_dim, dy.dtype).reshape(-1, input_dim)
    return rows.T @ dy.reshape(-1, dy.shape[-1])
