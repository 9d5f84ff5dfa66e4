"""tflearn-kit coverage accounts for every class keras.layers exports, read from Keras at run time."""
from tflearn_kit import coverage


def test_every_keras_layer_class_is_in_the_kit_or_listed_with_a_reason():
    catalog = coverage.keras_catalog()
    unaccounted = [r["keras class"] for r in catalog.rows
                   if r["status"] == "missing" and r["keras class"] not in coverage.MISSING]
    # a new Keras release's layer lands here until the kit builds it or lists why not
    assert not unaccounted, f"Keras layers neither in the kit nor listed with a reason: {unaccounted}"
    assert all(r["reason"] for r in catalog.rows if not r["status"].startswith("in the kit"))


def test_the_lists_hold_no_stale_names():
    catalog = coverage.keras_catalog()
    by_name = {r["keras class"]: r["status"] for r in catalog.rows}
    for listed in (coverage.LEFT_OUT, coverage.IN_PROGRESS, coverage.MISSING):
        for name in listed:
            assert name in by_name, f"{name} is listed but Keras no longer exports it"
            assert not by_name[name].startswith("in the kit"), f"{name} is in the kit now: unlist it"


def test_counts_add_up():
    catalog = coverage.keras_catalog()
    counts = catalog.counts()
    assert sum(counts.values()) == len(catalog.rows) == len(coverage.keras_layer_classes())
    assert counts["in the kit"] >= 98
    assert str(len(catalog.rows)) in catalog.summary()
