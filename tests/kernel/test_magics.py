"""%seed / %%seed in a real InteractiveShell: parsing, bad input, status, mirrors."""

from __future__ import annotations

import copy
import random
import sys

import numpy as np
import pytest
from IPython.core.error import UsageError

import jupyter_seed
from jupyter_seed.seeding.sources import RandomSource


def snapshot(shell: object) -> tuple[object, ...]:
    # Touch numpy.random first: its lazy import would itself (rightly) seed it.
    generators = (random.getstate(), np.random.get_state()[1].tolist())
    return (
        copy.deepcopy(jupyter_seed.state()),
        *generators,
        list(shell.events.callbacks["pre_run_cell"]),  # type: ignore[attr-defined]
        list(sys.meta_path),
    )


BAD_LINES = [
    ("abc", "integer"),
    ("-1", "integer in [0, 4294967295], got -1"),
    ("4294967296", "got 4294967296"),
    ("1.5", "'1.5'"),
    ("3 4", "unrecognized arguments: 4"),
    ("--per-cell bogus", "invalid choice: 'bogus'"),
    ("--bogus", "unrecognized arguments: --bogus"),
    ("--deterministic maybe", "invalid choice: 'maybe'"),
    ("5 --random", "either a seed or --random"),
    ("--per-cell --no-per-cell", "not allowed with argument --per-cell"),
    ("--deterministic --no-deterministic", "not allowed with argument --deterministic"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_bad_magic_input_is_one_line_usage_error_and_changes_nothing(
    shell: object, line: str, message: str
) -> None:
    shell.run_line_magic("seed", "17 --per-cell --quiet")  # type: ignore[attr-defined]
    before = snapshot(shell)
    with pytest.raises(UsageError) as info:
        shell.run_line_magic("seed", line)  # type: ignore[attr-defined]
    assert message in str(info.value)
    assert "\n" not in str(info.value).strip()
    assert snapshot(shell) == before


@pytest.mark.parametrize("value", [True, "7", 1.5, -1, 2**32, None])
def test_bad_api_input_raises_and_changes_nothing(shell: object, value: object) -> None:
    jupyter_seed.seed_everything(17)
    before = snapshot(shell)
    with pytest.raises((TypeError, ValueError)) as info:
        jupyter_seed.seed_everything(value)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    assert snapshot(shell) == before


def test_bad_deterministic_value_changes_nothing(shell: object) -> None:
    jupyter_seed.seed_everything(17)
    before = snapshot(shell)
    with pytest.raises(ValueError):
        jupyter_seed.seed_everything(18, deterministic="sometimes")  # type: ignore[arg-type]
    assert snapshot(shell) == before


def test_per_cell_without_any_seed_is_refused(shell: object) -> None:
    with pytest.raises(UsageError, match="needs a seed"):
        shell.run_line_magic("seed", "--per-cell")  # type: ignore[attr-defined]
    assert jupyter_seed.state()["per_cell"] == "off"


def test_seed_prints_one_short_line(shell: object, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("seed", "3407")  # type: ignore[attr-defined]
    out = capsys.readouterr().out.strip()
    assert out.startswith("Seeded random, numpy") and "3407" in out
    lines = out.splitlines()
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("Provenance: "))


def test_seed_applies_to_python_and_numpy(shell: object) -> None:
    shell.run_line_magic("seed", "3407 --quiet")  # type: ignore[attr-defined]
    got = (random.random(), np.random.rand())
    random.seed(3407)
    np.random.seed(3407)
    assert got == (random.random(), np.random.rand())


def test_random_draws_applies_and_prints_seed(shell: object, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("seed", "--random")  # type: ignore[attr-defined]
    state = jupyter_seed.state()
    assert state["seed_origin"] == "random"
    assert f"%seed {state['seed']}" in capsys.readouterr().out
    value = random.random()
    random.seed(state["seed"])
    assert random.random() == value


def test_status_text_and_html(shell: object) -> None:
    shell.run_line_magic("seed", "5 --per-cell derived --quiet")  # type: ignore[attr-defined]
    view = shell.run_line_magic("seed", "")  # type: ignore[attr-defined]
    text = repr(view)
    assert "seed                   5" in text and "derived" in text
    assert "numpy" in text and "seeded with 5" in text
    assert "PYTHONHASHSEED" in view._repr_html_() or "str hashing" in view._repr_html_()
    html = view._repr_html_()
    assert "<table>" in html and "NumPy" in html


def test_help_lists_every_option(shell: object, capsys: pytest.CaptureFixture[str]) -> None:
    doc = type(shell.magics_manager.registry["SeedMagics"]).seed.__doc__  # type: ignore[attr-defined]
    assert "%seed -h" in doc and "%%seed -h" in doc
    before = jupyter_seed.state()
    assert shell.run_line_magic("seed", "-h") is None  # type: ignore[attr-defined]
    line_help = capsys.readouterr().out
    for option in ("--per-cell", "--no-per-cell", "--deterministic", "--no-deterministic", "--random",
                   "--patch-default-rng", "--no-patch-default-rng", "{off,same,derived}", "{off,strict,warn}"):
        assert option in line_help
    assert "--check" not in line_help
    shell.run_cell_magic("seed", "--help", "1")  # type: ignore[attr-defined]
    cell_help = capsys.readouterr().out
    assert "--check" in cell_help and "--sweep" in cell_help and "--per-cell" not in cell_help
    assert jupyter_seed.state() == before


def test_help_is_built_on_first_use_not_at_load() -> None:
    import subprocess

    code = (
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\n"
        "shell.run_line_magic('load_ext', 'jupyter_seed')\n"
        "from jupyter_seed.kernel import magic_parsers\n"
        "assert magic_parsers.line_parser.cache_info().currsize == 0\n"
        "shell.run_line_magic('seed', '3 -q')\n"  # a plain seed needs no parser at all
        "assert magic_parsers.line_parser.cache_info().currsize == 0\n"
        "shell.run_line_magic('seed', '3 -q --per-cell')\n"
        "assert magic_parsers.line_parser.cache_info().currsize == 1\n"
        "assert magic_parsers.cell_parser.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("magic", "line", "message"),
    [
        ("line", "'", "No closing quotation"),
        ("line", '3 "', "No closing quotation"),
        ("cell", "--sweep '0:3", "No closing quotation"),
        # The same words as `jupyter-seed check --seed 999…`: one rule, one message (seeding/seeds.py).
        ("line", "9" * 5000, "seed must be an integer in [0, 4294967295], got '9999999999"),
        ("line", "9" * 5000, "'…(5000 characters)"),
        ("cell", "9" * 5000, "'…(5000 characters)"),
        ("cell", "--check --runs 1", "--runs must be an integer from 2 to 100, got 1"),
        ("cell", "--check --runs 101", "--runs must be an integer from 2 to 100, got 101"),
        ("cell", "--check --runs x", "--runs must be an integer from 2 to 100, got 'x'"),
        # 10,000, not more: IPython's own $-expansion of a magic line is quadratic before we see it.
        ("line", "--per-cell " + "x" * 10_000, "invalid choice"),
        ("line", "--check", "--check belongs to the cell magic %%seed"),
        ("line", "--runs 3", "--runs belongs to the cell magic %%seed"),
        ("cell", "5 --deterministic", "--deterministic belongs to the line magic %seed"),
        ("cell", "--check --sweep 0:3", "--check cannot be used with --sweep"),
        ("line", "--per-cell off --no-per-cell", "not allowed with"),
    ],
)
def test_magic_refusals_are_one_short_line(
    shell: object, magic: str, line: str, message: str
) -> None:
    shell.run_line_magic("seed", "17 --quiet")  # type: ignore[attr-defined]
    before = snapshot(shell)
    with pytest.raises(UsageError) as info:
        if magic == "line":
            shell.run_line_magic("seed", line)  # type: ignore[attr-defined]
        else:
            shell.run_cell_magic("seed", line, "x = 1")  # type: ignore[attr-defined]
    text = str(info.value)
    assert message in text and "\n" not in text.strip() and len(text) <= 300
    assert snapshot(shell) == before


@pytest.mark.parametrize(
    ("line", "per_cell", "deterministic"),
    [
        ("7 --per-cell -q", "same", "off"),
        ("7 --per-cell derived -q", "derived", "off"),
        ("7 --per-cell off -q", "off", "off"),
        ("7 --no-per-cell -q", "off", "off"),
        ("7 --deterministic warn -q", "off", "warn"),
        ("7 --deterministic off -q", "off", "off"),
    ],
)
def test_modes_are_values_and_no_flags_are_aliases(
    shell: object, line: str, per_cell: str, deterministic: str
) -> None:
    shell.run_line_magic("seed", "7 --per-cell same --deterministic strict -q")  # type: ignore[attr-defined]
    shell.run_line_magic("seed", line)  # type: ignore[attr-defined]
    state = jupyter_seed.state()
    expected_per_cell = per_cell if "per-cell" in line else "same"
    expected_deterministic = deterministic if "deterministic" in line else "strict"
    assert (state["per_cell"], state["deterministic"]) == (expected_per_cell, expected_deterministic)


def test_cell_magic_runs_under_seed_and_restores(shell: object) -> None:
    shell.run_line_magic("seed", "1 --quiet")  # type: ignore[attr-defined]
    random.random()
    outer = random.getstate()
    value = shell.run_cell_magic("seed", "99", "import random\nrandom.random()")  # type: ignore[attr-defined]
    random.seed(99)
    assert value == random.random()
    random.setstate(outer)
    expected = random.random()
    random.setstate(outer)
    shell.run_cell_magic("seed", "99", "random.random()")  # type: ignore[attr-defined]
    assert random.random() == expected


def test_cell_magic_restores_after_exception(shell: object) -> None:
    shell.run_line_magic("seed", "1 --quiet")  # type: ignore[attr-defined]
    outer = random.getstate()
    with pytest.raises(ZeroDivisionError):
        shell.run_cell_magic("seed", "5", "random.random()\n1/0")  # type: ignore[attr-defined]
    assert random.getstate() == outer


def test_cell_magic_refuses_line_options(shell: object) -> None:
    with pytest.raises(UsageError, match="belongs to the line magic"):
        shell.run_cell_magic("seed", "5 --per-cell", "1")  # type: ignore[attr-defined]


def test_per_cell_same_and_derived_through_run_cell(shell: object) -> None:
    shell.run_cell("%seed 7 --per-cell --quiet")  # type: ignore[attr-defined]
    first = shell.run_cell("import random; random.random()").result  # type: ignore[attr-defined]
    second = shell.run_cell("import random; random.random()").result  # type: ignore[attr-defined]
    random.seed(7)
    assert first == second == random.random()

    shell.run_cell("%seed --per-cell derived --quiet")  # type: ignore[attr-defined]
    a1 = shell.run_cell("random.random()", cell_id="cell-a").result  # type: ignore[attr-defined]
    b1 = shell.run_cell("random.random()", cell_id="cell-b").result  # type: ignore[attr-defined]
    a2 = shell.run_cell("random.random()", cell_id="cell-a").result  # type: ignore[attr-defined]
    assert a1 == a2 != b1
    random.seed(jupyter_seed.derive_seed(7, "cell-b"))
    assert b1 == random.random()

    shell.run_cell("%seed --no-per-cell --quiet")  # type: ignore[attr-defined]
    assert shell.run_cell("random.random()", cell_id="cell-a").result != a1  # type: ignore[attr-defined]


def test_derived_without_cell_id_uses_source_text(shell: object) -> None:
    shell.run_cell("%seed 7 --per-cell derived --quiet")  # type: ignore[attr-defined]
    first = shell.run_cell("random.random()").result  # type: ignore[attr-defined]
    shell.run_cell("random.random() * 1")  # type: ignore[attr-defined]
    assert shell.run_cell("random.random()").result == first  # type: ignore[attr-defined]
    random.seed(jupyter_seed.derive_seed(7, "random.random()"))
    assert first == random.random()


class _Exploding(RandomSource):
    name = "exploding"
    label = "Always fails"
    module = None

    def seed(self, seed: int) -> None:
        raise RuntimeError("boom")


def test_failing_source_does_not_stop_others_or_break_cells(shell: object, seeder: object) -> None:
    sources = seeder.sources  # type: ignore[attr-defined]
    sources.insert(0, _Exploding())
    try:
        report = jupyter_seed.seed_everything(5)
        assert report.failed == {"exploding": "RuntimeError: boom"}
        assert "numpy" in report.seeded and "random" in report.seeded
        assert "FAILED: exploding" in str(report)
        assert jupyter_seed.state()["failed"] == ["exploding"]
        shell.run_cell("%seed --per-cell --quiet")  # type: ignore[attr-defined]
        result = shell.run_cell("import random; random.random()")  # type: ignore[attr-defined]
        assert result.success
        random.seed(5)
        assert result.result == random.random()
    finally:
        sources.pop(0)


def test_patch_default_rng(shell: object) -> None:
    shell.run_line_magic("seed", "11 --patch-default-rng --quiet")  # type: ignore[attr-defined]
    first = np.random.default_rng().random(3).tolist()
    second = np.random.default_rng().random(3).tolist()
    assert first != second  # successive calls are independent streams
    shell.run_line_magic("seed", "11 --quiet")  # type: ignore[attr-defined]
    assert np.random.default_rng().random(3).tolist() == first  # restarted at reseed
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(11, spawn_key=(0,)))).random(3)
    assert first == expected.tolist()
    assert np.random.default_rng(5).random() == np.random.Generator(np.random.PCG64(5)).random()
    shell.run_line_magic("seed", "--no-patch-default-rng --quiet")  # type: ignore[attr-defined]
    assert not hasattr(np.random.default_rng, "__wrapped__")


def test_rng_helper_streams(shell: object) -> None:
    jupyter_seed.seed_everything(3)
    a, b = jupyter_seed.rng().random(), jupyter_seed.rng().random()
    assert a != b
    jupyter_seed.seed_everything(3)
    assert (jupyter_seed.rng().random(), jupyter_seed.rng().random()) == (a, b)


def test_rng_without_seed_is_a_clear_error(seeder: object) -> None:
    with pytest.raises(RuntimeError, match="no active seed"):
        jupyter_seed.rng()


def registrations(ip: object) -> tuple[object, ...]:
    """Everything loading the extension may add to a shell and the interpreter."""
    return (
        {name: list(callbacks) for name, callbacks in ip.events.callbacks.items()},  # type: ignore[attr-defined]
        # Names, not objects: IPython swaps its own lazily loaded magics in on first use.
        set(ip.magics_manager.magics["line"]),  # type: ignore[attr-defined]
        set(ip.magics_manager.magics["cell"]),  # type: ignore[attr-defined]
        set(ip.magics_manager.registry),  # type: ignore[attr-defined]
        list(sys.meta_path),
        np.random.default_rng,
    )


def test_unload_is_an_exact_mirror_of_load(seeder: object) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    before = registrations(ip)
    ip.run_line_magic("load_ext", "jupyter_seed")
    loaded_once = registrations(ip)
    assert len(loaded_once[0]["pre_run_cell"]) > len(before[0]["pre_run_cell"])  # type: ignore[index]
    jupyter_seed.load_ipython_extension(ip)  # a second load is harmless
    assert registrations(ip)[:4] == loaded_once[:4]
    ip.run_line_magic("seed", "5 --per-cell derived --deterministic --patch-default-rng --quiet")
    assert jupyter_seed.state()["extension_loaded"] is True
    ip.run_line_magic("unload_ext", "jupyter_seed")
    assert registrations(ip) == before
    state = jupyter_seed.state()
    assert state["extension_loaded"] is False and state["seed"] is None and state["per_cell"] == "off"
    seeder.set_deterministic("off")  # type: ignore[attr-defined]


def test_status_lists_the_risks_with_their_fixes(shell: object) -> None:
    shell.run_line_magic("seed", "5 --quiet")  # type: ignore[attr-defined]
    view = shell.run_line_magic("seed", "")  # type: ignore[attr-defined]
    text, html = repr(view), view._repr_html_()
    assert "risk: deterministic mode is off" in text and "(fix: %seed --deterministic)" in text
    assert "Risks in this kernel now" in html and "Doctor" not in html
    shell.run_line_magic("seed", "--deterministic --per-cell -q")  # type: ignore[attr-defined]
    text = repr(shell.run_line_magic("seed", ""))  # type: ignore[attr-defined]
    assert "deterministic mode is off" not in text and "per-cell reseeding is off" not in text
