"""Callbacks: code that ``fit`` runs at the start and end of training, of each epoch and of each batch.

The hooks and their arguments are Keras's (see keras.callbacks.Callback), so a
callback written for the kit reads like one written for Keras:
``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
``on_train_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``,
``on_train_end(logs)``. ``logs`` holds the running values ("loss", metrics, and
"val_..." at the end of an epoch). A callback stops training by setting
``self.model.stop_training = True``.
"""
import os
import sys
import time

import numpy as np


class Callback:
    """Base class: every hook does nothing. See keras.callbacks.Callback."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass


class CallbackList(Callback):
    """Calls every callback's hook in order."""

    def __init__(self, callbacks, model, params):
        super().__init__()
        self.callbacks = list(callbacks)
        for c in self.callbacks:
            c.set_model(model)
            c.set_params(params)

    def _each(name):
        def hook(self, *args):
            for c in self.callbacks:
                getattr(c, name)(*args)
        return hook

    on_train_begin = _each("on_train_begin")
    on_train_end = _each("on_train_end")
    on_epoch_begin = _each("on_epoch_begin")
    on_epoch_end = _each("on_epoch_end")
    on_train_batch_begin = _each("on_train_batch_begin")
    on_train_batch_end = _each("on_train_batch_end")
    del _each


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]`` is the list of epoch losses.

    ``fit`` returns it. See keras.callbacks.History.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


class _Monitor(Callback):
    """What EarlyStopping and ModelCheckpoint share: which value to watch and which way is better."""

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max'; got {mode!r}.")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self._better = None

    def _direction(self):
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        if "acc" in name:                    # Keras's accuracy metrics have direction "up"
            return "max"
        if name in ("loss", "mean_squared_error", "mse", "mean_absolute_error", "mae"):
            return "min"
        raise ValueError(f"{type(self).__name__}: cannot tell whether '{self.monitor}' should go up "
                         "or down; pass mode='max' or mode='min'.")

    def _is_improvement(self, value, reference):
        """Keras's test: value - min_delta < reference (min), value + min_delta > reference (max)."""
        if reference is None:
            return True
        if self._direction() == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs. See keras.callbacks.EarlyStopping.

    Args:
        monitor: a key of the epoch logs ("val_loss", "accuracy", ...).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: "min", "max" or "auto" (from the name).
        baseline: stop unless the value beats this.
        restore_best_weights: at the end, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before watching.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_weights, self.best_epoch = 0, 0, None, None, 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model's weights (.npz) after every epoch, or only when ``monitor`` improves.

    See keras.callbacks.ModelCheckpoint with ``save_weights_only=True``.
    ``filepath`` may hold ``{epoch}`` and log keys: ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, mode="auto",
                 save_weights_only=True):
        super().__init__(monitor, mode)
        if not save_weights_only:
            raise ValueError("ModelCheckpoint: the kit saves weights only (save_weights_only=True).")
        if not str(filepath).endswith(".npz"):
            raise ValueError(f"ModelCheckpoint: filepath must end in .npz; got {filepath!r}.")
        self.filepath, self.verbose, self.save_best_only = str(filepath), verbose, save_best_only
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None or not self._is_improvement(current, self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved to {current:.5f}, saving to {path}")
            self.best = current
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.model.save_weights(path)


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    See keras.callbacks.LambdaCallback.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, fn)


class LivePlot(Callback):
    """Draw the loss (and a metric) curves with matplotlib as training goes.

    In a notebook the figure is redrawn in place after every epoch; elsewhere
    it is drawn at the end of training (and saved when ``path`` is given).

    Args:
        keys: the log keys to plot; by default every key that holds "loss".
        path: save the final figure there.
    """

    def __init__(self, keys=None, path=None, title=None):
        super().__init__()
        self.keys, self.path, self.title = keys, path, title
        self.logs = {}

    def on_train_begin(self, logs=None):
        self.logs = {}

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.logs.setdefault(k, []).append(v)
        if _in_notebook():
            from IPython.display import clear_output
            clear_output(wait=True)
            self.draw()

    def draw(self):
        import matplotlib.pyplot as plt
        keys = self.keys or [k for k in self.logs if "loss" in k]
        fig, ax = plt.subplots(figsize=(5, 3))
        for k in keys:
            ax.plot(np.arange(1, len(self.logs[k]) + 1), self.logs[k], marker="o", label=k)
        ax.set_xlabel("epoch")
        ax.legend()
        if self.title:
            ax.set_title(self.title)
        if self.path:
            fig.savefig(self.path, dpi=80, bbox_inches="tight")
        plt.show()
        return fig

    def on_train_end(self, logs=None):
        if not _in_notebook():
            self.draw()


def _in_notebook():
    return "ipykernel" in sys.modules


def _interactive():
    """Whether a progress bar can redraw its line: a terminal or a notebook."""
    return _in_notebook() or (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())


class ProgbarLogger(Callback):
    """The per-epoch progress bar of ``fit(verbose=1)``; ``verbose=2`` prints one line per epoch.

    Redraws one line with ``\\r`` (which terminals and Jupyter both honour);
    when the output is a file, only the finished line is written.
    """

    WIDTH = 30
    REDRAW_EVERY = 0.1          # seconds: a notebook slows down when flooded with redraws

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.drawn = 0              # the length of the line on screen, to blank what a shorter one leaves
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)

    def _line(self, done, logs, final):
        total = self.params["steps"]
        elapsed = time.perf_counter() - self.start
        filled = int(self.WIDTH * done / total) if total else self.WIDTH
        bar = "━" * filled + "╸" * (filled < self.WIDTH) + " " * (self.WIDTH - filled - 1)
        width = len(str(total))
        head = f"{done:{width}d}/{total} {bar[:self.WIDTH]}"
        per_step = elapsed / max(done, 1)
        timing = f"{elapsed:.0f}s {per_step * 1e3:.0f}ms/step" if final else \
            f"{per_step * (total - done):.0f}s"
        values = " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items())
        return f"{head} {timing}" + (f" - {values}" if values else "")

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose != 1 or not _interactive():
            return
        now = time.perf_counter()
        if now - self.last_draw >= self.REDRAW_EVERY:
            self.last_draw = now
            self._draw("\r" + self._line(batch + 1, logs, False))

    def on_epoch_end(self, epoch, logs=None):
        if not self.verbose:
            return
        prefix = "\r" if self.verbose == 1 and _interactive() else ""
        self._draw(prefix + self._line(self.params["steps"], logs, True), end="\n")

    def _draw(self, text, end=""):
        width = len(text)
        sys.stdout.write(text + " " * max(0, self.drawn - width) + end)
        sys.stdout.flush()
        self.drawn = 0 if end else width
