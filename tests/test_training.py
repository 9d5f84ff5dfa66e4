"""Training parity: the same model in the kit and in Keras, from the same weights on the same batches
(shuffle=False), gives the same loss history and final weights after several epochs (1e-4 relative),
for an MLP and a small CNN, with SGD + momentum and with Adam; plus evaluate, predict,
train_on_batch, validation, regularization, the logits path, seeded shuffling and the progress bar."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.models import Input, Sequential
from tflearn_kit.reference import to_keras

L = kit.layers
PARITY = 1e-4          # the bar for several epochs of training; one step is float precision


def _digits(n=384, flatten=False):
    x, y = kit.data.load_digits(flatten=flatten)
    return x[:n], y[:n]


def _mlp():
    return Sequential([Input((64,)), L.Dense(32, activation="relu"), L.Dense(16, activation="tanh"),
                       L.Dense(10, activation="softmax")])


def _cnn():
    return Sequential([Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
                       L.MaxPooling2D(2), L.Flatten(), L.Dense(10, activation="softmax")])


OPTIMIZERS = {
    "sgd-momentum": lambda m: m.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "adam": lambda m: m.optimizers.Adam(learning_rate=0.005),
}
ARCHS = {"mlp": (_mlp, True), "cnn": (_cnn, False)}


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-12))


def _twins(make, optimizer, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    import keras
    kit.set_seed(0)
    model = make()
    keras_model = to_keras(model)            # the same architecture and the same initial weights
    model.compile(optimizer=optimizer(kit), loss=loss, metrics=list(metrics))
    keras_model.compile(optimizer=optimizer(keras), loss=loss, metrics=list(metrics))
    return model, keras_model


@pytest.mark.parametrize("opt", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
@pytest.mark.parametrize("arch", ARCHS.values(), ids=ARCHS.keys())
def test_training_matches_keras_epoch_by_epoch(arch, opt):
    make, flatten = arch
    x, y = _digits(flatten=flatten)
    vx, vy = kit.data.load_digits(flatten=flatten)[0][-96:], kit.data.load_digits()[1][-96:]
    model, keras_model = _twins(make, opt)
    h = model.fit(x, y, batch_size=32, epochs=5, shuffle=False, verbose=0, validation_data=(vx, vy))
    kh = keras_model.fit(x, y, batch_size=32, epochs=5, shuffle=False, verbose=0,
                         validation_data=(vx, vy))
    for key in ("loss", "val_loss"):
        assert _rel(h.history[key], kh.history[key]) <= PARITY, key
    for key in ("accuracy", "val_accuracy"):                 # at most one sample may flip
        assert np.max(np.abs(np.subtract(h.history[key], kh.history[key]))) <= 1.01 / 96
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]          # it did learn
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) <= PARITY


def test_regression_with_l2_penalty_and_validation_split_matches_keras():
    """MSE + an L2 kernel penalty (added to the loss and to the gradient); Keras's split: the last 25%."""
    g = np.random.default_rng(0)
    x = g.standard_normal((80, 5)).astype("float32")
    y = (x @ g.standard_normal((5, 2)) + 0.1 * g.standard_normal((80, 2))).astype("float32")
    make = lambda: Sequential([Input((5,)), L.Dense(8, activation="tanh", kernel_regularizer="l2"),
                               L.Dense(2)])
    model, keras_model = _twins(make, OPTIMIZERS["adam"], loss="mse", metrics=("mae",))
    h = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0, validation_split=0.25)
    kh = keras_model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0, validation_split=0.25)
    for key in ("loss", "mae", "val_loss", "val_mae"):
        assert _rel(h.history[key], kh.history[key]) <= PARITY, key
    assert h.history["loss"][0] > h.history["mae"][0] ** 2 * 0   # keys exist and are numbers
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) <= PARITY


@pytest.mark.parametrize("loss, units, activation", [
    ("binary_crossentropy", 1, "sigmoid"),
    ("categorical_crossentropy", 3, "softmax"),
], ids=["bce-sigmoid", "cce-softmax"])
def test_crossentropy_after_an_activation_uses_the_logits_like_keras(loss, units, activation):
    """Keras computes these losses from the activation's input; large logits show the difference."""
    g = np.random.default_rng(1)
    x = (8 * g.standard_normal((48, 4))).astype("float32")
    labels = g.integers(0, max(units, 2), 48)
    y = labels[:, None].astype("float32") if units == 1 else np.eye(units, dtype="float32")[labels]
    make = lambda: Sequential([Input((4,)), L.Dense(units, activation=activation,
                                                    kernel_initializer="random_normal")])
    model, keras_model = _twins(make, lambda m: m.optimizers.SGD(learning_rate=0.5), loss=loss,
                                metrics=())
    for w in model.weights:
        w *= 40                                  # saturate: probabilities hit the 1e-7 clip
    keras_model.set_weights(model.get_weights())
    h = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    kh = keras_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert _rel(h.history["loss"], kh.history["loss"]) <= PARITY
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) <= PARITY


LOGIT_LAYERS = {
    "Conv1DTranspose": lambda: L.Conv1DTranspose(3, 2, activation="softmax", kernel_initializer="random_normal"),
    "SeparableConv1D": lambda: L.SeparableConv1D(3, 2, padding="same", activation="softmax",
                                                 depthwise_initializer="random_normal",
                                                 pointwise_initializer="random_normal"),
    "DepthwiseConv1D": lambda: L.DepthwiseConv1D(2, padding="same", activation="softmax",
                                                 depthwise_initializer="random_normal"),
    "Activation": lambda: L.Activation("softmax"),
}


@pytest.mark.parametrize("make_last", LOGIT_LAYERS.values(), ids=LOGIT_LAYERS.keys())
def test_every_layer_ending_in_softmax_gives_the_loss_its_logits(make_last):
    """Any layer whose call ends with its activation exposes pre_activation, so the fusion finds it."""
    g = np.random.default_rng(2)
    x = (8 * g.standard_normal((24, 5, 1))).astype("float32")
    make = lambda: Sequential([Input((5, 1)), L.Conv1D(3, 1, kernel_initializer="random_normal"),
                               make_last()])
    model, keras_model = _twins(make, lambda m: m.optimizers.SGD(learning_rate=0.5),
                                loss="categorical_crossentropy", metrics=())
    for w in model.weights:
        w *= 20                                  # saturate: probabilities hit the 1e-7 clip
    keras_model.set_weights(model.get_weights())
    steps = model.predict(x[:1]).shape[1]
    y = np.eye(3, dtype="float32")[g.integers(0, 3, (24, steps))]
    h = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    kh = keras_model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert _rel(h.history["loss"], kh.history["loss"]) <= PARITY
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) <= PARITY


def test_evaluate_predict_and_train_on_batch_match_keras():
    x, y = _digits(96, flatten=True)
    model, keras_model = _twins(_mlp, OPTIMIZERS["sgd-momentum"])
    assert _rel(model.predict(x, batch_size=40), keras_model.predict(x, batch_size=40, verbose=0)) < 1e-5
    assert _rel(model.evaluate(x, y, batch_size=40), keras_model.evaluate(x, y, batch_size=40, verbose=0)) < 1e-5
    for start in (0, 32, 64):
        ours = model.train_on_batch(x[start:start + 32], y[start:start + 32])
        theirs = keras_model.train_on_batch(x[start:start + 32], y[start:start + 32])
        assert _rel(ours, theirs) < 1e-5
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) < 1e-5


def test_functional_model_trains_like_keras():
    a = Input((64,))
    h = L.Dense(16, activation="relu")(a)
    out = L.Dense(10, activation="softmax")(L.Concatenate()([L.Add()([h, L.Dense(16)(a)]), h]))
    make = lambda: kit.models.Model(a, out)
    x, y = _digits(128, flatten=True)
    model, keras_model = _twins(make, OPTIMIZERS["adam"])
    hist = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    khist = keras_model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    assert _rel(hist.history["loss"], khist.history["loss"]) <= PARITY


def test_shuffle_is_seeded():
    x, y = _digits(128, flatten=True)
    runs = []
    for seed in (3, 3, 4):
        kit.set_seed(0)
        model = _mlp()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=2, verbose=0, seed=seed).history["loss"])
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_progress_bar_and_silence(capsys):
    x, y = _digits(64, flatten=True)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "loss: " in out and "accuracy: " in out
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_history_keys_and_epochs():
    x, y = _digits(64, flatten=True)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25)
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert h.epoch == [0, 1, 2] and model.history is h


@pytest.mark.parametrize("call, match", [
    (lambda m, x, y: m.fit(x, y), r"call compile\(optimizer, loss\) before fit"),
    (lambda m, x, y: (m.compile(loss="mse"), m.fit(x, y[:5])), r"same number of samples; got \[5, 8\]"),
], ids=["not-compiled", "sizes"])
def test_fit_errors_are_clear(call, match):
    model = Sequential([Input((3,)), L.Dense(1)])
    with pytest.raises(ValueError, match=match):
        call(model, np.zeros((8, 3), "float32"), np.zeros((8, 1), "float32"))


def test_progress_bar_redraws_one_line_in_a_terminal_or_notebook(capsys, monkeypatch):
    monkeypatch.setattr(kit.callbacks, "_interactive", lambda: True)
    monkeypatch.setattr(kit.callbacks.ProgbarLogger, "REDRAW_EVERY", 0.0)     # redraw every batch
    x, y = _digits(64, flatten=True)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    lines = out.split("\n")
    assert lines[0] == "Epoch 1/1"
    assert lines[1].count("\r") == 5 and "1/4" in lines[1] and lines[1].rstrip().split("\r")[-1].startswith("4/4")


METRIC_CASES = {
    "binary_accuracy": ("BinaryAccuracy", lambda g: ((g.random((8, 1)) > 0.5).astype("float32"),
                                                     g.random((8, 1)).astype("float32"))),
    "categorical_accuracy": ("CategoricalAccuracy", lambda g: (np.eye(4, dtype="float32")[g.integers(0, 4, 8)],
                                                               g.random((8, 4)).astype("float32"))),
    "sparse_categorical_accuracy": ("SparseCategoricalAccuracy", lambda g: (g.integers(0, 4, 8),
                                                                            g.random((8, 4)).astype("float32"))),
    "mse": ("MeanSquaredError", lambda g: (g.standard_normal((8, 3)).astype("float32"),
                                           g.standard_normal((8, 3)).astype("float32"))),
    "mae": ("MeanAbsoluteError", lambda g: (g.standard_normal((8, 3)).astype("float32"),
                                            g.standard_normal((8, 3)).astype("float32"))),
}


@pytest.mark.parametrize("name, make", METRIC_CASES.values(), ids=METRIC_CASES.keys())
def test_metrics_are_running_means_like_keras(name, make):
    import keras
    g = np.random.default_rng(0)
    ours, theirs = getattr(kit.metrics, name)(), getattr(keras.metrics, name)()
    for batch in range(3):
        y_true, y_pred = make(g)
        if batch == 2:                                  # a smaller last batch weighs less
            y_true, y_pred = y_true[:3], y_pred[:3]
        ours.update_state(y_true, y_pred)
        theirs.update_state(y_true, y_pred)
        assert abs(ours.result() - float(theirs.result())) <= 1e-6
    ours.reset_state()
    assert ours.result() == 0.0


@pytest.mark.parametrize("opt", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_batchnorm_and_dropout_train_like_keras(opt):
    """training=True reaches BatchNormalization (batch statistics, moving averages) in fit, and
    training=False in validation; the non-trainable weights follow Keras's order.

    No bias before the normalization: its true gradient is zero (the normalization subtracts the
    mean), so what reaches it is round-off, which Adam rescales into full-size, random steps in
    both frameworks alike.
    """
    make = lambda: Sequential([Input((64,)), L.Dense(32, use_bias=False), L.BatchNormalization(),
                               L.Activation("relu"), L.Dropout(0.0), L.Dense(10, activation="softmax")])
    x, y = _digits(256, flatten=True)
    model, keras_model = _twins(make, opt)
    h = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=(x[:64], y[:64]))
    kh = keras_model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0,
                         validation_data=(x[:64], y[:64]))
    for key in ("loss", "val_loss"):
        assert _rel(h.history[key], kh.history[key]) <= PARITY, key
    for w, kw in zip(model.get_weights(), keras_model.get_weights()):
        assert _rel(w, kw) <= PARITY
