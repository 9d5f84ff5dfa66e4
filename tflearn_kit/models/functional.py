"""The functional API: symbolic tensors, the nodes that connect layers, and running the graph.

``x = Input((8,))`` is a :class:`KerasTensor`: a shape and a dtype, no values.
Calling a layer on it builds the layer from the shape and records a :class:`Node`
(the layer, its input tensors, its output tensors) instead of computing anything.
``Model(inputs, outputs)`` then walks the nodes back from the outputs, orders them
as Keras does (by depth, then by first visit), and runs them forward with arrays;
backward walks the same nodes in reverse, summing the gradients of a tensor used
twice (a skip connection) and of a layer called twice (shared weights).
"""
from ..layers.base import Layer, shape_str


class KerasTensor:
    """A symbolic tensor: the shape (None for the batch and any free axis) and dtype of a future value.

    See keras.KerasTensor. ``node`` is the call that produces it.
    """

    def __init__(self, shape, dtype="float32", node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def _kit_symbolic_call(self, layer, inputs, **kwargs):
        """Called by ``Layer.__call__`` when its input is symbolic: record the call."""
        return call_symbolic(layer, inputs, **kwargs)

    def __add__(self, other):
        """``x + f(x)``: a residual connection, recorded as an Add layer (Keras records an add op)."""
        from ..layers.merging import Add
        if not isinstance(other, KerasTensor):
            return NotImplemented
        return Add(dtype=self.dtype)([self, other])

    __radd__ = __add__

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer in a graph: input tensors -> output tensors."""

    def __init__(self, layer, inputs, outputs, list_input, kwargs):
        self.layer = layer
        self.inputs = inputs            # [KerasTensor]
        self.outputs = outputs          # [KerasTensor]
        self.list_input = list_input    # whether the layer was called on a list
        self.kwargs = kwargs
        self.saved = None               # the layer's cache after this node's forward

    @property
    def is_input(self):
        return isinstance(self.layer, InputLayer)


class InputLayer(Layer):
    """Where a graph starts. See keras.layers.InputLayer. Holds no weights."""

    def __init__(self, shape=None, batch_size=None, dtype="float32", name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = (batch_size,) + tuple(shape)
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}

    @classmethod
    def from_config(cls, config):
        shape = config["batch_shape"]
        return cls(shape=tuple(shape[1:]), batch_size=shape[0], dtype=config.get("dtype", "float32"),
                   name=config.get("name"))


def Input(shape, batch_size=None, dtype="float32", name=None):
    """A symbolic input of ``shape`` (without the batch axis). See keras.Input."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name or _input_name())
    tensor = KerasTensor(layer.batch_shape, layer.dtype, name=layer.name)
    tensor.node = Node(layer, [], [tensor], False, {})
    return tensor


def _input_name():
    from ..layers.base import unique_name
    return unique_name("input_layer")


def _is_shape_list(shape):
    return isinstance(shape, list) and all(isinstance(s, (tuple, list)) for s in shape)


def call_symbolic(layer, inputs, **kwargs):
    """Build ``layer`` from symbolic shapes, record the call, return symbolic outputs."""
    list_input = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if list_input else [inputs]
    if not all(isinstance(t, KerasTensor) for t in tensors):
        raise ValueError(f"Layer '{layer.name}': cannot mix symbolic tensors (from Input) and "
                         "arrays in one call.")
    layer._maybe_build(inputs)
    shape_arg = layer._shapes(inputs)
    out_shape = layer.compute_output_shape(shape_arg)
    out_shapes = out_shape if _is_shape_list(out_shape) else [out_shape]
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    node = Node(layer, tensors, [], list_input, kwargs)
    node.outputs = [KerasTensor(s, layer.dtype, node, i, name=layer.name)
                    for i, s in enumerate(out_shapes)]
    layer._inbound_nodes = getattr(layer, "_inbound_nodes", []) + [node]
    return node.outputs if _is_shape_list(out_shape) else node.outputs[0]


class Graph:
    """The nodes between ``inputs`` and ``outputs``, in an order where every input comes first."""

    def __init__(self, inputs, outputs):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.nodes, self.layers = self._map()

    def _map(self):
        """Keras's map_graph: a depth-first walk from the outputs, then layers sorted by depth."""
        finished, in_progress, order, first_seen = set(), set(), [], {}
        input_ids = {id(t) for t in self.inputs}

        def visit(tensor):
            node = tensor.node
            if id(node) in finished:
                return
            if not node.is_input and id(tensor) in input_ids:
                finished.add(id(node))
                return
            if id(node) in in_progress:
                raise ValueError(f"The graph has a cycle through layer '{node.layer.name}'.")
            first_seen.setdefault(id(node.layer), (len(first_seen), node.layer))
            in_progress.add(id(node))
            if not node.is_input:
                for t in node.inputs:
                    visit(t)
            finished.add(id(node))
            in_progress.discard(id(node))
            order.append(node)

        for t in self.outputs:
            visit(t)
        reachable_inputs = {id(t.node) for t in self.inputs}
        for node in order:
            if node.is_input and id(node) not in reachable_inputs:
                raise ValueError(
                    f"Model: output depends on input '{node.layer.name}', which is not among "
                    "the model's inputs."
                )
        node_depth, layer_depth = {}, {}
        for node in reversed(order):
            depth = node_depth.setdefault(id(node), 0)
            depth = max(depth, layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = depth
            node_depth[id(node)] = depth
            if not node.is_input:
                for t in node.inputs:
                    key = id(t.node)
                    node_depth[key] = max(depth + 1, node_depth.get(key, 0))
        for t in self.inputs:                      # an input no output needs still counts
            layer_depth.setdefault(id(t.node.layer), 0)
            first_seen.setdefault(id(t.node.layer), (-1, t.node.layer))
        layers = sorted((v for v in first_seen.values()),
                        key=lambda item: (-layer_depth[id(item[1])], item[0]))
        return order, [layer for _, layer in layers]

    # ---- running it ------------------------------------------------------------------

    def forward(self, inputs, training=None):
        """Arrays for the inputs -> arrays for the outputs; every node's cache is kept."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"The model expects {len(self.inputs)} inputs "
                             f"({', '.join(shape_str(t.shape) for t in self.inputs)}), "
                             f"but got {len(inputs)}.")
        values, masks = {}, {}
        for t, x in zip(self.inputs, inputs):
            if x.ndim != len(t.shape) or any(d is not None and d != s
                                             for d, s in zip(t.shape[1:], x.shape[1:])):
                raise ValueError(f"Input '{t.name}' expected shape {shape_str(t.shape)}, "
                                 f"but got an array of shape {x.shape}.")
            values[id(t)] = x
        for node in self.nodes:
            if node.is_input or all(id(t) in values for t in node.outputs):
                continue
            args = [values[id(t)] for t in node.inputs]
            if node.list_input:
                # one mask per input ([query_mask, value_mask] for attention), as Keras passes them
                mask = [masks.get(id(t)) for t in node.inputs]
                mask = None if all(m is None for m in mask) else mask
            else:
                mask = masks.get(id(node.inputs[0]))
            if mask is not None and not node.layer.accepts_mask():
                mask = None         # as Keras 3: a layer that cannot use the mask ends it here
            y = node.layer(args if node.list_input else args[0], training=training, mask=mask,
                           **node.kwargs)
            node.saved = _save_state(node.layer)
            ys = y if len(node.outputs) > 1 else [y]
            if getattr(node.layer, "clears_input_masks", False):
                # Keras's MultiHeadAttention sets its input tensors' masks to None: a later
                # layer reading the same tensor (a residual Add) sees it unmasked
                for t in node.inputs:
                    masks.pop(id(t), None)
            for t, v in zip(node.outputs, ys):
                values[id(t)] = v
                masks[id(t)] = getattr(node.layer, "output_mask", None)
        return [values[id(t)] for t in self.outputs]

    def output_pre_activation(self):
        """The first output's pre_activation, from the call that made it (a layer may be shared)."""
        node = self.outputs[0].node
        _restore_state(node.layer, node.saved)
        return node.layer.pre_activation

    def backward(self, douts, from_pre_activation=False):
        """dL/d(outputs) -> dL/d(inputs); layer grads summed over the layer's calls.

        With ``from_pre_activation``, ``douts[0]`` is dL/d(the first output's pre_activation).
        """
        grads = {id(t): d for t, d in zip(self.outputs, douts)}
        fused_node = self.outputs[0].node if from_pre_activation else None
        layer_grads = {}
        for node in reversed(self.nodes):
            if node.is_input:
                continue
            dys = [grads.get(id(t)) for t in node.outputs]
            if all(d is None for d in dys):
                continue
            layer = node.layer
            _restore_state(layer, node.saved)
            if len(node.outputs) > 1:
                dys = [d if d is not None else _zeros_like_output(node, i) for i, d in enumerate(dys)]
                dx = layer.backward(dys)
            else:
                dx = layer.backward(dys[0], from_pre_activation=node is fused_node)
            if layer.grads:
                previous = layer_grads.get(id(layer))
                layer_grads[id(layer)] = (list(layer.grads) if previous is None
                                          else [a + b for a, b in zip(previous, layer.grads)])
            dxs = dx if node.list_input else [dx]
            for t, d in zip(node.inputs, dxs):
                if d is None:
                    continue
                grads[id(t)] = d if id(t) not in grads else grads[id(t)] + d
        for layer in self.layers:
            if id(layer) in layer_grads:
                layer.grads = layer_grads[id(layer)]
            elif layer.trainable_weights:
                layer.grads = [w * 0 for w in layer.trainable_weights]
        return [grads.get(id(t)) for t in self.inputs]


def _save_state(layer):
    return (layer._cache, layer._activation_cache, getattr(layer, "_activity_output", None))


def _restore_state(layer, saved):
    layer._cache, layer._activation_cache, activity = saved
    if activity is not None:
        layer._activity_output = activity


def _zeros_like_output(node, i):
    import numpy as np
    return np.zeros([1 if d is None else d for d in node.outputs[i].shape], node.layer.dtype)
