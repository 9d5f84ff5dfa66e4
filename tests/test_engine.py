"""The comparison engine and the gradient check can fail: a wrong layer is caught by both."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare, compare_all, errors, make_input
from tflearn_kit.gradcheck import THRESHOLDS, gradient_check, relative_error


class WrongBackwardDense(kit.layers.Dense):
    """Dense whose bias gradient forgets to sum over the batch."""

    def backward_call(self, dy):
        dx, grads = super().backward_call(dy)
        grads[1] = dy[0]                        # [dkernel, dbias]
        return dx, grads


class WrongForwardDense(kit.layers.Dense):
    def call(self, inputs):
        return super().call(inputs) * 1.001


@pytest.fixture
def impostors(monkeypatch):
    """The twins are looked up by class name: let the impostors use Dense's."""
    from tflearn_kit.reference import families
    twins = families.all_twins()
    monkeypatch.setitem(families.REGISTRY, "WrongBackwardDense", twins["Dense"])
    monkeypatch.setitem(families.REGISTRY, "WrongForwardDense", twins["Dense"])
    import keras
    monkeypatch.setattr(keras.layers, "WrongBackwardDense", keras.layers.Dense, raising=False)
    monkeypatch.setattr(keras.layers, "WrongForwardDense", keras.layers.Dense, raising=False)


def test_compare_catches_a_wrong_gradient(impostors):
    report = compare(WrongBackwardDense(3, dtype="float64"), make_input((4, 5), "float64"))
    bad = {(r["api"], r["quantity"]) for r in report.rows if not r["ok"]}
    assert bad == {("tf.keras", "dbias"), ("tf.layers", "dbias")}
    assert not report.ok
    assert "MISMATCH" in report.to_text() and "MISMATCH" in report._repr_html_()


def test_compare_catches_a_wrong_output(impostors):
    report = compare(WrongForwardDense(3), make_input((4, 5)))
    assert not report.ok
    assert any(r["quantity"] == "output" and not r["ok"] for r in report.rows)


def test_gradient_check_catches_a_wrong_gradient():
    result = gradient_check(WrongBackwardDense(3, dtype="float64"), make_input((4, 5), "float64"))
    by_tensor = {r["tensor"]: r["max_rel"] for r in result.results}
    assert by_tensor["dbias"] > THRESHOLDS["wrong"]
    assert by_tensor["dkernel"] < THRESHOLDS["correct"]
    assert not result.ok and "WRONG" in result.to_text()


def test_gradient_check_refuses_float32():
    with pytest.raises(ValueError, match="float64"):
        gradient_check(kit.layers.Dense(2), make_input((2, 3)))


def test_error_measures():
    assert errors([1.0, 2.0], [1.0, 4.0]) == (2.0, 0.5)          # relative to the scale (max |tf|)
    assert relative_error(1.0, 1.0) == 0
    assert relative_error(1.0, -1.0) == 1


def test_matrix_reports_layers_without_tf_layers_twin():
    from tflearn_kit.reference import families, twin
    dense = families.all_twins()["Dense"]
    no_tf1 = twin("Dense", tf1_note="tf.matmul on a tf.Variable", cases=dense.cases[:1])
    try:
        families.REGISTRY["Dense"] = no_tf1
        matrix = compare_all(["Dense"], dtypes=("float32",))
    finally:
        families.REGISTRY["Dense"] = dense
    text = matrix.to_text()
    assert "n/a" in text and "tf.matmul on a tf.Variable" in text and matrix.ok


def test_matrix_tells_a_missing_layer_from_a_missing_configuration():
    """GRU existed in tf.layers' world (GRUCell); reset_after=True did not: n/c and the reason, not n/a."""
    from tflearn_kit.reference import families
    gru = families.all_twins()["GRU"]
    reset_after = next(c for c in gru.cases if c.config.get("reset_after", True))
    reset_before = next(c for c in gru.cases if c.config.get("reset_after") is False)
    matrix = compare_all(["GRU"], dtypes=("float64",))
    rows = {line.split()[1]: line for line in matrix.to_text().splitlines()[2:] if line.startswith("GRU ")}
    assert "n/c" in rows[reset_after.name[:22]] and "n/a" not in rows[reset_after.name[:22]]
    assert "n/c" not in rows[reset_before.name[:22]]
    text = matrix.to_text()
    assert "n/c: it had the layer, not this configuration" in text
    assert "tf.layers had no such configuration: TF1's GRUCell resets the state before the matmul" in text
    report = kit.compare.compare_case("GRU", reset_after, dtype="float64")
    assert "tf.layers had no such configuration: " in report.to_text()


def test_gradient_check_names_the_input_gradient_dx_like_the_weights():
    result = gradient_check(kit.layers.Dense(3, dtype="float64"), make_input((4, 5), "float64"))
    assert [r["tensor"] for r in result.results] == ["dx", "dkernel", "dbias"]
    added = gradient_check(kit.layers.Add(dtype="float64"), [make_input((2, 3), "float64", seed=s) for s in (1, 2)])
    assert [r["tensor"] for r in added.results] == ["dx[0]", "dx[1]"]
    assert "\n  dx " in result.to_text() and "\n  x " not in result.to_text()


def test_cli_compare_prints_the_matrix(capsys):
    from tflearn_kit.cli import main
    assert main(["compare", "Dense", "ReLU", "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert "Dense" in out and "ReLU" in out and "0 mismatches" in out
    assert main(["compare", "NoSuchLayer"]) == 2


def test_every_registered_layer_has_cases_and_a_kit_class():
    from tflearn_kit.reference import all_twins
    for name, twin in all_twins().items():
        assert hasattr(kit.layers, name), name
        assert twin.cases, f"{name} has no comparison cases"
        assert twin.tf1 is not None or twin.tf1_note, name


def test_worst_weight_error_of_a_weightless_layer_with_several_inputs_is_none():
    """Add has no weights: its dW column is empty, not a copy of its dx[0], dx[1] rows."""
    xs = [make_input((2, 3), "float64", seed=s) for s in (1, 2)]
    report = compare(kit.layers.Add(dtype="float64"), xs)
    assert report.ok
    assert report.worst("tf.keras", "dx") is not None
    assert report.worst("tf.keras", "weights") is None
    assert report.worst("tf.layers", "weights") is None
