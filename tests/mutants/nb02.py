"""02_dense_and_activations: dense_forward, dense_backward, sigmoid_forward, sigmoid_backward."""
from . import Variant as V

MUTANTS = [
    V("dense_forward", "kernel-transposed", "x @ kernel.T", """
        def dense_forward(x, kernel, bias):
            y = x @ kernel.T
            return y if bias is None else y + bias
    """),
    V("dense_forward", "bias-ignored", "never adds the bias", """
        def dense_forward(x, kernel, bias):
            return x @ kernel
    """),
    V("dense_forward", "rank2-only", "flattens the input to (batch, -1) first", """
        def dense_forward(x, kernel, bias):
            y = x.reshape(x.shape[0], -1)[:, :kernel.shape[0]] @ kernel
            return y if bias is None else y + bias
    """),
    V("dense_forward", "float32", "computes in float32", """
        def dense_forward(x, kernel, bias):
            y = x.astype(np.float32) @ kernel.astype(np.float32)
            return y if bias is None else y + bias.astype(np.float32)
    """),
    V("dense_forward", "in-place", "adds the bias into the input x in place (when in == units)", """
        def dense_forward(x, kernel, bias):
            y = x @ kernel
            if bias is not None:
                y += bias
            if x.shape == y.shape:
                x[...] = y
                return x
            return y
    """),
    V("dense_backward", "dx-no-transpose", "dx = dy @ kernel, without the transpose", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return dy @ kernel, xs.T @ dys, dys.sum(axis=0)
    """),
    V("dense_backward", "dbias-all-axes", "dbias summed over every axis: a scalar", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return dy @ kernel.T, xs.T @ dys, dy.sum()
    """),
    V("dense_backward", "dbias-mean", "dbias as the batch mean", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return dy @ kernel.T, xs.T @ dys, dys.mean(axis=0)
    """),
    V("dense_backward", "dkernel-swapped", "dkernel = dy.T @ x, the transpose", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return dy @ kernel.T, dys.T @ xs, dys.sum(axis=0)
    """),
    V("dense_backward", "rank2-only", "x.T @ dy without flattening the leading axes", """
        def dense_backward(dy, x, kernel):
            return dy @ kernel.T, x.T @ dy, dy.sum(axis=0)
    """),
    V("dense_backward", "dbias-first-axis", "dbias summed over axis 0 only (wrong with rank 3)", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return dy @ kernel.T, xs.T @ dys, dy.sum(axis=0)
    """),
    V("dense_backward", "order-swapped", "returns (dkernel, dx, dbias)", """
        def dense_backward(dy, x, kernel):
            xs, dys = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
            return xs.T @ dys, dy @ kernel.T, dys.sum(axis=0)
    """),
    V("sigmoid_forward", "unstable", "exp(x) / (1 + exp(x)): inf / inf = NaN for large x", """
        def sigmoid(x):
            e = np.exp(x)
            return e / (1 + e)
    """),
    V("sigmoid_forward", "sign-flipped", "1 / (1 + exp(x))", """
        def sigmoid(x):
            return 1 / (1 + np.exp(x))
    """),
    V("sigmoid_forward", "clipped", "clips x to [-10, 10] to avoid overflow", """
        def sigmoid(x):
            x = np.clip(x, -10, 10)
            return 1 / (1 + np.exp(-x))
    """),
    V("sigmoid_forward", "tanh-half", "tanh(x) / 2 + 0.5: tanh(x/2) was meant", """
        def sigmoid(x):
            return np.tanh(x) / 2 + 0.5
    """),
    V("sigmoid_backward", "no-chain-rule", "s (1 - s) without dy", """
        def sigmoid_backward(dy, x):
            s = 1 / (1 + np.exp(-x))
            return s * (1 - s)
    """),
    V("sigmoid_backward", "derivative-of-x", "x (1 - x) * dy: the formula applied to x, not sigmoid(x)", """
        def sigmoid_backward(dy, x):
            return dy * x * (1 - x)
    """),
    V("sigmoid_backward", "sign", "dy * s * (s - 1)", """
        def sigmoid_backward(dy, x):
            s = 1 / (1 + np.exp(-x))
            return dy * s * (s - 1)
    """),
]

CORRECT = [
    V("dense_forward", "einsum", "np.einsum over the last axis", """
        def dense_forward(x, kernel, bias):
            y = np.einsum("...i,iu->...u", x, kernel)
            return y if bias is None else y + bias
    """),
    V("dense_forward", "tensordot", "np.tensordot with a zero bias", """
        def dense_forward(x, kernel, bias):
            b = np.zeros(kernel.shape[1]) if bias is None else bias
            return np.tensordot(x, kernel, axes=([x.ndim - 1], [0])) + b
    """),
    V("dense_forward", "loops", "row by row over the flattened batch", """
        def dense_forward(x, kernel, bias):
            rows = x.reshape(-1, x.shape[-1])
            out = np.zeros((rows.shape[0], kernel.shape[1]))
            for r in range(rows.shape[0]):
                for u in range(kernel.shape[1]):
                    out[r, u] = np.dot(rows[r], kernel[:, u]) + (0 if bias is None else bias[u])
            return out.reshape(*x.shape[:-1], kernel.shape[1])
    """),
    V("dense_backward", "einsum", "einsum over the leading axes", """
        def dense_backward(dy, x, kernel):
            lead = tuple(range(dy.ndim - 1))
            return (np.einsum("...u,iu->...i", dy, kernel), np.einsum("ni,nu->iu", x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])), dy.sum(axis=lead))
    """),
    V("dense_backward", "tensordot", "tensordot over the leading axes", """
        def dense_backward(dy, x, kernel):
            lead = list(range(dy.ndim - 1))
            return dy @ kernel.T, np.tensordot(x, dy, axes=(lead, lead)), np.sum(dy, axis=tuple(lead))
    """),
    V("sigmoid_forward", "two-branches", "boolean masks", """
        def sigmoid(x):
            out = np.empty_like(x, dtype=float)
            pos = x >= 0
            out[pos] = 1 / (1 + np.exp(-x[pos]))
            e = np.exp(x[~pos])
            out[~pos] = e / (1 + e)
            return out
    """),
    V("sigmoid_forward", "tanh", "0.5 (1 + tanh(x / 2))", """
        def sigmoid(x):
            return 0.5 * (1 + np.tanh(0.5 * x))
    """),
    V("sigmoid_backward", "tanh", "through tanh", """
        def sigmoid_backward(dy, x):
            s = 0.5 * (1 + np.tanh(0.5 * x))
            return dy * s * (1 - s)
    """),
    V("sigmoid_backward", "exp-form", "exp(-|x|) / (1 + exp(-|x|))^2", """
        def sigmoid_backward(dy, x):
            e = np.exp(-np.abs(x))
            return dy * e / (1 + e) ** 2
    """),
]
