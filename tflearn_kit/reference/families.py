"""Imports every family's registrations. A new family adds one line here."""
from . import core  # noqa: F401
from . import conv  # noqa: F401
from . import normalization, pooling, regularization, reshaping  # noqa: F401
from . import recurrent  # noqa: F401
from . import merging  # noqa: F401
from . import activation  # noqa: F401
