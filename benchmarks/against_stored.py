"""Cost of `jupyter-seed check --against-stored` on notebooks that match their stored outputs (a table).

    .venv/bin/python -m benchmarks.against_stored [--repeat 3] [--only NAME ...]

Each notebook of tests/corpus/real named below is first stored with its outputs and
provenance by ``jupyter-seed run`` (in a temporary folder). Then, interleaved and
``repeat`` times: one plain execution of it (one fresh kernel through nbclient, no
setup cell, as ``jupyter nbconvert --execute`` or ``pytest --nbmake`` runs it) against
``check_against_stored`` (one fresh run with the recorded seed, the provenance cell,
the comparison; no second run since every cell matches). The median is kept.
Goal: against-stored <= 1.1x plain.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_seed.evidence.checks.against_stored import check_against_stored
from jupyter_seed.evidence.checks.run_command import run_notebook
from jupyter_seed.evidence.checks.runner import execute_runs, load_notebook, usable_cores

from .common import ROOT, Options, progress

CORPUS = Path(ROOT) / "tests" / "corpus" / "real"
NOTEBOOKS = ("sklearn_iris_decision_surface.ipynb", "pytorch_polynomial_nn.ipynb", "pdsh_ufuncs_timeit.ipynb")
GOAL = 1.1


def plain_run(path: Path) -> float:
    started = time.perf_counter()
    execute_runs(load_notebook(path), runs=1, seed=None, per_cell=None, cwd=str(path.parent))
    return time.perf_counter() - started


def against_stored(path: Path) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    report = check_against_stored(path, doctor=False)
    seconds = time.perf_counter() - started
    return seconds, {"ok": report.ok, "fresh_runs": report.fresh_runs, "summary": report.summary()}


def measure(
    options: Options | None = None, *, repeat: int | None = None, names: tuple[str, ...] = NOTEBOOKS
) -> dict[str, Any]:
    repeat = repeat or (1 if options is not None and options.quick else 3)
    notebooks: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-bench-") as folder:
        for name in names:
            progress(f"against-stored: {name}")
            path = Path(folder) / name
            shutil.copy(CORPUS / name, path)
            run_notebook(path)
            plain, checked = [], []
            outcome: dict[str, Any] = {}
            for _ in range(repeat):
                plain.append(plain_run(path))
                seconds, outcome = against_stored(path)
                checked.append(seconds)
            notebooks[name] = {
                "plain_s": statistics.median(plain),
                "against_stored_s": statistics.median(checked),
                **outcome,
            }
    return {"cores": usable_cores(), "repeat": repeat, "notebooks": notebooks}


def render(data: dict[str, Any]) -> str:
    lines = [
        f"{data['cores']} usable cores; median of {data['repeat']} interleaved repeat(s)",
        f"{'notebook':<40} {'plain s':>8} {'stored s':>9} {'ratio':>6}  result",
    ]
    worst = 0.0
    for name, times in data["notebooks"].items():
        ratio = times["against_stored_s"] / times["plain_s"]
        worst = max(worst, ratio)
        result = f"{times['fresh_runs']} fresh run(s): {times['summary']}"
        lines.append(
            f"{name:<40} {times['plain_s']:8.2f} {times['against_stored_s']:9.2f} {ratio:6.2f}  {result}"
        )
    lines.append(f"worst ratio: {worst:.2f} (goal <= {GOAL:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.against_stored", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", nargs="*", default=None, help=f"notebook names (default: {', '.join(NOTEBOOKS)})"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    names = tuple(args.only or NOTEBOOKS)
    missing = [name for name in names if not (CORPUS / name).is_file()]
    if missing:
        parser.error(f"not in {CORPUS}: {', '.join(missing)}")
    print(render(measure(repeat=args.repeat, names=names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
