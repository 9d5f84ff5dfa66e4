"""These notebooks are test data for the grader (tests/test_grading*.py), not notebooks for nbval."""
collect_ignore_glob = ["*.ipynb"]
