"""Every function keras.activations exports, forward and derivative, against Keras 3 itself.

The list is read from Keras at run time: a Keras release that adds an activation
makes ``test_kit_has_every_keras_activation`` fail until the kit has it.
Derivatives are compared with tf.GradientTape's vector-Jacobian product for the
same upstream gradient the kit's backward receives.
"""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import errors, make_input
from tflearn_kit.reference.tf import modules

from .conftest import TOLERANCES

NOT_ACTIVATIONS = {"get", "serialize", "deserialize"}

# Arguments an activation needs, or non-default ones worth checking: (name, kit name, kwargs)
EXTRA_CASES = [
    ("threshold", "threshold", {"threshold": 0.4, "default_value": -2.0}),
    ("relu", "relu", {"negative_slope": 0.1, "max_value": 2.5, "threshold": 0.3}),
    ("relu", "relu", {"max_value": 6.0}),
    ("relu", "relu", {"negative_slope": 0.25}),
    ("celu", "celu", {"alpha": 2.0}),
    ("elu", "elu", {"alpha": 0.5}),
    ("glu", "glu", {"axis": 1}),
    ("softmax", "softmax", {"axis": 1}),
    ("log_softmax", "log_softmax", {"axis": 0}),
    ("hard_shrink", "hard_shrink", {"threshold": 1.2}),
    ("soft_shrink", "soft_shrink", {"threshold": 0.2}),
    ("squareplus", "squareplus", {"b": 1.5}),
    ("leaky_relu", "leaky_relu", {"negative_slope": 0.3}),
]
# Where Keras 3's function is not differentiable; the test input stays away from these.
KINKS = (0.0, 0.2, 0.3, 0.4, 0.5, 1.0, 1.2, 2.5, 3.0, 6.0)


def keras_names():
    _, keras, _ = modules()
    return sorted(n for n in dir(keras.activations)
                  if not n.startswith("_") and n not in NOT_ACTIVATIONS
                  and callable(getattr(keras.activations, n)))


def away_from_kinks(x):
    for k in KINKS:
        for point in (k, -k):
            near = np.abs(x - point) < 0.02
            x[near] = point + 0.05
    return x


def keras_value_and_vjp(fn, x, dy):
    tf, _, _ = modules()
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = fn(xt)
    return np.asarray(y), np.asarray(tape.gradient(y, xt, output_gradients=tf.constant(dy)))


def assert_matches_keras(name, kit_name, kwargs, dtype, x):
    _, keras, _ = modules()
    act = kit.activations.Activation(kit_name, **kwargs)
    y, cache = act.forward(x)
    dy = make_input(y.shape, dtype, seed=5)
    dx = act.backward(dy, cache)
    y_tf, dx_tf = keras_value_and_vjp(lambda t: getattr(keras.activations, name)(t, **kwargs), x, dy)
    assert y.dtype == x.dtype and dx.dtype == x.dtype
    tol = TOLERANCES[dtype]
    _, rel_y = errors(y, y_tf)
    _, rel_dx = errors(dx, dx_tf)
    assert rel_y <= tol and rel_dx <= tol, (
        f"{name}{kwargs} {dtype}: forward rel {rel_y:.1e}, derivative rel {rel_dx:.1e} (tol {tol:g})")


def test_kit_has_every_keras_activation():
    missing = [n for n in keras_names() if n not in kit.activations._REGISTRY]
    assert not missing, f"keras.activations exports {missing}, which the kit lacks"


@pytest.mark.parametrize("name", keras_names())
def test_activation_and_derivative_match_keras(name, dtype):
    if name == "sparsemax":
        pytest.skip("Keras 3's sparsemax differs from the definition: see the sparsemax tests below")
    kwargs = dict(EXTRA_CASES[0][2]) if name == "threshold" else {}
    x = away_from_kinks(make_input((4, 6), dtype, seed=21) * 3)
    assert_matches_keras(name, name, kwargs, dtype, x)


@pytest.mark.parametrize("name, kit_name, kwargs", EXTRA_CASES,
                         ids=[f"{n}-" + "-".join(f"{k}{v}" for k, v in kw.items()) for n, _, kw in EXTRA_CASES])
def test_activation_arguments_match_keras(name, kit_name, kwargs, dtype):
    x = away_from_kinks(make_input((4, 6), dtype, seed=22) * 3)
    assert_matches_keras(name, kit_name, kwargs, dtype, x)


def test_large_inputs_stay_finite_as_in_keras():
    x = np.array([[-500.0, -40.0, -1.5, 1.5, 40.0, 500.0]])
    for name in ("log_sigmoid", "log_softmax", "mish", "softplus", "sigmoid", "celu"):
        with np.errstate(over="raise", invalid="raise"):
            y = kit.activations.get(name)(x)
        assert np.all(np.isfinite(y)), name


@pytest.mark.parametrize("name", ["mish", "hard_silu", "log_softmax", "sparse_plus"])
def test_layers_take_the_new_activations_by_name(name):
    _, keras, _ = modules()
    x = make_input((2, 9, 3), "float64", seed=23)
    layer = kit.layers.Conv1D(4, 3, activation=name, dtype="float64")
    y = layer(x)
    twin = keras.layers.Conv1D(4, 3, activation=name, dtype="float64")
    twin.build(x.shape)
    twin.set_weights(layer.get_weights())
    _, rel = errors(y, np.asarray(twin(x)))
    assert rel <= TOLERANCES["float64"]


def test_hard_swish_is_hard_silu_and_swish_is_silu():
    x = make_input((3, 4), "float64", seed=24) * 4
    assert np.array_equal(kit.activations.get("hard_swish")(x), kit.activations.get("hard_silu")(x))
    assert np.array_equal(kit.activations.get("swish")(x), kit.activations.get("silu")(x))


def test_threshold_needs_its_arguments_as_in_keras():
    with pytest.raises(ValueError, match="threshold.*needs the arguments"):
        kit.layers.Dense(2, activation="threshold")


def test_glu_rejects_an_odd_axis():
    with pytest.raises(ValueError, match="even size"):
        kit.activations.get("glu")(np.ones((2, 5)))


# ---- hard_sigmoid: Keras 3 against TF1 / tf_keras ------------------------------------------

def test_hard_sigmoid_follows_keras3_and_shows_the_tf1_difference():
    """The kit follows Keras 3 (relu6(x + 3) / 6). tf_keras and TF1's Keras used 0.2 x + 0.5
    clipped to [0, 1]: the two differ everywhere except at 0 and beyond +-3."""
    import tf_keras
    _, keras, _ = modules()
    x = np.array([-3.5, -2.0, -1.0, 0.0, 1.0, 2.0, 3.5], dtype=np.float32)
    kit_y = kit.activations.get("hard_sigmoid")(x)
    keras3 = np.asarray(keras.activations.hard_sigmoid(x))
    legacy = np.asarray(tf_keras.activations.hard_sigmoid(tf_keras.backend.constant(x)))
    np.testing.assert_allclose(kit_y, keras3, rtol=0, atol=1e-7)
    np.testing.assert_allclose(legacy, np.clip(0.2 * x + 0.5, 0, 1), rtol=0, atol=1e-7)
    diff = np.abs(kit_y - legacy)
    assert diff.max() > 0.06                        # at x = +-1: 2/3 against 0.7
    assert np.all(diff[[0, 3, 6]] < 1e-7)           # they agree at 0 and where both saturate


def test_mish_and_gelu_agree_with_tf_keras_too():
    # the activations tf_keras also had, other than hard_sigmoid, are the same functions
    import tf_keras
    x = make_input((3, 5), "float32", seed=25) * 3
    for name in ("mish", "gelu", "swish", "elu", "selu", "softplus", "softsign"):
        legacy = np.asarray(getattr(tf_keras.activations, name)(tf_keras.backend.constant(x)))
        _, rel = errors(kit.activations.get(name)(x), legacy)
        assert rel <= TOLERANCES["float32"], name


# ---- sparsemax: the definition, and where Keras 3 departs from it --------------------------

def simplex_projection_by_bisection(z):
    """argmin_p ||p - z|| over the simplex, row by row, finding tau by bisection on sum(max(z - tau, 0)) = 1."""
    out = np.empty_like(z)
    for i, row in enumerate(z):
        lo, hi = row.min() - 1.0, row.max()
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.maximum(row - mid, 0).sum() > 1 else (lo, mid)
        out[i] = np.maximum(row - (lo + hi) / 2, 0)
    return out


def test_sparsemax_is_the_projection_onto_the_simplex(dtype):
    x = make_input((6, 5), dtype, seed=26)
    y = kit.activations.get("sparsemax")(x)
    np.testing.assert_allclose(y, simplex_projection_by_bisection(x.astype(np.float64)),
                               rtol=0, atol=TOLERANCES[dtype])
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, atol=TOLERANCES[dtype])


def test_sparsemax_matches_keras_where_one_entry_is_kept(dtype):
    x = make_input((5, 6), dtype, seed=27)
    x[np.arange(5), np.arange(5)] += 4            # one clear winner per row: support of size 1
    assert_matches_keras("sparsemax", "sparsemax", {}, dtype, x)


def test_sparsemax_differs_from_keras3_when_several_entries_are_kept():
    """Keras 3.x's sparsemax (every backend) takes tau = (sum of the cumulative sums over the
    support - 1) / k instead of (cumulative sum at k - 1) / k. With more than one entry in the
    support its output does not sum to 1: [1, 1.2, 1.5] gives [0, 0, 0] where the definition
    gives [0.1, 0.3, 0.6]. The kit follows the definition; this test fails once Keras is fixed."""
    _, keras, _ = modules()
    x = np.array([[1.0, 1.2, 1.5]])
    np.testing.assert_allclose(kit.activations.get("sparsemax")(x), [[0.1, 0.3, 0.6]], atol=1e-12)
    assert not np.allclose(np.asarray(keras.activations.sparsemax(x)), [[0.1, 0.3, 0.6]])


def test_sparsemax_derivative_gradient_check():
    from tflearn_kit.gradcheck import gradient_check
    x = make_input((3, 6), "float64", seed=28)
    result = gradient_check(kit.layers.Activation("sparsemax", dtype="float64"), x)
    assert result.ok, "\n" + result.to_text()
