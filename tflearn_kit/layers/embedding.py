"""Embedding: integer ids to dense vectors by table lookup."""
import numpy as np

from .. import constraints, initializers, regularizers
from ..kernels.embedding import embedding_backward, embedding_forward
from .base import Layer, refuse_unless_none


def _initializer(identifier):
    # Keras accepts "uniform" and "normal" as short names of RandomUniform / RandomNormal
    aliases = {"uniform": "random_uniform", "normal": "random_normal"}
    return initializers.get(aliases.get(identifier, identifier) if isinstance(identifier, str)
                            else identifier)


class Embedding(Layer):
    """Turns ids into vectors: row ``ids[n]`` of a trainable table. See tf.keras.layers.Embedding.

    Args:
        input_dim: size of the vocabulary; ids must lie in [0, input_dim).
        output_dim: length of each vector.
        embeddings_initializer: Keras's default "uniform" is RandomUniform(-0.05, 0.05).
        embeddings_regularizer: a penalty on the table.
        mask_zero: id 0 means "padding": the layer emits a mask (ids != 0) that the
            recurrent layers after it use to skip those steps. Id 0 still has a row.

    Input shape: (batch, ...) integers      Output shape: (batch, ..., output_dim)
    Weights: embeddings (input_dim, output_dim)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        refuse_unless_none(type(self).__name__, "quantized weights and LoRA adapters",
                           quantization_config=quantization_config, lora_rank=lora_rank,
                           lora_alpha=lora_alpha)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive integer; got {value!r}.")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _initializer(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        if weights is not None:         # the starting table, as Keras takes it: built at once
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")

    def convert_input(self, x):
        """Ids stay integers (the base layer would cast them to float); floats are truncated, as Keras casts them."""
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.integer):
            x = x.astype("int64")
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            bad = x.min() if x.min() < 0 else x.max()
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected ids in [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}), but got id {int(bad)}."
            )
        return x

    def call(self, inputs):
        y, self._cache = embedding_forward(inputs, self.embeddings)
        return y

    def backward_call(self, dy):
        return embedding_backward(dy, self._cache)

    def compute_mask(self, inputs, mask=None):
        return np.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "quantization_config": None,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


class PositionEmbedding(Layer):
    """A learned vector per position, added by the caller to the token embeddings.

    Keras core has no position layer: this is keras_hub's ``PositionEmbedding``
    (``sequence_length``, ``initializer``), and it equals ``keras.layers.Embedding(
    sequence_length, dim)`` looked up at the positions 0, 1, ..., T - 1 of every example.
    For fixed (not learned) positions see ``tflearn_kit.kernels.attention.sinusoidal_positions``.

    Args:
        sequence_length: the longest sequence the layer accepts.
        initializer: of the table (default glorot_uniform, as keras_hub).

    Input shape: (batch, T, dim), T <= sequence_length     Output shape: the same
    (the rows 0..T-1 of the table, repeated over the batch; the input's values are unused)
    Weights: embeddings (sequence_length, dim)
    """

    supports_masking = True

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if int(sequence_length) <= 0:
            raise ValueError(f"PositionEmbedding: sequence_length must be a positive integer; "
                             f"got {sequence_length!r}.")
        self.sequence_length = int(sequence_length)
        self.initializer = _initializer(initializer)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"Layer '{self.name}' (PositionEmbedding) expected an input of shape "
                             f"(batch, T, dim), but got shape {tuple(input_shape)}.")
        self.embeddings = self.add_weight(name="embeddings",
                                          shape=(self.sequence_length, input_shape[-1]),
                                          initializer=self.initializer)

    def call(self, inputs):
        length = inputs.shape[-2]
        if length > self.sequence_length:
            raise ValueError(f"Layer '{self.name}' (PositionEmbedding) holds {self.sequence_length} "
                             f"positions, but got a sequence of {length} (shape {inputs.shape}).")
        self._cache = inputs.shape
        return np.broadcast_to(self.embeddings[:length], inputs.shape).copy()

    def backward_call(self, dy):
        shape = self._cache
        # every example reads the same rows: their gradients add up; rows past T get none
        dtable = np.zeros_like(self.embeddings)
        dtable[:shape[-2]] = dy.reshape((-1,) + shape[-2:]).sum(axis=0)
        return np.zeros(shape, dy.dtype), [dtable]

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": initializers.serialize(self.initializer)}
