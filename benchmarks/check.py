"""Cost of `jupyter-seed check` on the real-notebook corpus, and of the doctor (prints a table).

    .venv/bin/python -m benchmarks.check [--repeat 1] [--only NAME ...]

For each notebook of tests/corpus/real: one plain execution (stock nbclient, one fresh
kernel, no setup cell, as `pytest --nbmake` runs it) against `check_notebook` with 2 runs (the
default mode; the doctor off, since a reproducible notebook never starts it). Runs
of one notebook are interleaved and the median is kept. Goal: check <= 1.3x plain
on every notebook with 2 cores, light notebooks about 1.05x.

Then the doctor's cost: every corpus notebook with a differing cell (the two of
tests/corpus/real, unseeded and timed, and the known-cause notebooks of tests/corpus/nondeterministic) checked
with the doctor (its default budget), against one plain run; worst and median ratio
(goal <= 2.5x). The doctor's first experiment needs 4 kernels: on 2 cores that is two
waves, on 4 or more one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_seed.evidence.checks.notebook import check_notebook
from jupyter_seed.evidence.checks.runner import kernel_env, kernel_name_for, usable_cores

from .common import ROOT, progress

CORPUS = Path(ROOT) / "tests" / "corpus" / "real"
DIFFERING = ("numpy_random_quickstart_unseeded.ipynb", "tf_data_performance.ipynb")
"""The real notebooks with differing cells: measured with the doctor, not in the check-only table."""
NONDETERMINISTIC = Path(ROOT) / "tests" / "corpus" / "nondeterministic"
DOCTOR_GOAL = 2.5


def plain_run(path: Path) -> float:
    """One execution as a user runs a notebook once: stock nbclient, one fresh kernel (not our runner,
    whose kernels start and stop faster than stock ones: that is part of what is measured)."""
    import nbclient
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(
        notebook,
        kernel_name=kernel_name_for(notebook),
        resources={"metadata": {"path": str(path.parent)}},
        shutdown_kernel="immediate",
    ).execute(env=kernel_env(), stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def checked(path: Path, *, doctor: bool = False) -> float:
    started = time.perf_counter()
    check_notebook(path, runs=2, doctor=doctor)
    return time.perf_counter() - started


def measure(repeat: int, names: list[str]) -> dict[str, Any]:
    # Copies in a scratch folder: notebooks write beside themselves (the TF guide saves a checkpoint).
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-bench-") as scratch:
        return _measure(repeat, names, Path(scratch))


def _measure(repeat: int, names: list[str], scratch: Path) -> dict[str, Any]:
    notebooks: dict[str, dict[str, float]] = {}
    for name in names:
        progress(f"check: {name}")
        path = Path(shutil.copy(CORPUS / name, scratch / name))
        plain, check = [], []
        for _ in range(repeat):
            plain.append(plain_run(path))
            check.append(checked(path))
        notebooks[name] = {"plain_s": statistics.median(plain), "check_s": statistics.median(check)}
    doctor: dict[str, dict[str, float]] = {}
    for source in [*(CORPUS / name for name in DIFFERING), *sorted(NONDETERMINISTIC.glob("*.ipynb"))]:
        progress(f"check: the doctor on {source.name}")
        path = Path(shutil.copy(source, scratch / source.name))
        plain, with_doctor = [], []
        for _ in range(repeat):
            plain.append(plain_run(path))
            with_doctor.append(checked(path, doctor=True))
        doctor[path.name] = {
            "plain_s": statistics.median(plain),
            "check_doctor_s": statistics.median(with_doctor),
        }
    return {"cores": usable_cores(), "repeat": repeat, "notebooks": notebooks, "doctor": doctor}


def render(data: dict[str, Any]) -> str:
    lines = [
        f"{data['cores']} usable cores; median of {data['repeat']} interleaved repeat(s)",
        f"{'notebook':<40} {'plain s':>8} {'check s':>8} {'ratio':>6}",
    ]
    worst = 0.0
    for name, times in data["notebooks"].items():
        ratio = times["check_s"] / times["plain_s"]
        worst = max(worst, ratio)
        lines.append(f"{name:<40} {times['plain_s']:8.1f} {times['check_s']:8.1f} {ratio:6.2f}")
    lines.append(f"worst ratio: {worst:.2f} (goal <= 1.30)")
    lines.append(f"{'notebook with a differing cell':<40} {'plain s':>8} {'+doctor':>8} {'ratio':>6}")
    ratios = []
    for name, times in data["doctor"].items():
        ratio = times["check_doctor_s"] / times["plain_s"]
        ratios.append(ratio)
        lines.append(f"{name:<40} {times['plain_s']:8.1f} {times['check_doctor_s']:8.1f} {ratio:6.2f}")
    if ratios:
        lines.append(
            f"check + doctor over one plain run: worst {max(ratios):.2f}, median {statistics.median(ratios):.2f} "
            f"(goal <= {DOCTOR_GOAL:.1f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.check", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="notebook names (default: all)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    names = args.only or sorted(p.name for p in CORPUS.glob("*.ipynb") if p.name not in DIFFERING)
    missing = [name for name in names if not (CORPUS / name).is_file()]
    if missing:
        parser.error(f"not in {CORPUS}: {', '.join(missing)}")
    print(render(measure(args.repeat, names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
