"""Twins of the noise layers. At inference each is the identity in every API; in training
the tests replay TensorFlow's own draw in the kit (tests/test_noise.py), as for Dropout."""
from .registry import Case, twin
from .regularization import _spatial_keras
from .tf import modules


def _inference(tf1_code):
    def build(layer, x, training, init):
        tf, _, _ = modules()
        if training:
            raise NotImplementedError("a random draw TF1 would make differently; "
                                      "tests/test_noise.py replays TensorFlow's draw")
        return tf.identity(x)
    build.__doc__ = tf1_code
    return build


def spatial_dropout3d_tf1(layer, x, training, init):
    tf, _, legacy = modules()
    shape = x.shape.as_list()
    noise = ([shape[0], shape[1], 1, 1, 1] if layer.data_format == "channels_first"
             else [shape[0], 1, 1, 1, shape[4]])
    return legacy.dropout(x, rate=layer.rate, noise_shape=noise, seed=layer.seed, training=training)


TWINS = [
    twin("GaussianNoise", tf1=_inference("x + tf.random_normal(tf.shape(x), stddev=s)"),
         tf1_name="x + tf.random_normal(tf.shape(x), stddev=stddev) under a training flag",
         cases=[Case("inference", {"stddev": 0.5}, (3, 4))]),
    twin("GaussianDropout", tf1=_inference("x * tf.random_normal(tf.shape(x), 1, sqrt(r/(1-r)))"),
         tf1_name="x * tf.random_normal(tf.shape(x), 1.0, sqrt(rate / (1 - rate)))",
         cases=[Case("inference", {"rate": 0.3}, (3, 4))]),
    twin("AlphaDropout", tf1=_inference("tf.contrib.nn.alpha_dropout"),
         tf1_name="tf.contrib.nn.alpha_dropout (removed with tf.contrib)",
         cases=[Case("inference", {"rate": 0.2}, (3, 4))]),
    twin("SpatialDropout3D", tf1=spatial_dropout3d_tf1, keras=_spatial_keras,
         tf1_name="tf.compat.v1.layers.dropout(noise_shape=(batch, 1, 1, 1, channels))",
         cases=[Case("inference", {"rate": 0.4}, (2, 2, 3, 2, 3))]),
    twin("ActivityRegularization", tf1=_inference("tf.identity, the penalty added to the loss"),
         tf1_name="tf.identity, with the penalty added to the loss by hand",
         # the identity part; the penalty's loss and gradient against Keras: tests/test_noise.py
         cases=[Case("identity-part", {}, (3, 4))]),
]
