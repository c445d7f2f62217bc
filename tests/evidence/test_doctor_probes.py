"""The doctor's probes wrap entropy and clock calls during a diagnostic run only, and put everything back."""

from __future__ import annotations

import builtins
import datetime
import os
import random
import secrets
import sys
import sysconfig
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest

from jupyter_seed.evidence.checks.probes import Probes

CLOCK_NAMES = (
    "time",
    "time_ns",
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "process_time_ns",
)


def _originals() -> dict[str, Any]:
    import numpy as np

    found = {f"time.{name}": getattr(time, name) for name in CLOCK_NAMES}
    found.update(
        {
            "os.urandom": os.urandom,
            "random._urandom": random._urandom,  # type: ignore[attr-defined]
            "random.Random": random.Random,
            "datetime.datetime": datetime.datetime,
            "builtins.id": builtins.id,
            "warnings.showwarning": warnings.showwarning,
            "numpy.random.default_rng": np.random.default_rng,
            "numpy.random.SeedSequence": np.random.SeedSequence,
        }
    )
    return found


def _current() -> dict[str, Any]:
    import numpy as np

    owners = {
        "time": time,
        "os": os,
        "random": random,
        "datetime": datetime,
        "builtins": builtins,
        "warnings": warnings,
        "numpy.random": np.random,
    }
    return {name: getattr(owners[name.rpartition(".")[0]], name.rpartition(".")[2]) for name in _originals()}


def _all_original(originals: dict[str, Any]) -> list[str]:
    """Names whose current value is not the original object (identity, not equality)."""
    return [name for name, value in _current().items() if value is not originals[name]]


def test_probes_record_cell_calls_replace_them_and_restore_everything(shell: Any, tmp_path: Path) -> None:
    originals = _originals()
    values = []
    for run in range(2):
        probes = Probes(str(tmp_path / f"log{run}.jsonl"), replace=True)
        probes.install(shell)
        try:
            result = shell.run_cell(
                "import os, uuid, random, numpy as np\n"
                "values = (os.urandom(4), str(uuid.uuid4()), random.Random().random(),"
                " np.random.default_rng().random())"
            )
            assert result.error_in_exec is None
            values.append(shell.user_ns["values"])
        finally:
            probes.uninstall()
        kinds = [(e["kind"], e["line"]) for e in probes.events()]
        assert kinds == [
            ("os.urandom()", 2),
            ("uuid.uuid4()", 2),
            ("random.Random()", 2),
            ("numpy.random.default_rng()", 2),
        ], kinds
        assert probes.leftovers() == [] and probes.failures == []
    assert values[0] == values[1]  # the stand-ins repeat: that is the experiment
    assert _all_original(originals) == []
    assert os.urandom(8) != os.urandom(8) and uuid.uuid4() != uuid.uuid4()


def test_probes_ignore_calls_that_libraries_make(shell: Any, tmp_path: Path) -> None:
    """Code of an installed package (compiled under site-packages) or the standard library: not probed."""
    import tempfile

    library_file = os.path.join(sysconfig.get_paths()["purelib"], "some_library", "core.py")
    library: dict[str, Any] = {}
    exec(
        compile(
            "import os, time\ndef draw():\n    return os.urandom(8), time.perf_counter()\n",  # noqa: S102
            library_file,
            "exec",
        ),
        library,
    )
    probes = Probes(str(tmp_path / "log.jsonl"), replace=True)
    probes.install(shell)
    try:
        shell.user_ns["draw"] = library["draw"]
        assert shell.run_cell("first, second = draw(), draw()").error_in_exec is None
        tempfile.mkstemp(dir=tmp_path)  # the standard library's own Random()
    finally:
        probes.uninstall()
    first, second = shell.user_ns["first"], shell.user_ns["second"]
    assert first[0] != second[0] and probes.events() == []
    assert "jupyter_seed.evidence.checks.probes" in sys.modules


def test_unseeded_calls_in_a_helper_module_beside_the_notebook_are_the_users(
    shell: Any, tmp_path: Path
) -> None:
    (tmp_path / "helpers_for_probes.py").write_text(
        "import os, random, uuid\nimport numpy as np\n\n\n"
        "def make_rng():\n    return np.random.default_rng()\n\n\n"
        "def make_ids():\n    token = os.urandom(4)\n"
        "    return token, str(uuid.uuid4()), random.Random().random()\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    drawn = []
    try:
        for run in range(2):
            probes = Probes(str(tmp_path / f"log{run}.jsonl"), replace=True)
            probes.install(shell)
            try:
                result = shell.run_cell(
                    "import helpers_for_probes as helpers\nx = 1\n"
                    "drawn = helpers.make_rng().random(), helpers.make_ids()"
                )
                assert result.error_in_exec is None
                drawn.append(shell.user_ns["drawn"])
            finally:
                probes.uninstall()
            events = {
                (e["kind"], e["module"], e["function"], e["module_line"], e["line"]) for e in probes.events()
            }
            assert events == {
                ("numpy.random.default_rng()", "helpers_for_probes", "make_rng", 6, 3),
                ("os.urandom()", "helpers_for_probes", "make_ids", 10, 3),
                ("uuid.uuid4()", "helpers_for_probes", "make_ids", 11, 3),
                ("random.Random()", "helpers_for_probes", "make_ids", 11, 3),
            }, events
            assert all(e["module_file"] == "helpers_for_probes.py" for e in probes.events())
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("helpers_for_probes", None)
    assert drawn[0] == drawn[1]  # replaced in the user's module too


def test_every_clock_is_probed_and_stand_in_clocks_follow_real_time(shell: Any, tmp_path: Path) -> None:
    source = "\n".join(
        [
            "import time, datetime",
            *(f"read_{name} = time.{name}()" for name in CLOCK_NAMES),
            "now = datetime.datetime.now()",
            "utcnow = datetime.datetime.utcnow()",
            "t0 = time.perf_counter()",
            "while time.perf_counter() - t0 < 0.003:",
            "    pass",
            "waited = time.perf_counter() - t0",
        ]
    )
    probes = Probes(str(tmp_path / "log.jsonl"), replace=True)
    # Read the real clock before the probes go in: this file is outside site-packages, so the
    # probes may count it as the user's code and hand it the stand-in clock.
    started = time.perf_counter()
    probes.install(shell)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # utcnow() on Python 3.12+
            assert shell.run_cell(source).error_in_exec is None
    finally:
        probes.uninstall()
    elapsed = time.perf_counter() - started
    kinds = {(e["kind"], e["line"]) for e in probes.events()}
    expected = {(f"time.{name}()", line) for line, name in enumerate(CLOCK_NAMES, start=2)}
    expected |= {
        ("datetime.now()", 10),
        ("datetime.utcnow()", 11),
        ("time.perf_counter()", 12),
        ("time.perf_counter()", 13),
        ("time.perf_counter()", 15),
    }
    assert expected <= kinds, expected - kinds
    namespace = shell.user_ns
    # Fixed starts, the same in every diagnostic run, then real elapsed time.
    assert 1_700_000_000 <= namespace["read_time"] < 1_700_000_060
    assert 10_000 <= namespace["read_perf_counter"] < 10_060
    assert namespace["read_perf_counter_ns"] // 10**9 == 10_000
    assert namespace["now"].timestamp() - 1_700_000_000 < 60 and type(namespace["now"]) is type(
        datetime.datetime(2020, 1, 1)
    )
    assert 0.003 <= namespace["waited"] < 0.5 and elapsed < 5, (namespace["waited"], elapsed)


def test_the_probe_log_stays_bounded_and_counts_calls_per_site(shell: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    probes = Probes(str(log), replace=True)
    probes.install(shell)
    try:
        assert (
            shell.run_cell("import time\nfor _ in range(100_000):\n    time.time_ns()").error_in_exec is None
        )
    finally:
        probes.uninstall()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 30, len(lines)
    (event,) = probes.events()
    assert (event["kind"], event["line"], event["count"]) == ("time.time_ns()", 3, 100_000)
    assert len(event["values"]) == 3


def test_a_cell_that_clears_the_callbacks_leaves_no_probe_behind(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    originals = _originals()
    callbacks = list(shell.events.callbacks["pre_run_cell"])
    try:
        result = shell.run_cell(
            "%%seed --check 2\nget_ipython().events.callbacks['pre_run_cell'].clear()\n"
            "import os\ntoken = os.urandom(4).hex()\nprint(token)"
        )
    finally:
        shell.events.callbacks["pre_run_cell"][:] = callbacks
    out = capsys.readouterr().out
    assert result.error_in_exec is None, result.error_in_exec
    assert "NOT reproducible" in out and "os.urandom()" in out, out
    assert _all_original(originals) == []
    assert "probes not removed" not in out
    assert os.urandom(8) != os.urandom(8) and secrets.token_hex(4) != secrets.token_hex(4)


def test_an_interrupt_while_undoing_still_undoes_every_other_patch(shell: Any, tmp_path: Path) -> None:
    class Stubborn:
        """An owner whose attribute cannot be put back: Ctrl-C lands while it is undone."""

        def __delattr__(self, name: str) -> None:
            raise KeyboardInterrupt

    originals = _originals()
    stubborn = Stubborn()
    probes = Probes(str(tmp_path / "log.jsonl"), replace=True)
    probes.install(shell)
    probes.patch(stubborn, "value", "stand-in")
    with pytest.raises(KeyboardInterrupt):
        probes.uninstall()
    assert _all_original(originals) == []
    assert probes.leftovers() == ["Stubborn.value"] and "KeyboardInterrupt" in probes.failures[0]
