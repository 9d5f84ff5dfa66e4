"""A kit model's Keras twin: the same architecture built from tf.keras layers, with the same weights.

``to_keras(model)`` rebuilds a Sequential or functional model layer by layer
(each layer through ``keras_twin``, so its configuration is Keras's) and copies
the weights in Keras's order. ``Model.load_keras_weights`` goes the other way. It
lives here, not on Model, because models sit below reference/: a model knows nothing
of TensorFlow.
"""
from ..models import Model
from .runners import keras_twin
from .tf import modules


def _keras_layer(layer, cache):
    if id(layer) not in cache:
        if isinstance(layer, Model):
            cache[id(layer)] = _build(layer)            # a nested model
        else:
            cache[id(layer)] = keras_twin(layer)
    return cache[id(layer)]


def _build(model):
    _, keras, _ = modules()
    cache = {}
    if type(model).__name__ == "Sequential":
        shape = model._input.shape
        return keras.Sequential([keras.Input(shape[1:], dtype=model._input.dtype)]
                                + [_keras_layer(layer, cache) for layer in model.layers],
                                name=model.name)
    graph = model._graph
    tensors = {}
    for node in graph.nodes:
        if node.is_input:
            t = node.outputs[0]
            tensors[id(t)] = keras.Input(t.shape[1:], dtype=t.dtype, name=node.layer.name)
            continue
        args = [tensors[id(t)] for t in node.inputs]
        out = _keras_layer(node.layer, cache)(args if node.list_input else args[0])
        outs = out if isinstance(out, (list, tuple)) else [out]
        for t, o in zip(node.outputs, outs):
            tensors[id(t)] = o
    inputs = [tensors[id(t)] for t in graph.inputs]
    outputs = [tensors[id(t)] for t in graph.outputs]
    return keras.Model(inputs if model._multi_input else inputs[0],
                       outputs if model._multi_output else outputs[0], name=model.name)


def to_keras(model):
    """A keras.Model with ``model``'s architecture and weights."""
    if model._graph is None:
        raise ValueError(f"Model '{model.name}': build it (call it on data) before to_keras().")
    keras_model = _build(model)
    keras_model.set_weights(model.get_weights())
    return keras_model
