"""09_embedding_and_recurrent: embedding_lookup, embedding_one_hot_matmul, rnn_cell_step, lstm_cell_step."""
from . import Variant as V

_LSTM = """
def lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    z = x_t @ kernel + h_prev @ {rk} + bias
    {split} = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), {g}, sigmoid(z_o)
    c_t = {c}
    h_t = {h}
    return {ret}
"""


def lstm(rk="recurrent_kernel", split="z_i, z_f, z_c, z_o", g="np.tanh(z_c)", c="f * c_prev + i * g",
         h="o * np.tanh(c_t)", ret="h_t, c_t"):
    return _LSTM.format(rk=rk, split=split, g=g, c=c, h=h, ret=ret)


MUTANTS = [
    V("embedding_lookup", "ids-as-columns", "embeddings[:, ids]: the table indexed along the wrong axis", """
        def embedding_lookup(ids, embeddings):
            return embeddings[:, ids]
    """),
    V("embedding_lookup", "flattened", "ids flattened: (batch * len, dim)", """
        def embedding_lookup(ids, embeddings):
            return embeddings[ids.ravel()]
    """),
    V("embedding_lookup", "first-row-only", "ids[0] looked up for every row", """
        def embedding_lookup(ids, embeddings):
            return np.broadcast_to(embeddings[ids[:1]], (*ids.shape, embeddings.shape[1])).copy()
    """),
    V("embedding_lookup", "off-by-one", "ids counted from 1", """
        def embedding_lookup(ids, embeddings):
            return embeddings[ids - 1]
    """),
    V("embedding_one_hot_matmul", "one-hot-from-data", "one-hot sized ids.max() + 1", """
        def embedding_one_hot_matmul(ids, embeddings):
            one_hot = (ids[..., None] == np.arange(ids.max() + 1)).astype(float)
            return one_hot @ embeddings
    """),
    V("embedding_one_hot_matmul", "one-hot-sized-output-dim", "one-hot sized by output_dim (the table's other axis)", """
        def embedding_one_hot_matmul(ids, embeddings):
            one_hot = (ids[..., None] == np.arange(embeddings.shape[1])).astype(float)
            return one_hot @ embeddings
    """),
    V("embedding_one_hot_matmul", "float32", "one-hot in float32, result float32", """
        def embedding_one_hot_matmul(ids, embeddings):
            one_hot = (ids[..., None] == np.arange(embeddings.shape[0])).astype(np.float32)
            return one_hot @ embeddings.astype(np.float32)
    """),
    V("embedding_one_hot_matmul", "flattened", "ids flattened", """
        def embedding_one_hot_matmul(ids, embeddings):
            return np.eye(embeddings.shape[0])[ids.ravel()] @ embeddings
    """),
    V("rnn_cell_step", "recurrent-kernel-T", "h_prev @ recurrent_kernel.T", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
    """),
    V("rnn_cell_step", "no-activation", "tanh forgotten", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return x_t @ kernel + h_prev @ recurrent_kernel + bias
    """),
    V("rnn_cell_step", "sigmoid", "sigmoid instead of tanh", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return 1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel + bias)))
    """),
    V("rnn_cell_step", "bias-ignored", "no bias", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
    """),
    V("rnn_cell_step", "h-prev-ignored", "the previous state ignored", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(x_t @ kernel + bias)
    """),
    V("lstm_cell_step", "gates-ifoc", "gates split in the order i, f, o, c", lstm(split="z_i, z_f, z_o, z_c")),
    V("lstm_cell_step", "gates-fico", "gates split in the order f, i, c, o", lstm(split="z_f, z_i, z_c, z_o")),
    V("lstm_cell_step", "recurrent-kernel-T", "h_prev @ recurrent_kernel.T", lstm(rk="recurrent_kernel.T")),
    V("lstm_cell_step", "swapped-return", "returns (c_t, h_t)", lstm(ret="c_t, h_t")),
    V("lstm_cell_step", "h-without-tanh", "h_t = o * c_t", lstm(h="o * c_t")),
    V("lstm_cell_step", "candidate-sigmoid", "the candidate through sigmoid", lstm(g="sigmoid(z_c)")),
    V("lstm_cell_step", "forget-on-candidate", "c_t = i * c_prev + f * g", lstm(c="i * c_prev + f * g")),
]

CORRECT = [
    V("embedding_lookup", "take", "np.take along axis 0", """
        def embedding_lookup(ids, embeddings):
            return np.take(embeddings, ids, axis=0)
    """),
    V("embedding_lookup", "loop", "row by row", """
        def embedding_lookup(ids, embeddings):
            flat = [embeddings[i] for i in ids.ravel()]
            return np.array(flat).reshape(*ids.shape, embeddings.shape[1])
    """),
    V("embedding_one_hot_matmul", "eye", "rows of the identity", """
        def embedding_one_hot_matmul(ids, embeddings):
            return np.eye(embeddings.shape[0])[ids] @ embeddings
    """),
    V("embedding_one_hot_matmul", "einsum", "one-hot by assignment, einsum", """
        def embedding_one_hot_matmul(ids, embeddings):
            one_hot = np.zeros((ids.size, embeddings.shape[0]))
            one_hot[np.arange(ids.size), ids.ravel()] = 1.0
            return np.einsum("nv,vd->nd", one_hot, embeddings).reshape(*ids.shape, embeddings.shape[1])
    """),
    V("rnn_cell_step", "concat", "one matmul on [x, h]", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ np.vstack([kernel, recurrent_kernel]) + bias)
    """),
    V("rnn_cell_step", "einsum", "einsum", """
        def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):
            return np.tanh(np.einsum("bi,iu->bu", x_t, kernel) + np.einsum("bu,uv->bv", h_prev, recurrent_kernel) + bias)
    """),
    V("lstm_cell_step", "slices", "gates by slicing, stable sigmoid via tanh", """
        def lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            u = h_prev.shape[1]
            z = x_t @ kernel + h_prev @ recurrent_kernel + bias
            sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
            i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
            c = f * c_prev + i * g
            return o * np.tanh(c), c
    """),
    V("lstm_cell_step", "per-gate-matmuls", "four matmuls, one per gate", """
        def lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            u = h_prev.shape[1]
            def gate(k, act):
                cols = slice(k * u, (k + 1) * u)
                return act(x_t @ kernel[:, cols] + h_prev @ recurrent_kernel[:, cols] + bias[cols])
            sigmoid = lambda v: 1 / (1 + np.exp(-v))
            i, f, g, o = gate(0, sigmoid), gate(1, sigmoid), gate(2, np.tanh), gate(3, sigmoid)
            c_t = f * c_prev + i * g
            return o * np.tanh(c_t), c_t
    """),
]
