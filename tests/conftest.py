"""Shared fixtures and the tolerances every parity test uses, stated once per dtype."""
import numpy as np
import pytest

from tflearn_kit.compare import TOLERANCES  # float32: 1e-5, float64: 1e-10 (relative to scale)

DTYPES = ["float32", "float64"]


@pytest.fixture(params=DTYPES)
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def assert_report_ok(report):
    """A compare() report within tolerance, with the report as the failure message."""
    assert report.rows, "the comparison produced no rows"
    assert report.ok, "\n" + report.to_text()


__all__ = ["DTYPES", "TOLERANCES", "assert_report_ok"]
