"""What the course covers: every layer, the notebook that teaches it, and its TensorFlow twins.

    coverage_matrix()              # a table in a notebook, text in a terminal
    coverage_matrix().to_markdown()   # the README's table
    curriculum()                   # the notebooks, in order

The "in the kit" column is computed, not written down: a layer is in the kit when
``tflearn_kit.layers`` (or ``tflearn_kit.models`` for the models) has a class of
that name today. The notebook column says "planned" when neither ``solutions/``
nor ``notebooks/`` of the course folder (found from the working directory, see
``project_root``) holds that notebook yet. So the matrix grows by itself as the
course does.

The twin columns are what a learner would write in each API, read from the
comparison engine's registry (``reference/``), the one place that names them.
tf.compat.v1.layers had only a handful of layers (dense, the convolutions, pooling,
batch_normalization, dropout, flatten); for the others the column says what TF1
code used instead, after "none:".
"""
import html
import importlib
from dataclasses import dataclass
from pathlib import Path

from .reference.families import REGISTRY


def project_root(start=None):
    """The course's folder: the nearest of ``start`` (default: the working directory) and its
    parents that holds ``solutions/`` or ``notebooks/``; None outside a checkout of the course.

    Found from where the learner works, not from where the package is installed.
    """
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "solutions").is_dir() or (folder / "notebooks").is_dir():
            return folder
    return None

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
    "14_architectures_from_the_pieces": "A residual CNN with group norm, a U-Net (upsampling, "
                                        "cropping, padding, skips), a bidirectional GRU tagger, a "
                                        "ConvLSTM next-frame model: kit and Keras, same weights",
}
"""The fifteen notebooks, in the order a learner takes them."""


@dataclass(frozen=True)
class Entry:
    layer: str
    notebook: str
    module: str = "layers"   # where the kit keeps it: tflearn_kit.layers or tflearn_kit.models
    tf1: str = None          # only for what has no registered twin (the models); layers take
    keras: str = None        # both twin columns from reference/'s registry, the one source


def _pooling_entries():
    return [Entry(f"{kind}Pooling{d}D", "06_pooling_and_flatten")
            for kind in ("Max", "Average", "GlobalMax", "GlobalAverage") for d in (1, 2, 3)]


ENTRIES = [
    Entry("Dense", "02_dense_and_activations"),
    Entry("Activation", "02_dense_and_activations"),
    Entry("Softmax", "02_dense_and_activations"),
    Entry("ReLU", "02_dense_and_activations"),
    Entry("LeakyReLU", "02_dense_and_activations"),
    Entry("Conv1D", "03_convolutions"),
    Entry("Conv2D", "03_convolutions"),
    Entry("Conv3D", "03_convolutions"),
    Entry("Conv1DTranspose", "04_transposed_convolution"),
    Entry("Conv2DTranspose", "04_transposed_convolution"),
    Entry("Conv3DTranspose", "04_transposed_convolution"),
    Entry("SeparableConv1D", "05_separable_and_depthwise"),
    Entry("SeparableConv2D", "05_separable_and_depthwise"),
    Entry("DepthwiseConv1D", "05_separable_and_depthwise"),
    Entry("DepthwiseConv2D", "05_separable_and_depthwise"),
    *_pooling_entries(),
    Entry("Flatten", "06_pooling_and_flatten"),
    Entry("Reshape", "06_pooling_and_flatten"),
    Entry("BatchNormalization", "07_batch_normalization"),
    Entry("LayerNormalization", "07_batch_normalization"),
    Entry("Dropout", "08_dropout_and_regularization"),
    Entry("Embedding", "09_embedding_and_recurrent"),
    Entry("SimpleRNN", "09_embedding_and_recurrent"),
    Entry("LSTM", "09_embedding_and_recurrent"),
    Entry("GRU", "09_embedding_and_recurrent"),
    Entry("RNN", "09_embedding_and_recurrent"),
    Entry("SimpleRNNCell", "09_embedding_and_recurrent", tf1="none: tf.nn.rnn_cell.BasicRNNCell",
          keras="tf.keras.layers.SimpleRNNCell"),
    Entry("LSTMCell", "09_embedding_and_recurrent", tf1="none: tf.nn.rnn_cell.LSTMCell",
          keras="tf.keras.layers.LSTMCell"),
    Entry("GRUCell", "09_embedding_and_recurrent", tf1="none: tf.nn.rnn_cell.GRUCell (reset_after=False)",
          keras="tf.keras.layers.GRUCell"),
    Entry("StackedRNNCells", "09_embedding_and_recurrent", tf1="none: tf.nn.rnn_cell.MultiRNNCell",
          keras="tf.keras.layers.StackedRNNCells"),
    Entry("TimeDistributed", "09_embedding_and_recurrent"),
    Entry("Sequential", "10_models_and_training", module="models",
          tf1="none: a function stacking tf.layers calls, run in a Session", keras="tf.keras.Sequential"),
    Entry("Model", "10_models_and_training", module="models",
          tf1="none: a graph, variable_scope and a Session (or tf.estimator)", keras="tf.keras.Model"),
    Entry("MultiHeadAttention", "13_attention_and_transformers"),
    Entry("EinsumDense", "13_attention_and_transformers"),
    Entry("Attention", "13_attention_and_transformers"),
    Entry("AdditiveAttention", "13_attention_and_transformers"),
    Entry("GroupQueryAttention", "13_attention_and_transformers"),
    Entry("RMSNormalization", "13_attention_and_transformers"),
    Entry("UnitNormalization", "13_attention_and_transformers"),
    Entry("PositionEmbedding", "13_attention_and_transformers"),
    # notebook 14 teaches these by assembling them into architectures
    Entry("GroupNormalization", "14_architectures_from_the_pieces"),
    Entry("UpSampling2D", "14_architectures_from_the_pieces"),
    Entry("ZeroPadding2D", "14_architectures_from_the_pieces"),
    Entry("Cropping2D", "14_architectures_from_the_pieces"),
    Entry("Concatenate", "14_architectures_from_the_pieces"),
    Entry("Bidirectional", "14_architectures_from_the_pieces"),
    Entry("ConvLSTM1D", "14_architectures_from_the_pieces"),
    Entry("ConvLSTM2D", "14_architectures_from_the_pieces"),
    Entry("ConvLSTM3D", "14_architectures_from_the_pieces"),
]
"""One entry per layer the course covers, in the order of the notebooks."""

CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells")
"""One time step each: compared inside RNN's registered cases, so their twin columns are here."""


def in_kit(entry):
    """Does the kit have this layer (or model) today?"""
    try:
        module = importlib.import_module(f"tflearn_kit.{entry.module}")
    except ImportError:
        return False
    return isinstance(getattr(module, entry.layer, None), type)


def notebook_exists(name, root):
    return root is not None and any((root / folder / f"{name}.ipynb").exists()
                                    for folder in ("solutions", "notebooks"))


def notebook_status(name, root=None):
    """available or planned, from the notebooks in ``root`` (default: :func:`project_root`)."""
    return "available" if notebook_exists(name, root or project_root()) else "planned"


def twin_columns(entry):
    """(tf.layers twin, tf.keras twin): the registry's, for every layer it has a twin of."""
    twin = REGISTRY.get(entry.layer)
    if twin is None:
        return entry.tf1, entry.keras
    return twin.tf1_column, twin.keras_name


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
        # Narrow enough for JupyterLab's output area at 1280 px with the file browser open
        # (the full names overflowed it): the notebook as its number, linked; the twins
        # without the prefix every row repeats, which the header names once.
        left = "text-align:left"
        head = "".join(f"<th style='{left}'>{c}</th>" for c in
                       ("layer", "notebook", "kit", "tf.compat.v1.layers.", "tf.keras.layers."))
        body = []
        for r in self.rows:
            color = "#d4edda" if r["in the kit"] == "yes" else "#fff3cd"
            stem = r["notebook"].removesuffix(" (planned)")
            number = html.escape(stem.split("_", 1)[0])
            notebook = (f"{number} (planned)" if r["notebook"].endswith("(planned)")
                        else f"<a href='{html.escape(stem)}.ipynb' title='{html.escape(stem)}'>{number}</a>")
            tf1 = r["tf.layers twin"].removeprefix("tf.compat.v1.layers.")
            keras = r["tf.keras twin"].removeprefix("tf.keras.layers.")
            cells = [r["layer"], notebook, r["in the kit"], tf1, keras]
            escaped = [html.escape(c) if i != 1 else c for i, c in enumerate(cells)]
            # A dotted TF1 name (tf.compat.v1.nn.rnn_cell.LSTMCell) may break after its dots, and
            # a call after its parenthesis (resize_bilinear(half_pixel_centers=True)).
            escaped[3] = escaped[3].replace(".", ".<wbr>").replace("(", "(<wbr>")
            styles = [left, left, f"background:{color}", f"{left};white-space:normal;max-width:22em", left]
            body.append("<tr>" + "".join(f"<td style='{st}'>{c}</td>" for st, c in zip(styles, escaped))
                        + "</tr>")
        return (f"<table><tr>{head}</tr>{''.join(body)}</table>"
                f"<p>{html.escape(self.summary())} The notebook numbers open the notebooks; "
                "a twin that is not a <code>tf.compat.v1.layers</code> function says what TF1 code "
                "used instead (<i>none: ...</i>).</p>")


def coverage_matrix(root=None):
    """The coverage matrix, computed from the kit as it is now (notebooks from ``root``)."""
    root = root or project_root()
    rows = []
    for e in ENTRIES:
        status = notebook_status(e.notebook, root)
        tf1, keras = twin_columns(e)
        rows.append({
            "layer": e.layer,
            "notebook": e.notebook if status == "available" else f"{e.notebook} (planned)",
            "in the kit": "yes" if in_kit(e) else "not yet",
            "tf.layers twin": tf1,
            "tf.keras twin": keras,
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


def curriculum(root=None):
    """The notebooks in order: topic, available or planned, and their layers."""
    root = root or project_root()
    return Curriculum([
        {"notebook": name, "topic": topic, "status": notebook_status(name, root),
         "layers": [e.layer for e in ENTRIES if e.notebook == name]}
        for name, topic in NOTEBOOKS.items()
    ])


# ---- every class keras.layers exports, read from Keras at run time ---------------------------

_AUGMENTATION = ("AugMix", "AutoContrast", "CutMix", "MixUp", "RandAugment", "Solarization",
                 "Equalization", "ContrastLimitedAdaptiveHistogramEqualization",
                 "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter", "RandomContrast",
                 "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomFlip",
                 "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
                 "RandomPerspective", "RandomPosterization", "RandomRotation", "RandomSaturation",
                 "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom")
LEFT_OUT = {
    **{name: "data augmentation: a random image transform of the input pipeline, no weights and "
             "nothing to backpropagate" for name in _AUGMENTATION},
    "MaxNumBoundingBoxes": "bounding-box bookkeeping for augmentation, not a computation on tensors",
    "CenterCrop": "image preprocessing of the input pipeline (Cropping2D is the layer inside a model)",
    "Resizing": "image preprocessing of the input pipeline (UpSampling2D is the layer inside a model)",
    **{name: "a lookup or encoding of raw strings/integers before the model: no float computation, "
             "no gradient" for name in ("CategoryEncoding", "Discretization", "HashedCrossing",
                                       "Hashing", "IntegerLookup", "StringLookup",
                                       "TextVectorization")},
    "MelSpectrogram": "audio feature extraction (FFTs), outside the course",
    "STFTSpectrogram": "audio feature extraction (FFTs), outside the course",
    "FlaxLayer": "a wrapper around another framework's module",
    "JaxLayer": "a wrapper around another framework's function",
    "TorchModuleWrapper": "a wrapper around another framework's module",
    "TFSMLayer": "loads a TensorFlow SavedModel: a framework wrapper",
    "Pipeline": "chains preprocessing layers of the input pipeline",
    "Wrapper": "an abstract base class (TimeDistributed and Bidirectional are its computations)",
    "InputLayer": "a graph placeholder, not a computation: the kit's models.Input plays its part",
}
"""Keras layer classes left out on purpose, each with the reason."""

IN_PROGRESS = {}
"""Computational Keras layers other branches are building now."""

MISSING = {}
"""Computational Keras layers nobody is building yet: the catalog says so rather than hide them."""

CATALOG_COLUMNS = ("keras class", "status", "notebook", "tf.layers twin", "reason")


def keras_layer_classes():
    """Every class ``keras.layers`` exports, read from the installed Keras: {name: class}."""
    import inspect

    from .reference.tf import modules
    _, keras, _ = modules()
    return {n: getattr(keras.layers, n) for n in sorted(dir(keras.layers))
            if not n.startswith("_") and inspect.isclass(getattr(keras.layers, n))}


class KerasCatalog(CoverageMatrix):
    """One row per class keras.layers exports: in the kit, left out (why), in progress, missing."""

    def counts(self):
        out = {}
        for r in self.rows:
            key = r["status"].split(" (")[0]
            out[key] = out.get(key, 0) + 1
        return out

    def summary(self):
        c = self.counts()
        return (f"{len(self.rows)} classes in keras.layers: " +
                ", ".join(f"{n} {k}" for k, n in sorted(c.items())) + ".")

    def to_text(self):
        widths = [max(len(c), *(len(r[c]) for r in self.rows)) for c in CATALOG_COLUMNS]
        lines = ["  ".join(c.ljust(w) for c, w in zip(CATALOG_COLUMNS, widths)).rstrip()]
        lines.append("-" * len(lines[0]))
        for r in self.rows:
            lines.append("  ".join(r[c].ljust(w) for c, w in zip(CATALOG_COLUMNS, widths)).rstrip())
        lines.append(self.summary())
        return "\n".join(lines)

    __str__ = __repr__ = to_text

    def to_markdown(self):
        lines = ["| " + " | ".join(CATALOG_COLUMNS) + " |", "|" + "---|" * len(CATALOG_COLUMNS)]
        lines += ["| " + " | ".join(r[c] for c in CATALOG_COLUMNS) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in CATALOG_COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(r[c])}</td>" for c in CATALOG_COLUMNS)
                       + "</tr>" for r in self.rows)
        return f"<table><tr>{head}</tr>{body}</table><p>{html.escape(self.summary())}</p>"


def keras_catalog(root=None):
    """Every keras.layers class with the kit's status, notebook, TF1 twin and reason."""
    from . import layers
    root = root or project_root()
    notebooks = {e.layer: e.notebook for e in ENTRIES}
    entries = {e.layer: e for e in ENTRIES}
    rows = []
    for name, cls in keras_layer_classes().items():
        canonical = cls.__name__
        alias = f" (alias of {canonical})" if canonical != name else ""
        # the kit's name first: Keras's GroupQueryAttention is an alias of its
        # GroupedQueryAttention, and the kit registers it as GroupQueryAttention
        kit_name = name if name in REGISTRY or name in entries else canonical
        if isinstance(getattr(layers, name, None), type):
            status, reason = "in the kit" + alias, ""
        elif name in LEFT_OUT:
            status, reason = "left out", LEFT_OUT[name]
        elif name in IN_PROGRESS:
            status, reason = "in progress", IN_PROGRESS[name]
        else:
            status, reason = "missing", MISSING.get(name, "computational; not in the kit yet")
        notebook = notebooks.get(kit_name, "")
        if notebook and notebook_status(notebook, root) != "available":
            notebook += " (planned)"
        # the registry's twin, else what the course table names (the cells, compared alone)
        tf1 = twin_columns(entries[kit_name])[0] if kit_name in entries else (
            REGISTRY[kit_name].tf1_column if kit_name in REGISTRY else None)
        rows.append({"keras class": name, "status": status, "notebook": notebook or "-",
                     "tf.layers twin": tf1 or "-", "reason": reason})
    return KerasCatalog(rows)


README_START, README_END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def readme_section(root=None):
    """What the README holds between its coverage markers."""
    matrix = coverage_matrix(root)
    catalog = keras_catalog(root)
    return (f"{README_START}\n{matrix.to_markdown()}\n\n{matrix.summary()} "
            f"Regenerate with `tflearn-kit coverage --update-readme`.\n\n"
            f"Every class `keras.layers` exports (read from the installed Keras):\n\n"
            f"{catalog.to_markdown()}\n{catalog.summary()}\n{README_END}")


def update_readme(path="README.md", root=None):
    """Rewrite the README's coverage section; True when it changed."""
    path = Path(path)
    text = path.read_text()
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    new = text[:start] + readme_section(root) + text[end:]
    if new == text:
        return False
    path.write_text(new)
    return True
