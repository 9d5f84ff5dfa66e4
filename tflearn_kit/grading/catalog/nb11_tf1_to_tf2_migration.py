"""Exercises of 11_tf1_to_tf2_migration: port a tf.layers block to tf.keras; fix a TF1 batch-norm step.

Both references are the TF1 programs themselves, run in a graph with a Session, so
a student's Keras port is checked against what the TF1 code really computed.
TensorFlow is imported inside the references, never when the catalog loads.
"""
import numpy as np

from ..exercises import RTOL, Case, Exercise, seeded

# The student's port imports TensorFlow through the kit's quiet importer, in the sandbox too.
STUDENT_KIT = ["tflearn_kit.reference.tf"]



# ---- port one tf.layers block to tf.keras ------------------------------------------------

def tf1_block(x, filters, legacy, tf, kernel_initializer=None, bias_initializer=None):
    """The TF1 block of the exercise: conv2d(3x3, same, relu) -> max_pooling2d(2, 2, same) -> dropout."""
    h = legacy.conv2d(x, filters, 3, strides=1, padding="same", activation=tf.nn.relu,
                      kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                      name="conv")
    h = legacy.max_pooling2d(h, pool_size=2, strides=2, padding="same", name="pool")
    return legacy.dropout(h, rate=0.25, training=False, name="drop")


def run_tf1_block(x, kernel, bias):
    """The TF1 block's output on x, its variables set to (kernel, bias) by constant initializers."""
    from ...reference.tf import modules
    tf, _, legacy = modules()
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        images = v1.placeholder(tf.as_dtype(x.dtype), (None, *x.shape[1:]))
        out = tf1_block(images, kernel.shape[-1], legacy, tf,
                        v1.constant_initializer(kernel), v1.constant_initializer(bias))
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return sess.run(out, {images: x})


def block_case(seed, batch, size, channels, filters):
    g = seeded(seed)
    x = g.standard_normal((batch, size, size, channels)).astype("float32")
    kernel = (g.standard_normal((3, 3, channels, filters)) * 0.3).astype("float32")
    bias = (g.standard_normal(filters) * 0.1).astype("float32")
    return x, kernel, bias


PORT_BLOCK = Exercise(
    function="port_block",
    reference=run_tf1_block,
    visible=[
        Case("8x8-1ch-16filters", lambda: block_case(seed=0, batch=2, size=8, channels=1, filters=16)),
        Case("6x6-3ch-4filters", lambda: block_case(seed=1, batch=3, size=6, channels=3, filters=4)),
        # an odd size: only there does the pool's padding="same" (Keras's default is "valid") matter
        Case("odd-5x5-2ch-3filters", lambda: block_case(seed=4, batch=2, size=5, channels=2, filters=3)),
    ],
    hidden=[
        Case("odd-7x7", lambda: block_case(seed=2, batch=2, size=7, channels=2, filters=5)),
        Case("batch1-5x5", lambda: block_case(seed=3, batch=1, size=5, channels=4, filters=8)),
    ],
    points=2,
    look="each TF1 argument's Keras name and default, the pooling's padding, and dropout in inference",
    # The Keras port runs in float32, as the TF1 block does.
    rtol=RTOL["float32"],
    hint="tf.layers.conv2d(x, f, 3, ...) -> keras.layers.Conv2D(f, 3, ...): same arguments, minus x; "
         "activation=tf.nn.relu -> 'relu'; keep padding='same' on the pooling too; "
         "dropout(rate, training=False) -> keras.layers.Dropout(rate).",
)


# ---- find the bug in a TF1 batch-norm training step ----------------------------------------

STEPS = 10
LEARNING_RATE = 0.5


def train_bn_fixed(x, y, w_hidden, w_out):
    """The fixed TF1 script: dense -> batch_normalization -> relu -> dense, SGD for STEPS steps.

    Returns (moving_mean, moving_variance, logits in inference mode). The fix: the
    train op runs under ``control_dependencies(UPDATE_OPS)``, so every step also
    updates batch norm's moving statistics.
    """
    from ...reference.tf import modules
    tf, _, legacy = modules()
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        images = v1.placeholder(tf.float64, (None, x.shape[1]))
        labels = v1.placeholder(tf.int64, (None,))
        training = v1.placeholder_with_default(False, ())
        h = legacy.dense(images, w_hidden.shape[1], use_bias=False,
                         kernel_initializer=v1.constant_initializer(w_hidden), name="hidden")
        h = legacy.batch_normalization(h, training=training, name="bn")
        logits = legacy.dense(tf.nn.relu(h), w_out.shape[1], use_bias=False,
                              kernel_initializer=v1.constant_initializer(w_out), name="out")
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        optimizer = v1.train.GradientDescentOptimizer(LEARNING_RATE)
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train_op = optimizer.minimize(loss)
        moving = [v for v in v1.global_variables() if "moving_" in v.name]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(train_op, {images: x, labels: y, training: True})
            mean, variance = sess.run(moving)
            return mean, variance, sess.run(logits, {images: x})


def bn_case(seed, batch, features, hidden, classes):
    g = seeded(seed)
    x = g.standard_normal((batch, features)) * 2.0 + 1.0
    y = g.integers(0, classes, batch).astype("int64")
    w_hidden = g.standard_normal((features, hidden)) * 0.5
    w_out = g.standard_normal((hidden, classes)) * 0.5
    return x, y, w_hidden, w_out


TRAIN_BN = Exercise(
    function="train_bn",
    reference=train_bn_fixed,
    visible=[
        Case("64x8-hidden6-3classes", lambda: bn_case(seed=10, batch=64, features=8, hidden=6, classes=3)),
        Case("32x5-hidden4-2classes", lambda: bn_case(seed=11, batch=32, features=5, hidden=4, classes=2)),
    ],
    hidden=[
        Case("100x12-hidden10-4classes", lambda: bn_case(seed=12, batch=100, features=12, hidden=10, classes=4)),
    ],
    points=2,
    look="the moving statistics after training: did the training steps ever update them?",
    outputs=("moving_mean", "moving_variance", "logits"),
    hint="The moving mean is still all zeros after training: tf.layers.batch_normalization puts its "
         "updates in the UPDATE_OPS collection, and nothing runs them. Build the train op under "
         "tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)).",
)

EXERCISES = [PORT_BLOCK, TRAIN_BN]
