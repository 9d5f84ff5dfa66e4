"""Twins of ReversibleEmbedding and SpectralNormalization, two layers Keras 3 added.

tf.layers had neither. TF1 language models tied their output layer to the input table by
hand: ``tf.nn.embedding_lookup(table, ids)`` in, ``tf.matmul(h, table, transpose_b=True)``
out. TF1 GANs normalized a kernel with a hand-written power iteration
(``tf.nn.l2_normalize`` steps and a ``tf.assign`` of u, as in the SN-GAN code), or with
``tf.contrib.gan``'s ``spectral_normalize``.
"""
from .registry import Case, twin
from .tf import modules

TIED_INIT = {"embeddings_initializer": "glorot_uniform"}   # logits near 1, so a cap of 1 bites


def _spectral_keras(layer):
    from .rnn import keras_layer        # rnn is a family module too: imported when needed
    _, keras, _ = modules()
    return keras.layers.SpectralNormalization(keras_layer(layer.layer),
                                              power_iterations=layer.power_iterations,
                                              name=layer.name, dtype=layer.dtype)


def _wrapped(class_name, **config):
    return {"class_name": class_name, "config": {"kernel_initializer": "glorot_uniform", **config}}


TWINS = [
    twin("ReversibleEmbedding",
         tf1_note="tf.nn.embedding_lookup in, tf.matmul(h, table, transpose_b=True) out",
         cases=[
             Case("ids", {"input_dim": 9, "output_dim": 4}, (3, 5), input_kind="int:9"),
             Case("ids-untied-mask-zero", {"input_dim": 6, "output_dim": 3, "tie_weights": False,
                                           "mask_zero": True}, (2, 7), input_kind="int:6"),
             Case("reverse-tied", {"input_dim": 9, "output_dim": 4, **TIED_INIT}, (3, 5, 4),
                  call_kwargs={"reverse": True}),
             Case("reverse-untied", {"input_dim": 7, "output_dim": 4, "tie_weights": False,
                                     **TIED_INIT}, (2, 3, 4), call_kwargs={"reverse": True}),
             Case("reverse-soft-cap1", {"input_dim": 8, "output_dim": 5, "logit_soft_cap": 1.0,
                                        **TIED_INIT}, (4, 5), call_kwargs={"reverse": True}),
             Case("reverse-untied-soft-cap0.5-rank2", {"input_dim": 6, "output_dim": 3,
                                                       "tie_weights": False,
                                                       "logit_soft_cap": 0.5, **TIED_INIT},
                  (5, 3), call_kwargs={"reverse": True}),
         ]),
    twin("SpectralNormalization", keras=_spectral_keras,
         tf1_note="a hand-written power iteration (tf.nn.l2_normalize, tf.assign of u) or "
                  "tf.contrib.gan's spectral_normalize",
         cases=[
             Case("dense-training", {"layer": _wrapped("Dense", units=4)}, (3, 5), training=True),
             Case("dense-3-iterations-nobias", {"layer": _wrapped("Dense", units=3, use_bias=False),
                                                "power_iterations": 3}, (4, 6), training=True),
             Case("dense-inference", {"layer": _wrapped("Dense", units=4)}, (3, 5)),
             Case("conv2d-training", {"layer": _wrapped("Conv2D", filters=3, kernel_size=2)},
                  (2, 5, 5, 2), training=True),
             Case("conv1d-relu-training-2-iterations",
                  {"layer": _wrapped("Conv1D", filters=4, kernel_size=3, activation="relu"),
                   "power_iterations": 2}, (2, 6, 3), training=True),
         ]),
]
