"""One training epoch of a small CNN on the offline digits: the kit's fit against keras.Model.fit.

Both models start from the same weights and see the same batches (shuffle=False),
so after the same number of epochs their test accuracies agree too; ``setup``
prints them after one untimed epoch (which also lets Keras trace its train function).
Goal: the kit's epoch within 2x of Keras's.
"""
from .engine import Benchmark

BATCH = 32


def cnn(kit):
    """The CNN of the parity tests and of notebook 10: Conv2D -> MaxPooling2D -> Flatten -> Dense."""
    L = kit.layers
    return kit.models.Sequential([
        kit.models.Input((8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dense(10, activation="softmax"),
    ])


def setup_pair(learning_rate=0.01):
    """(model, keras_model, (x_train, y_train), (x_test, y_test)): twins, compiled with Adam."""
    import keras

    import tflearn_kit as kit
    from ..reference.models import to_keras
    (x, y), test = kit.data.train_test_split(*kit.data.load_digits(), test_fraction=0.2, seed=0)
    kit.set_seed(0)
    model = cnn(kit)
    keras_model = to_keras(model)
    model.compile(optimizer=kit.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    keras_model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, keras_model, (x, y), test


def _setup():
    model, keras_model, (x, y), (xt, yt) = setup_pair()

    def kit_epoch():
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)

    def keras_epoch():
        keras_model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)

    kit_epoch()
    keras_epoch()
    acc = model.evaluate(xt, yt, verbose=0)[1]
    keras_acc = keras_model.evaluate(xt, yt, verbose=0)[1]
    print(f"  CNN on digits, test accuracy after 1 epoch from the same weights: "
          f"kit {100 * acc:.1f}%, Keras {100 * keras_acc:.1f}% (goal: within 1 point)")
    return {"kit": kit_epoch, "tf": keras_epoch}


BENCHMARKS = [
    Benchmark(f"fit: 1 epoch CNN on digits (1438 images, batch {BATCH})", _setup, goal=2.0,
              group="training"),
]
