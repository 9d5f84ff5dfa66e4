"""Saving: weights to and from .npz, and a model's architecture as a config dict.

``save_weights`` writes one array per weight, keyed ``"0003:dense_1/kernel"`` (the
position in Keras's order, then the name), so ``load_weights`` checks both the
order and the shapes. The configs have Keras's layout (``layers`` with
``class_name`` and ``config``; for a functional model each layer's
``inbound_nodes`` as ``[layer name, node index, tensor index]``), so a kit
model rebuilds from its config and a Keras model of the same architecture can
be built from it (reference/models.py).
"""
import numpy as np


def save_weights(model, path):
    path = str(path)
    if not path.endswith(".npz"):
        raise ValueError(f"save_weights: the path must end in .npz; got {path!r}.")
    arrays = {f"{i:04d}:{name}": w for i, (name, w) in enumerate(zip(model.weight_names, model.weights))}
    np.savez(path, **arrays)


def load_weights(model, path):
    with np.load(str(path)) as data:
        keys = sorted(data.files)
        values = [data[k] for k in keys]
    mine = model.weights
    if len(values) != len(mine):
        raise ValueError(f"load_weights: {path} holds {len(values)} weights, but model "
                         f"'{model.name}' has {len(mine)}.")
    model.set_weights(values)


def _layer_class(class_name):
    from .. import layers
    from .functional import InputLayer
    from .model import Model
    from .sequential import Sequential
    table = {"InputLayer": InputLayer, "Sequential": Sequential, "Functional": Model, "Model": Model}
    cls = table.get(class_name) or getattr(layers, class_name, None)
    if cls is None:
        raise ValueError(f"from_config: no kit layer named {class_name!r}.")
    return cls


def layer_config(layer):
    """{"class_name", "config"}; a nested model is "Sequential" or "Functional", as Keras names them."""
    from .model import Model
    from .sequential import Sequential
    name = type(layer).__name__
    if isinstance(layer, Model):
        name = "Sequential" if isinstance(layer, Sequential) else "Functional"
    return {"class_name": name, "config": layer.get_config()}


def layer_from_config(config):
    cls = _layer_class(config["class_name"])
    return cls.from_config(config["config"])


def sequential_config(model):
    layers = []
    if model._input is not None:
        layers.append({"class_name": "InputLayer", "config": {"batch_shape": list(model._input.shape),
                                                              "dtype": model._input.dtype}})
    layers += [layer_config(layer) for layer in model.layers]
    return {"name": model.name, "trainable": model.trainable, "layers": layers}


def sequential_from_config(config):
    from .functional import Input
    from .sequential import Sequential
    model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
    for item in config["layers"]:
        if item["class_name"] == "InputLayer":
            shape = item["config"]["batch_shape"]
            model.add(Input(tuple(shape[1:]), dtype=item["config"].get("dtype", "float32")))
        else:
            model.add(layer_from_config(item))
    return model


def functional_config(model):
    """Keras's functional config: layers with their inbound nodes, input and output layers."""
    if model._graph is None:
        raise ValueError(f"Model '{model.name}': get_config needs a built model.")
    nodes = model._graph.nodes

    def ref(tensor):
        producer = tensor.node
        index = [n for n in nodes if n.layer is producer.layer].index(producer)
        return [producer.layer.name, index, tensor.index]

    layers = []
    for layer in model._graph.layers:
        item = layer_config(layer)
        item["name"] = layer.name
        item["inbound_nodes"] = [
            {"args": [ref(t) for t in n.inputs], "list_input": n.list_input}
            for n in nodes if n.layer is layer and not n.is_input
        ]
        layers.append(item)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": [ref(t) for t in model._graph.inputs],
            "output_layers": [ref(t) for t in model._graph.outputs],
            "multi_input": model._multi_input, "multi_output": model._multi_output}


def functional_from_config(config):
    from .functional import Input
    from .model import Model
    outputs_by_layer = {}          # layer name -> [[tensors of node 0], [tensors of node 1], ...]
    pending = list(config["layers"])
    created = {}
    while pending:
        progressed = False
        for item in list(pending):
            name = item["name"]
            if item["class_name"] == "InputLayer":
                c = item["config"]
                t = Input(tuple(c["batch_shape"][1:]), dtype=c.get("dtype", "float32"), name=name)
                outputs_by_layer[name] = [[t]]
                pending.remove(item)
                progressed = True
                continue
            needed = [a for n in item["inbound_nodes"] for a in n["args"]]
            if not all(a[0] in outputs_by_layer and len(outputs_by_layer[a[0]]) > a[1] for a in needed):
                continue
            layer = created.setdefault(name, layer_from_config(item))
            outputs_by_layer[name] = []
            for n in item["inbound_nodes"]:
                args = [outputs_by_layer[a[0]][a[1]][a[2]] for a in n["args"]]
                out = layer(args if n["list_input"] else args[0])
                outputs_by_layer[name].append(out if isinstance(out, list) else [out])
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ValueError("from_config: the layers' inbound nodes do not form a graph.")
    pick = lambda refs: [outputs_by_layer[r[0]][r[1]][r[2]] for r in refs]
    inputs, outputs = pick(config["input_layers"]), pick(config["output_layers"])
    return Model(inputs if config.get("multi_input") else inputs[0],
                 outputs if config.get("multi_output") else outputs[0], name=config.get("name"))
