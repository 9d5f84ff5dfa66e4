"""Optimizers with Keras 3's exact update rules, defaults and order of operations.

``optimizer.apply(grads, weights)`` updates every weight in place (``w -= ...``),
so a layer's ``kernel`` stays the array the model holds. One call is one step:
Keras's ``apply_gradients``, which, in this order,

1. clips the gradients (``clipnorm`` per tensor, ``global_clipnorm`` over all, or ``clipvalue``),
2. applies decoupled weight decay, ``w -= w * weight_decay * lr`` (AdamW, or any optimizer
   given ``weight_decay``),
3. runs each optimizer's ``update_step``, with the learning rate of the current
   iteration (a float, or a schedule of ``iterations``),
4. adds one to ``iterations``.

TensorFlow's arithmetic, reproduced (see kernels/numerics.py): the learning rate
lives in a float32 variable; ``ops.cast(python_float, dtype)`` (momentum, betas,
weight decay) rounds through float32; ``ops.multiply(python_float, tensor)`` and
``tensor + python_float`` do not. Every update is computed in the weight's dtype.
"""
import numpy as np

from . import serialization
from .kernels.numerics import tf_float32_constant
from .serialization import lookup


def _cast(value, dtype):
    """Keras's ``ops.cast(python_float, dtype)``: the float goes through a float32 tensor first."""
    return np.dtype(dtype).type(tf_float32_constant(value))


def _exact(value, dtype):
    """``ops.multiply(python_float, tensor)``: converted straight to the tensor's dtype."""
    return np.dtype(dtype).type(value)


# ---- learning-rate schedules -----------------------------------------------------------

class LearningRateSchedule:
    """A function of the optimizer's ``iterations`` (the step count before this step)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps), floored with staircase.

    See keras.optimizers.schedules.ExponentialDecay. Keras computes it in float32
    (the initial rate becomes a float32 tensor), and so does the kit.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be > 0; got {decay_steps}.")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or "ExponentialDecay"

    def __call__(self, step):
        f32 = np.float32
        p = f32(step) / f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return f32(f32(self.initial_learning_rate) * np.power(f32(self.decay_rate), p, dtype=f32))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


# ---- the base optimizer ----------------------------------------------------------------

class Optimizer:
    """Base class. See keras.optimizers.Optimizer.

    Args:
        learning_rate: a float or a :class:`LearningRateSchedule`.
        weight_decay: decoupled weight decay (None: none).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
    """

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{type(self).__name__}: only one of clipnorm, clipvalue and global_clipnorm can "
                f"be set; got clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}."
            )
        if not isinstance(learning_rate, LearningRateSchedule):
            learning_rate = float(learning_rate)
            if not learning_rate >= 0:
                raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0; "
                                 f"got {learning_rate}.")
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.built = False
        self._slots = {}          # id(weight) -> {slot name: array}

    # ---- learning rate ---------------------------------------------------------------

    @property
    def learning_rate(self):
        """The rate of the coming step, as the float32 Keras keeps it."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return np.float32(self._learning_rate(self.iterations))
        return np.float32(self._learning_rate)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(f"{type(self).__name__}: the learning rate is a schedule; "
                            "it cannot be set to a number.")
        self._learning_rate = float(value)

    # ---- state -----------------------------------------------------------------------

    def slots(self, weight):
        """The optimizer's state for one weight (momentum, velocity, ...), created on first use."""
        key = id(weight)
        if key not in self._slots:
            self._slots[key] = self.build_slots(weight)
        return self._slots[key]

    def build_slots(self, weight):
        return {}

    def build(self, weights):
        """Create the state of every weight now (Keras builds on the first apply)."""
        for w in weights:
            self.slots(w)
        self.built = True

    @property
    def has_schedule(self):
        return isinstance(self._learning_rate, LearningRateSchedule)

    @property
    def variables(self):
        """Keras's order: iterations, learning rate, then each slot of each weight."""
        out = []
        for state in self._slots.values():
            out.extend(state.values())
        return out

    # ---- one step --------------------------------------------------------------------

    def clip(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            # Keras: clip_norm * min(1 / norm, 1 / clip_norm), in the gradients' dtype
            dtype = grads[0].dtype
            norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads), dtype=dtype)
            c = _exact(self.global_clipnorm, dtype)
            with np.errstate(divide="ignore"):
                scale = c * np.minimum(dtype.type(1.0) / norm, dtype.type(1.0) / c)
            return [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    @staticmethod
    def _clip_by_norm(g, clip_norm):
        """tf.clip_by_norm: g * clip_norm / max(||g||, clip_norm)."""
        c = _exact(clip_norm, g.dtype)
        norm = np.sqrt(np.sum(g * g))
        return g * c / np.maximum(norm, c)

    def apply(self, grads, weights):
        """One optimizer step: update every weight in place from its gradient."""
        grads, weights = list(grads), list(weights)
        if len(grads) != len(weights):
            raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for "
                             f"{len(weights)} weights.")
        for g, w in zip(grads, weights):
            if g.shape != w.shape:
                raise ValueError(f"{type(self).__name__}.apply: a gradient of shape {g.shape} "
                                 f"for a weight of shape {w.shape}.")
        grads = [np.asarray(g, dtype=w.dtype) for g, w in zip(grads, weights)]
        if not self.built:
            self.build(weights)
        grads = self.clip(grads)
        lr = self.learning_rate
        if self.weight_decay is not None:
            for w in weights:
                w -= w * _cast(self.weight_decay, w.dtype) * w.dtype.type(lr)
        for g, w in zip(grads, weights):
            self.update_step(g, w, w.dtype.type(lr))
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras's spelling: a list of (gradient, weight) pairs."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [w for _, w in pairs])

    def update_step(self, gradient, weight, lr):
        raise NotImplementedError

    # ---- configuration ---------------------------------------------------------------

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = {"class_name": type(lr).__name__, "config": lr.get_config()}
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = _SCHEDULES[lr["class_name"]].from_config(lr["config"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} learning_rate={float(self.learning_rate):g}>"


# ---- the optimizers --------------------------------------------------------------------

class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum. See keras.optimizers.SGD.

    Keras's form: m = momentum * m - lr * g, then w += m
    (Nesterov: w += momentum * m - lr * g, with the new m).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a float in [0, 1]; got {momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build_slots(self, weight):
        return {"momentum": np.zeros_like(weight)} if self.momentum != 0 else {}

    def update_step(self, g, w, lr):
        if self.momentum == 0:
            w -= g * lr
            return
        m = self.slots(w)["momentum"]
        momentum = _cast(self.momentum, w.dtype)
        m[...] = m * momentum - g * lr
        if self.nesterov:
            w += m * momentum - g * lr
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divide the step by a running root-mean-square of the gradients. See keras.optimizers.RMSprop.

    v = rho v + (1 - rho) g^2; step = lr g / sqrt(v + epsilon) (centered: v - mean(g)^2 + epsilon).
    Note epsilon inside the square root, as Keras 3 has it.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, weight):
        slots = {"velocity": np.zeros_like(weight)}
        if self.momentum > 0:
            slots["momentum"] = np.zeros_like(weight)
        if self.centered:
            slots["average_gradient"] = np.zeros_like(weight)
        return slots

    def update_step(self, g, w, lr):
        s = self.slots(w)
        t = w.dtype.type
        rho = t(self.rho)
        v = s["velocity"]
        v[...] = rho * v + t(1 - self.rho) * np.square(g)
        if self.centered:
            a = s["average_gradient"]
            a[...] = rho * a + t(1 - self.rho) * g
            denominator = v - np.square(a) + t(self.epsilon)
        else:
            denominator = v + t(self.epsilon)
        increment = (lr * g) / np.sqrt(denominator)
        if self.momentum > 0:
            m = s["momentum"]
            m[...] = t(self.momentum) * m + increment
            w -= m
        else:
            w -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adaptive moments. See keras.optimizers.Adam.

    Keras folds both bias corrections into the step size:
    alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), then w -= alpha m / (sqrt(v) + epsilon),
    so epsilon is added to the *uncorrected* sqrt(v) (the textbook adds it to sqrt(v_hat)).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build_slots(self, weight):
        slots = {"momentum": np.zeros_like(weight), "velocity": np.zeros_like(weight)}
        if self.amsgrad:
            slots["velocity_hat"] = np.zeros_like(weight)
        return slots

    def update_step(self, g, w, lr):
        s = self.slots(w)
        t = w.dtype.type
        step = t(self.iterations + 1)
        beta_1_power = np.power(_cast(self.beta_1, w.dtype), step)
        beta_2_power = np.power(_cast(self.beta_2, w.dtype), step)
        alpha = lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, v = s["momentum"], s["velocity"]
        m += (g - m) * t(1 - self.beta_1)
        v += (np.square(g) - v) * t(1 - self.beta_2)
        if self.amsgrad:
            v_hat = s["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        w -= (m * alpha) / (np.sqrt(v) + t(self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay: w -= w * weight_decay * lr before the Adam step.

    See keras.optimizers.AdamW (weight_decay defaults to 0.004).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float; got None.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class Adagrad(Optimizer):
    """Per-coordinate rates from the sum of squared gradients. See keras.optimizers.Adagrad.

    acc += g^2 (acc starts at initial_accumulator_value); w -= lr g / sqrt(acc + epsilon).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build_slots(self, weight):
        # keras.initializers.Constant stores its value as a float32 tensor, then casts
        return {"accumulator": np.full_like(weight, _cast(self.initial_accumulator_value,
                                                          weight.dtype))}

    def update_step(self, g, w, lr):
        acc = self.slots(w)["accumulator"]
        acc += np.square(g)
        w -= (lr * g) / np.sqrt(acc + w.dtype.type(self.epsilon))

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


_SCHEDULES = {"ExponentialDecay": ExponentialDecay}
_CLASSES = {c.__name__: c for c in (SGD, RMSprop, Adam, AdamW, Adagrad)}


def get(identifier):
    """A name ("adam", "sgd"), a config dict or an Optimizer; names get Keras's defaults."""
    return lookup(identifier, "optimizer", Optimizer, _CLASSES,
                  {name.lower(): cls for name, cls in _CLASSES.items()})


serialize = serialization.serialize


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "LearningRateSchedule",
           "ExponentialDecay", "get", "serialize"]
