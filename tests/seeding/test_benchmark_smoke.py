"""``python -m benchmarks --quick`` runs end to end and prints its tables (times are never asserted).

Also what the package shape promises: every table can be rendered again from the run's JSON,
bad options are one error line before anything is measured, child programs are files, and
nothing in benchmarks/ reads a private attribute of ours.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "benchmarks"

pytest.importorskip("numpy")
pytest.importorskip("torch")
pytest.importorskip("tensorflow")
pytest.importorskip("keras")


def _benchmarks(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.mark.kernel
def test_quick_benchmark_prints_every_table_and_renders_again_from_its_json(tmp_path: Path) -> None:
    # The smallest configuration that still runs every section: no anchors
    # (they take seconds each to import) and only torch for the import section.
    raw = tmp_path / "results.json"
    result = _benchmarks("--quick", "--no-anchors", "--frameworks", "torch", "--json", str(raw))
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}"
    out = result.stdout
    for heading in (
        "## 1. Load",
        "## 1b. Modules imported",
        "## 2. Reseed",
        "## 3. Per-cell overhead",
        "## 3b. Inside the same kernel",
        "## 4. Post-import hook",
        "## 5. Processes: interpreter start-up",
        "## 5b. Processes: Pool.map of 10,000 tiny tasks",
        "## Goals",
    ):
        assert heading in out, f"missing {heading!r} in:\n{out}"
    assert "ours: Seeder.reseed (hot path)" in out
    assert "floor: sum of the generators' own reseeds" in out
    assert "--per-cell derived" in out and "import torch" in out
    assert "NO" not in out.split("## 2. Reseed", 1)[1].split("##", 1)[0].split()  # streams column
    # The instrumented child's own figures for the hook are measured, not zero or missing.
    results = json.loads(raw.read_text(encoding="utf-8"))
    assert results["import"]["torch"]["callback_ms"] > 0 and results["import"]["torch"]["finder_ms"] > 0
    processes = results["processes"]
    assert set(processes["tasks"]["methods"]) == {"fork", "spawn"}
    for figures in processes["tasks"]["methods"].values():
        assert all(figures["us_per_task"][variant] > 0 for variant in ("off", "on", "anchor"))
    assert processes["start_up"]["available"] and processes["start_up"]["hook_file_us"] > 0
    assert "the start-up hook adds ≤ 1 ms" in out and "seeded Pool.map ≤ 1.1x plain Pool.map" in out
    # render(dict) is the whole of what a section prints: the JSON alone gives the same tables.
    from benchmarks.run import render

    printed = out.split("\n", 2)[2].rsplit("\n# total", 1)[0]  # less the header lines and the total
    assert render(results) == printed.rstrip("\n")


def test_bad_options_are_one_error_line_before_anything_runs(tmp_path: Path) -> None:
    result = _benchmarks("--sections", "load,bogus", timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].endswith("unknown sections: bogus")
    missing = tmp_path / "no-such-folder" / "out.json"
    result = _benchmarks("--sections", "load", "--json", str(missing), timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "--json: no folder" in result.stderr
    assert not missing.parent.exists()


def test_child_programs_are_files_and_nothing_reads_our_private_attributes() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert {"load_child.py", "reseed_child.py", "import_child.py", "kernel_probe.py"} <= {
        path.name for path in (PACKAGE / "children").glob("*.py")
    }
    private = re.compile(r"(?<![\w])(?!self\b|cls\b)(\w+|\))\._[a-z]\w*")
    reaches = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in modules
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert not reaches, "\n".join(reaches)
    # No program hides in a string: every module of the package compiles, none runs code from text.
    for path in modules:
        text = path.read_text(encoding="utf-8")
        assert 'r"""\nimport' not in text and "exec(" not in text, path


def test_the_seeders_read_only_views_the_benchmarks_use() -> None:
    import random  # noqa: F401 - a loaded source, so the seed shows in seeded_with

    from jupyter_seed.seeding.seeder import Seeder

    seeder = Seeder()
    assert seeder.import_hook is None and seeder.seeded_with == {}
    try:
        seeder.seed_everything(3407)
        hook = seeder.import_hook
        assert hook is not None and hook in sys.meta_path
        assert hook.callback is not None and "torch" in hook.watched
        assert seeder.seeded_with.get("random") == 3407
        view = seeder.seeded_with
        view["random"] = 1  # a copy: the seeder is not changed through it
        assert seeder.seeded_with["random"] == 3407
        with pytest.raises(AttributeError):
            seeder.import_hook = None  # type: ignore[misc]
    finally:
        seeder.detach()
    assert seeder.import_hook not in sys.meta_path
