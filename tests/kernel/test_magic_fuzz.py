"""Fuzz of ``%seed`` / ``%%seed`` arguments (hypothesis, >= 300 strings).

Each generated line is either accepted or refused with ONE ``UsageError`` line
that leaves ``jupyter_seed.state()`` unchanged; nothing takes over 5 s.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

import jupyter_seed

FLAGS = [
    "--per-cell", "--no-per-cell", "--deterministic", "--no-deterministic", "--random",
    "--patch-default-rng", "--no-patch-default-rng", "-q", "--quiet", "--check", "--runs", "--sweep",
    "--minimize", "--workers", "--no-workers", "-h", "--bogus", "--per-cell=derived", "--runs=3", "-",
    "--", "--save", "--compare", "--save-state", "--load-state",
]
VALUES = [
    "0", "1", "3407", "4294967295", "4294967296", "-1", "1.5", "1e3", "0x10", "same", "derived", "off",
    "strict", "warn", "always", "0:3", "1,2", "3:1", "0:3:0", "a", "", "9" * 5000, "x" * 2000,
    "'", '"', "'0:3", "\\", "\n", "%seed", "$HOME", "`ls`", "; import os", "nan", "∞", "٣",
    "missing.json", "base",
]
tokens = st.lists(st.sampled_from(FLAGS + VALUES), max_size=5)
# At most 10,000 characters: IPython's own $-expansion of a magic line is quadratic and takes
# seconds on 25,000 before our magic runs (ours: 0.07 s); test_magics covers the 5,000-digit seed.
MAX_LINE = 10_000
lines = st.one_of(
    tokens.map(" ".join).filter(lambda line: len(line) <= MAX_LINE),
    st.text(max_size=40),
    st.text(alphabet="-'\" 0123456789:,abcdehimnoprst=", max_size=30),
)


def _run(shell: Any, magic: str, line: str) -> None:
    if magic == "line":
        shell.run_line_magic("seed", line)
    else:
        shell.run_cell_magic("seed", line, "x = 1")


@settings(max_examples=320, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(magic=st.sampled_from(["line", "cell"]), line=lines)
def test_fuzzed_magic_lines_are_accepted_or_one_line_refusals(
    shell: Any, seeder: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, magic: str, line: str
) -> None:
    monkeypatch.chdir(tmp_path)  # --save-state and friends write only here
    before = jupyter_seed.state()
    started = time.monotonic()
    try:
        _run(shell, magic, line)
    except UsageError as error:
        text = str(error)
        assert "\n" not in text.strip() and len(text) <= 500, text
        assert jupyter_seed.state() == before, line
    finally:
        assert time.monotonic() - started < 5, line
        capsys.readouterr()
        seeder.set_deterministic("off")
        seeder.detach()
