"""Every family's benchmarks, collected: a new family adds its module to ``FAMILIES``."""
from . import conv, dense, pooling, recurrent, training

FAMILIES = (conv, dense, pooling, recurrent, training)

REGISTRY = {b.name: b for family in FAMILIES for b in family.BENCHMARKS}
"""Benchmark name -> :class:`~tflearn_kit.bench.engine.Benchmark`, in the order a run prints them."""


def select(names=None):
    """The benchmarks named, all by default. A name may be the start of several
    ("Conv2D" picks every benchmark whose name starts with it); an unknown one is an error."""
    if not names:
        return list(REGISTRY.values())
    chosen, unknown = [], []
    for name in names:
        matches = [b for n, b in REGISTRY.items() if n == name or n.startswith(name + " ")]
        (chosen.extend if matches else unknown.append)(matches or name)
    if unknown:
        raise ValueError(f"Unknown benchmarks {unknown}. Known: {list(REGISTRY)}.")
    return list({b.name: b for b in chosen}.values())      # once each, in the order asked
