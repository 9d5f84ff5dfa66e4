"""The grading subcommands of ``tflearn-kit`` (registered in tflearn_kit/cli.py).

    tflearn-kit grade SUBMISSION ... --out DIR [--jobs N] [--timeout SECONDS] [--tests DIR]
                      [--case-timeout SECONDS] [--assignment NAME] [--memory MB] [--execute]
                      [--salt SECRET] [--no-isolation]
    tflearn-kit gradescope ASSIGNMENT --out autograder.zip [--tests DIR] [--salt SECRET]
"""
import os
import sys
from pathlib import Path

SALT_ENV = "TFLEARN_KIT_SALT"


def _expand(paths):
    """Files as given; a directory stands for every .ipynb below it (symlinked folders not followed;
    a symlinked or odd file is listed, and gets its row saying why it was not graded)."""
    out = []
    for p in map(Path, paths):
        if p.is_dir() and not p.is_symlink():
            found = []
            for folder, dirs, files in os.walk(p):       # never follows symlinks, survives loops
                dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
                found += [Path(folder) / f for f in files if f.endswith(".ipynb")]
            out += sorted(found)
        else:
            out.append(p)
    return out


def add_grade(sub):
    from .autograde import CASE_TIMEOUT, TOTAL_TIMEOUT
    p = sub.add_parser("grade", help="grade submitted notebooks: gradebook, feedback, Gradescope results")
    p.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    p.add_argument("--out", required=True, metavar="DIR", help="where gradebook.csv and feedback go")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time")
    p.add_argument("--timeout", type=float, default=TOTAL_TIMEOUT, help="seconds per submission, in all")
    p.add_argument("--case-timeout", type=float, default=CASE_TIMEOUT, help="seconds per call of a function")
    p.add_argument("--tests", metavar="DIR", help="the instructor's extra tests (see docs/instructors.md)")
    p.add_argument("--assignment", help="grade every submission as this assignment (default: detect)")
    p.add_argument("--memory", type=int, default=None, metavar="MB", help="address-space limit of a sandbox")
    p.add_argument("--execute", action="store_true",
                   help="also run each notebook top to bottom in a fresh kernel and report what failed "
                        "(feedback only; slow: imports TensorFlow)")
    p.add_argument("--salt", default=None, metavar="SECRET",
                   help=f"draw the hidden cases from this secret (default: ${SALT_ENV}); never share it")
    p.add_argument("--no-isolation", action="store_true",
                   help="grade without the bubblewrap sandbox (every row and feedback file says so)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run_grade)


def _usage_error(message):
    print(f"tflearn-kit grade: {message}", file=sys.stderr)
    return 2


def run_grade(args):
    from .autograde import load_extra_tests
    from .batch import grade_many
    from .isolation import IsolationUnavailable, choose
    paths = _expand(args.submissions)
    if not paths:
        return _usage_error("no submissions found")
    try:
        isolation = choose(no_isolation=args.no_isolation)
    except IsolationUnavailable as exc:
        return _usage_error(str(exc))
    salt = args.salt if args.salt is not None else os.environ.get(SALT_ENV, "")
    if not salt and not args.quiet:
        print(f"tflearn-kit grade: no --salt (or ${SALT_ENV}): the hidden cases are the ones shipped with "
              "the package, which a student can read", file=sys.stderr)
    try:
        extra = load_extra_tests(args.tests) if args.tests else None
    except (ValueError, SyntaxError, ImportError) as exc:
        return _usage_error(str(exc))
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _usage_error(f"--out {args.out}: cannot create it ({exc.strerror or exc})")
    results = grade_many(paths, args.out, jobs=args.jobs, timeout=args.timeout, case_timeout=args.case_timeout,
                         extra=extra, assignment=args.assignment, memory_mb=args.memory, quiet=args.quiet,
                         execute=args.execute, isolation=isolation, salt=salt)
    missing = sum(r is None for r in results)
    graded = [r for r in results if r is not None]
    print(f"{len(graded)} submissions graded into {args.out}/gradebook.csv; "
          f"{sum(r.max_score > 0 and r.score >= r.max_score for r in graded)} with full marks, "
          f"{sum(r.status != 'graded' for r in graded)} not gradable.")
    return 0 if missing == 0 else 1


def add_gradescope(sub):
    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip for one assignment")
    p.add_argument("assignment", help="e.g. 02_dense_and_activations")
    p.add_argument("--out", default="autograder.zip")
    p.add_argument("--tests", metavar="DIR", help="the instructor's extra tests to bundle")
    p.add_argument("--timeout", type=float, default=None, help="seconds per submission")
    p.add_argument("--salt", default=None, metavar="SECRET",
                   help=f"draw the hidden cases from this secret (default: ${SALT_ENV}); kept in the zip's config.json")
    p.set_defaults(run=run_gradescope)


def run_gradescope(args):
    from . import gradescope
    try:
        salt = args.salt if args.salt is not None else os.environ.get(SALT_ENV, "")
        names = gradescope.build(Path(args.assignment).stem, args.out, args.tests, args.timeout, salt=salt)
    except (ValueError, SyntaxError, ImportError) as exc:
        print(f"tflearn-kit gradescope: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({len(names)} files). Upload it as the assignment's autograder on Gradescope.")
    return 0
