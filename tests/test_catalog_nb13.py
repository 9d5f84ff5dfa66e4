"""The exercises of 13_attention_and_transformers: references checked against Keras and TensorFlow,
and every plausible mistake caught by at least one case (most of them only by a hidden one)."""
import numpy as np
import pytest

from tflearn_kit.grading import exercises
from tflearn_kit.grading.catalog import nb13_attention_and_transformers as nb13
from tflearn_kit.kernels import attention as att
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES
from .grading_corpus import grade_solution_release_and_edit

NB = "13_attention_and_transformers"
NB13 = ["attention_forward", "attention_backward", "causal_mask", "split_heads", "merge_heads"]


def _cases(exercise_id):
    exercise = exercises.get(exercise_id)
    return [pytest.param(exercise, case, id=case.name) for case in exercise.cases("all")]


def _close(actual, expected):
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert np.max(np.abs(actual - expected)) <= TOLERANCES["float64"] * max(1.0, np.max(np.abs(expected)))


def test_notebook_13_registers_its_exercises_in_notebook_order():
    assert [e.id for e in exercises.for_notebook(NB)] == NB13


def _keras_attention(q, k, v, mask):
    """Keras's ops.dot_product_attention on (..., T, d) arrays, with TensorFlow's gradients.

    Keras wants (batch, T, heads, d): the kit's leading axes become one batch axis of
    single-head problems. Returns out and a function dout -> (dq, dk, dv).
    """
    tf, keras, _ = modules()
    lead = q.shape[:-2]

    def bthd(a):
        return tf.constant(a.reshape((-1,) + a.shape[-2:])[:, :, None, :])

    tensors = [bthd(a) for a in (q, k, v)]
    keras_mask = None
    if mask is not None:
        full = np.broadcast_to(mask, lead + (q.shape[-2], k.shape[-2]))
        keras_mask = tf.constant(full.reshape((-1, 1) + full.shape[-2:]))
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        # scale given as a Python float, as MultiHeadAttention passes it (the default is a float32 value)
        out = keras.ops.dot_product_attention(*tensors, mask=keras_mask, scale=1 / np.sqrt(q.shape[-1]))

    def backward(dout):
        grads = tape.gradient(out, tensors, output_gradients=bthd(dout))
        return [g.numpy()[:, :, 0, :].reshape(a.shape) for g, a in zip(grads, (q, k, v))]
    return out.numpy()[:, :, 0, :].reshape(lead + (q.shape[-2], v.shape[-1])), backward


@pytest.mark.parametrize("exercise, case", _cases("attention_forward"))
def test_attention_reference_equals_keras_dot_product_attention(exercise, case):
    q, k, v, mask = case.make()
    out, weights = exercise.reference(q, k, v, mask)
    expected, _ = _keras_attention(q, k, v, mask)
    _close(out, expected)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("exercise, case", _cases("attention_backward"))
def test_attention_backward_reference_equals_tf_gradients(exercise, case):
    dout, q, k, v, mask = case.make()
    _, backward = _keras_attention(q, k, v, mask)
    for mine, theirs in zip(exercise.reference(dout, q, k, v, mask), backward(dout)):
        _close(mine, theirs)


@pytest.mark.parametrize("exercise, case", _cases("causal_mask"))
def test_causal_mask_reference_is_keras_multi_head_attention_causal_mask(exercise, case):
    _, keras, _ = modules()
    q_len, k_len = case.make()
    layer = keras.layers.MultiHeadAttention(1, 2)
    expected = layer._compute_causal_mask(np.zeros((1, q_len, 2)), np.zeros((1, k_len, 2)))
    np.testing.assert_array_equal(exercise.reference(q_len, k_len), np.asarray(expected)[0])


@pytest.mark.parametrize("exercise, case", _cases("split_heads"))
def test_split_heads_is_what_keras_einsum_projection_gives(exercise, case):
    """A Dense of width heads * d, split, equals Keras's EinsumDense kernel (in, heads, d), heads first."""
    _, keras, _ = modules()
    x, heads = case.make()
    depth = x.shape[-1] // heads
    g = np.random.default_rng(0)
    inputs = g.standard_normal(x.shape[:-1] + (5,))
    kernel = g.standard_normal((5, heads, depth))
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, heads, depth), dtype="float64")
    layer.build(inputs.shape)
    layer.set_weights([kernel])
    expected = np.asarray(layer(inputs)).transpose(0, 2, 1, 3)
    _close(exercise.reference(inputs @ kernel.reshape(5, heads * depth), heads), expected)


@pytest.mark.parametrize("exercise, case", _cases("merge_heads"))
def test_merge_heads_undoes_split_heads(exercise, case):
    (x,) = case.make()
    merged = exercise.reference(x.copy())
    np.testing.assert_array_equal(nb13.split_heads(merged, x.shape[1]), x)
    np.testing.assert_array_equal(merged[:, :, : x.shape[-1]], x[:, 0])   # head 0 comes first


# ---- the checks catch plausible mistakes ---------------------------------------------------

def _results(exercise_id, fn):
    exercise = exercises.get(exercise_id)
    with np.errstate(all="ignore"):              # the wrong answers overflow and divide by zero
        return {r.case: r.passed for r in exercises.run_cases(exercise, fn, "all")}


def _softmax_rows(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _forward_with(masking="replace", transpose="swapaxes", max_trick=True, scale="sqrt_d"):
    def forward(q, k, v, mask=None):
        kt = np.swapaxes(k, -1, -2) if transpose == "swapaxes" else k.transpose(0, 2, 1)
        d = q.shape[-1] if scale == "sqrt_d" else v.shape[-1]
        scores = q @ kt / np.sqrt(d)
        if mask is not None:
            scores = {"replace": lambda: np.where(mask, scores, -1e9),
                      "add": lambda: scores + (1 - mask) * -1e9,
                      "-inf": lambda: np.where(mask, scores, -np.inf)}[masking]()
        if max_trick:
            weights = _softmax_rows(scores)
        else:
            weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
        return weights @ v, weights
    return forward


FORWARD_MISTAKES = {            # mistake -> the hidden case and the visible case that catch it
    "mask-as--inf": (_forward_with(masking="-inf"), "fully-masked-row", "heads-cross-blind-query"),
    "mask-added": (_forward_with(masking="add"), "fully-masked-row", "heads-cross-blind-query"),
    "transpose-assumes-3d": (_forward_with(transpose="3d"), "heads-axis-causal-cross", "heads-cross-blind-query"),
    "no-max-subtraction": (_forward_with(max_trick=False), "large-scores", "large-scores-4x4"),
}


@pytest.mark.parametrize("mistake", FORWARD_MISTAKES)
def test_attention_forward_catches_the_subtle_mistakes_in_the_notebook_and_in_the_grade(mistake):
    # these pass the plain self-attention and padding cases: each needs a case built for it,
    # visible (so the notebook says so at once) and hidden (so the grade does too)
    forward, hidden, visible = FORWARD_MISTAKES[mistake]
    results = _results("attention_forward", forward)
    assert not results[hidden] and not results[visible], results
    assert results["self-2x4x3"], results


def test_attention_forward_catches_scaling_by_the_value_dim():
    assert not _results("attention_forward", _forward_with(scale="dv"))["cross-Tq2-Tk5-dv6"]


def test_attention_forward_passes_a_right_answer_written_differently():
    def forward(q, k, v, mask=None):
        scores = np.einsum("...qd,...kd->...qk", q * q.shape[-1] ** -0.5, k)
        if mask is not None:
            scores = np.where(mask, scores, -1e9)
        weights = _softmax_rows(scores)
        return np.einsum("...qk,...kv->...qv", weights, v), weights
    assert all(_results("attention_forward", forward).values())


def _backward_with(zero_masked=True, transpose_p=True, scaled=True):
    def backward(dout, q, k, v, mask=None):
        _, p = nb13.attention(q, k, v, mask)
        dv = (np.swapaxes(p, -1, -2) if transpose_p else p) @ dout
        dp = dout @ np.swapaxes(v, -1, -2)
        ds = p * (dp - np.sum(p * dp, axis=-1, keepdims=True))
        if mask is not None and zero_masked:
            ds = np.where(mask, ds, 0.0)
        s = 1 / np.sqrt(q.shape[-1]) if scaled else 1.0
        return ds @ k * s, np.swapaxes(ds, -1, -2) @ q * s, dv
    return backward


@pytest.mark.parametrize("mistake, backward, caught_by", [
    ("masked-scores-not-zeroed", _backward_with(zero_masked=False), "fully-masked-row"),
    ("dv-without-transpose", _backward_with(transpose_p=False), "cross-Tq2-Tk5-dv6"),
    ("scale-forgotten", _backward_with(scaled=False), "self-2x4x3"),
])
def test_attention_backward_cases_catch(mistake, backward, caught_by):
    assert not _results("attention_backward", backward)[caught_by], mistake


@pytest.mark.parametrize("mistake, fn, caught_by", [
    ("square-only", lambda q, k: np.tril(np.ones((q, q), bool)), "3-queries-5-keys"),
    ("aligned-to-the-end", lambda q, k: np.tril(np.ones((q, k), bool), k - q), "3-queries-5-keys"),
    ("strictly-lower", lambda q, k: np.tril(np.ones((q, k), bool), -1), "4x4"),
])
def test_causal_mask_cases_catch(mistake, fn, caught_by):
    assert not _results("causal_mask", fn)[caught_by], mistake


@pytest.mark.parametrize("exercise_id, mistake, fn, caught_by", [
    ("split_heads", "reshape-without-transpose",
     lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), "batch1-T5-heads3-d2"),
    ("split_heads", "depth-before-heads",
     lambda x, h: x.reshape(x.shape[0], x.shape[1], -1, h).transpose(0, 3, 1, 2), "batch1-T5-heads3-d2"),
    ("merge_heads", "reshape-without-transpose",
     lambda x: x.reshape(x.shape[0], x.shape[2], -1), "batch1-heads3-T5-d2"),
    ("merge_heads", "depth-before-heads",
     lambda x: x.transpose(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1), "batch1-heads3-T5-d2"),
])
def test_head_cases_catch(exercise_id, mistake, fn, caught_by):
    assert not _results(exercise_id, fn)[caught_by], mistake


def test_untouched_exercises_say_not_implemented():
    def untouched(*args):
        raise NotImplementedError()
    for exercise_id in NB13:
        assert all(r.not_implemented for r in exercises.run_cases(exercises.get(exercise_id), untouched, "all"))


# ---- the notebook, graded by `tflearn-kit grade` ----------------------------------------------

def test_grade_full_marks_for_the_solution_zero_for_the_release_partial_for_a_minus_inf_mask(tmp_path):
    """The -inf mask fails only where a query has no key."""
    rows = grade_solution_release_and_edit(tmp_path, NB, "scaled_dot_product_attention",
                                           "-1e9", "-np.inf", timeout=60)
    total = sum(e.points for e in exercises.for_notebook(NB))
    assert (float(rows["solution"]["score"]), rows["solution"]["reason"]) == (total, "full marks")
    assert float(rows["untouched"]["score"]) == 0
    forward = exercises.get("attention_forward")
    one_case = forward.points / len(forward.cases("all"))          # partial credit, case by case
    # two cases have a query whose keys are all masked: the visible heads-cross-blind-query, the hidden fully-masked-row
    assert float(rows["edited"]["score"]) == pytest.approx(total - 2 * one_case, abs=1e-3)
    assert "case 'heads-cross-blind-query'" in rows["edited"]["reason"]
    assert "contains NaN" in rows["edited"]["reason"]


# ---- the references are what the kit's kernels compute -----------------------------------------

@pytest.mark.parametrize("exercise, case", _cases("attention_forward"))
def test_attention_reference_equals_the_kits_kernel(exercise, case):
    """The notebook prints the kernel as 'the same arithmetic': hold it to that."""
    q, k, v, mask = case.make()
    out, weights, _ = att.scaled_dot_product_attention_forward(q, k, v, mask)
    expected_out, expected_weights = exercise.reference(q, k, v, mask)
    _close(out, expected_out)
    _close(weights, expected_weights)


@pytest.mark.parametrize("exercise, case", _cases("attention_backward"))
def test_attention_backward_reference_equals_the_kits_kernel(exercise, case):
    dout, q, k, v, mask = case.make()
    _, _, cache = att.scaled_dot_product_attention_forward(q, k, v, mask)
    for mine, reference in zip(att.scaled_dot_product_attention_backward(dout, cache),
                               exercise.reference(dout, q, k, v, mask)):
        _close(mine, reference)


def test_head_and_mask_references_equal_the_kits_kernels():
    for case in exercises.get("split_heads").cases("all"):
        x, heads = case.make()
        np.testing.assert_array_equal(att.split_heads(x, heads), nb13.split_heads(x, heads))
    for case in exercises.get("merge_heads").cases("all"):
        (x,) = case.make()
        np.testing.assert_array_equal(att.merge_heads(x), nb13.merge_heads(x))
    for case in exercises.get("causal_mask").cases("all"):
        np.testing.assert_array_equal(att.causal_mask(*case.make()), nb13.causal_mask(*case.make()))
