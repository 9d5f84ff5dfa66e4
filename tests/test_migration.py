"""The migration of notebook 11, asserted: one TF1 tf.layers model, its Keras 3 port and its kit port.

The TF1 model is the classic CNN (conv2d 32 -> max_pooling2d -> conv2d 64 -> max_pooling2d ->
flatten -> dropout 0.4 -> dense 10), built in a graph with two towers sharing their
variables through ``variable_scope(reuse=True)``, trained for a few steps in a Session.
Its variables are copied, by name and unchanged, into a tf.keras Sequential and a kit
Sequential; the three must give the same logits in inference mode (dropout off).
tf.layers.flatten flattens NHWC maps in the same order as Keras's channels_last Flatten,
so the dense kernel needs no permutation.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.reference.tf import modules

from .conftest import DTYPES, TOLERANCES

LAYERS_WITH_WEIGHTS = ("conv1", "conv2", "logits")


def tf1_cnn(legacy, tf, images, training):
    h = legacy.conv2d(images, 32, 3, padding="same", activation=tf.nn.relu, name="conv1")
    h = legacy.max_pooling2d(h, 2, 2, name="pool1")
    h = legacy.conv2d(h, 64, 3, padding="same", activation=tf.nn.relu, name="conv2")
    h = legacy.max_pooling2d(h, 2, 2, name="pool2")
    h = legacy.flatten(h, name="flatten")
    h = legacy.dropout(h, 0.4, training=training, name="dropout")
    return legacy.dense(h, 10, name="logits")


def run_tf1_model(x_train, y_train, x_test, dtype, steps=3):
    """Train the TF1 model a few steps; return ({variable name: value}, eval logits, train logits)."""
    tf, keras, legacy = modules()
    v1 = tf.compat.v1
    keras.utils.set_random_seed(0)          # tf_keras's legacy initializers draw from Python's seed
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        images = v1.placeholder(tf.as_dtype(dtype), (None, 8, 8, 1))
        labels = v1.placeholder(tf.int64, (None,))
        with v1.variable_scope("model"):
            train_logits = tf1_cnn(legacy, tf, images, training=True)
        with v1.variable_scope("model", reuse=True):
            eval_logits = tf1_cnn(legacy, tf, images, training=False)
        loss = v1.losses.sparse_softmax_cross_entropy(labels, train_logits)
        train_op = v1.train.AdamOptimizer(0.01).minimize(loss)
        variables = v1.trainable_variables()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(steps):                # biases move away from their zero start
                sess.run(train_op, {images: x_train, labels: y_train})
            values = dict(zip([v.name for v in variables], sess.run(variables)))
            return (values, sess.run(eval_logits, {images: x_test}),
                    sess.run(train_logits, {images: x_test}))


def tf1_weights(values, layer_name):
    return [values[f"model/{layer_name}/kernel:0"], values[f"model/{layer_name}/bias:0"]]


def keras_port(dtype):
    _, keras, _ = modules()
    L = keras.layers
    return keras.Sequential([
        keras.Input((8, 8, 1), dtype=dtype),
        L.Conv2D(32, 3, padding="same", activation="relu", name="conv1", dtype=dtype),
        L.MaxPooling2D(2, 2, name="pool1", dtype=dtype),
        L.Conv2D(64, 3, padding="same", activation="relu", name="conv2", dtype=dtype),
        L.MaxPooling2D(2, 2, name="pool2", dtype=dtype),
        L.Flatten(name="flatten", dtype=dtype),
        L.Dropout(0.4, name="dropout", dtype=dtype),
        L.Dense(10, name="logits", dtype=dtype),
    ])


def kit_port(dtype):
    L = kit.layers
    model = kit.models.Sequential([
        L.Conv2D(32, 3, padding="same", activation="relu", name="conv1", dtype=dtype),
        L.MaxPooling2D(2, 2, name="pool1", dtype=dtype),
        L.Conv2D(64, 3, padding="same", activation="relu", name="conv2", dtype=dtype),
        L.MaxPooling2D(2, 2, name="pool2", dtype=dtype),
        L.Flatten(name="flatten", dtype=dtype),
        L.Dropout(0.4, name="dropout", dtype=dtype),
        L.Dense(10, name="logits", dtype=dtype),
    ])
    model.build((None, 8, 8, 1))
    return model


def load_tf1_weights(model, values):
    for name in LAYERS_WITH_WEIGHTS:
        model.get_layer(name).set_weights(tf1_weights(values, name))


@pytest.fixture(scope="module", params=DTYPES)
def migrated(request):
    """The TF1 model trained a few steps, and its two ports with its variables copied in."""
    dtype = request.param
    x, y = kit.data.load_digits(n_per_class=10)
    x = x.astype(dtype)
    values, tf1_eval, tf1_train = run_tf1_model(x[:64], y[:64], x[64:], dtype)
    keras_model, kit_model = keras_port(dtype), kit_port(dtype)
    load_tf1_weights(keras_model, values)
    load_tf1_weights(kit_model, values)
    return {"dtype": dtype, "x": x[64:], "values": values, "tf1": tf1_eval, "tf1_train": tf1_train,
            "keras": np.asarray(keras_model(x[64:], training=False)), "kit": kit_model.predict(x[64:])}


def rel_err(actual, expected):
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def test_the_tf1_towers_share_six_variables(migrated):
    assert sorted(migrated["values"]) == sorted(
        f"model/{layer}/{w}:0" for layer in LAYERS_WITH_WEIGHTS for w in ("kernel", "bias"))
    assert migrated["values"]["model/logits/kernel:0"].shape == (2 * 2 * 64, 10)
    assert all(v.dtype == np.dtype(migrated["dtype"]) for v in migrated["values"].values())
    # a few training steps, so a forgotten bias would show
    assert np.max(np.abs(migrated["values"]["model/logits/bias:0"])) > 1e-3


@pytest.mark.parametrize("pair", [("keras", "tf1"), ("kit", "tf1"), ("kit", "keras")],
                         ids=["keras-vs-tf1", "kit-vs-tf1", "kit-vs-keras"])
def test_three_way_logits_agree(migrated, pair):
    actual, expected = migrated[pair[0]], migrated[pair[1]]
    assert actual.shape == expected.shape == (len(migrated["x"]), 10)
    assert actual.dtype == np.dtype(migrated["dtype"])
    assert rel_err(actual, expected) <= TOLERANCES[migrated["dtype"]]


def test_the_comparison_can_fail_dropout_on_differs(migrated):
    """The TF1 training tower (dropout on) does not match the ports at inference."""
    assert rel_err(migrated["tf1_train"], migrated["tf1"]) > 1e-2


def test_flatten_order_matters_a_channels_first_flatten_would_disagree(migrated):
    """Copying the dense kernel is exact only because both flatten NHWC maps in the same order."""
    dtype = migrated["dtype"]
    kit_model = kit_port(dtype)
    load_tf1_weights(kit_model, migrated["values"])
    kernel = kit_model.get_layer("logits").kernel
    # Reorder the kernel's rows as if the 2x2x64 map had been flattened channels first.
    kernel[...] = kernel.reshape(2, 2, 64, 10).transpose(2, 0, 1, 3).reshape(256, 10)
    assert rel_err(kit_model.predict(migrated["x"]), migrated["tf1"]) > 1e-2
