"""Cost of checking a notebook collection, here and on a 2-worker Dask LocalCluster (prints a table).

    .venv/bin/python -m benchmarks.collection [--quick] [--notebooks 8] [--json PATH]

Eight light notebooks (a few pure-Python cells) checked as one collection
(`check_collection`, 2 runs each: 16 kernel executions) against plain nbclient executing
the same 16 copies, as many at a time as there are usable cores, with the same share of
math threads per kernel. Goal: collection <= 1.2x plain. CPU utilisation is the CPU time
of this process and every kernel it started (reaped children) over wall time x cores.
Then the collection with `--against-stored` (outputs stored by `jupyter-seed run` first, not
timed: one execution per notebook when all match) against plain nbclient once per notebook.
Then the same collection on a 2-worker LocalCluster (started before the clock), with the
overhead per notebook over plain nbclient. Plain and collection runs are interleaved and
the median kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_seed.evidence.checks.runner import kernel_env, threads_per_kernel, usable_cores
from jupyter_seed.evidence.collection.command import check_collection
from jupyter_seed.evidence.options import CheckOptions

from .common import Options, median, progress

CELLS = (
    "import random\nvalues = [random.random() for _ in range(1000)]\nprint(round(sum(values), 6))",
    "total = sum(i * i for i in range(200_000))\nprint(total)",
    "import json\nprint(json.dumps({'n': len(values), 'max': round(max(values), 6)}))",
)


def write_collection(folder: Path, count: int) -> list[Path]:
    import nbformat

    paths = []
    for number in range(count):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(f"# notebook {number}\n" + source) for source in CELLS]
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = folder / f"light_{number:02d}.ipynb"
        nbformat.write(notebook, str(path))
        paths.append(path)
    return paths


def process_cpu() -> float:
    """CPU seconds of this process and of every child it has reaped (the kernels it started)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def timed(work: Callable[[], Any], client: Any = None) -> dict[str, float]:
    """Wall seconds and CPU utilisation of ``work()``: this process, its kernels, and each Dask worker's."""

    def cpu() -> float:
        workers = sum(client.run(process_cpu).values()) if client is not None else 0.0
        return process_cpu() + workers

    before = cpu()
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    used = cpu() - before
    return {"wall_s": wall, "cpu_s": used, "utilisation": used / (wall * usable_cores())}


def plain_nbclient(paths: list[Path], runs: int) -> None:
    """Every execution as plain nbclient runs it: one fresh kernel each, ``cores`` at a time."""
    import nbclient
    import nbformat

    limit = usable_cores()
    env = kernel_env(threads_per_kernel(limit))

    async def all_runs() -> None:
        gate = asyncio.Semaphore(limit)

        async def one(path: Path) -> None:
            async with gate:
                notebook = nbformat.read(str(path), as_version=4)
                client = nbclient.NotebookClient(
                    notebook,
                    kernel_name="python3",
                    resources={"metadata": {"path": str(path.parent)}},
                    shutdown_kernel="immediate",  # as the check does: the default waits for a graceful exit
                )
                await client.async_execute(env=env, stderr=subprocess.DEVNULL)  # as the check does

        await asyncio.gather(*(one(path) for path in paths for _ in range(runs)))

    asyncio.run(all_runs())


def collection(folder: Path, scheduler: Any = None) -> None:
    result = check_collection([folder], CheckOptions(runs=2), scheduler=scheduler, progress=False)
    if any(outcome.verdict != "reproducible" for outcome in result.outcomes):
        raise RuntimeError(f"a light notebook did not reproduce:\n{result.render()}")


def against_stored(folder: Path) -> None:
    """The collection checked against the outputs stored in it: one execution per notebook when all match."""
    result = check_collection([folder], {"against_stored": True}, progress=False)
    if any(outcome.verdict != "reproducible" for outcome in result.outcomes):
        raise RuntimeError(f"a light notebook did not match its stored outputs:\n{result.render()}")


def measure(options: Options, count: int = 8) -> dict[str, Any]:
    import distributed

    from jupyter_seed.evidence.checks.run_command import run_notebook

    repeat = 1 if options.quick else 3
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-bench-") as scratch:
        folder, stored = Path(scratch) / "fresh", Path(scratch) / "stored"  # two collections, side by side
        folder.mkdir()
        stored.mkdir()
        paths = write_collection(folder, count)
        progress("collection: storing outputs with `jupyter-seed run` (not timed)")
        stored_paths = [Path(run_notebook(path, output=stored / path.name, seed=3407).path) for path in paths]
        plain, checked, plain_once, against = [], [], [], []
        for number in range(repeat):
            progress(f"collection: plain nbclient and the collection, repeat {number + 1} of {repeat}")
            plain.append(timed(lambda: plain_nbclient(paths, 2)))
            checked.append(timed(lambda: collection(folder)))
            plain_once.append(timed(lambda: plain_nbclient(stored_paths, 1)))
            against.append(timed(lambda: against_stored(stored)))
        progress("collection: a 2-worker LocalCluster")
        started = time.perf_counter()
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            cluster_start = time.perf_counter() - started
            on_dask = [timed(lambda: collection(folder, client), client) for _ in range(repeat)]

    def middle(runs: list[dict[str, float]]) -> dict[str, float]:
        return {key: median([run[key] for run in runs]) for key in runs[0]}

    return {
        "cores": usable_cores(),
        "notebooks": count,
        "executions": 2 * count,
        "repeat": repeat,
        "plain": middle(plain),
        "collection": middle(checked),
        "plain_once": middle(plain_once),
        "against_stored": middle(against),
        "dask": middle(on_dask),
        "cluster_start_s": cluster_start,
    }


def render(data: dict[str, Any]) -> str:
    plain, checked, dask = data["plain"], data["collection"], data["dask"]
    ratio = checked["wall_s"] / plain["wall_s"]
    per_notebook = (dask["wall_s"] - plain["wall_s"]) / data["notebooks"]
    lines = [
        f"{data['notebooks']} light notebooks, {data['executions']} executions, {data['cores']} usable cores, "
        f"median of {data['repeat']}",
        f"{'':<34} {'wall s':>7} {'CPU s':>7} {'CPU use':>8}",
    ]
    for label, figures in (
        ("plain nbclient, cores at a time", plain),
        ("jupyter-seed check (collection)", checked),
        ("the same on a 2-worker Cluster", dask),
    ):
        lines.append(
            f"{label:<34} {figures['wall_s']:7.1f} {figures['cpu_s']:7.1f} {100 * figures['utilisation']:7.0f}%"
        )
    lines.append(f"collection / plain: {ratio:.2f}x (goal <= 1.20: {'met' if ratio <= 1.2 else 'NOT met'})")
    if "against_stored" in data:
        once, against = data["plain_once"], data["against_stored"]
        stored_ratio = against["wall_s"] / once["wall_s"]
        lines.append(
            f"--against-stored (1 execution each, all match): {against['wall_s']:.1f} s, CPU use "
            f"{100 * against['utilisation']:.0f}%, against plain nbclient once each {once['wall_s']:.1f} s: "
            f"{stored_ratio:.2f}x (goal <= 1.20: {'met' if stored_ratio <= 1.2 else 'NOT met'})"
        )
    lines.append(
        f"Dask: {per_notebook:+.2f} s per notebook over plain nbclient "
        f"(cluster start {data['cluster_start_s']:.1f} s, not counted; its CPU adds the workers' own)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.collection", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument("--notebooks", type=int, default=8)
    parser.add_argument("--json", metavar="PATH", help="also write the raw figures as JSON")
    args = parser.parse_args(argv)
    if args.notebooks < 1:
        parser.error(f"--notebooks must be at least 1, got {args.notebooks}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    data = measure(Options(quick=args.quick), args.notebooks)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
