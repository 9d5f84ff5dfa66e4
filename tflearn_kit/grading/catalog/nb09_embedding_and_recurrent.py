"""Exercises of 09_embedding_and_recurrent: an embedding as a lookup and as a one-hot matmul,
a SimpleRNN cell step and an LSTM cell step (Keras's fused layout, gates i, f, c, o), one step
of the LSTM cell's backward, and backpropagation through time over a short sequence."""
import numpy as np

from ...activations import Activation
from ...gradcheck import THRESHOLDS, central_difference, relative_error, verdict
from ...kernels.dense import dense_backward
from ...kernels.embedding import embedding_forward, embedding_forward_one_hot
from ...kernels.recurrent import bptt, lstm_step, lstm_step_gradients, rnn_forward, simple_rnn_step
from ...tolerances import STUDENT as RTOL
from ..exercises import Case, Exercise, seeded

TANH, SIGMOID = Activation("tanh"), Activation("sigmoid")


def embedding_case(seed, ids_shape, input_dim, output_dim, skip_top=0):
    """(ids, table); ``skip_top`` rows at the end of the table that no id uses (a one-hot sized from the ids fails)."""
    g = seeded(seed)
    ids = g.integers(0, input_dim - skip_top, size=ids_shape)
    return ids, g.standard_normal((input_dim, output_dim))


EMBEDDING_VISIBLE = [
    Case("ids-2x3-vocab5", lambda: embedding_case(seed=0, ids_shape=(2, 3), input_dim=5, output_dim=4)),
    Case("repeated-ids", lambda: embedding_case(seed=1, ids_shape=(1, 8), input_dim=2, output_dim=3)),
    Case("ids-skip-the-largest", lambda: embedding_case(seed=4, ids_shape=(2, 2), input_dim=6, output_dim=3,
                                                        skip_top=2)),
]
EMBEDDING_HIDDEN = [
    Case("ids-1d", lambda: embedding_case(seed=2, ids_shape=(6,), input_dim=7, output_dim=2)),
    Case("ids-3d", lambda: embedding_case(seed=3, ids_shape=(2, 3, 2), input_dim=9, output_dim=5)),
    Case("batch1-ids-skip-the-largest", lambda: embedding_case(seed=5, ids_shape=(1, 4), input_dim=8, output_dim=2,
                                                               skip_top=3)),
]

EMBEDDING_LOOKUP = Exercise(
    function="embedding_lookup",
    reference=lambda ids, embeddings: embedding_forward(ids, embeddings)[0],
    visible=EMBEDDING_VISIBLE, hidden=EMBEDDING_HIDDEN, points=1,
    look="the output shape: ids.shape + (output_dim,)",
    hint="Row ids[n] of the table for every id: NumPy's integer indexing, embeddings[ids], keeps "
         "the shape of ids and adds output_dim at the end.",
)

EMBEDDING_ONE_HOT_MATMUL = Exercise(
    function="embedding_one_hot_matmul",
    reference=lambda ids, embeddings: embedding_forward_one_hot(ids, embeddings),
    visible=EMBEDDING_VISIBLE, hidden=EMBEDDING_HIDDEN, points=1,
    look="the one-hot's size: the table's input_dim, not the largest id that happens to occur",
    hint="one_hot has shape ids.shape + (input_dim,): compare ids[..., None] with "
         "np.arange(input_dim), cast to float, then @ embeddings.",
)


def rnn_case(seed, batch, n_in, units, gates=1):
    g = seeded(seed)
    return (g.standard_normal((batch, n_in)), g.standard_normal((batch, units)),
            g.standard_normal((n_in, gates * units)) * 0.5,
            g.standard_normal((units, gates * units)) * 0.5, g.standard_normal(gates * units))


def _rnn_reference(x_t, h_prev, kernel, recurrent_kernel, bias):
    (h,), _ = simple_rnn_step(x_t @ kernel + bias, [h_prev], recurrent_kernel, TANH)
    return h


RNN_SIGNATURES = [
    ("h_prev @ recurrent_kernel.T",
     lambda x_t, h_prev, kernel, recurrent_kernel, bias: _rnn_reference(x_t, h_prev, kernel, recurrent_kernel.T, bias),
     "Keras stores the recurrent kernel as (units, units) to be used as it is: h_prev @ recurrent_kernel"),
]

RNN_CELL_STEP = Exercise(
    function="rnn_cell_step",
    reference=_rnn_reference,
    visible=[Case("batch2-in3-units4", lambda: rnn_case(seed=10, batch=2, n_in=3, units=4)),
             Case("batch1-units1", lambda: rnn_case(seed=11, batch=1, n_in=2, units=1))],
    hidden=[Case("batch5-in1-units3", lambda: rnn_case(seed=12, batch=5, n_in=1, units=3)),
            Case("large-inputs", lambda: tuple(a * 4 for a in rnn_case(seed=13, batch=3, n_in=4, units=2)))],
    points=1,
    look="the recurrent kernel's layout (units, units): h_prev multiplies it from the left, as x_t does the kernel",
    signatures=RNN_SIGNATURES,
    hint="h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).",
)


def lstm_case(seed, batch, n_in, units):
    x_t, h_prev, kernel, recurrent_kernel, bias = rnn_case(seed=seed, batch=batch, n_in=n_in, units=units, gates=4)
    c_prev = seeded(seed + 100).standard_normal((batch, units))
    return x_t, h_prev, c_prev, kernel, recurrent_kernel, bias


def _lstm_reference(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    (h, c), _ = lstm_step(x_t @ kernel + bias, [h_prev, c_prev], recurrent_kernel, TANH, SIGMOID)
    return h, c


def _lstm_gates_as(order):
    """The step with the gate blocks of z read in another ``order`` (a permutation of 'ifco')."""
    def wrong(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        u = h_prev.shape[1]
        perm = [order.index(g) for g in "ifco"]          # where each of Keras's blocks is read from

        def cols(m):
            return np.concatenate([m[..., p * u:(p + 1) * u] for p in perm], axis=-1)
        return _lstm_reference(x_t, h_prev, c_prev, cols(kernel), cols(recurrent_kernel), cols(bias))
    return wrong


LSTM_SIGNATURES = [
    (f"the gates read in the order {', '.join(order)}", _lstm_gates_as(order),
     "Keras's blocks are i, f, c, o (input, forget, candidate, output)")
    for order in ("ifoc", "fico", "icfo", "oifc")
] + [
    ("h_prev @ recurrent_kernel.T",
     lambda x_t, h_prev, c_prev, kernel, recurrent_kernel, bias:
         _lstm_reference(x_t, h_prev, c_prev, kernel, recurrent_kernel.T, bias),
     "use the recurrent kernel (units, 4 units) as it is: h_prev @ recurrent_kernel"),
]

LSTM_CELL_STEP = Exercise(
    function="lstm_cell_step",
    reference=_lstm_reference,
    visible=[Case("batch2-in3-units4", lambda: lstm_case(seed=20, batch=2, n_in=3, units=4)),
             Case("batch1-units1", lambda: lstm_case(seed=21, batch=1, n_in=2, units=1))],
    hidden=[Case("batch4-in5-units3", lambda: lstm_case(seed=22, batch=4, n_in=5, units=3)),
            Case("units2-in1", lambda: lstm_case(seed=23, batch=3, n_in=1, units=2))],
    points=2,
    look="the order of the 4 gate blocks in z (Keras: i, f, c, o) and which one goes through tanh",
    signatures=LSTM_SIGNATURES,
    outputs=("h_t", "c_t"),
    hint="z = x_t @ kernel + h_prev @ recurrent_kernel + bias; split z into 4 blocks of `units` "
         "columns in the order i, f, c, o; i, f, o = sigmoid, g = tanh(block c); "
         "c_t = f * c_prev + i * g; h_t = o * tanh(c_t). Return (h_t, c_t).",
)

# ---- one step of the LSTM cell's backward ---------------------------------------------------------

STEP_GRADIENTS = ("dx_t", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


def lstm_step_backward_case(seed, batch, n_in, units):
    """(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias). Both gradients from above and
    both states are non-zero, so a path left out changes the result."""
    x_t, h_prev, c_prev, kernel, recurrent_kernel, bias = lstm_case(seed=seed, batch=batch, n_in=n_in, units=units)
    g = seeded(seed + 200)
    return (g.standard_normal((batch, units)), g.standard_normal((batch, units)),
            x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)


def _lstm_step_backward_reference(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    _, cache = lstm_step(x_t @ kernel + bias, [h_prev, c_prev], recurrent_kernel, TANH, SIGMOID)
    dz, (dh_prev, dc_prev), share = lstm_step_gradients([dh, dc], cache, recurrent_kernel, TANH, SIGMOID)
    dx_t, (dkernel, dbias) = dense_backward(dz, (x_t, kernel, True))     # x_t @ kernel + bias is a Dense
    return dx_t, dh_prev, dc_prev, dkernel, share["recurrent_kernel"], dbias


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _step_backward_with(*mistakes, split="ifco", order="ifco"):
    """The step's backward written out by hand with known ``mistakes`` made, z's blocks read in
    the order ``split`` and dz's concatenated in ``order`` (for the signatures: never the reference)."""
    def wrong(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        z = dict(zip(split, np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)))
        i, f, g, o = _sigmoid(z["i"]), _sigmoid(z["f"]), np.tanh(z["c"]), _sigmoid(z["o"])
        tanh_c = np.tanh(f * c_prev + i * g)
        through_h = dh * o * ((1 - tanh_c) if "tanh-slope-c" in mistakes else (1 - tanh_c ** 2))
        dc_t = dc + through_h
        if "dc-dropped" in mistakes:
            dc_t = through_h
        if "dh-path-dropped" in mistakes:
            dc_t = dc
        blocks = {"i": dc_t * g * i * (1 - i),
                  "f": dc_t * (1 if "forget-without-c_prev" in mistakes else c_prev) * f * (1 - f),
                  "c": dc_t * i * ((1 - g) if "tanh-slope-g" in mistakes else (1 - g ** 2)),
                  "o": dh * tanh_c * o * (1 - o)}
        dz = np.concatenate([blocks[k] for k in order], axis=1)
        return dz @ kernel.T, dz @ recurrent_kernel.T, dc_t * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
    return wrong


LSTM_STEP_BACKWARD_SIGNATURES = [
    ("tanh'(c_t) written 1 - tanh(c_t)", _step_backward_with("tanh-slope-c"),
     "the derivative of tanh is 1 - tanh**2: dc_t = dc + dh * o * (1 - tanh(c_t)**2)"),
    ("the candidate's tanh' written 1 - g", _step_backward_with("tanh-slope-g"),
     "g = tanh(z_g), so dz_g = dc_t * i * (1 - g**2)"),
    ("tanh' written 1 - tanh for both c_t and the candidate", _step_backward_with("tanh-slope-c", "tanh-slope-g"),
     "the derivative of tanh is 1 - tanh**2, for c_t and for g"),
    ("the forget gate's gradient without c_prev", _step_backward_with("forget-without-c_prev"),
     "f multiplies c_prev in c_t = f * c_prev + i * g, so dz_f = dc_t * c_prev * f * (1 - f)"),
    ("dc from above left out", _step_backward_with("dc-dropped"),
     "c_t reaches the loss through h_t and, directly, through the next step: dc_t = dc + dh * o * tanh'(c_t)"),
    ("dc_t without dh's path through h_t = o * tanh(c_t)", _step_backward_with("dh-path-dropped"),
     "dc_t = dc + dh * o * (1 - tanh(c_t)**2)"),
] + [
    (f"z's blocks read in the order {', '.join(order)}", _step_backward_with(split=order),
     "Keras's blocks are i, f, c, o (input, forget, candidate, output)")
    for order in ("ifoc", "fico", "icfo", "oifc")
] + [
    (f"dz's blocks concatenated in the order {', '.join(order)}", _step_backward_with(order=order),
     "Keras's blocks are i, f, g, o (g the candidate, Keras's c): dz = [dz_i | dz_f | dz_g | dz_o]")
    for order in ("ifoc", "fico", "icfo")
]

LSTM_CELL_STEP_BACKWARD = Exercise(
    function="lstm_cell_step_backward",
    reference=_lstm_step_backward_reference,
    visible=[Case("batch2-in3-units2", lambda: lstm_step_backward_case(seed=30, batch=2, n_in=3, units=2)),
             Case("batch1-in2-units3", lambda: lstm_step_backward_case(seed=31, batch=1, n_in=2, units=3))],
    hidden=[Case("batch4-in5-units3", lambda: lstm_step_backward_case(seed=32, batch=4, n_in=5, units=3)),
            Case("batch3-in1-units4", lambda: lstm_step_backward_case(seed=33, batch=3, n_in=1, units=4))],
    points=2,
    look="the total gradient reaching c_t (dc from above plus dh's path through h_t = o * tanh(c_t)), "
         "then each block of dz in the order i, f, g, o, each through its own activation's slope",
    signatures=LSTM_STEP_BACKWARD_SIGNATURES,
    outputs=STEP_GRADIENTS,
    hint="Recompute z, i, f, g, o and c_t as in lstm_cell_step. Then dc_t = dc + dh * o * (1 - tanh(c_t)**2); "
         "dz = [dc_t * g * i(1-i) | dc_t * c_prev * f(1-f) | dc_t * i * (1-g**2) | dh * tanh(c_t) * o(1-o)] "
         "(blocks i, f, g, o: Keras's i, f, c, o); dx_t = dz @ kernel.T; dh_prev = dz @ recurrent_kernel.T; "
         "dc_prev = dc_t * f; dkernel = x_t.T @ dz; drecurrent_kernel = h_prev.T @ dz; dbias = dz.sum(axis=0).",
)


# ---- backpropagation through time ---------------------------------------------------------------

BPTT_GRADIENTS = ("dx", "dh_init", "dc_init", "dkernel", "drecurrent_kernel", "dbias")


def lstm_bptt_case(seed, batch, steps, n_in, units, dtype="float64"):
    """(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias). Non-zero initial states and a non-zero
    gradient for the final cell state, so neither can be forgotten unseen."""
    g = seeded(seed)
    x = g.standard_normal((batch, steps, n_in))
    h_init, c_init = g.standard_normal((batch, units)) * 0.5, g.standard_normal((batch, units)) * 0.5
    kernel = g.standard_normal((n_in, 4 * units)) * 0.5
    recurrent_kernel = g.standard_normal((units, 4 * units)) * 0.5
    bias = g.standard_normal(4 * units) * 0.5
    dy, dc_final = g.standard_normal((batch, steps, units)), g.standard_normal((batch, units))
    return tuple(a.astype(dtype) for a in (dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias))


def _lstm_steps(recurrent_kernel):
    """The kit's LSTM step and its gradients with Keras's default activations, for rnn_forward and bptt."""
    def step(xw_t, states):
        return lstm_step(xw_t, states, recurrent_kernel, TANH, SIGMOID)

    def step_gradients(d_states, cache):
        return lstm_step_gradients(d_states, cache, recurrent_kernel, TANH, SIGMOID)
    return step, step_gradients


def _lstm_bptt_reference(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
    step, step_gradients = _lstm_steps(recurrent_kernel)
    _, _, cache = rnn_forward(x, [h_init, c_init], kernel, bias, step)
    # h_final is the last output, so its gradient is already in dy[:, -1]: only c_final has its own
    dx, (dh_init, dc_init), grads = bptt(dy, [None, dc_final], cache, step_gradients)
    return dx, dh_init, dc_init, grads["kernel"], grads["recurrent_kernel"], grads["input_bias"]


def _bptt_with(*mistakes):
    """BPTT written out by hand with known ``mistakes`` made (for the signatures: never the reference)."""
    step_backward = _step_backward_with()

    def wrong(dy, dc_final, x, h_init, c_init, kernel, recurrent_kernel, bias):
        steps = x.shape[1]
        hs, cs = [h_init], [c_init]
        for t in range(steps):
            h, c = _lstm_reference(x[:, t], hs[-1], cs[-1], kernel, recurrent_kernel, bias)
            hs.append(h)
            cs.append(c)
        dh_next, dc = np.zeros_like(h_init), (np.zeros_like(dc_final) if "dc_final-dropped" in mistakes else dc_final)
        dx = np.zeros_like(x)
        grads = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
        for t in (range(steps) if "forwards" in mistakes else reversed(range(steps))):
            dh = dy[:, t] if "dh-next-dropped" in mistakes else dy[:, t] + dh_next
            dx[:, t], dh_next, dc, *step = step_backward(dh, dc, x[:, t], hs[t], cs[t],
                                                         kernel, recurrent_kernel, bias)
            grads = [a + b for a, b in zip(grads, step)]
        return (dx, dh_next, dc, *grads)
    return wrong


LSTM_BPTT_SIGNATURES = [
    ("the time loop run forwards (t = 0, 1, ...)", _bptt_with("forwards"),
     "backward starts at the last step: for t in reversed(range(steps))"),
    ("dh from step t + 1 not added to dy[:, t]", _bptt_with("dh-next-dropped"),
     "h_t feeds the output y_t and the next step: dh = dy[:, t] + dh_prev of step t + 1"),
    ("dc_final left out (the cell state's gradient started at zero)", _bptt_with("dc_final-dropped"),
     "the final cell state has its own gradient: start with dc = dc_final"),
]

LSTM_BPTT = Exercise(
    function="lstm_bptt",
    reference=_lstm_bptt_reference,
    visible=[Case("batch2-steps3-in3-units2", lambda: lstm_bptt_case(seed=40, batch=2, steps=3, n_in=3, units=2)),
             Case("batch1-steps4-in2-units3-float32",
                  lambda: lstm_bptt_case(seed=41, batch=1, steps=4, n_in=2, units=3, dtype="float32"))],
    hidden=[Case("batch3-steps5-in4-units2", lambda: lstm_bptt_case(seed=42, batch=3, steps=5, n_in=4, units=2)),
            Case("batch2-steps3-in1-units3-float32",
                 lambda: lstm_bptt_case(seed=43, batch=2, steps=3, n_in=1, units=3, dtype="float32"))],
    points=2,
    # float32 cases: the learner's float32 arithmetic in another order than the kit's
    rtol=RTOL["float32"],
    look="the loop's direction (last step first) and what step t hands to step t - 1: dh_prev, added to "
         "dy[:, t - 1], and dc_prev; and the dtype of anything you allocate (the float32 case)",
    signatures=LSTM_BPTT_SIGNATURES,
    outputs=BPTT_GRADIENTS,
    hint="Run the forward loop keeping every state: hs = [h_init, h_0, ..., h_{T-1}], cs likewise, so that "
         "step t reads its previous states hs[t], cs[t]. Then start with dh_next = zeros, dc = dc_final, and "
         "for t in reversed(range(steps)): dh = dy[:, t] + dh_next; "
         "dx[:, t], dh_next, dc, dk, drk, db = lstm_cell_step_backward(dh, dc, x[:, t], hs[t], cs[t], kernel, "
         "recurrent_kernel, bias); add dk, drk, db into the weights' gradients (np.zeros_like keeps the dtype). "
         "Return dx, dh_next, dc (now dh_init and dc_init) and the three sums.",
)


def gradient_check_bptt(fn, seed=44, eps=1e-6):
    """Check a learner's ``lstm_bptt`` against centered differences, in float64.

    The loss is L = sum(y * dy) + sum(c_final * dc_final) over the kit's forward pass (never the learner's
    or the kit's backward), and every entry of x, h_init, c_init and the three weights is perturbed in turn.
    Prints one verdict per gradient (thresholds in tflearn_kit.tolerances.GRADIENT_CHECK).
    """
    args = lstm_bptt_case(seed=seed, batch=2, steps=3, n_in=3, units=2)
    dy, dc_final, *inputs = args
    try:
        analytic = fn(*[a.copy() for a in args])
    except NotImplementedError:
        print(f"{LSTM_BPTT.function}: not implemented yet.")
        return
    shapes = [a.shape for a in inputs]
    if not isinstance(analytic, (tuple, list)) or [np.shape(a) for a in analytic] != shapes:
        print(f"{LSTM_BPTT.function}: expected {len(shapes)} gradients of shapes {shapes}; "
              f"run check('{LSTM_BPTT.id}', {LSTM_BPTT.function}) first.")
        return
    x, h_init, c_init, kernel, recurrent_kernel, bias = inputs
    step, _ = _lstm_steps(recurrent_kernel)      # reads recurrent_kernel itself, so sees its perturbations

    def loss():
        outputs, (_, c_final), _ = rnn_forward(x, [h_init, c_init], kernel, bias, step)
        return float(np.sum(outputs * dy) + np.sum(c_final * dc_final))

    print(f"gradient check of {LSTM_BPTT.function} (float64, centered differences, eps {eps:g}), "
          f"L = sum(y * dy) + sum(c_final * dc_final):")
    for name, tensor, grad in zip(BPTT_GRADIENTS, inputs, analytic):
        grad = np.asarray(grad, np.float64).reshape(-1)
        flat = tensor.reshape(-1)                 # a view: writing it perturbs the tensor itself
        numeric = np.array([central_difference(loss, flat, i, eps) for i in range(flat.size)])
        floor = max(1e-3 * float(np.max(np.abs(numeric))), 1e-12)    # as gradient_check: noise near zero
        rel = float(np.max(relative_error(grad, numeric, floor)))
        print(f"  {name:18} {flat.size:3d} entries  {verdict(rel)}")
    print(f"(correct: max relative error below {THRESHOLDS['correct']:g})")


EXERCISES = [EMBEDDING_LOOKUP, EMBEDDING_ONE_HOT_MATMUL, RNN_CELL_STEP, LSTM_CELL_STEP, LSTM_CELL_STEP_BACKWARD,
             LSTM_BPTT]
