"""The ``tflearn-kit`` command: the course's tools in a terminal.

Each subcommand is one ``add_<name>(subparsers)`` function below; a new one is a
function, a line in ``COMMANDS`` and an example in ``EXAMPLES`` (``tflearn-kit --help``
shows them; tests/test_cli_help.py checks that every subcommand has one).
"""
import argparse
import sys


def add_compare(sub):
    p = sub.add_parser("compare", help="diff every kit layer against tf.keras and tf.compat.v1.layers")
    p.add_argument("layers", nargs="*", help="layer names (default: every layer the kit has)")
    p.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    p.add_argument("--html", metavar="FILE", help="also write the matrix as an HTML table")
    p.add_argument("--details", action="store_true", help="print every report, not just the matrix")
    p.set_defaults(run=run_compare)


def run_compare(args):
    from .compare import compare_all
    dtypes = ("float32", "float64") if args.dtype == "both" else (args.dtype,)
    try:
        matrix = compare_all(args.layers or None, dtypes)
    except ValueError as exc:
        print(f"tflearn-kit compare: {exc}", file=sys.stderr)
        return 2
    if args.details:
        for report in matrix.reports:
            print(report.to_text(), end="\n\n")
    print(matrix.to_text())
    if args.html:
        with open(args.html, "w") as f:
            f.write(matrix._repr_html_())
    return 0 if matrix.ok else 1


def add_release(sub):
    p = sub.add_parser("release", help="write the student notebooks/ from solutions/")
    p.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if notebooks/ is stale, 2 if there are no solution notebooks")
    p.add_argument("--solutions", default="solutions", metavar="DIR",
                   help="the instructor notebooks (default: solutions, in the current folder)")
    p.add_argument("--out", default="notebooks", metavar="DIR",
                   help="where the student notebooks go (default: notebooks)")
    p.set_defaults(run=run_release)


def run_release(args):
    from .grading import release
    try:
        if args.check:
            reasons = release.stale(args.solutions, args.out, args.notebooks or None)
            for r in reasons:
                print(f"stale: {r}")
            if not reasons:
                print(f"{args.out}/ is in sync with {args.solutions}/.")
            return 1 if reasons else 0
        written = release.release(args.solutions, args.out, args.notebooks or None)
    except ValueError as exc:
        print(f"tflearn-kit release: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} files written." if written else "Everything was already up to date.")
    return 0


BENCH_DESCRIPTION = """\
Time each kit layer's forward and backward pass against TensorFlow CPU's (a compiled
tf.function with a GradientTape) on this machine, and print the ratios, GFLOP/s and
the share of the machine's matmul peak.

With no NAME it runs every benchmark (see --list): about two minutes on a 2-core
machine at the default --repeat (measured: 110 s, the machine shared with other jobs).
Name one or more to run just those; a smaller --repeat is quicker and noisier.

With --against REV it times the kit side only, of REV (a git commit, branch or tag
of this checkout) and of this tree, in one run: each row's turns alternate between
the two, so both see the same load, and it prints before ms, after ms and the change.

examples:
  tflearn-kit bench --list
  tflearn-kit bench "Dense 256x512 -> 512 relu" --repeat 3
  tflearn-kit bench Conv2D MaxPooling2D --against main
  tflearn-kit bench"""


def add_bench(sub):
    p = sub.add_parser(
        "bench", help="time kit layers against TensorFlow CPU on this machine",
        description=BENCH_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("benchmarks", nargs="*", metavar="NAME",
                   help="benchmarks to run, by their full name in quotes or their first word "
                        "(Conv2D: every Conv2D benchmark); default: every one, see --list")
    p.add_argument("--repeat", type=int, default=7, metavar="N",
                   help="timed calls of each side after 3 warm-up calls; the median is reported "
                        "(default: 7; fewer is quicker and noisier)")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--against", metavar="REV",
                   help="before/after in one run: the kit side of REV's tree and of this one, row by row, "
                        "their turns alternating")
    p.add_argument("--rounds", type=int, default=2, metavar="N",
                   help="with --against: alternating turns per side and row, the median is reported (default: 2)")
    p.set_defaults(run=run_bench)


def run_bench(args):
    from . import bench
    if args.list:
        for name in bench.REGISTRY:
            print(name)
        return 0
    try:
        chosen = bench.select(args.benchmarks)
    except ValueError:
        print(f"tflearn-kit bench: unknown benchmarks in {args.benchmarks}; see --list", file=sys.stderr)
        return 2
    if args.against:
        from .bench.against import run_against
        try:
            run_against(chosen, args.against, repeat=args.repeat, rounds=args.rounds)
        except ValueError as exc:
            print(f"tflearn-kit bench: {exc}", file=sys.stderr)
            return 2
        return 0
    bench.engine.run(chosen, repeat=args.repeat)
    return 0


def add_coverage(sub):
    p = sub.add_parser("coverage", help="the course's coverage matrix, computed from the kit")
    p.add_argument("--markdown", action="store_true", help="print Markdown instead of text")
    p.add_argument("--update-readme", metavar="README", nargs="?", const="README.md",
                   help="rewrite the matrix between README's coverage markers")
    p.set_defaults(run=run_coverage)


def run_coverage(args):
    from .coverage import coverage_matrix, keras_catalog, update_readme
    if args.update_readme:
        changed = update_readme(args.update_readme)
        print(f"{args.update_readme}: {'updated' if changed else 'already up to date'}.")
        return 0
    for table in (coverage_matrix(), keras_catalog()):
        print(table.to_markdown() if args.markdown else table.to_text())
        print()
    return 0


from .grading.commands import add_grade, add_gradescope  # noqa: E402 (the grading subcommands)

COMMANDS = [add_coverage, add_compare, add_release, add_bench, add_grade, add_gradescope]

DESCRIPTION = """\
tflearn_kit is a course in which you build every neural-network layer in NumPy,
forward and backward, and check it number by number against TensorFlow (tf.keras
and the legacy tf.compat.v1.layers). This command runs the course's tools."""

EXAMPLES = {
    "coverage": ("tflearn-kit coverage", "every layer of the course, its notebook and its TF twins"),
    "compare": ("tflearn-kit compare Dense Conv2D", "kit against tf.keras and tf.layers, worst errors"),
    "release": ("tflearn-kit release --check", "is notebooks/ in sync with solutions/? (instructors)"),
    "bench": ('tflearn-kit bench "Dense 256x512 -> 512 relu"', "one benchmark; with no name, all 17: about two minutes"),
    "grade": ("tflearn-kit grade submitted/ --out graded/", "grade a class: gradebook.csv and feedback"),
    "gradescope": ("tflearn-kit gradescope 02_dense_and_activations --out autograder.zip",
                   "a Gradescope autograder"),
}


def _epilog():
    lines = ["examples:"]
    for command, text in EXAMPLES.values():
        lines += [f"  {command}", f"      {text}"]
    lines.append("\n`tflearn-kit COMMAND --help` gives a command's options.")
    return "\n".join(lines)


def build_parser():
    parser = argparse.ArgumentParser(prog="tflearn-kit", description=DESCRIPTION, epilog=_epilog(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
