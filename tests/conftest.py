"""Shared fixtures and the tolerances every parity test uses, stated once per dtype."""
import os

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


@pytest.fixture
def sandbox():
    """The grader's bubblewrap sandbox: skipped (with the reason) where it cannot run, unless
    TFLEARN_KIT_REQUIRE_SANDBOX is set (as in CI), where its absence fails the test."""
    from tflearn_kit.grading.isolation import REQUIRE_ENV, Isolation, bubblewrap_works
    why = bubblewrap_works()
    if why and os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but the sandbox cannot run: {why}")
    if why:
        pytest.skip(f"needs the bubblewrap sandbox: {why} (apt-get install bubblewrap)")
    return Isolation("bubblewrap")


def assert_report_ok(report):
    """A compare() report within tolerance, with the report as the failure message."""
    assert report.rows, "the comparison produced no rows"
    assert report.ok, "\n" + report.to_text()


__all__ = ["DTYPES", "TOLERANCES", "assert_report_ok"]
