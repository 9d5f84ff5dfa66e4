"""`tflearn-kit --help` says what the tool is and shows every subcommand at work."""
import argparse
import shlex

import pytest

from tflearn_kit.cli import EXAMPLES, build_parser, main


def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def _subcommands():
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_top_level_help_says_what_the_tool_is(capsys):
    text = _help(capsys)
    assert "The ``tflearn-kit`` command." not in text
    assert "every neural-network layer in NumPy" in text and "TensorFlow" in text


def test_every_subcommand_has_an_example_that_parses(capsys):
    text = _help(capsys)
    assert set(EXAMPLES) == set(_subcommands())
    for name, (example, _) in EXAMPLES.items():
        assert f"\n  {example}\n" in text
        argv = shlex.split(example)
        assert argv[:2] == ["tflearn-kit", name]
        assert build_parser().parse_args(argv[1:]).command == name


def test_bench_help_documents_repeat_and_what_the_default_costs(capsys):
    text = " ".join(_help(capsys, "bench").split())      # argparse wraps lines
    assert "--repeat N timed calls of each side after 3 warm-up calls" in text
    assert "(default: 7" in text
    assert "With no NAME it runs every benchmark" in text
    assert "about two minutes" in text


def test_release_help_names_its_exit_codes(capsys):
    text = " ".join(_help(capsys, "release").split())
    assert "exit 1 if notebooks/ is stale, 2 if there are no solution notebooks" in text
