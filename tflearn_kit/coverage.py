"""What the course covers: every layer, the notebook that teaches it, and its TensorFlow twins.

    coverage_matrix()              # a table in a notebook, text in a terminal
    coverage_matrix().to_markdown()   # the README's table
    curriculum()                   # the notebooks, in order

The "in the kit" column is computed, not written down: a layer is in the kit when
``tflearn_kit.layers`` (or ``tflearn_kit.models`` for the models) has a class of
that name today. The notebook column says "planned" when neither ``solutions/``
nor ``notebooks/`` holds that notebook yet. So the matrix grows by itself as the
course does.

The twin columns are what a learner would write in each API. tf.compat.v1.layers
had only a handful of layers (dense, the convolutions, pooling,
batch_normalization, dropout, flatten); for the others the column says what TF1
code used instead, after "none:".
"""
import html
import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOKS = {
    "00_welcome": "How the course works; the three APIs side by side; this map",
    "01_layer_anatomy": "The Keras Layer contract: build, call, add_weight, get_config, trainable",
    "02_dense_and_activations": "Dense forward and backward; every activation and its derivative",
    "03_convolutions": "1-D, 2-D and 3-D convolution; im2col; padding, stride, dilation",
    "04_transposed_convolution": "Upsampling; the transpose as the gradient of a convolution",
    "05_separable_and_depthwise": "Depthwise then pointwise; parameter and FLOP counts",
    "06_pooling_and_flatten": "Max, average and global pooling; Flatten and Reshape",
    "07_batch_normalization": "Batch and layer normalization; training vs inference; UPDATE_OPS",
    "08_dropout_and_regularization": "Inverted dropout; L1 and L2 penalties",
    "09_embedding_and_recurrent": "Embedding; SimpleRNN, LSTM, GRU; backpropagation through time",
    "10_models_and_training": "Sequential and functional models; losses, optimizers, fit",
    "11_tf1_to_tf2_migration": "A TF1 tf.layers CNN in a graph; tf_upgrade_v2; the port to Keras 3 and "
                               "to the kit, same logits; six TF1/TF2 differences shown",
    "12_custom_layers_and_transfer_learning": "Custom layers in Keras and the kit; transfer learning "
                                              "offline; freezing batch norm; PyTorch and Flax",
    "13_attention_and_transformers": "Attention as a soft dictionary lookup; multi-head attention "
                                     "forward and backward; masks; a small Transformer trained "
                                     "in the kit and in Keras",
}
"""The fourteen notebooks, in the order a learner takes them."""


@dataclass(frozen=True)
class Entry:
    layer: str
    notebook: str
    tf1: str             # the tf.compat.v1.layers function, or "none: what TF1 code used"
    keras: str
    module: str = "layers"   # where the kit keeps it: tflearn_kit.layers or tflearn_kit.models


def _pooling_entries():
    out = []
    for kind, tf1_kind in (("Max", "max"), ("Average", "average")):
        for d in (1, 2, 3):
            out.append(Entry(f"{kind}Pooling{d}D", "06_pooling_and_flatten",
                             f"tf.compat.v1.layers.{tf1_kind}_pooling{d}d",
                             f"tf.keras.layers.{kind}Pooling{d}D"))
    reduce = {"Max": "reduce_max", "Average": "reduce_mean"}
    for kind in ("Max", "Average"):
        for d in (1, 2, 3):
            axes = ", ".join(str(a) for a in range(1, d + 1))
            out.append(Entry(f"Global{kind}Pooling{d}D", "06_pooling_and_flatten",
                             f"none: tf.{reduce[kind]}(x, axis=[{axes}])",
                             f"tf.keras.layers.Global{kind}Pooling{d}D"))
    return out


def _keras(name):
    return f"tf.keras.layers.{name}"


ENTRIES = [
    Entry("Dense", "02_dense_and_activations", "tf.compat.v1.layers.dense", _keras("Dense")),
    Entry("Activation", "02_dense_and_activations",
          "none: tf.nn.<activation>, or activation= of a layer", _keras("Activation")),
    Entry("Softmax", "02_dense_and_activations", "none: tf.nn.softmax", _keras("Softmax")),
    Entry("ReLU", "02_dense_and_activations", "none: tf.nn.relu", _keras("ReLU")),
    Entry("LeakyReLU", "02_dense_and_activations", "none: tf.nn.leaky_relu", _keras("LeakyReLU")),
    Entry("Conv1D", "03_convolutions", "tf.compat.v1.layers.conv1d", _keras("Conv1D")),
    Entry("Conv2D", "03_convolutions", "tf.compat.v1.layers.conv2d", _keras("Conv2D")),
    Entry("Conv3D", "03_convolutions", "tf.compat.v1.layers.conv3d", _keras("Conv3D")),
    Entry("Conv1DTranspose", "04_transposed_convolution", "none: tf.nn.conv1d_transpose",
          _keras("Conv1DTranspose")),
    Entry("Conv2DTranspose", "04_transposed_convolution", "tf.compat.v1.layers.conv2d_transpose",
          _keras("Conv2DTranspose")),
    Entry("Conv3DTranspose", "04_transposed_convolution", "tf.compat.v1.layers.conv3d_transpose",
          _keras("Conv3DTranspose")),
    Entry("SeparableConv1D", "05_separable_and_depthwise", "tf.compat.v1.layers.separable_conv1d",
          _keras("SeparableConv1D")),
    Entry("SeparableConv2D", "05_separable_and_depthwise", "tf.compat.v1.layers.separable_conv2d",
          _keras("SeparableConv2D")),
    Entry("DepthwiseConv1D", "05_separable_and_depthwise",
          "none: tf.nn.depthwise_conv2d on an added axis", _keras("DepthwiseConv1D")),
    Entry("DepthwiseConv2D", "05_separable_and_depthwise", "none: tf.nn.depthwise_conv2d",
          _keras("DepthwiseConv2D")),
    *_pooling_entries(),
    Entry("Flatten", "06_pooling_and_flatten", "tf.compat.v1.layers.flatten", _keras("Flatten")),
    Entry("Reshape", "06_pooling_and_flatten", "none: tf.reshape", _keras("Reshape")),
    Entry("BatchNormalization", "07_batch_normalization",
          "tf.compat.v1.layers.batch_normalization", _keras("BatchNormalization")),
    Entry("LayerNormalization", "07_batch_normalization", "none: tf.contrib.layers.layer_norm",
          _keras("LayerNormalization")),
    Entry("Dropout", "08_dropout_and_regularization", "tf.compat.v1.layers.dropout", _keras("Dropout")),
    Entry("Embedding", "09_embedding_and_recurrent", "none: tf.nn.embedding_lookup",
          _keras("Embedding")),
    Entry("SimpleRNN", "09_embedding_and_recurrent",
          "none: tf.nn.rnn_cell.BasicRNNCell + tf.nn.dynamic_rnn", _keras("SimpleRNN")),
    Entry("LSTM", "09_embedding_and_recurrent", "none: tf.nn.rnn_cell.LSTMCell + tf.nn.dynamic_rnn",
          _keras("LSTM")),
    Entry("GRU", "09_embedding_and_recurrent", "none: tf.nn.rnn_cell.GRUCell + tf.nn.dynamic_rnn",
          _keras("GRU")),
    Entry("Sequential", "10_models_and_training",
          "none: a function stacking tf.layers calls, run in a Session", "tf.keras.Sequential",
          module="models"),
    Entry("Model", "10_models_and_training",
          "none: a graph, variable_scope and a Session (or tf.estimator)", "tf.keras.Model",
          module="models"),
    Entry("MultiHeadAttention", "13_attention_and_transformers",
          "none: tf.matmul + tf.nn.softmax written by hand in a graph (tf.layers had no attention)",
          _keras("MultiHeadAttention")),
    Entry("EinsumDense", "13_attention_and_transformers", "none: tf.einsum with a variable",
          _keras("EinsumDense")),
    Entry("Attention", "13_attention_and_transformers",
          "none: tf.matmul + tf.nn.softmax written by hand in a graph", _keras("Attention")),
    Entry("AdditiveAttention", "13_attention_and_transformers",
          "none: tf.tanh + tf.reduce_sum + tf.nn.softmax written by hand", _keras("AdditiveAttention")),
    Entry("GroupQueryAttention", "13_attention_and_transformers",
          "none: tf.repeat of key/value heads + tf.matmul + tf.nn.softmax", _keras("GroupQueryAttention")),
    Entry("RMSNormalization", "13_attention_and_transformers",
          "none: x * tf.math.rsqrt(tf.reduce_mean(x ** 2) + eps) * scale", _keras("RMSNormalization")),
    Entry("UnitNormalization", "13_attention_and_transformers", "none: tf.math.l2_normalize",
          _keras("UnitNormalization")),
    Entry("PositionEmbedding", "13_attention_and_transformers",
          "none: a tf.get_variable table sliced to the sequence length",
          "none: Keras core has no position layer; tf.keras.layers.Embedding over positions 0..T-1"),
]
"""One entry per layer the course covers, in the order of the notebooks."""


def in_kit(entry):
    """Does the kit have this layer (or model) today?"""
    try:
        module = importlib.import_module(f"tflearn_kit.{entry.module}")
    except ImportError:
        return False
    return isinstance(getattr(module, entry.layer, None), type)


def notebook_exists(name, root=ROOT):
    return any((root / folder / f"{name}.ipynb").exists() for folder in ("solutions", "notebooks"))


def notebook_status(name, root=ROOT):
    return "available" if notebook_exists(name, root) else "planned"


COLUMNS = ("layer", "notebook", "in the kit", "tf.layers twin", "tf.keras twin")


class CoverageMatrix:
    """Rows of {layer, notebook, in the kit, tf.layers twin, tf.keras twin}."""

    def __init__(self, rows):
        self.rows = rows

    def row(self, layer):
        for r in self.rows:
            if r["layer"] == layer:
                return r
        raise ValueError(f"No layer {layer!r} in the coverage matrix. "
                         f"Known: {', '.join(r['layer'] for r in self.rows)}.")

    @property
    def done(self):
        return sum(r["in the kit"] == "yes" for r in self.rows)

    def summary(self):
        return f"{self.done} of {len(self.rows)} layers are in the kit."

    def to_text(self):
        widths = [max(len(c), *(len(r[c]) for r in self.rows)) for c in COLUMNS]
        line = "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths))
        lines = [line.rstrip(), "-" * len(line.rstrip())]
        for r in self.rows:
            lines.append("  ".join(r[c].ljust(w) for c, w in zip(COLUMNS, widths)).rstrip())
        lines.append(self.summary())
        return "\n".join(lines)

    __str__ = __repr__ = to_text

    def to_markdown(self):
        def cell(column, value):
            return f"`{value}`" if column.endswith("twin") and not value.startswith("none") else value
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for r in self.rows:
            lines.append("| " + " | ".join(cell(c, r[c]) for c in COLUMNS) + " |")
        return "\n".join(lines) + "\n"

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        body = []
        for r in self.rows:
            color = "#d4edda" if r["in the kit"] == "yes" else "#fff3cd"
            cells = [f"<td style='background:{color}'>{html.escape(r[c])}</td>" if c == "in the kit"
                     else f"<td>{html.escape(r[c])}</td>" for c in COLUMNS]
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (f"<table><tr>{head}</tr>{''.join(body)}</table>"
                f"<p>{html.escape(self.summary())}</p>")


def coverage_matrix(root=ROOT):
    """The coverage matrix, computed from the kit as it is now."""
    rows = []
    for e in ENTRIES:
        status = notebook_status(e.notebook, root)
        rows.append({
            "layer": e.layer,
            "notebook": e.notebook if status == "available" else f"{e.notebook} (planned)",
            "in the kit": "yes" if in_kit(e) else "not yet",
            "tf.layers twin": e.tf1,
            "tf.keras twin": e.keras,
        })
    return CoverageMatrix(rows)


class Curriculum:
    """The notebooks with their topic, status and the layers each teaches."""

    def __init__(self, rows):
        self.rows = rows

    def to_text(self):
        lines = []
        for r in self.rows:
            layers = f" [{', '.join(r['layers'])}]" if r["layers"] else ""
            lines.append(f"{r['notebook']:40} {r['status']:9} {r['topic']}{layers}")
        return "\n".join(lines)

    __str__ = __repr__ = to_text

    def to_markdown(self):
        lines = ["| notebook | status | what it teaches |", "|---|---|---|"]
        lines += [f"| {r['notebook']} | {r['status']} | {r['topic']} |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def _repr_html_(self):
        body = "".join(f"<tr><td>{r['notebook']}</td><td>{r['status']}</td>"
                       f"<td>{html.escape(r['topic'])}</td>"
                       f"<td>{html.escape(', '.join(r['layers']))}</td></tr>" for r in self.rows)
        return ("<table><tr><th>notebook</th><th>status</th><th>what it teaches</th>"
                f"<th>layers</th></tr>{body}</table>")


def curriculum(root=ROOT):
    """The notebooks in order: topic, available or planned, and their layers."""
    return Curriculum([
        {"notebook": name, "topic": topic, "status": notebook_status(name, root),
         "layers": [e.layer for e in ENTRIES if e.notebook == name]}
        for name, topic in NOTEBOOKS.items()
    ])


README_START, README_END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def readme_section(root=ROOT):
    """What the README holds between its coverage markers."""
    matrix = coverage_matrix(root)
    return (f"{README_START}\n{matrix.to_markdown()}\n\n{matrix.summary()} "
            f"Regenerate with `tflearn-kit coverage --update-readme`.\n{README_END}")


def update_readme(path="README.md", root=ROOT):
    """Rewrite the README's coverage section; True when it changed."""
    path = Path(path)
    text = path.read_text()
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    new = text[:start] + readme_section(root) + text[end:]
    if new == text:
        return False
    path.write_text(new)
    return True
