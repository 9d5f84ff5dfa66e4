"""SpectralNormalization: a wrapper that keeps a layer's kernel at spectral norm 1."""
import numpy as np

from .. import initializers
from ..kernels.spectral_normalization import spectral_normalize
from .base import InputSpec, Layer
from .rnn import deserialize_layer, serialize_layer


class SpectralNormalization(Layer):
    """Divides the wrapped layer's kernel by its largest singular value. See
    tf.keras.layers.SpectralNormalization.

    Args:
        layer: a kit layer with a ``kernel`` (Dense, the convolutions, ...) or ``embeddings``.
        power_iterations: power-iteration steps per training call (at least 1).

    In training, each call first runs the power iteration from the stored ``vector_u``,
    writes the new u back and overwrites the kernel with ``kernel / sigma``, then runs the
    layer. As in Keras the kernel is *replaced* (a variable assignment), not reparametrized:
    the gradient is the wrapped layer's at the normalized kernel, and no gradient flows
    through sigma. An all-zero kernel is left alone (sigma would be 0). At inference the
    layer runs on the kernel as it is.

    Input shape, output shape: the wrapped layer's.
    Weights (Keras's order): kernel, vector_u (1, units; non-trainable, TruncatedNormal(0.02)),
    then the wrapped layer's other weights (bias ...).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        layer = deserialize_layer(layer, self.dtype)
        if not isinstance(layer, Layer):
            raise ValueError(f"SpectralNormalization: layer must be a kit layer; got "
                             f"{type(layer).__name__}.")
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, (int, np.integer)) \
                or power_iterations <= 0:
            raise ValueError(f"SpectralNormalization: power_iterations must be an integer greater "
                             f"than zero; got {power_iterations!r}.")
        self.layer = layer
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(tuple(input_shape))
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, np.ndarray):
            raise ValueError(f"Layer '{self.name}' (SpectralNormalization): "
                             f"{type(self.layer).__name__} has no attribute 'kernel' nor 'embeddings'.")
        self.kernel = kernel
        self.vector_u = self.add_weight(shape=(1, kernel.shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, name="vector_u", dtype=kernel.dtype)
        # the wrapped layer's weights are the wrapper's: one array each, shared, so
        # normalizing self.kernel in place is normalizing the layer's kernel
        self._weights = list(self.layer._weights) + self._weights
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})

    def convert_input(self, x):
        return self.layer.convert_input(x)      # ids stay ids for a wrapped Embedding

    @property
    def weights(self):
        """kernel, vector_u, then the wrapped layer's others: Keras tracks the kernel as the
        wrapper's own weight (``self.kernel = layer.kernel``), so it comes first."""
        if not self.built:
            return super().weights
        first = [self.kernel, self.vector_u]
        return first + [w for w in super().weights if all(w is not f for f in first)]

    def call(self, inputs, training=None):
        if training and np.any(self.kernel != 0):
            u, kernel = spectral_normalize(self.kernel, self.vector_u, self.power_iterations)
            self.vector_u[...] = u
            self.kernel[...] = kernel
        self._cache = True
        return self.layer(inputs, training=training)

    def backward_call(self, dy):
        # the normalization is an assignment before the call, not a step of it: the
        # gradients are the wrapped layer's (its trainable weights are the wrapper's)
        return self.layer.backward_call(dy)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer),
                "power_iterations": self.power_iterations}
