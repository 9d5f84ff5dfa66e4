"""ReversibleEmbedding: one table that reads token ids in and writes vocabulary scores out."""
import numpy as np

from ..kernels.reversible_embedding import reverse_projection_backward, reverse_projection_forward
from .embedding import Embedding

_REVERSE_DTYPES = (None, "float16", "float32", "float64")   # NumPy has no bfloat16


class ReversibleEmbedding(Embedding):
    """An Embedding that can also project back to the vocabulary. See tf.keras.layers.ReversibleEmbedding.

    ``layer(ids)`` looks rows up, as Embedding does; ``layer(h, reverse=True)`` returns
    ``h @ embeddings.T``, one logit per vocabulary word (weight tying: Press and Wolf, 2016).

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
            embeddings_constraint, mask_zero: as Embedding's.
        tie_weights: the reverse call uses the table's transpose (default); False gives it a
            trainable ``reverse_embeddings`` of its own, (output_dim, input_dim), drawn with
            the embeddings' initializer.
        reverse_dtype: the dtype the reverse matmul runs in (default: the layer's).
        logit_soft_cap: when set, reverse logits become ``cap * tanh(logits / cap)``.
        quantization_config: only None; quantized tables are not in the kit.

    Input shape: (batch, ...) ids, or (batch, ..., output_dim) with reverse=True
    Output shape: (batch, ..., output_dim), or (batch, ..., input_dim) with reverse=True
    Weights: embeddings (input_dim, output_dim)[, reverse_embeddings (output_dim, input_dim)]
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        weights = kwargs.pop("weights", None)      # loaded once tie_weights says how many
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        if reverse_dtype not in _REVERSE_DTYPES:
            raise ValueError(f"ReversibleEmbedding: reverse_dtype must be one of {_REVERSE_DTYPES}; "
                             f"got {reverse_dtype!r}.")
        if logit_soft_cap is not None and not float(logit_soft_cap) > 0:
            raise ValueError(f"ReversibleEmbedding: logit_soft_cap must be a positive number or "
                             f"None; got {logit_soft_cap!r}.")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self._reverse = self._reversed_call = False
        if weights is not None:
            self.build(None)
            self.set_weights(weights)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer,
                                                      name="reverse_embeddings")

    def __call__(self, inputs, training=None, mask=None, reverse=False, **kwargs):
        # convert_input runs before call: it must know whether ids or vectors are coming
        self._reverse = bool(reverse)
        return super().__call__(inputs, training=training, mask=mask, reverse=self._reverse, **kwargs)

    def convert_input(self, x):
        """Floats stay floats (a reverse call's vectors); call turns them into ids otherwise."""
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.floating):
            return x.astype(self.dtype, copy=False)
        return super().convert_input(x)

    def call(self, inputs, reverse=False):
        self._reversed_call = reverse
        if not reverse:
            return super().call(super().convert_input(inputs))     # Embedding's lookup and cache
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"Layer '{self.name}' (ReversibleEmbedding) expected reverse inputs of "
                             f"shape (batch, ..., {self.output_dim}), but got shape {inputs.shape}.")
        kernel = self.embeddings.T if self.tie_weights else self.reverse_embeddings
        dtype = self.reverse_dtype or self.dtype
        y, cache = reverse_projection_forward(inputs.astype(dtype, copy=False),
                                              kernel.astype(dtype, copy=False), self.logit_soft_cap)
        self._cache = cache
        return y

    def backward_call(self, dy):
        if not self._reversed_call:
            dx, grads = super().backward_call(dy)
            return dx, grads + ([] if self.tie_weights else [None])   # the reverse table was not used
        cache = self._cache
        dx, [dkernel] = reverse_projection_backward(dy.astype(cache[1].dtype, copy=False), cache)
        dx = dx.astype(self.dtype, copy=False)
        if self.tie_weights:
            return dx, [dkernel.T]          # the table was read transposed: its gradient comes back so
        return dx, [None, dkernel]          # the table itself took no part

    def compute_mask(self, inputs, mask=None):
        return None if self._reverse else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
