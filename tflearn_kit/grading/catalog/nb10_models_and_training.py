"""Exercises of 10_models_and_training: softmax cross-entropy and its gradient, one SGD-momentum
step and one Adam step, each as Keras computes it."""
import numpy as np

from ... import losses, optimizers
from ..exercises import Case, Exercise, seeded



def ce_case(seed, batch, classes, scale=3.0, skip_top=0, offset=0.0):
    """(logits, labels); ``skip_top`` classes at the end that no label uses (a one-hot sized from the labels
    fails); ``offset`` added to every logit (1000: exp overflows unless the row's max is subtracted)."""
    g = seeded(seed)
    return g.standard_normal((batch, classes)) * scale + offset, g.integers(0, classes - skip_top, batch)


def _ce_reference(logits, labels):
    return losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)


def _ce_grad_reference(logits, labels):
    return losses.SparseCategoricalCrossentropy(from_logits=True).gradient(labels, logits)


SOFTMAX_CROSS_ENTROPY = Exercise(
    function="softmax_cross_entropy",
    reference=_ce_reference,
    visible=[Case("batch4-classes3", lambda: ce_case(seed=0, batch=4, classes=3)),
             Case("batch1", lambda: ce_case(seed=1, batch=1, classes=5)),
             Case("huge-logits", lambda: ce_case(seed=4, batch=3, classes=4, offset=1000.0))],
    hidden=[Case("large-logits", lambda: ce_case(seed=2, batch=6, classes=4, scale=300.0)),
            Case("huge-logits-batch1", lambda: ce_case(seed=5, batch=1, classes=6, offset=1000.0)),
            Case("classes10", lambda: ce_case(seed=3, batch=8, classes=10))],
    points=2,
    look="large logits: is anything subtracted before exp? And the batch: a mean",
    hint="mean over the batch of logsumexp(z) - z[label]; subtract each row's max before exp "
         "so that nothing overflows.",
)

SOFTMAX_CROSS_ENTROPY_GRAD = Exercise(
    function="softmax_cross_entropy_grad",
    reference=_ce_grad_reference,
    visible=[Case("batch4-classes3", lambda: ce_case(seed=10, batch=4, classes=3)),
             Case("batch1", lambda: ce_case(seed=11, batch=1, classes=5)),
             Case("huge-logits-labels-skip-the-last", lambda: ce_case(seed=14, batch=3, classes=4, offset=1000.0,
                                                                      skip_top=1))],
    hidden=[Case("large-logits", lambda: ce_case(seed=12, batch=6, classes=4, scale=300.0)),
            Case("huge-logits-labels-skip-the-last-two", lambda: ce_case(seed=15, batch=5, classes=6, offset=1000.0,
                                                                          skip_top=2)),
            Case("classes10", lambda: ce_case(seed=13, batch=8, classes=10))],
    points=2,
    look="large logits, the batch size, and the one-hot's width (the number of classes, not the largest label)",
    hint="(softmax(z) - one_hot(labels)) / batch: the loss is a mean, so each row's gradient is "
         "divided by the batch size.",
)


def sgd_case(seed, shape, lr=0.1, momentum=0.9):
    g = seeded(seed)
    return g.standard_normal(shape), g.standard_normal(shape), g.standard_normal(shape) * 0.1, lr, momentum


def _sgd_reference(w, grad, velocity, learning_rate, momentum):
    if momentum == 0:              # Keras keeps no velocity then; the formula's is -lr * grad
        optimizers.SGD(learning_rate).apply([grad], [w])
        return w, -learning_rate * grad
    opt = optimizers.SGD(learning_rate, momentum=momentum)
    opt.slots(w)["momentum"][...] = velocity
    opt.apply([grad], [w])
    return w, opt.slots(w)["momentum"]


SGD_MOMENTUM_STEP = Exercise(
    function="sgd_momentum_step",
    reference=_sgd_reference,
    visible=[Case("vector", lambda: sgd_case(seed=20, shape=(5,))),
             Case("matrix", lambda: sgd_case(seed=21, shape=(3, 4), lr=0.01, momentum=0.5))],
    hidden=[Case("no-momentum", lambda: sgd_case(seed=22, shape=(4,), momentum=0.0)),
            Case("rank3", lambda: sgd_case(seed=23, shape=(2, 3, 2), lr=0.05, momentum=0.99))],
    points=1,
    look="Keras's form of momentum: the velocity includes -learning_rate * grad",
    outputs=("new_w", "new_velocity"),
    hint="Keras's form: velocity = momentum * velocity - learning_rate * grad; w = w + velocity. "
         "Return (new_w, new_velocity).",
)


def adam_case(seed, shape, t, lr=0.01, epsilon=1e-7):
    g = seeded(seed)
    w, grad = g.standard_normal(shape), g.standard_normal(shape)
    m = g.standard_normal(shape) * 0.1 if t > 1 else np.zeros(shape)
    v = np.abs(g.standard_normal(shape)) * 0.01 if t > 1 else np.zeros(shape)
    return w, grad, m, v, t, lr, 0.9, 0.999, epsilon


def _adam_reference(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    opt = optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    state = opt.slots(w)
    state["momentum"][...], state["velocity"][...] = m, v
    opt.iterations = t - 1                     # this is step t
    opt.apply([grad], [w])
    return w, state["momentum"], state["velocity"]


ADAM_STEP = Exercise(
    function="adam_step",
    reference=_adam_reference,
    visible=[Case("first-step", lambda: adam_case(seed=30, shape=(5,), t=1)),
             Case("step10-matrix", lambda: adam_case(seed=31, shape=(3, 4), t=10)),
             # a large epsilon: Keras adds it to sqrt(v), not to the bias-corrected sqrt(v_hat)
             Case("step3-epsilon0.1", lambda: adam_case(seed=34, shape=(4,), t=3, epsilon=0.1))],
    hidden=[Case("step1000", lambda: adam_case(seed=32, shape=(6,), t=1000, lr=0.001)),
            Case("step2-rank3", lambda: adam_case(seed=33, shape=(2, 2, 3), t=2)),
            Case("step5-epsilon0.01", lambda: adam_case(seed=35, shape=(2, 3), t=5, epsilon=0.01))],
    points=2,
    look="where Keras puts epsilon (next to sqrt(v), not sqrt(v_hat)) and the bias correction at step t",
    outputs=("new_w", "new_m", "new_v"),
    hint="m += (1 - beta_1) (grad - m); v += (1 - beta_2) (grad^2 - v); "
         "alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t); w -= alpha m / (sqrt(v) + epsilon). "
         "Return (new_w, new_m, new_v).",
)

EXERCISES = [SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD, SGD_MOMENTUM_STEP, ADAM_STEP]
