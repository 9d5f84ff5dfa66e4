"""The parity grid of a family: every registered case of its layers, in each dtype TensorFlow runs it in.

The cases live once, in ``tflearn_kit/reference/<family>.py``, so ``tflearn-kit compare``,
the notebooks' tables and the tests run the same configurations.
"""
import pytest

from tflearn_kit.reference import all_twins


def grid(*names):
    """Parametrize ``name, case, dtype`` over the registered cases of these layers, with ids
    like 'LSTM-backwards-state-float64'."""
    twins = all_twins()
    params = [pytest.param(name, case, dtype, id=f"{name}-{case.name}-{dtype}")
              for name in names for case in twins[name].cases for dtype in case.dtypes]
    return pytest.mark.parametrize("name, case, dtype", params)
