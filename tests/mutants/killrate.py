"""Kill rate of the mutant corpus per notebook: python -m tests.mutants.killrate"""
import warnings

from tflearn_kit.grading import exercises

from . import MODULES, function_of, load

SALT = "mutant-corpus"


def outcome(variant):
    """(fails a visible case, fails a hidden case as shipped, fails a hidden case under a salt)."""
    exercise = exercises.get(variant.exercise)
    fn = function_of(variant, exercise.function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        visible = not all(r.passed for r in exercises.run_cases(exercise, fn, "visible"))
        hidden = not all(r.passed for r in exercises.run_cases(exercise, fn, "hidden"))
        with exercises.salted(SALT):
            salted = not all(r.passed for r in exercises.run_cases(exercise, fn, "hidden"))
    return visible, hidden, salted


def main():
    rows = {m: [0, 0, 0, 0, 0] for m in MODULES}
    survivors = []
    for module, variant in load("MUTANTS"):
        v, h, s = outcome(variant)
        row = rows[module]
        row[0] += 1
        row[1] += v
        row[2] += h
        row[3] += v and h and s
        row[4] += v or h
        if not (v and h and s):
            survivors.append(f"  {variant.exercise}:{variant.name} visible={v} hidden={h} salted={s}")
    # visible: the notebook's check fails; grade: the grade loses points (a visible or hidden case fails);
    # hidden: a hidden case fails too, as shipped; all: visible, hidden and hidden under a salt all fail
    print(f"{'notebook':8} {'mutants':>7} {'visible':>8} {'grade':>8} {'hidden':>8} {'all':>8}")
    for m, (n, v, h, a, g) in rows.items():
        if n == 0:
            print(f"{m:8} {n:7} {'no mutants':>8}")
            continue
        print(f"{m:8} {n:7} {v / n:8.0%} {g / n:8.0%} {h / n:8.0%} {a / n:8.0%}")
    n, v, h, a, g = (sum(r[i] for r in rows.values()) for i in range(5))
    print(f"{'total':8} {n:7} {v / n:8.0%} {g / n:8.0%} {h / n:8.0%} {a / n:8.0%}")
    print("survivors:" if survivors else "no survivors")
    print("\n".join(survivors))
    bad = []
    for module, variant in load("CORRECT"):
        exercise = exercises.get(variant.exercise)
        fn = function_of(variant, exercise.function)
        results = exercises.run_cases(exercise, fn, "all")
        if not all(r.passed for r in results):
            bad.append(f"  {variant.exercise}:{variant.name}: {next(r.message for r in results if not r.passed)}")
    print(f"correct alternatives: {len(load('CORRECT'))}, failing: {len(bad)}")
    print("\n".join(bad))


if __name__ == "__main__":
    main()
