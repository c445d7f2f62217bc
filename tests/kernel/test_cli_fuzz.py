"""Fuzz of ``jupyter-seed`` flags (hypothesis, >= 50 combinations) through ``cli.main`` in-process.

Every combination is answered by one line (help excepted, which is asked for),
a refusal writes nothing, and nothing takes over 5 s. Kernelspecs go to temporary
folders only: ``--user``, ``--sys-prefix`` and ``--prefix`` are all redirected.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_seed import cli

GLOBAL = ["--version", "--bogus", "-x", "kernelspec", "check", "nope", ""]
KERNELSPEC = [
    "--name", "--display-name", "--hash-seed", "--seed", "--no-autoload", "--user", "--sys-prefix",
    "--prefix", "--bogus",
]
CHECK = [
    "--seed", "--per-cell", "--runs", "--timeout", "--ignore", "--format", "--parallel", "--mode", "--bogus",
]
VALUES = [
    "0", "7", "-1", "4294967296", "2.5", "0.0", "inf", "nan", "abc", "same", "derived", "off", "json",
    "text", "x" * 3000, "9" * 5000, "..", ".", "a/b", "python3-fuzz", "ok.name", "missing.ipynb", "(",
    "{PREFIX}", "",
]
argv_lists = st.tuples(
    st.sampled_from(GLOBAL),
    st.lists(st.sampled_from(KERNELSPEC + CHECK + VALUES), max_size=6),
).map(lambda pair: [pair[0], *pair[1]] if pair[0] else pair[1])


def _kernel_dirs(root: Path) -> list[Path]:
    return sorted(root.rglob("kernel.json"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=argv_lists)
def test_fuzzed_flags_get_one_line(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    prefix = tmp_path / "prefix"
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "sys-prefix"))
    monkeypatch.chdir(tmp_path)
    argv = [arg.replace("{PREFIX}", str(prefix)) for arg in argv]
    if argv[:1] == ["kernelspec"] and "--prefix" in argv:
        # A --prefix outside the temporary folder would write into the real tree.
        at = argv.index("--prefix")
        if at + 1 < len(argv):
            argv[at + 1] = str(prefix / argv[at + 1].replace("/", "_")[:50])
    existing = _kernel_dirs(tmp_path)
    started = time.monotonic()
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 2
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert elapsed < 5, argv
    asked_for_help = code == 2 and not argv or any(a in ("-h", "--help") for a in argv)
    if not asked_for_help and (out + err).strip():
        assert len((out + err).strip().splitlines()) == 1, (argv, out, err)
        assert len(err) <= 400, (argv, err)
    if code != 0:
        assert _kernel_dirs(tmp_path) == existing, argv
