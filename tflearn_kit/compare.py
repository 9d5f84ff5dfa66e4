"""Diff a kit layer against its TensorFlow twins: output, dx and every weight gradient.

    report = compare(kit.layers.Dense(4), x)      # a table in a notebook, text in a terminal
    report.ok                                      # every error within the dtype's tolerance

The errors are measured as

    max_abs = max |kit - tf|          max_rel = max_abs / max |tf|

so ``max_rel`` is relative to the *scale* of the quantity, which does not blow up
where an element happens to be near zero. The tolerances are stated once per
dtype in ``tflearn_kit.tolerances.PARITY`` (``TOLERANCES`` here): 1e-5 for
float32 and 1e-10 for float64.
"""
import html

import numpy as np

from .activations import DIFFERENCES
from .layers.base import as_list
from .reference import families
from .reference.normalization import batch_normalization_tf1
from .reference.regularization import run_keras_dropout, run_tf1_dropout
from .reference.runners import NO_CONFIGURATION, NO_LAYER, keras_twin, run_keras, run_tf1, unique_names
from .reference.tf import modules
from .tolerances import PARITY as TOLERANCES
APIS = ("tf.keras", "tf.layers")


def errors(actual, expected):
    """(max_abs, max_rel) between two arrays of one shape."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"shapes differ: kit {actual.shape} vs TensorFlow {expected.shape}")
    if actual.size == 0:
        return 0.0, 0.0
    max_abs = float(np.max(np.abs(actual - expected)))
    scale = float(np.max(np.abs(expected)))
    return max_abs, max_abs / max(scale, np.finfo(np.float64).tiny)


def make_input(shape, dtype="float32", kind="normal", seed=0):
    """A seeded input: standard normal, 'wide' (normal times 3: saturates tanh and sigmoid),
    positive (|normal| + 0.1), integer ids ('int:<high>'), or normal with every third step set to
    a padding value ('padded-steps:<value>')."""
    g = np.random.default_rng(seed)
    if kind.startswith("int:"):
        return g.integers(0, int(kind.split(":")[1]), size=shape).astype("int64")
    x = g.standard_normal(shape)
    if kind == "wide":
        x = 3 * x
    if kind == "positive":
        x = np.abs(x) + 0.1
    if kind.startswith("padded-steps:"):     # every third step all equal to a padding value (Masking)
        x[:, 1::3] = float(kind.split(":")[1])
    return x.astype(dtype)


class Report:
    """Rows of (api, quantity, max_abs, max_rel, tolerance, ok, note) for one layer and input."""

    def __init__(self, layer_name, case_name, dtype, rows, notes=()):
        self.layer_name, self.case_name, self.dtype = layer_name, case_name, dtype
        self.rows, self.notes = rows, list(notes)
        self.tolerance = TOLERANCES[dtype]

    @property
    def ok(self):
        return all(r["ok"] for r in self.rows)

    def worst(self, api, quantity=None):
        """The largest max_rel for an api (and a kind of row: 'output', 'dx', 'weights' or 'after')."""
        chosen = [r for r in self.rows if r["api"] == api and r["max_rel"] is not None
                  and (quantity is None or r["kind"] == quantity)]
        return max((r["max_rel"] for r in chosen), default=None)

    def to_text(self):
        head = f"{self.layer_name} [{self.case_name}] {self.dtype}, tolerance {self.tolerance:g} relative"
        lines = [head, f"  {'api':10} {'quantity':18} {'max abs':>10} {'max rel':>10}  verdict"]
        for r in self.rows:
            if r["max_rel"] is None:
                lines.append(f"  {r['api']:10} {r['quantity']:18} {'-':>10} {'-':>10}  {r['note']}")
                continue
            verdict = "ok" if r["ok"] else "MISMATCH"
            lines.append(f"  {r['api']:10} {r['quantity']:18} {r['max_abs']:10.2e} "
                         f"{r['max_rel']:10.2e}  {verdict}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self):
        return self.to_text()

    def _repr_html_(self):
        cells = []
        for r in self.rows:
            if r["max_rel"] is None:
                cells.append(f"<tr><td>{r['api']}</td><td>{r['quantity']}</td><td>-</td><td>-</td>"
                             f"<td>{html.escape(r['note'])}</td></tr>")
                continue
            color = "#d4edda" if r["ok"] else "#f8d7da"
            verdict = "ok" if r["ok"] else "MISMATCH"
            cells.append(f"<tr><td>{r['api']}</td><td>{r['quantity']}</td><td>{r['max_abs']:.2e}</td>"
                         f"<td>{r['max_rel']:.2e}</td><td style='background:{color}'>{verdict}</td></tr>")
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        return (f"<p><b>{self.layer_name}</b> [{html.escape(self.case_name)}] {self.dtype}, "
                f"tolerance {self.tolerance:g} relative</p><table><tr><th>api</th><th>quantity</th>"
                f"<th>max abs</th><th>max rel</th><th>verdict</th></tr>{''.join(cells)}</table>{notes}")


def run_kit(layer, x, dy, training=False, call_kwargs=None):
    y = layer(x, training=training, **(call_kwargs or {}))
    dx = layer.backward(dy)
    return {
        "output": [np.asarray(o) for o in as_list(y)],
        "dx": [None if d is None else np.asarray(d) for d in as_list(dx)],
        "grads": dict(zip(unique_names(layer.trainable_weight_names), layer.grads)),
        "weights_after": dict(zip(unique_names(w.name for w in layer.weight_records),
                                  (w.value for w in layer.weight_records))),
    }


def _diff_rows(api, kit, ref, tolerance, compare_after, zero_gradients=()):
    rows = []
    # a gradient that is 0 by mathematics (MultiHeadAttention's key bias: it shifts every score
    # of a softmax row by the same amount) is rounding noise on both sides: it is measured
    # against the scale of the largest weight gradient, not against its own
    grad_scale = max((float(np.max(np.abs(g))) for n, g in ref["grads"].items()
                      if n not in zero_gradients and np.size(g)), default=0.0)

    def add(kind, quantity, a, b):
        max_abs, max_rel = errors(a, b)
        if quantity[1:] in zero_gradients and grad_scale > 0:
            max_rel = max_abs / grad_scale
        rows.append(_row(api, kind, quantity, max_abs, max_rel, max_rel <= tolerance))

    many = len(kit["output"]) > 1
    for i, (a, b) in enumerate(zip(kit["output"], ref["output"])):
        add("output", f"output[{i}]" if many else "output", a, b)
    many = len(kit["dx"]) > 1
    for i, (a, b) in enumerate(zip(kit["dx"], ref["dx"])):
        if a is not None and b is not None:
            add("dx", f"dx[{i}]" if many else "dx", a, b)
    for name, g in kit["grads"].items():
        if name not in ref["grads"]:
            rows.append(_row(api, "weights", f"d{name}", None, None, False,
                             f"TensorFlow has no weight named {name!r}"))
            continue
        add("weights", f"d{name}", g, ref["grads"][name])
    for name in compare_after:
        if name in ref["weights_after"]:
            add("after", f"{name} after", kit["weights_after"][name], ref["weights_after"][name])
    return rows


def _row(api, kind, quantity, max_abs, max_rel, ok, note=""):
    """One line of a Report. ``kind`` ('output', 'dx', 'weights', 'after') is what ``worst`` groups by."""
    return {"api": api, "kind": kind, "quantity": quantity, "max_abs": max_abs, "max_rel": max_rel,
            "ok": ok, "note": note}


def compare(layer, x, dy=None, training=False, apis=APIS, seed=0, case_name="custom",
            call_kwargs=None):
    """Run ``layer`` and its twins on ``x`` with the same weights; diff everything.

    ``dy`` (dL/d(output)) defaults to a seeded standard normal. The kit layer is
    built first if needed; its weights before the call are copied into both
    twins. Non-trainable weights (such as moving statistics) are compared after
    the call too. ``call_kwargs`` go to every call (``{"reverse": True}``).
    """
    call_kwargs = dict(call_kwargs or {})
    twin = families.get(type(layer).__name__)
    x = [layer.convert_input(a) if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a)
         for a in x] if isinstance(x, (list, tuple)) else (
        layer.convert_input(x) if np.issubdtype(np.asarray(x).dtype, np.floating) else np.asarray(x))
    layer._maybe_build(x)
    keras_order = layer.get_weights()
    names = unique_names(w.name for w in layer.weight_records)
    by_name = {n: w.value.copy() for n, w in zip(names, layer.weight_records)}
    non_trainable = [n for n, w in zip(names, layer.weight_records) if not w.trainable]
    if dy is None:
        g = np.random.default_rng(seed + 1)
        shapes = [np.shape(o) for o in as_list(layer(x, training=False if training else training,
                                                     **call_kwargs))]
        layer.set_weights(keras_order)      # the probe call must not change any state
        dy = [g.standard_normal(s).astype(layer.dtype) for s in shapes]
        dy = dy if len(dy) > 1 else dy[0]
    kit = run_kit(layer, x, dy, training, call_kwargs)
    tolerance = TOLERANCES[layer.dtype]
    rows, notes = [], []
    if "tf.keras" in apis:
        ref = run_keras(layer, x, dy, training, weights=keras_order, call_kwargs=call_kwargs)
        rows += _diff_rows("tf.keras", kit, ref, tolerance, non_trainable, twin.zero_gradients)
    if "tf.layers" in apis:
        if twin.tf1 is None:
            rows.append(_row("tf.layers", None, "(none)", None, None, True,
                             f"no tf.layers equivalent; TF1 code used {twin.tf1_note}"))
        else:
            try:
                ref = run_tf1(layer, x, dy, training, weights=by_name)
            except NotImplementedError as reason:    # the layer existed in TF1, this configuration did not
                rows.append(_row("tf.layers", None, "(none)", None, None, True,
                                 f"{NO_CONFIGURATION}: {reason}"))
            else:
                rows += _diff_rows("tf.layers", kit, ref, tolerance, non_trainable,
                                   twin.zero_gradients)
                notes.append(f"tf.layers twin: {twin.tf1_name}")
    for attr in ("activation", "recurrent_activation"):
        name = getattr(getattr(layer, attr, None), "name", None)
        if name in DIFFERENCES:
            notes.append(DIFFERENCES[name])
    return Report(type(layer).__name__, case_name, layer.dtype, rows, notes)


def compare_case(layer_name, case, dtype="float32", seed=0):
    """Build the kit layer of a registered case and compare it."""
    from . import layers
    cls = getattr(layers, layer_name)
    layer = cls(**case.config, dtype=dtype)
    shapes = case.input_shape
    if shapes and isinstance(shapes[0], (tuple, list)):
        x = [make_input(s, dtype, case.input_kind, seed + i) for i, s in enumerate(shapes)]
    else:
        x = make_input(shapes, dtype, case.input_kind, seed)
    return compare(layer, x, training=case.training, seed=seed, case_name=case.name,
                   call_kwargs=case.call_kwargs)


class Matrix:
    """Every registered layer and case against both APIs: the worst relative error of each."""

    def __init__(self, reports):
        self.reports = reports

    @property
    def ok(self):
        return all(r.ok for r in self.reports)

    def _cells(self, r, api):
        absent = [row for row in r.rows if row["api"] == api and row["max_rel"] is None and row["ok"]]
        if absent:
            # n/a: the layer never existed there; n/c: it did, but not in this configuration
            return ["n/c" if absent[0]["note"].startswith(NO_CONFIGURATION) else "n/a"] * 3
        cells = []
        for q in ("output", "dx", "weights"):
            w = r.worst(api, q)
            cells.append("-" if w is None else f"{w:.1e}")
        return cells

    def to_text(self):
        lines = [f"{'layer':22} {'case':22} {'dtype':8} | {'tf.keras out':>12} {'dx':>8} {'dW':>8} | "
                 f"{'tf.layers out':>13} {'dx':>8} {'dW':>8} | verdict"]
        lines.append("-" * len(lines[0]))
        for r in self.reports:
            k, t = self._cells(r, "tf.keras"), self._cells(r, "tf.layers")
            lines.append(f"{r.layer_name:22} {r.case_name[:22]:22} {r.dtype:8} | {k[0]:>12} {k[1]:>8} "
                         f"{k[2]:>8} | {t[0]:>13} {t[1]:>8} {t[2]:>8} | "
                         f"{'ok' if r.ok else 'MISMATCH'}")
        bad = sum(not r.ok for r in self.reports)
        configurations = any(self._cells(r, "tf.layers")[0] == "n/c" for r in self.reports)
        lines.append(f"{len(self.reports)} comparisons, {bad} mismatches "
                     f"(max relative error; tolerance float32 {TOLERANCES['float32']:g}, "
                     f"float64 {TOLERANCES['float64']:g}; n/a: {NO_LAYER}"
                     + ("; n/c: it had the layer, not this configuration" if configurations else "") + ")")
        notes = sorted({row["note"] for r in self.reports for row in r.rows
                        if row["max_rel"] is None and row["note"]})
        lines += [f"  {n}" for n in notes]
        return "\n".join(lines)

    __str__ = __repr__ = to_text

    def _repr_html_(self):
        body = []
        for r in self.reports:
            k, t = self._cells(r, "tf.keras"), self._cells(r, "tf.layers")
            color = "#d4edda" if r.ok else "#f8d7da"
            body.append(f"<tr><td>{r.layer_name}</td><td>{html.escape(r.case_name)}</td><td>{r.dtype}</td>"
                        + "".join(f"<td>{c}</td>" for c in k + t)
                        + f"<td style='background:{color}'>{'ok' if r.ok else 'MISMATCH'}</td></tr>")
        return ("<table><tr><th>layer</th><th>case</th><th>dtype</th><th>tf.keras out</th><th>dx</th>"
                "<th>dW</th><th>tf.layers out</th><th>dx</th><th>dW</th><th>verdict</th></tr>"
                + "".join(body) + "</table>")


def compare_all(layer_names=None, dtypes=("float32", "float64"), seed=0):
    """The matrix for the named layers (default: every layer with a registered twin)."""
    twins = families.all_twins()
    names = layer_names or sorted(twins)
    unknown = [n for n in names if n not in twins]
    if unknown:
        raise ValueError(f"No comparison registered for {unknown}. Known: {', '.join(sorted(twins))}.")
    reports = [compare_case(name, case, dtype, seed)
               for name in names for case in twins[name].cases for dtype in dtypes
               if dtype in case.dtypes]
    return Matrix(reports)


# ---- a strategy of its own: Dropout in training --------------------------------------------

def compare_dropout_shared_mask(layer, x, dy=None, apis=("tf.keras", "tf.layers"), seed=0):
    """Diff the kit's Dropout in training against TensorFlow's, on TensorFlow's own mask.

    The generic engine cannot compare a random layer in training: the kit and
    TensorFlow draw different masks. This runs TensorFlow's dropout first, reads its
    keep mask from the output (an element was kept exactly where the output is
    nonzero, so x must have no zeros), replays that mask in the kit
    (``layer(x, training=True, keep_mask=mask)``) and diffs the output and dx.

    Returns a :class:`~tflearn_kit.compare.Report` with an output and a dx row per
    API, and a note per API with the fraction TensorFlow kept.
    """
    x = layer.convert_input(x)
    if np.any(x == 0):
        raise ValueError("compare_dropout_shared_mask: x must have no zeros, or the mask "
                         "cannot be read from the output.")
    if dy is None:
        dy = np.random.default_rng(seed + 1).standard_normal(x.shape).astype(layer.dtype)
    tolerance = TOLERANCES[layer.dtype]
    runners = {"tf.keras": run_keras_dropout, "tf.layers": run_tf1_dropout}
    rows, notes = [], []
    for api in apis:
        y_tf, dx_tf = runners[api](layer, x, dy)
        mask = y_tf != 0                       # kept exactly where the output is nonzero
        y = layer(x, training=True, keep_mask=mask)
        dx = layer.backward(dy)
        for quantity, a, b in (("output", y, y_tf), ("dx", dx, dx_tf)):
            max_abs, max_rel = errors(a, b)
            rows.append(_row(api, quantity, quantity, max_abs, max_rel, max_rel <= tolerance))
        notes.append(f"{api}: kept {mask.mean():.3f} of the elements (rate {layer.rate})")
    return Report("Dropout", "shared mask, training", layer.dtype, rows, notes)


# ---- a strategy of its own: BatchNormalization's moving statistics over several steps ------

def moving_statistics_after_steps(layer, batches, apis=("tf.keras", "tf.layers")):
    """Run ``len(batches)`` training steps through each twin; return their moving statistics.

    The twins start from the kit layer's current weights. Returns
    {api: {"moving_mean": array, "moving_variance": array}}. The tf.layers twin runs in a
    graph where each step evaluates the output *and* the UPDATE_OPS collection, as
    TF1 training code had to (``tf.control_dependencies(update_ops)``).
    """
    tf, _, _ = modules()
    by_name = {w.name: w.value.copy() for w in layer.weight_records}
    result = {}
    if "tf.keras" in apis:
        twin = keras_twin(layer, batches[0].shape, layer.get_weights())
        for x in batches:
            twin(tf.constant(x), training=True)
        result["tf.keras"] = {v.name.split("/")[-1].split(":")[0]: np.asarray(v)
                              for v in twin.non_trainable_weights}
    if "tf.layers" in apis:
        v1 = tf.compat.v1
        with tf.Graph().as_default() as graph:
            x_ph = v1.placeholder(tf.as_dtype(batches[0].dtype), shape=batches[0].shape)
            y = batch_normalization_tf1(layer, x_ph, True,
                                        lambda name: v1.constant_initializer(by_name[name]))
            update_ops = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
            stats = [v for v in v1.global_variables() if "moving" in v.name]
            with v1.Session(graph=graph) as sess:
                sess.run(v1.global_variables_initializer())
                for x in batches:
                    sess.run([y, update_ops], {x_ph: x})
                values = sess.run(stats)
        result["tf.layers"] = {v.name.split("/")[-1].split(":")[0]: a
                               for v, a in zip(stats, values)}
    return result
