"""Adaptive average and max pooling in 1-D, 2-D and 3-D against tf.keras and a TF1 slice-and-reduce."""
import numpy as np
import pytest

import tflearn_kit as kit
from tflearn_kit.compare import compare_case, make_input
from tflearn_kit.gradcheck import gradient_check
from tflearn_kit.kernels.adaptive_pooling import adaptive_windows
from tflearn_kit.reference import families

from .conftest import DTYPES, assert_report_ok

LAYERS = [f"Adaptive{k}Pooling{r}D" for k in ("Average", "Max") for r in (1, 2, 3)]
CASES = [(n, c, d) for n in LAYERS for c in families.get(n).cases for d in DTYPES if d in c.dtypes]


@pytest.mark.parametrize("name, case, dtype", CASES, ids=[f"{n}-{c.name}-{d}" for n, c, d in CASES])
def test_matches_both_tf_apis(name, case, dtype):
    assert_report_ok(compare_case(name, case, dtype))


GRAD = [(n, c) for n in LAYERS for c in families.get(n).cases]


@pytest.mark.parametrize("name, case", GRAD, ids=[f"{n}-{c.name}" for n, c in GRAD])
def test_gradient_check(name, case):
    layer = getattr(kit.layers, name)(**case.config, dtype="float64")
    result = gradient_check(layer, make_input(case.input_shape, "float64", seed=121))
    assert result.ok, "\n" + result.to_text()


def test_windows_by_hand():
    assert adaptive_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]     # overlapping, sizes 2, 3, 2
    assert adaptive_windows(6, 3) == [(0, 2), (2, 4), (4, 6)]     # an ordinary pooling


def test_bad_rank_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(AdaptiveMaxPooling2D\) expected an input of shape.*rank 4"):
        kit.layers.AdaptiveMaxPooling2D(2)(np.zeros((2, 4, 4)))
