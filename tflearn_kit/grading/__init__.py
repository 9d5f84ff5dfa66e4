"""Exercise checks for the notebooks, and the tools that release and grade them.

``check(exercise_id, fn)`` is what a notebook's test cell calls.

    exercises.py     the registry: visible and hidden cases, check(), progress()
    catalog/         one module of exercises per notebook
    release.py       solutions/ -> notebooks/ (nbgrader markup and metadata)
    autograde.py     one submission -> a score per exercise, with reasons
      submission.py    read a notebook, detect its assignment, extract the definitions
      sandbox.py       run them in a limited process (_worker.py), over wire.py
      isolation.py     the bubblewrap sandbox around that process (or --no-isolation)
      execute.py       optional: run the notebook top to bottom in a fresh kernel
    batch.py         many submissions -> gradebook.csv, feedback, results.json (report.py)
    gradescope.py    the Gradescope autograder zip and its run_autograder
    commands.py      the `tflearn-kit grade` and `tflearn-kit gradescope` subcommands

See docs/instructors.md.
"""
from .exercises import Case, Exercise, check, for_notebook, get, hint, progress, register, run_cases

__all__ = ["Case", "Exercise", "check", "for_notebook", "get", "hint", "progress", "register", "run_cases"]
