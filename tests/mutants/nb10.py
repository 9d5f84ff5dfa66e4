"""10_models_and_training: softmax_cross_entropy(_grad), sgd_momentum_step, adam_step."""
from . import Variant as V

MUTANTS = [
    V("softmax_cross_entropy", "unstabilized", "exp(logits) without subtracting the max", """
        def softmax_cross_entropy(logits, labels):
            p = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
            return -np.mean(np.log(p[np.arange(len(labels)), labels]))
    """),
    V("softmax_cross_entropy", "sum-not-mean", "sums over the batch", """
        def softmax_cross_entropy(logits, labels):
            s = logits - logits.max(axis=-1, keepdims=True)
            return np.sum(np.log(np.exp(s).sum(axis=-1)) - s[np.arange(len(labels)), labels])
    """),
    V("softmax_cross_entropy", "max-over-batch-axis", "the max taken over axis 0 (no keepdims, so it broadcasts)", """
        def softmax_cross_entropy(logits, labels):
            s = logits - logits.max(axis=0)
            return np.mean(np.log(np.exp(s).sum(axis=-1)) - s[np.arange(len(labels)), labels])
    """),
    V("softmax_cross_entropy", "labels-as-columns", "picks logits[:, labels]", """
        def softmax_cross_entropy(logits, labels):
            s = logits - logits.max(axis=-1, keepdims=True)
            return np.mean(np.log(np.exp(s).sum(axis=-1)) - s[:, labels].mean(axis=0))
    """),
    V("softmax_cross_entropy", "softmax-over-batch", "normalized over axis 0", """
        def softmax_cross_entropy(logits, labels):
            s = logits - logits.max(axis=0, keepdims=True)
            return np.mean(np.log(np.exp(s).sum(axis=0))[labels] - s[np.arange(len(labels)), labels])
    """),
    V("softmax_cross_entropy_grad", "not-divided", "not divided by the batch size", """
        def softmax_cross_entropy_grad(logits, labels):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=-1, keepdims=True)
            p[np.arange(len(labels)), labels] -= 1
            return p
    """),
    V("softmax_cross_entropy_grad", "unstabilized", "exp(logits) without the max", """
        def softmax_cross_entropy_grad(logits, labels):
            e = np.exp(logits)
            p = e / e.sum(axis=-1, keepdims=True)
            p[np.arange(len(labels)), labels] -= 1
            return p / len(labels)
    """),
    V("softmax_cross_entropy_grad", "one-hot-from-data", "one-hot sized labels.max() + 1", """
        def softmax_cross_entropy_grad(logits, labels):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=-1, keepdims=True)
            return (p - np.eye(labels.max() + 1)[labels]) / len(labels)
    """),
    V("softmax_cross_entropy_grad", "sign", "one_hot - softmax", """
        def softmax_cross_entropy_grad(logits, labels):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=-1, keepdims=True)
            p[np.arange(len(labels)), labels] -= 1
            return -p / len(labels)
    """),
    V("softmax_cross_entropy_grad", "sum-no-keepdims", "softmax normalized without keepdims", """
        def softmax_cross_entropy_grad(logits, labels):
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p = e / e.sum(axis=0)
            p[np.arange(len(labels)), labels] -= 1
            return p / len(labels)
    """),
    V("softmax_cross_entropy_grad", "in-place", "subtracts the max from logits in place", """
        def softmax_cross_entropy_grad(logits, labels):
            logits -= logits.max(axis=-1, keepdims=True)
            np.exp(logits, out=logits)
            logits /= logits.sum(axis=-1, keepdims=True)
            logits[np.arange(len(labels)), labels] -= 1
            return logits / len(labels)
    """),
    V("sgd_momentum_step", "pytorch-form", "v = m v + g; w -= lr v (PyTorch's form)", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            v = momentum * velocity + grad
            return w - learning_rate * v, v
    """),
    V("sgd_momentum_step", "old-velocity", "w updated with the old velocity", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            return w + velocity, momentum * velocity - learning_rate * grad
    """),
    V("sgd_momentum_step", "nesterov", "Nesterov's update", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            v = momentum * velocity - learning_rate * grad
            return w + momentum * v - learning_rate * grad, v
    """),
    V("sgd_momentum_step", "swapped", "returns (velocity, w)", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            v = momentum * velocity - learning_rate * grad
            return v, w + v
    """),
    V("sgd_momentum_step", "in-place", "updates w and velocity in place", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            velocity *= momentum
            velocity -= learning_rate * grad
            w += velocity
            return w, velocity
    """),
    V("adam_step", "no-bias-correction", "no bias correction", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * grad ** 2
            return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v
    """),
    V("adam_step", "paper-epsilon", "the paper's form: m_hat / (sqrt(v_hat) + eps)", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * grad ** 2
            m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)
            return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v
    """),
    V("adam_step", "t-off-by-one", "bias correction with t - 1... t + 1", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * grad ** 2
            alpha = learning_rate * np.sqrt(1 - beta_2 ** (t + 1)) / (1 - beta_1 ** (t + 1))
            return w - alpha * m / (np.sqrt(v) + epsilon), m, v
    """),
    V("adam_step", "v-abs-grad", "v from |grad| instead of grad^2", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * np.abs(grad)
            alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
            return w - alpha * m / (np.sqrt(v) + epsilon), m, v
    """),
    V("adam_step", "betas-swapped", "beta_1 for v and beta_2 for m", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_2 * m + (1 - beta_2) * grad
            v = beta_1 * v + (1 - beta_1) * grad ** 2
            alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
            return w - alpha * m / (np.sqrt(v) + epsilon), m, v
    """),
    V("adam_step", "old-moments", "w updated with the old m and v", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m2 = beta_1 * m + (1 - beta_1) * grad
            v2 = beta_2 * v + (1 - beta_2) * grad ** 2
            alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
            return w - alpha * m / (np.sqrt(v) + epsilon), m2, v2
    """),
]

CORRECT = [
    V("softmax_cross_entropy", "logsumexp", "log-softmax by logsumexp", """
        def softmax_cross_entropy(logits, labels):
            m = logits.max(axis=1)
            lse = m + np.log(np.sum(np.exp(logits - m[:, None]), axis=1))
            return float(np.mean(lse - logits[np.arange(logits.shape[0]), labels]))
    """),
    V("softmax_cross_entropy", "one-hot", "one-hot times log-softmax", """
        def softmax_cross_entropy(logits, labels):
            z = logits - logits.max(axis=-1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
            one_hot = np.eye(logits.shape[1])[labels]
            return -(one_hot * log_p).sum() / logits.shape[0]
    """),
    V("softmax_cross_entropy_grad", "one-hot", "softmax minus one-hot", """
        def softmax_cross_entropy_grad(logits, labels):
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            return (z / z.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[labels]) / logits.shape[0]
    """),
    V("softmax_cross_entropy_grad", "loop", "row by row", """
        def softmax_cross_entropy_grad(logits, labels):
            out = np.zeros_like(logits)
            for r in range(logits.shape[0]):
                e = np.exp(logits[r] - logits[r].max())
                out[r] = e / e.sum()
                out[r, labels[r]] -= 1
            return out / logits.shape[0]
    """),
    V("sgd_momentum_step", "lr-first", "the gradient step first", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            new_v = -learning_rate * grad + momentum * velocity
            return np.add(w, new_v), new_v
    """),
    V("sgd_momentum_step", "copy-in-place", "in place on copies", """
        def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
            v = velocity.copy()
            v *= momentum
            v -= learning_rate * grad
            return w + v, v
    """),
    V("adam_step", "textbook", "beta * m + (1 - beta) g, Keras's epsilon", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * grad * grad
            lr_t = learning_rate * (1 - beta_2 ** t) ** 0.5 / (1 - beta_1 ** t)
            return w - lr_t * m / (v ** 0.5 + epsilon), m, v
    """),
    V("adam_step", "hat-form", "m_hat with epsilon scaled as Keras's", """
        def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
            m = m + (1 - beta_1) * (grad - m)
            v = v + (1 - beta_2) * (np.square(grad) - v)
            c2 = np.sqrt(1 - beta_2 ** t)
            m_hat = m / (1 - beta_1 ** t)
            return w - learning_rate * m_hat * c2 / (np.sqrt(v) + epsilon), m, v
    """),
]
