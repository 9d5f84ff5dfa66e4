"""Imports every family's benchmarks. A new family adds one line here."""
from . import conv  # noqa: F401
from . import dense  # noqa: F401
from . import pooling  # noqa: F401
from . import recurrent  # noqa: F401
from . import training  # noqa: F401
from . import attention  # noqa: F401
