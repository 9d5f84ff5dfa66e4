"""Exercise checks for the notebooks, and the tools that release and grade them.

``check(exercise_id, fn)`` is what a notebook's test cell calls.
"""
from .exercises import Case, Exercise, check, for_notebook, get, progress, register, run_cases

__all__ = ["Case", "Exercise", "check", "for_notebook", "get", "progress", "register", "run_cases"]
