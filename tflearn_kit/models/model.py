"""Model: layers composed into one, with Keras's training loop written out.

Three ways to make one, as in Keras:

- ``Model(inputs, outputs)`` from symbolic tensors (the functional API, functional.py);
- ``Sequential([...])``, a chain (sequential.py);
- a subclass with its own ``call``: the kit traces ``call`` once on symbolic inputs,
  which turns it into a graph, so backward comes for free (``call`` may only
  compose layers, as in Keras's functional API).

``fit`` is the training loop every notebook writes by hand, in one place:
for each batch, forward (``training=True``), loss + regularization, backward,
one optimizer step, metrics; at each epoch's end, validation and callbacks.
"""
import math

import numpy as np

from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..layers.base import Layer, as_list, unique_name
from ..seeding import rng
from .functional import Graph, Input, KerasTensor, call_symbolic


def _batch_size_of(arrays):
    sizes = {len(a) for a in arrays}
    if len(sizes) != 1:
        raise ValueError(f"All inputs and targets must have the same number of samples; "
                         f"got {sorted(sizes)}.")
    return sizes.pop()


class Model(Layer):
    """A graph of layers that trains like keras.Model.

    Args:
        inputs: symbolic input(s) from :func:`Input`.
        outputs: symbolic output(s) computed from them by calling layers.
        name: the model's name.
    """

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        object.__setattr__(self, "_tracked", [])
        if name is None and type(self) is Model:
            name = unique_name("functional")          # Keras 3's name for Model(inputs, outputs)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = None
        self.optimizer = self.loss = None
        self.compiled_metrics = []
        self.compiled = False
        self.stop_training = False
        self.history = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model: pass both inputs and outputs (or neither, when subclassing).")
            self._graph = Graph(as_list(inputs), as_list(outputs))
            self._multi_input = isinstance(inputs, (list, tuple))
            self._multi_output = isinstance(outputs, (list, tuple))
            self._dtype_from(self._graph.inputs)
            self.built = True

    def _dtype_from(self, inputs):
        """The model computes in its first floating input's dtype (float32 unless told otherwise)."""
        floats = [t.dtype for t in inputs if np.issubdtype(np.dtype(t.dtype), np.floating)]
        if floats:
            self.dtype = np.dtype(floats[0]).name

    def __setattr__(self, name, value):
        # A subclass's layers are the Layer attributes it sets, in assignment order (as Keras tracks).
        if isinstance(value, Layer) and value is not self and name not in ("_graph",):
            if all(value is not t for t in self._tracked):
                self._tracked.append(value)
        object.__setattr__(self, name, value)

    # ---- structure -------------------------------------------------------------------

    @property
    def layers(self):
        if type(self).call is not Model.call and self._tracked:
            return list(self._tracked)
        if self._graph is None:
            return list(self._tracked)
        return list(self._graph.layers)          # InputLayers included, as in Keras

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model '{self.name}'. "
                         f"Layers: {[l.name for l in self.layers]}.")

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # As Keras 3: freezing a model freezes every layer in it, so a BatchNormalization
        # inside a frozen base runs in inference mode and stops updating its statistics.
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return [w for layer in self.layers for w in layer.weights]
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def weight_records(self):
        """Every layer's :class:`~tflearn_kit.layers.base.Weight` records, layer by layer."""
        return [w for layer in self.layers for w in layer.weight_records]

    def _apply_constraints(self):
        """As Keras's optimizer does after each step: project every constrained weight, in place."""
        for w in self.weight_records:
            if w.constraint is not None:
                w.value[...] = w.constraint(w.value)

    @property
    def weights(self):
        """Keras's order for a model: layer by layer, each layer's trainable weights then the others."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def weight_names(self):
        return [n for layer in self.layers for n in layer.weight_names]

    @property
    def trainable_weight_names(self):
        if not self.trainable:
            return []
        return [f"{layer.name}/{n}" for layer in self.layers for n in layer.trainable_weight_names]

    def set_weights(self, weights):
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"Model '{self.name}' has {len(mine)} weights "
                             f"{[tuple(w.shape) for w in mine]}, but got {len(weights)}.")
        start = 0
        for layer in self.layers:
            n = len(layer.weights)
            layer.set_weights(list(weights[start:start + n]))
            start += n

    def count_params(self):
        if not self.built:
            raise ValueError(f"Model '{self.name}' has not been built yet: call build(input_shape) "
                             "or call it on data first.")
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self):
        """Every layer's regularization penalties."""
        return [p for layer in self.layers for p in layer.losses]

    @property
    def inputs(self):
        return self._graph.inputs if self._graph else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph else None

    # ---- forward and backward ----------------------------------------------------------

    def call(self, inputs, training=None):
        """Override in a subclass, composing layers. The functional model runs its graph."""
        raise NotImplementedError

    def build(self, input_shape):
        """Trace a subclass's ``call`` on symbolic inputs of ``input_shape`` (batch axis included)."""
        if self._graph is not None:
            return
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        inputs = [Input(tuple(s)[1:], dtype=self.dtype) for s in shapes]
        outputs = self.call(inputs if isinstance(input_shape, list) else inputs[0])
        if not all(isinstance(t, KerasTensor) for t in as_list(outputs)):
            raise ValueError(f"Model '{self.name}': call() must compose layers only, so that the kit "
                             "can trace it into a graph; it returned something that is not the "
                             "output of a layer.")
        self._graph = Graph(inputs, as_list(outputs))
        self._multi_input = isinstance(input_shape, list)
        self._multi_output = isinstance(outputs, (list, tuple))

    def _ensure_built(self, xs):
        if self._graph is None:
            shapes = [(None,) + tuple(x.shape[1:]) for x in xs]
            self.build(shapes if len(xs) > 1 else shapes[0])

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if isinstance(first, KerasTensor):          # a model used as a layer of another graph
            return call_symbolic(self, inputs, training=training)
        xs = [np.asarray(x) for x in as_list(inputs)]
        self._ensure_built(xs)
        outs = self._forward(xs, training)
        return outs if self._multi_output else outs[0]

    def _forward(self, xs, training):
        return self._graph.forward(xs, training=training)

    def backward(self, dy, from_pre_activation=False):
        """dL/d(outputs) -> dL/d(inputs); ``self.grads`` aligned with ``trainable_weights``.

        With ``from_pre_activation``, ``dy`` is dL/d(the output layer's pre_activation).
        """
        douts = as_list(dy) if self._multi_output else [dy]
        dxs = self._graph.backward(douts, from_pre_activation)
        self.grads = [g for layer in self.layers if layer.trainable_weights for g in layer.grads] \
            if self.trainable else []
        return dxs if self._multi_input else dxs[0]

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self._graph.outputs]
        return shapes if self._multi_output else shapes[0]

    def predict(self, x, batch_size=32, verbose=0):
        """Forward in inference mode, batch by batch; the outputs concatenated."""
        xs = [np.asarray(a) for a in as_list(x)]
        n = _batch_size_of(xs)
        outs = []
        for start in range(0, n, batch_size):
            batch = [a[start:start + batch_size] for a in xs]
            outs.append(as_list(self(batch if len(batch) > 1 else batch[0], training=False)))
        joined = [np.concatenate(parts) for parts in zip(*outs)]
        return joined if self._multi_output else joined[0]

    # ---- compile, the loss and one training step -----------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None):
        """Choose the optimizer, the loss and the metrics (names or objects), as keras.Model.compile.

        The arguments keep Keras 3's order, so pass ``metrics=`` by keyword (the third
        positional argument is ``loss_weights``, which a single-output model does not use).
        """
        if loss_weights is not None:
            raise ValueError("compile: loss_weights is for models with several outputs; the kit "
                             "trains single-output models.")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss) if loss is not None else None
        self._metric_ids = list(metrics or [])
        self.compiled_metrics = None          # made from the shapes of the first batch
        self._loss_tracker = metrics_module.Mean("loss")
        self.compiled = True

    def _make_metrics(self, y, y_pred):
        if self.compiled_metrics is None:
            self.compiled_metrics = [metrics_module.get(m, np.shape(y), np.shape(y_pred))
                                     for m in self._metric_ids]

    def _output_layer(self):
        t = self._graph.outputs[0]
        return t.node.layer

    def _logits_of(self, y_pred):
        """(loss, logits, layer) when Keras would compute the loss from logits, else None.

        Keras's crossentropy on probabilities looks at how the prediction was made:
        straight out of a softmax (or sigmoid), it uses the activation's input
        instead (the ``_keras_logits`` of keras.src.backend.tensorflow.nn). So does the kit.
        """
        if self._multi_output:
            return None
        layer = self._output_layer()
        z = self._graph.output_pre_activation()    # None unless the layer ends with its activation
        if z is None:
            return None
        twin = self.loss.logits_twin(layer.activation.name)
        return None if twin is None else (twin, z, layer)

    def compute_loss(self, y, y_pred):
        """(total loss, dL/dy_pred or None, logits info): the compiled loss plus every penalty."""
        y_pred_arr = y_pred
        fused = self._logits_of(y_pred_arr)
        if fused is not None:
            twin, z, _ = fused
            loss = twin(y, z)
        else:
            loss = self.loss(y, y_pred_arr)
        penalties = self.losses
        total = loss + sum(penalties) if penalties else loss
        return loss.dtype.type(total), fused

    def _loss_gradient(self, y, y_pred, fused):
        if fused is not None:
            twin, z, _ = fused
            return twin.gradient(y, z)
        return self.loss.gradient(y, y_pred)

    def train_step(self, x, y):
        """One batch: forward, loss, backward, optimizer step. Returns (the batch's loss, y_pred)."""
        y_pred = self(x, training=True)
        loss, fused = self.compute_loss(y, y_pred)
        dy = self._loss_gradient(y, y_pred, fused)
        self.backward(dy, from_pre_activation=fused is not None)
        self.optimizer.apply(self.grads, self.trainable_weights)
        self._apply_constraints()
        self._make_metrics(y, y_pred)
        for m in self.compiled_metrics:
            m.update_state(y, y_pred)
        return loss, y_pred

    def _check_compiled(self, what):
        if not self.compiled or self.loss is None:
            raise ValueError(f"Model '{self.name}': call compile(optimizer, loss) before {what}().")
        if self._graph is not None and self._multi_output:
            raise ValueError(f"Model '{self.name}': {what}() trains models with one output; this one "
                             f"has {len(self._graph.outputs)}.")

    def reset_metrics(self):
        self._loss_tracker.reset_state()
        for m in self.compiled_metrics or []:
            m.reset_state()

    def _logs(self, prefix=""):
        logs = {prefix + "loss": self._loss_tracker.result()}
        for m in self.compiled_metrics or []:
            logs[prefix + m.name] = m.result()
        return logs

    def train_on_batch(self, x, y, return_dict=False):
        """One optimizer step on one batch. Returns the batch's loss, or [loss, *metrics].

        As in Keras 3, the values are this batch's alone (the metrics are reset first).
        """
        self._check_compiled("train_on_batch")
        self.reset_metrics()
        xs = [np.asarray(a) for a in as_list(x)]
        loss, _ = self.train_step(xs if len(xs) > 1 else xs[0], np.asarray(y))
        self._loss_tracker.update_state(loss, _batch_size_of(xs))
        logs = self._logs()
        return logs if return_dict else (list(logs.values()) if len(logs) > 1 else logs["loss"])

    # ---- fit, evaluate -----------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0, seed=None):
        """Train for ``epochs`` passes over (x, y). Returns a :class:`History`.

        Args follow keras.Model.fit: ``batch_size`` (default 32); ``validation_split`` holds out
        the *last* fraction of the samples (before shuffling), as Keras does; ``shuffle``
        reorders the training samples every epoch from the kit's seeded generator
        (``seed`` or ``kit.set_seed``); ``verbose`` 0 silent, 1 a progress bar, 2 one line
        per epoch.
        """
        self._check_compiled("fit")
        xs = [np.asarray(a) for a in as_list(x)]
        y = np.asarray(y)
        n = _batch_size_of(xs + [y])
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1); got {validation_split}.")
            split = int(math.floor(n * (1.0 - validation_split)))
            validation_data = ([a[split:] for a in xs], y[split:])
            xs, y, n = [a[:split] for a in xs], y[:split], split
        batch_size = batch_size or 32
        steps = int(math.ceil(n / batch_size))
        verbose = 1 if verbose == "auto" else verbose
        history = callbacks_module.History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(callbacks_module.ProgbarLogger(verbose))
        cbs.append(history)
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
        calls = callbacks_module.CallbackList(cbs, self, params)
        generator = rng(seed)
        self.stop_training = False
        calls.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            calls.on_epoch_begin(epoch)
            order = generator.permutation(n) if shuffle else np.arange(n)
            for step in range(steps):
                idx = order[step * batch_size:(step + 1) * batch_size]
                calls.on_train_batch_begin(step)
                xb = [a[idx] for a in xs]
                loss, _ = self.train_step(xb if len(xb) > 1 else xb[0], y[idx])
                self._loss_tracker.update_state(loss, len(idx))
                calls.on_train_batch_end(step, self._logs())
            logs = self._logs()
            if validation_data is not None:
                vx, vy = validation_data[0], validation_data[1]
                logs.update(self.evaluate(vx, vy, batch_size=batch_size, verbose=0,
                                          return_dict=True, _prefix="val_"))
            calls.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        calls.on_train_end(logs)
        self.history = history
        return history

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False, _prefix=""):
        """The loss (with penalties) and metrics over (x, y), in inference mode.

        Returns the loss, or [loss, *metrics], or a dict with ``return_dict=True``.
        As in Keras, evaluate resets the model's running metrics and leaves its values in them.
        """
        self._check_compiled("evaluate")
        xs = [np.asarray(a) for a in as_list(x)]
        y = np.asarray(y)
        n = _batch_size_of(xs + [y])
        self.reset_metrics()
        step = batch_size or 32
        for start in range(0, n, step):
            xb = [a[start:start + step] for a in xs]
            yb = y[start:start + step]
            y_pred = self(xb if len(xb) > 1 else xb[0], training=False)
            loss, _ = self.compute_loss(yb, y_pred)
            self._loss_tracker.update_state(loss, len(yb))
            self._make_metrics(yb, y_pred)
            for m in self.compiled_metrics:
                m.update_state(yb, y_pred)
        logs = {_prefix + k: v for k, v in self._logs().items()}
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return list(logs.values()) if len(logs) > 1 else logs[_prefix + "loss"]

    # ---- summary, saving ---------------------------------------------------------------

    def summary(self, print_fn=print, line_length=None):
        """Print layers, output shapes and parameter counts as keras.Model.summary does."""
        from .summary import summary_text
        print_fn(summary_text(self, line_length))

    def save_weights(self, path):
        from .saving import save_weights
        save_weights(self, path)

    def load_weights(self, path):
        from .saving import load_weights
        load_weights(self, path)

    def get_config(self):
        from .saving import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config):
        from .saving import functional_from_config
        return functional_from_config(config)

    def load_keras_weights(self, keras_model):
        """Copy a Keras model's weights (same architecture, Keras's order) into this model."""
        keras_weights = keras_model.get_weights()
        mine = self.weights
        if len(keras_weights) != len(mine) or any(a.shape != b.shape for a, b in zip(keras_weights, mine)):
            raise ValueError(
                f"Model '{self.name}': the Keras model's weights "
                f"{[tuple(w.shape) for w in keras_weights]} do not match this model's "
                f"{[tuple(w.shape) for w in mine]}."
            )
        self.set_weights(keras_weights)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, {len(self.layers)} layers>"
