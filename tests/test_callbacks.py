"""Callbacks: EarlyStopping decides as keras.callbacks.EarlyStopping on the same sequences of
values; fit stops and restores the best weights; ModelCheckpoint saves every epoch or only the best;
LambdaCallback and LivePlot are called with the epoch logs; History records them."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit import callbacks as C
from tflearn_kit.models import Input, Sequential


class _FakeModel:
    """Enough of a model for a callback: weights that change every epoch, and stop_training."""

    def __init__(self):
        self.stop_training = False
        self.epoch = 0
        self.metrics = []

    def get_weights(self):
        return [np.array([float(self.epoch)])]

    def set_weights(self, weights):
        self.restored = float(weights[0][0])


def _drive(callback, values, monitor):
    model = _FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    stopped_at = None
    for epoch, v in enumerate(values):
        model.epoch = epoch
        callback.on_epoch_end(epoch, {monitor: v})
        if model.stop_training:
            stopped_at = epoch
            break
    callback.on_train_end()
    return stopped_at, getattr(model, "restored", None), callback.best


SEQUENCES = {
    "loss-patience2": (dict(monitor="val_loss", patience=2), [1.0, 0.8, 0.85, 0.9, 0.7]),
    "loss-min-delta": (dict(monitor="val_loss", patience=1, min_delta=0.1), [1.0, 0.95, 0.92, 0.5]),
    "accuracy-max": (dict(monitor="val_accuracy", patience=1, mode="max"), [0.5, 0.6, 0.55, 0.58]),
    "restore-best": (dict(monitor="loss", patience=2, restore_best_weights=True), [3.0, 1.0, 2.0, 2.5, 0.1]),
    "baseline": (dict(monitor="val_loss", patience=2, baseline=0.5), [0.9, 0.8, 0.7, 0.6]),
    "start-from-epoch": (dict(monitor="val_loss", patience=0, start_from_epoch=2), [1.0, 2.0, 3.0, 4.0]),
    "never-stops": (dict(monitor="val_loss", patience=1), [5.0, 4.0, 3.0, 2.0]),
}


@pytest.mark.parametrize("config, values", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_early_stopping_decides_like_keras(config, values):
    import keras
    monitor = config["monitor"]
    ours = _drive(C.EarlyStopping(**config), values, monitor)
    theirs = _drive(keras.callbacks.EarlyStopping(**config), values, monitor)
    assert ours[0] == theirs[0] and ours[1] == theirs[1]
    assert float(ours[2]) == pytest.approx(float(theirs[2]))


def _model():
    kit.set_seed(0)
    model = Sequential([Input((64,)), kit.layers.Dense(16, activation="relu"),
                        kit.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=kit.optimizers.SGD(learning_rate=3.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])                 # a rate so large the validation loss wanders
    return model


def _digits():
    x, y = kit.data.load_digits(flatten=True)
    return x[:200], y[:200]


def test_fit_stops_early_and_restores_the_best_weights(tmp_path):
    x, y = _digits()
    model = _model()
    stop = C.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    saved = C.ModelCheckpoint(str(tmp_path / "epoch{epoch}.npz"), monitor="val_loss")
    h = model.fit(x, y, epochs=30, batch_size=20, validation_split=0.3, verbose=0, shuffle=False,
                  callbacks=[saved, stop])
    losses = h.history["val_loss"]
    assert len(h.epoch) < 30 and stop.stopped_epoch == len(h.epoch) - 1
    best = int(np.argmin(losses))
    assert stop.best_epoch == best
    reference = _model()
    reference.build((None, 64))
    reference.load_weights(tmp_path / f"epoch{best + 1}.npz")
    for w, r in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(w, r)


def test_checkpoint_save_best_only_writes_only_improvements(tmp_path):
    x, y = _digits()
    model = _model()
    check = C.ModelCheckpoint(str(tmp_path / "best-{epoch:02d}.npz"), monitor="val_loss",
                              save_best_only=True)
    h = model.fit(x, y, epochs=6, batch_size=20, validation_split=0.3, verbose=0, shuffle=False,
                  callbacks=[check])
    losses = h.history["val_loss"]
    improved = [e + 1 for e in range(len(losses)) if losses[e] < min(losses[:e], default=np.inf)]
    written = sorted(int(p.stem.split("-")[1]) for p in tmp_path.glob("best-*.npz"))
    assert written == improved and check.best == min(losses)


def test_lambda_callback_and_history_see_the_same_logs():
    x, y = _digits()
    model = _model()
    seen, batches = [], []
    hook = C.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, dict(logs))),
                            on_train_batch_end=lambda batch, logs: batches.append(batch))
    h = model.fit(x, y, epochs=2, batch_size=50, verbose=0, callbacks=[hook])
    assert [e for e, _ in seen] == [0, 1]
    assert [logs["loss"] for _, logs in seen] == h.history["loss"]
    assert batches == [0, 1, 2, 3] * 2


def test_live_plot_draws_the_curves(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    x, y = _digits()
    plot = C.LivePlot(path=str(tmp_path / "curves.png"))
    _model().fit(x, y, epochs=3, batch_size=50, verbose=0, validation_split=0.2, callbacks=[plot])
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert list(plot.logs) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert len(plot.logs["val_loss"]) == 3


def test_checkpoint_rejects_other_formats():
    with pytest.raises(ValueError, match=r"filepath must end in .npz; got 'model.keras'"):
        C.ModelCheckpoint("model.keras")
