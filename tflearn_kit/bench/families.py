"""Imports every family's benchmarks. A new family adds one line here."""
from . import dense  # noqa: F401
