"""Sequential: a chain of layers, each feeding the next. See keras.Sequential."""
from .functional import Graph, Input, KerasTensor
from .model import Model


class Sequential(Model):
    """A model whose layers run one after the other.

    ``Sequential([Input((8,)), Dense(16, activation="relu"), Dense(3)])`` builds at once;
    without an ``Input`` it builds on the first batch (or ``build(input_shape)``).
    Internally it is a functional graph: one node per layer, the mask of each
    layer passed to the next (Embedding(mask_zero=True) -> LSTM).
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._layers = []
        self._input = None
        self._multi_input = self._multi_output = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or an ``Input``, which fixes the input shape)."""
        if isinstance(layer, KerasTensor):
            if self._layers or self._input is not None:
                raise ValueError("Sequential: an Input can only come first.")
            self._input = layer
            self.build(layer.shape)
            return
        if not hasattr(layer, "backward"):
            raise ValueError(f"Sequential.add: expected a kit layer, got {type(layer).__name__}.")
        self._layers.append(layer)
        self._graph = None
        self.built = False
        if self._input is not None:
            self.build(self._input.shape)

    def pop(self):
        layer = self._layers.pop()
        self._graph = None
        self.built = False
        if self._input is not None:
            self.build(self._input.shape)
        return layer

    @property
    def layers(self):
        return list(self._layers)

    def build(self, input_shape):
        """Connect the layers from an input of ``input_shape`` (batch axis included)."""
        shape = tuple(input_shape)
        if self._input is None or self._input.shape != shape:
            self._input = Input(shape[1:], batch_size=shape[0],
                                dtype=self._layers[0].dtype if self._layers else "float32")
        x = self._input
        for layer in self._layers:
            x = layer(x)
        self._graph = Graph([self._input], [x])
        self._dtype_from([self._input])

    def _ensure_built(self, xs):
        if self._graph is None:
            if not self._layers:
                raise ValueError(f"Sequential '{self.name}' has no layers.")
            self.build((None,) + tuple(xs[0].shape[1:]))

    def get_config(self):
        from .saving import sequential_config
        return sequential_config(self)

    @classmethod
    def from_config(cls, config):
        from .saving import sequential_from_config
        return sequential_from_config(config)
