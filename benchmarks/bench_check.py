"""Cost of `jupyter-seed check` on the real-notebook corpus, and of the doctor (prints a table).

    .venv/bin/python benchmarks/bench_check.py [--repeat 1] [--only NAME ...]

For each notebook of tests/corpus/real: one plain execution (one fresh kernel, no
setup cell, as `pytest --nbmake` runs it) against `check_notebook` with 2 runs (the
default mode; the doctor off, since a reproducible notebook never starts it). Runs
of one notebook are interleaved and the median is kept. Goal: check <= 1.3x plain
on every notebook with 2 cores, light notebooks about 1.05x.

Then the doctor's extra cost: the unseeded notebook of the corpus checked with and
without the doctor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_seed.evidence.checks.notebook import check_notebook  # noqa: E402
from jupyter_seed.evidence.checks.runner import execute_runs, load_notebook, usable_cores  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "real"
DIFFERING = "numpy_random_quickstart_unseeded.ipynb"


def plain_run(path: Path) -> float:
    started = time.perf_counter()
    execute_runs(load_notebook(path), runs=1, seed=None, per_cell=None, cwd=str(path.parent))
    return time.perf_counter() - started


def checked(path: Path, *, doctor: bool = False) -> float:
    started = time.perf_counter()
    check_notebook(path, runs=2, doctor=doctor)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="notebook names (default: all)")
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in CORPUS.glob("*.ipynb") if p.name != DIFFERING)
    print(f"{usable_cores()} usable cores; median of {args.repeat} interleaved repeat(s)")
    print(f"{'notebook':<40} {'plain s':>8} {'check s':>8} {'ratio':>6}")
    worst = 0.0
    for name in names:
        path = CORPUS / name
        plain, check = [], []
        for _ in range(args.repeat):
            plain.append(plain_run(path))
            check.append(checked(path))
        ratio = statistics.median(check) / statistics.median(plain)
        worst = max(worst, ratio)
        plain_s, check_s = statistics.median(plain), statistics.median(check)
        print(f"{name:<40} {plain_s:8.1f} {check_s:8.1f} {ratio:6.2f}", flush=True)
    print(f"worst ratio: {worst:.2f} (goal <= 1.30)")
    path = CORPUS / DIFFERING
    without = statistics.median(checked(path) for _ in range(args.repeat))
    with_doctor = statistics.median(checked(path, doctor=True) for _ in range(args.repeat))
    print(
        f"doctor on {DIFFERING}: check {without:.1f} s, check + doctor {with_doctor:.1f} s "
        f"(+{with_doctor - without:.1f} s, {with_doctor / without:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
