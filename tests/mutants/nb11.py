"""11_tf1_to_tf2_migration: port_block (the learner writes port_block_layers), train_bn (the fixed TF1 script).

Each variant is the whole exercise cell, TensorFlow imported through the kit's quiet importer
as the notebook does, so that the same code also stands in for the cell in a graded notebook.
"""
from . import Variant as V

_PORT = """
from tflearn_kit.reference.tf import modules

tf, keras, legacy = modules()


def port_block_layers(filters):
    return [
        {layers}
    ]


def port_block(x, kernel, bias):
    layers = port_block_layers(kernel.shape[-1])
    model = keras.Sequential([keras.Input(x.shape[1:]), *layers])
    layers[0].set_weights([kernel, bias])
    return np.asarray(model(x, training=False))
"""

_CONV = 'keras.layers.Conv2D(filters, 3, strides=1, padding="same", activation="relu")'
_POOL = 'keras.layers.MaxPooling2D(pool_size=2, strides=2, padding="same")'
_DROP = "keras.layers.Dropout(0.25)"


def port(conv=_CONV, pool=_POOL, drop=_DROP):
    return _PORT.format(layers=",\n        ".join(layer for layer in (conv, pool, drop) if layer))


_TRAIN = """
from tflearn_kit.reference.tf import modules

tf, keras, legacy = modules()
v1 = tf.compat.v1
STEPS, LEARNING_RATE = 10, 0.5


def train_bn(x, y, w_hidden, w_out):
    with tf.Graph().as_default():
        images = v1.placeholder({dtype}, (None, x.shape[1]))
        labels = v1.placeholder(tf.int64, (None,))
        training = v1.placeholder_with_default(False, ())
        {early}
        h = legacy.dense(images, w_hidden.shape[1], use_bias=False,
                         kernel_initializer=v1.constant_initializer(w_hidden), name="hidden")
        h = legacy.batch_normalization(h, training=training, name="bn")
        logits = legacy.dense(tf.nn.relu(h), w_out.shape[1], use_bias=False,
                              kernel_initializer=v1.constant_initializer(w_out), name="out")
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        optimizer = v1.train.GradientDescentOptimizer(LEARNING_RATE)
        {train_op}
        moving = [v for v in v1.global_variables() if "moving_" in v.name]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(STEPS):
                sess.run({step}, {{images: x, labels: y, training: {training}}})
            {after}
            mean, variance = sess.run(moving)
            return {ret}, sess.run(logits, {{images: x{infer}}})
"""

_FIXED = ("with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):\n"
          "            train_op = optimizer.minimize(loss)")


def train(dtype="tf.float64", early="pass", train_op=_FIXED, step="train_op", training="True", after="pass",
          ret="mean, variance", infer=""):
    return _TRAIN.format(dtype=dtype, early=early, train_op=train_op, step=step, training=training, after=after,
                         ret=ret, infer=infer)


MUTANTS = [
    # ---- port_block
    V("port_block", "pool-padding-valid", "the pooling's padding left at Keras's default 'valid'",
      port(pool="keras.layers.MaxPooling2D(pool_size=2, strides=2)")),
    V("port_block", "relu-forgotten", "activation=tf.nn.relu dropped from the convolution",
      port(conv='keras.layers.Conv2D(filters, 3, strides=1, padding="same")')),
    V("port_block", "conv-padding-valid", "the convolution's padding left at 'valid'",
      port(conv='keras.layers.Conv2D(filters, 3, strides=1, activation="relu")')),
    V("port_block", "pool-stride-1", "pooling with strides=1 (tf.layers' strides argument read as optional)",
      port(pool='keras.layers.MaxPooling2D(pool_size=2, strides=1, padding="same")')),
    V("port_block", "average-pooling", "AveragePooling2D for max_pooling2d",
      port(pool='keras.layers.AveragePooling2D(pool_size=2, strides=2, padding="same")')),
    V("port_block", "pool-size-3", "a 3x3 pooling window",
      port(pool='keras.layers.MaxPooling2D(pool_size=3, strides=2, padding="same")')),
    V("port_block", "conv-stride-2", "the stride moved from the pooling to the convolution",
      port(conv='keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")')),
    V("port_block", "sigmoid", "activation='sigmoid'",
      port(conv='keras.layers.Conv2D(filters, 3, strides=1, padding="same", activation="sigmoid")')),
    V("port_block", "dropout-as-keep-prob", "dropout's rate read as TF1's keep_prob and applied as a scale",
      port(drop="keras.layers.Rescaling(0.75)")),
    # ---- train_bn
    V("train_bn", "bug-kept", "the train op built without the UPDATE_OPS: the moving statistics never move",
      train(train_op="train_op = optimizer.minimize(loss)")),
    V("train_bn", "update-ops-collected-too-early", "UPDATE_OPS read before batch norm is built (an empty list)",
      train(early="update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)",
            train_op="with tf.control_dependencies(update_ops):\n            train_op = optimizer.minimize(loss)")),
    V("train_bn", "updates-once-after-training", "the update ops run once, after the training loop",
      train(train_op="train_op = optimizer.minimize(loss)",
            after="sess.run(v1.get_collection(v1.GraphKeys.UPDATE_OPS), {images: x, training: True})")),
    V("train_bn", "never-training", "training left False in the training steps too",
      train(training="False")),
    V("train_bn", "batch-statistics-at-inference", "the logits computed with training=True: batch statistics "
                                                   "at inference", train(infer=", training: True")),
    V("train_bn", "updates-without-training", "runs only the update ops, never the optimizer",
      train(step="v1.get_collection(v1.GraphKeys.UPDATE_OPS)")),
    V("train_bn", "mean-variance-swapped", "returns (variance, mean, logits)", train(ret="variance, mean")),
    V("train_bn", "float32", "the placeholder in float32 (the script's data is float64)", train(dtype="tf.float32")),
]

CORRECT = [
    V("port_block", "relu-layer", "the activation as its own ReLU layer after the pooling (max and relu commute)",
      _PORT.format(layers="keras.layers.Conv2D(filters, (3, 3), padding='same'),\n        "
                          "keras.layers.MaxPooling2D(2, padding='same'),\n        "
                          "keras.layers.ReLU(),\n        keras.layers.Dropout(rate=0.25)")),
    V("port_block", "activation-layer", "Conv2D then Activation('relu'), keyword arguments, default strides",
      _PORT.format(layers="keras.layers.Conv2D(filters=filters, kernel_size=(3, 3), padding='same'),\n        "
                          "keras.layers.Activation('relu'),\n        "
                          "keras.layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding='same'),\n        "
                          "keras.layers.Dropout(0.25)")),
    V("train_bn", "run-together", "the update ops fetched in the same sess.run as the train op",
      train(train_op="train_op = [optimizer.minimize(loss), v1.get_collection(v1.GraphKeys.UPDATE_OPS)]")),
    V("train_bn", "group", "tf.group of the train op and the update ops",
      train(train_op="train_op = tf.group(optimizer.minimize(loss), *v1.get_collection(v1.GraphKeys.UPDATE_OPS))")),
]
