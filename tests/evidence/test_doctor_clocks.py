"""``%%seed --check``'s doctor names every clock a cell reads, and never says it saw no clock call then."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("reading", "kind"),
    [
        ("time.perf_counter()", "time.perf_counter()"),
        ("time.monotonic()", "time.monotonic()"),
        ("time.perf_counter_ns()", "time.perf_counter_ns()"),
    ],
)
def test_a_printed_clock_value_is_located(
    shell: Any, capsys: pytest.CaptureFixture[str], reading: str, kind: str
) -> None:
    shell.run_cell(f"%%seed --check 2\nimport time, datetime\nprint({reading})")
    out = capsys.readouterr().out
    assert "NOT reproducible" in out, out
    assert f"cause 1: [confirmed] {kind}: called at line 2; the value it returned is printed" in out, out
    assert "saw no" not in out


def test_a_clock_difference_that_is_not_printed_verbatim_is_observed_not_denied(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(
        "%%seed --check 2\nimport time\nt0 = time.process_time()\ntotal = sum(i * i for i in range(20000))\n"
        "print(round((time.process_time() - t0) * 1e9) % 9973)"
    )
    out = capsys.readouterr().out
    assert "NOT reproducible" in out, out
    assert "time.process_time(): called at line 2, line 4 (not confirmed by experiment" in out, out
    assert "saw no" not in out and "[confirmed]" not in out


def test_datetime_now_is_probed_where_the_cell_calls_it(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("%%seed --check 2\nimport datetime\nprint(datetime.datetime.now().microsecond % 7919)")
    out = capsys.readouterr().out
    assert "NOT reproducible" in out, out
    assert "datetime.now(): called at line 2 (not confirmed by experiment" in out, out
    assert "saw no" not in out


def test_an_elapsed_time_printed_from_two_readings_is_located(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(
        "%%seed --check 2\nimport time\nstart = time.perf_counter()\ntotal = sum(i * i for i in range(50000))\n"
        "print('took', time.perf_counter() - start)"
    )
    out = capsys.readouterr().out
    assert "NOT reproducible" in out, out
    assert (
        "[confirmed] time.perf_counter(): called at line 2 and line 4; the time between two readings is printed"
        in out
    ), out
