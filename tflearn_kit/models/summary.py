"""``model.summary()``: the table Keras 3 prints, with the same totals."""
import textwrap

from .functional import InputLayer


def readable_size(n_bytes):
    """Keras's readable_memory_size: 780.00 B, 1.53 KB, 2.10 MB (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024


def _shape(shape):
    if isinstance(shape, list):
        return "[" + ", ".join(_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _nodes_of(model, layer):
    return [n for n in model._graph.nodes if n.layer is layer]


def _row_cells(model, layer, connected):
    nodes = _nodes_of(model, layer) if model._graph is not None else []
    if nodes:
        outs = [t.shape for t in nodes[0].outputs]
        shape = _shape(outs[0] if len(outs) == 1 else outs)
    else:
        shape = "?"
    params = layer.count_params() if layer.built else 0
    cells = [f"{layer.name} ({type(layer).__name__})", shape, f"{params:,}"]
    if connected:
        links = []
        for node in nodes:
            for t in node.inputs:
                producer = t.node
                index = _nodes_of(model, producer.layer).index(producer)
                links.append(f"{producer.layer.name}[{index}][{t.index}]")
        cells.append("\n".join(links) or "-")
    return cells


def _wrap(text, width, connected_column):
    lines = []
    for part in text.split("\n"):
        if connected_column and len(part) > width:
            lines.append(part[:width - 1] + "…")      # Keras cuts "Connected to" entries
        else:
            lines.extend(textwrap.wrap(part, width, break_long_words=True) or [""])
    return lines


def summary_text(model, line_length=None):
    """The summary as a string: one row per layer, then total / trainable / non-trainable params."""
    # Functional models list their InputLayers and say what feeds each layer; Sequential does not.
    connected = any(isinstance(layer, InputLayer) for layer in model.layers)
    widths = [19, 17, 10, 17] if connected else [31, 22, 13]
    aligns = ["<", "<", ">", "<"]
    headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"][:len(widths)]

    def rule(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(cells, bar="│"):
        wrapped = [_wrap(c, w, i == 3) for i, (c, w) in enumerate(zip(cells, widths))]
        height = max(len(w) for w in wrapped)
        out = []
        for k in range(height):
            parts = [f" {(w[k] if k < len(w) else ''):{a}{width}} "
                     for w, width, a in zip(wrapped, widths, aligns)]
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━")]
    lines += row(headers, "┃")
    lines.append(rule("┡", "╇", "┩", "━"))
    layers = model.layers
    for i, layer in enumerate(layers):
        lines += row(_row_cells(model, layer, connected))
        lines.append(rule("├", "┼", "┤", "─") if i < len(layers) - 1 else rule("└", "┴", "┘", "─"))
    if not layers:
        lines.append(rule("└", "┴", "┘", "─"))
    weights, trainable = model.weights, model.trainable_weights
    total = sum(w.size for w in weights)
    n_train = sum(w.size for w in trainable)
    size = lambda ws: readable_size(sum(w.nbytes for w in ws))
    trainable_ids = {id(w) for w in trainable}
    others = [w for w in weights if id(w) not in trainable_ids]
    optimizer = getattr(model, "optimizer", None)
    opt_count = opt_bytes = 0
    if optimizer is not None and optimizer.built:
        # Keras counts its optimizer's variables too: iterations (int64, 8 bytes), the learning
        # rate (float32, 4 bytes; none with a schedule) and every slot.
        slots = optimizer.variables
        scalars = 1 + (not optimizer.has_schedule)
        opt_count = scalars + sum(v.size for v in slots)
        opt_bytes = 8 + 4 * (scalars - 1) + sum(v.nbytes for v in slots)
    lines += [f" Total params: {total + opt_count:,} "
              f"({readable_size(sum(w.nbytes for w in weights) + opt_bytes)})",
              f" Trainable params: {n_train:,} ({size(trainable)})",
              f" Non-trainable params: {total - n_train:,} ({size(others)})"]
    if opt_count:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_size(opt_bytes)})")
    return "\n".join(lines)


