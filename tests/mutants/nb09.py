"""09_embedding_and_recurrent: embedding_lookup, embedding_one_hot_matmul, rnn_cell_step, lstm_cell_step,
lstm_cell_step_backward, lstm_bptt."""
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

_STEP_BACKWARD = """
def lstm_cell_step_backward(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    {split} = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    dc_t = {dc_t}
    dz_i = {dz_i}
    dz_f = {dz_f}
    dz_c = {dz_c}
    dz_o = {dz_o}
    dz = np.concatenate([{cat}], axis=1)
    return {dx_t}, {dh_prev}, {dc_prev}, x_t.T @ dz, {drk}, {dbias}
"""


def step_backward(split="z_i, z_f, z_c, z_o", dc_t="dc + dh * o * (1 - tanh_c ** 2)", dz_i="dc_t * g * i * (1 - i)",
                  dz_f="dc_t * c_prev * f * (1 - f)", dz_c="dc_t * i * (1 - g ** 2)", dz_o="dh * tanh_c * o * (1 - o)",
                  cat="dz_i, dz_f, dz_c, dz_o", dx_t="dz @ kernel.T", dh_prev="dz @ recurrent_kernel.T",
                  dc_prev="dc_t * f", drk="h_prev.T @ dz", dbias="dz.sum(axis=0)"):
    return _STEP_BACKWARD.format(split=split, dc_t=dc_t, dz_i=dz_i, dz_f=dz_f, dz_c=dz_c, dz_o=dz_o, cat=cat,
                                 dx_t=dx_t, dh_prev=dh_prev, dc_prev=dc_prev, drk=drk, dbias=dbias)


_BPTT = """
def lstm_bptt(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    def forward(x_t, h_prev, c_prev):
        z = x_t @ kernel + h_prev @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
        c_t = f * c_prev + i * g
        return (i, f, g, o, c_t), o * np.tanh(c_t), c_t

    def step_backward(dh, dc, x_t, h_prev, c_prev, gates):
        i, f, g, o, c_t = gates
        tanh_c = np.tanh(c_t)
        dc_t = dc + dh * o * (1 - tanh_c ** 2)
        dz = np.concatenate([dc_t * g * i * (1 - i), dc_t * c_prev * f * (1 - f),
                             dc_t * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)], axis=1)
        return dz @ kernel.T, dz @ recurrent_kernel.T, dc_t * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)

    steps = x.shape[1]
    hs, cs, caches = [{h_init}], [{c_init}], []
    for t in range(steps):
        gates, h, c = forward(x[:, t], hs[-1], cs[-1])
        hs.append(h)
        cs.append(c)
        caches.append(gates)
    dx = {dx}
    dkernel, drecurrent_kernel, dbias = {grads}
    dh_next, dc = np.zeros_like(h_init), {dc_start}
    for t in {loop}:
        dh = {dh}
        dx[:, t], dh_next, {dc_out}, dk, drk, db = step_backward(dh, dc, x[:, t], {h_prev}, cs[t], caches[t])
        {accumulate}
    return {dh0_ret}
"""


def bptt(h_init="h_init", c_init="c_init", dx="np.zeros_like(x)",
         grads="np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)",
         dc_start="dc_final", loop="reversed(range(steps))", dh="dy[:, t] + dh_next", dc_out="dc", h_prev="hs[t]",
         accumulate="dkernel, drecurrent_kernel, dbias = dkernel + dk, drecurrent_kernel + drk, dbias + db",
         ret="dx, dh_next, dc, dkernel, drecurrent_kernel, dbias"):
    return _BPTT.format(h_init=h_init, c_init=c_init, dx=dx, grads=grads, dc_start=dc_start, loop=loop, dh=dh, dc_out=dc_out,
                        h_prev=h_prev, accumulate=accumulate, dh0_ret=ret)


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
    V("lstm_cell_step_backward", "gates-ifoc", "z split in the order i, f, o, c (Keras's is i, f, c, o)",
      step_backward(split="z_i, z_f, z_o, z_c")),
    V("lstm_cell_step_backward", "dz-order-ifoc", "dz's blocks concatenated in the order i, f, o, c",
      step_backward(cat="dz_i, dz_f, dz_o, dz_c")),
    V("lstm_cell_step_backward", "tanh-slope-c", "tanh'(c_t) written 1 - tanh(c_t) instead of 1 - tanh(c_t)**2",
      step_backward(dc_t="dc + dh * o * (1 - tanh_c)")),
    V("lstm_cell_step_backward", "tanh-slope-g", "the candidate's tanh' written 1 - g instead of 1 - g**2",
      step_backward(dz_c="dc_t * i * (1 - g)")),
    V("lstm_cell_step_backward", "forget-without-c-prev", "the forget gate's gradient missing c_prev",
      step_backward(dz_f="dc_t * f * (1 - f)")),
    V("lstm_cell_step_backward", "sigmoid-slope-missing", "the input gate's gradient without sigmoid' = i(1 - i)",
      step_backward(dz_i="dc_t * g")),
    V("lstm_cell_step_backward", "output-gate-with-c", "the output gate's gradient through c_t instead of tanh(c_t)",
      step_backward(dz_o="dh * c_t * o * (1 - o)")),
    V("lstm_cell_step_backward", "dc-dropped", "dc from above not carried into dc_t",
      step_backward(dc_t="dh * o * (1 - tanh_c ** 2)")),
    V("lstm_cell_step_backward", "dh-path-dropped", "dc_t missing dh's path through h_t = o * tanh(c_t)",
      step_backward(dc_t="dc")),
    V("lstm_cell_step_backward", "dc-prev-without-f", "dc_prev = dc_t (the forget gate left out of the carry)",
      step_backward(dc_prev="dc_t")),
    V("lstm_cell_step_backward", "dh-prev-no-transpose", "dh_prev = dz @ recurrent_kernel (no .T)",
      step_backward(dh_prev="dz @ recurrent_kernel")),
    V("lstm_cell_step_backward", "dh-prev-through-kernel", "dh_prev through the input kernel: dz @ kernel.T",
      step_backward(dh_prev="dz @ kernel.T")),
    V("lstm_cell_step_backward", "dh-prev-missing", "no gradient for h_prev (zeros)",
      step_backward(dh_prev="np.zeros_like(h_prev)")),
    V("lstm_cell_step_backward", "drecurrent-kernel-T", "drecurrent_kernel = dz.T @ h_prev (transposed)",
      step_backward(drk="dz.T @ h_prev")),
    V("lstm_cell_step_backward", "dbias-wrong-axis", "dbias summed over the units (axis 1)",
      step_backward(dbias="dz.sum(axis=1)")),
    V("lstm_cell_step_backward", "dbias-mean", "dbias averaged over the batch instead of summed",
      step_backward(dbias="dz.mean(axis=0)")),
    V("lstm_bptt", "loop-forwards", "the time loop run forwards, t = 0, 1, ...", bptt(loop="range(steps)")),
    V("lstm_bptt", "dh-next-dropped", "dh from step t + 1 not added to dy[:, t]", bptt(dh="dy[:, t]")),
    V("lstm_bptt", "last-output-only", "only the last output's gradient used, as if return_sequences=False",
      bptt(dh="dh_next + (dy[:, t] if t == steps - 1 else 0)")),
    V("lstm_bptt", "dc-final-dropped", "the cell state's gradient started at zero, not dc_final",
      bptt(dc_start="np.zeros_like(dc_final)")),
    V("lstm_bptt", "dc-not-carried", "dc_prev not carried to the previous step (every step gets dc_final)",
      bptt(dc_out="_")),
    V("lstm_bptt", "h-prev-off-by-one", "the step's backward given h_t instead of h_{t-1}", bptt(h_prev="hs[t + 1]")),
    V("lstm_bptt", "initial-state-ignored", "the forward pass started from zeros, not h_init, c_init",
      bptt(h_init="np.zeros_like(h_init)", c_init="np.zeros_like(c_init)")),
    V("lstm_bptt", "weights-not-summed", "the weights' gradients of one step kept, not summed over the steps",
      bptt(accumulate="dkernel, drecurrent_kernel, dbias = dk, drk, db")),
    V("lstm_bptt", "float64-for-float32", "gradients allocated with np.zeros(shape): float64 for float32 inputs",
      bptt(dx="np.zeros(x.shape)", grads="np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)")),
    V("lstm_bptt", "dh-init-before-step-0", "dh_init returned as the gradient reaching h_0 (step 0's output), before step 0's backward",
      bptt(ret="dx, dh, dc, dkernel, drecurrent_kernel, dbias")),
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
    V("lstm_cell_step_backward", "slices-einsum", "gates by slicing, stable sigmoid, einsum for the weights", """
        def lstm_cell_step_backward(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            u = h_prev.shape[1]
            sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
            z = x_t @ kernel + h_prev @ recurrent_kernel + bias
            i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
            a = np.tanh(f * c_prev + i * g)
            dc_t = dc + dh * o * (1 - a * a)
            dz = np.empty_like(z)
            dz[:, :u] = dc_t * g * i * (1 - i)
            dz[:, u:2 * u] = dc_t * c_prev * f * (1 - f)
            dz[:, 2 * u:3 * u] = dc_t * i * (1 - g * g)
            dz[:, 3 * u:] = dh * a * o * (1 - o)
            return (np.einsum("bk,ik->bi", dz, kernel), np.einsum("bk,uk->bu", dz, recurrent_kernel), dc_t * f,
                    np.einsum("bi,bk->ik", x_t, dz), np.einsum("bu,bk->uk", h_prev, dz), np.einsum("bk->k", dz))
    """),
    V("lstm_cell_step_backward", "per-gate", "one gate at a time: four column blocks, each with its own matmuls", """
        def lstm_cell_step_backward(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            u = h_prev.shape[1]
            cols = [slice(k * u, (k + 1) * u) for k in range(4)]
            pre = [x_t @ kernel[:, s] + h_prev @ recurrent_kernel[:, s] + bias[s] for s in cols]
            i, f, o = (1 / (1 + np.exp(-pre[k])) for k in (0, 1, 3))
            g = np.tanh(pre[2])
            c_t = f * c_prev + i * g
            do = dh * np.tanh(c_t)
            dc_t = dc + dh * o / np.cosh(c_t) ** 2
            d_pre = [dc_t * g * i * (1 - i), dc_t * c_prev * f * (1 - f), dc_t * i * (1 - g ** 2), do * o * (1 - o)]
            dx_t = sum(d @ kernel[:, s].T for d, s in zip(d_pre, cols))
            dh_prev = sum(d @ recurrent_kernel[:, s].T for d, s in zip(d_pre, cols))
            dkernel = np.concatenate([x_t.T @ d for d in d_pre], axis=1)
            drecurrent_kernel = np.concatenate([h_prev.T @ d for d in d_pre], axis=1)
            dbias = np.concatenate([d.sum(axis=0) for d in d_pre])
            return dx_t, dh_prev, dc_t * f, dkernel, drecurrent_kernel, dbias
    """),
    V("lstm_cell_step_backward", "loops", "the weights' gradients as sums over the batch rows, row by row", """
        def lstm_cell_step_backward(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
            z = x_t @ kernel + h_prev @ recurrent_kernel + bias
            z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
            i, f, o = 1 / (1 + np.exp(-z_i)), 1 / (1 + np.exp(-z_f)), 1 / (1 + np.exp(-z_o))
            g = np.tanh(z_c)
            tanh_c = np.tanh(f * c_prev + i * g)
            dc_t = dc + dh * o * (1 - tanh_c ** 2)
            dz = np.hstack([dc_t * g * i * (1 - i), dc_t * c_prev * f * (1 - f), dc_t * i * (1 - g ** 2),
                            dh * tanh_c * o * (1 - o)])
            dkernel, drecurrent_kernel, dbias = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
            for n in range(dz.shape[0]):
                dkernel += np.outer(x_t[n], dz[n])
                drecurrent_kernel += np.outer(h_prev[n], dz[n])
                dbias += dz[n]
            return dz @ kernel.T, dz @ recurrent_kernel.T, dc_t * f, dkernel, drecurrent_kernel, dbias
    """),
    V("lstm_bptt", "lists-stacked", "gradients collected in lists, reversed and stacked at the end", """
        def lstm_bptt(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
            u = h_init.shape[1]
            sig = lambda v: 1 / (1 + np.exp(-v))
            states, gates = [(h_init, c_init)], []
            for t in range(x.shape[1]):
                h, c = states[-1]
                z = x[:, t] @ kernel + h @ recurrent_kernel + bias
                i, f, g, o = sig(z[:, :u]), sig(z[:, u:2 * u]), np.tanh(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
                c_new = f * c + i * g
                gates.append((i, f, g, o, c_new))
                states.append((o * np.tanh(c_new), c_new))
            dh, dc = np.zeros_like(h_init), dc_final
            dxs, dks, drks, dbs = [], [], [], []
            for t in range(x.shape[1] - 1, -1, -1):
                i, f, g, o, c_t = gates[t]
                h_prev, c_prev = states[t]
                dh = dh + dy[:, t]
                a = np.tanh(c_t)
                dc_t = dc + dh * o * (1 - a ** 2)
                dz = np.concatenate([dc_t * g * i * (1 - i), dc_t * c_prev * f * (1 - f),
                                     dc_t * i * (1 - g ** 2), dh * a * o * (1 - o)], axis=1)
                dxs.append(dz @ kernel.T)
                dks.append(x[:, t].T @ dz)
                drks.append(h_prev.T @ dz)
                dbs.append(dz.sum(axis=0))
                dh, dc = dz @ recurrent_kernel.T, dc_t * f
            return np.stack(dxs[::-1], axis=1), dh, dc, sum(dks), sum(drks), sum(dbs)
    """),
    V("lstm_bptt", "hoisted-matmuls", "dz of every step kept, then dx and the input weights in one einsum each, "
      "as the kit's bptt does", """
        def lstm_bptt(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
            batch, steps, _ = x.shape
            u = h_init.shape[1]
            sig = lambda v: 0.5 * (1 + np.tanh(0.5 * v))
            xw = np.einsum("bti,ik->tbk", x, kernel) + bias
            hs = np.empty((steps + 1, batch, u), dtype=x.dtype)
            cs = np.empty_like(hs)
            zs = np.empty((steps, batch, 4 * u), dtype=x.dtype)
            hs[0], cs[0] = h_init, c_init
            for t in range(steps):
                zs[t] = xw[t] + hs[t] @ recurrent_kernel
                i, f, g, o = sig(zs[t, :, :u]), sig(zs[t, :, u:2 * u]), np.tanh(zs[t, :, 2 * u:3 * u]), sig(zs[t, :, 3 * u:])
                cs[t + 1] = f * cs[t] + i * g
                hs[t + 1] = o * np.tanh(cs[t + 1])
            dzs = np.empty_like(zs)
            dh, dc = np.zeros_like(h_init), dc_final.copy()
            for t in reversed(range(steps)):
                i, f, g, o = sig(zs[t, :, :u]), sig(zs[t, :, u:2 * u]), np.tanh(zs[t, :, 2 * u:3 * u]), sig(zs[t, :, 3 * u:])
                dh = dh + dy[:, t]
                a = np.tanh(cs[t + 1])
                dc = dc + dh * o * (1 - a ** 2)
                dzs[t] = np.concatenate([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f),
                                         dc * i * (1 - g ** 2), dh * a * o * (1 - o)], axis=1)
                dh, dc = dzs[t] @ recurrent_kernel.T, dc * f
            dx = np.einsum("tbk,ik->bti", dzs, kernel)
            return (dx, dh, dc, np.einsum("bti,tbk->ik", x, dzs), np.einsum("tbu,tbk->uk", hs[:-1], dzs),
                    dzs.sum(axis=(0, 1)))
    """),
    V("lstm_bptt", "uses-the-step", "the BPTT loop over a step backward of its own (the notebook's structure)",
      bptt(dx="np.empty_like(x)", loop="range(steps - 1, -1, -1)",
           accumulate="dkernel += dk; drecurrent_kernel += drk; dbias += db")),
]
