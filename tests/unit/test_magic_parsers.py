"""``%seed N`` skips building the line parser; its answers must be the parser's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_seed.kernel import magic_parsers
from jupyter_seed.kernel.magic_parsers import _line_defaults, _plain_seed, line_parser

WORDS = st.sampled_from(
    ["3407", "0", "-5", "x", "", "-q", "--quiet", "-", "--", "--per-cell", "same", "--random", "-qq", "--quiet=1", "٣"]
)


def test_defaults_equal_the_parsers() -> None:
    assert _line_defaults() == vars(line_parser().parse_args([]))


@pytest.mark.parametrize("words", [["3407"], ["3407", "-q"], ["--quiet", "7"], [""], ["abc"]])
def test_plain_lines_are_answered_without_the_parser(words: list[str]) -> None:
    assert _plain_seed(words) == line_parser().parse_args(words)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=4))
def test_the_shortcut_answers_only_what_the_parser_answers_the_same(words: list[str]) -> None:
    shortcut = _plain_seed(words)
    if shortcut is not None:
        assert shortcut == line_parser().parse_args(words)


def test_the_first_plain_seed_builds_no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    line_parser.cache_clear()
    monkeypatch.setattr(magic_parsers, "_build", lambda *args: pytest.fail("parser built"))
    assert magic_parsers.parse_line("3407 --quiet").seed == "3407"
    line_parser.cache_clear()
