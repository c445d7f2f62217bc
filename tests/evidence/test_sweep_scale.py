"""Sweeps and comparisons at scale: real Dask and ipyparallel clusters, any completion order,
Ctrl-C and broken executors, save and resume, per-seed work that runs its own workers."""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jupyter_seed.evidence.sweeps.compare import ComparisonResult, compare
from jupyter_seed.evidence.sweeps.result import SweepResult
from jupyter_seed.evidence.sweeps.sweep import sweep

SEEDS = list(range(8))


# ------------------------------------------------------------ workloads
def noisy_model(seed: int, *, shift: float = 0.0) -> dict[str, float]:
    """Seed-dependent sleep, so tasks finish in another order than they were submitted."""
    time.sleep(0.02 * ((7 * seed) % 5))
    import torch

    weights = torch.randn(16)
    return {"acc": float(weights.mean()) + shift + float(np.random.rand()), "norm": float(weights.norm())}


def baseline(seed: int) -> dict[str, float]:
    return noisy_model(seed)


def improved(seed: int) -> dict[str, float]:
    return noisy_model(seed, shift=0.5)


def _square_sum(numbers: list[float]) -> float:
    return float(sum(x * x for x in numbers))


def parallel_inside(seed: int) -> float:
    """Per-seed work that runs its own thread pool and process pool, seeded from the sweep's seed."""
    from concurrent.futures import ThreadPoolExecutor

    child_seeds = np.random.randint(0, 2**31, size=4)  # drawn from the seeded global stream
    with ThreadPoolExecutor(4) as threads:
        parts = list(threads.map(lambda s: float(np.random.default_rng(s).random(1000).sum()), child_seeds))
    chunks = [list(np.random.default_rng(s).random(100)) for s in child_seeds]
    with multiprocessing.get_context("spawn").Pool(2) as processes:
        parts += processes.map(_square_sum, chunks)
    return float(sum(parts))


def slow_marked(folder: str, seed: int) -> float:
    Path(folder, f"seed-{seed}").touch()
    time.sleep(0.4)
    return float(np.random.rand())


def dies_at_three(seed: int) -> float:
    if seed == 3:
        time.sleep(0.3)
        os._exit(1)  # the worker process dies: the pool is broken
    time.sleep(0.1)
    return float(seed)


def table(result: SweepResult | ComparisonResult) -> Any:
    frame = result.to_pandas()
    return frame.drop(columns=[c for c in frame.columns if "seconds" in (c if isinstance(c, str) else c[-1])])


def spawn_pool(workers: int = 2) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


@pytest.fixture(scope="module")
def reference() -> tuple[SweepResult, ComparisonResult]:
    return (
        sweep(baseline, SEEDS, progress=False),
        compare({"baseline": baseline, "improved": improved}, SEEDS, progress=False),
    )


# -------------------------------------------------------------- engines
def test_dask_gives_identical_tables(reference: Any, dask_executor: Any) -> None:
    swept, compared = reference
    on_dask = sweep(baseline, SEEDS, executor=dask_executor, progress=False)
    assert table(on_dask).equals(table(swept))
    paired = compare(
        {"baseline": baseline, "improved": improved}, SEEDS, executor=dask_executor, progress=False
    )
    assert table(paired).equals(table(compared)) and str(paired) == str(compared)


@pytest.mark.timeout(240)
def test_ipyparallel_gives_identical_tables(reference: Any) -> None:
    ipp = pytest.importorskip("ipyparallel")
    import cloudpickle

    swept, compared = reference
    # Engines do not share this process's sys.path: ship this module's functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with ipp.Cluster(n=2, log_level=40) as client:
            executor = client.load_balanced_view().executor
            on_ipp = sweep(baseline, SEEDS, executor=executor, progress=False)
            paired = compare(
                {"baseline": baseline, "improved": improved}, SEEDS, executor=executor, progress=False
            )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert table(on_ipp).equals(table(swept))
    assert table(paired).equals(table(compared)) and str(paired) == str(compared)


def test_process_pool_in_any_order_gives_identical_tables(reference: Any) -> None:
    swept, _ = reference
    with spawn_pool(3) as pool:
        shuffled = sweep(baseline, list(reversed(SEEDS)), executor=pool, progress=False)
    assert table(shuffled).sort_index().equals(table(swept))


def test_per_seed_work_with_its_own_workers_stays_reproducible() -> None:
    first = sweep(parallel_inside, [0, 1, 2], progress=False)
    again = sweep(parallel_inside, [2, 1, 0], progress=False)
    with spawn_pool() as pool:
        pooled = sweep(parallel_inside, [0, 1, 2], executor=pool, progress=False)
    assert not first.failed, first.failed
    assert first.metrics() == again.metrics() == pooled.metrics()
    assert len(set(first.metrics().values())) == 3


# -------------------------------------------------------- interruption
def interrupt_main_after(seconds: float) -> threading.Timer:
    """A real SIGINT to the main thread, as Ctrl-C (or a kernel interrupt) delivers it."""
    import signal

    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize("engine", ["process_pool", "dask"])
def test_ctrl_c_cancels_queued_seeds_and_keeps_finished_ones(
    engine: str, tmp_path: Path, request: Any
) -> None:
    seeds = list(range(24))
    work = functools.partial(slow_marked, str(tmp_path))
    if engine == "dask":
        executor = request.getfixturevalue("dask_executor")
        sweep(work, [100], executor=executor, progress=False)  # workers warm before the clock starts
    else:
        executor = spawn_pool()
        sweep(work, [100, 101], executor=executor, progress=False)
    timer = interrupt_main_after(1.0)
    started = time.monotonic()
    result = sweep(work, seeds, executor=executor, progress=False)
    returned = time.monotonic() - started
    timer.join()
    if engine == "process_pool":
        executor.shutdown(wait=True, cancel_futures=True)
    else:
        time.sleep(1.0)  # anything still queued on Dask would start now
    ran = {int(p.name.split("-")[1]) for p in tmp_path.iterdir()} - {100, 101}
    assert result.interrupted == "interrupted (KeyboardInterrupt)"
    assert returned < 2.5, returned
    assert result.runs and result.not_run and sorted(result.seeds + result.not_run) == seeds
    # Besides the finished seeds, at most the two running ones and what a process pool had already
    # moved to its workers' call queue (max_workers + 1; the standard library cannot take those back).
    assert len(ran) <= len(result.runs) + 2 + 3 + 1, (sorted(ran), result.seeds)
    assert len(ran) < len(seeds) - 8
    assert "Stopped early, interrupted (KeyboardInterrupt)" in str(result)


def test_broken_executor_stops_the_sweep_with_a_partial_result() -> None:
    with spawn_pool() as pool:
        result = sweep(dies_at_three, list(range(12)), executor=pool, progress=False)
    assert result.interrupted is not None and result.interrupted.startswith(
        "the executor failed: BrokenProcessPool"
    )
    assert "\n" not in result.interrupted
    assert 3 in result.not_run and all(run.ok for run in result.runs)


# ------------------------------------------------------------- resume
class InterruptAt:
    """A metric that presses Ctrl-C when it reaches one seed (once), and counts its calls.

    Its bookkeeping lives in files, not in the object: a store's code identity covers a
    callable's own state, so an object whose attributes changed would (rightly) not resume.
    """

    def __init__(self, seed: int, folder: Path) -> None:
        self.seed, self.log, self.fired = seed, folder / f"calls-{seed}", folder / f"fired-{seed}"

    @property
    def calls(self) -> list[int]:
        return [int(line) for line in self.log.read_text().split()] if self.log.exists() else []

    def forget_calls(self) -> None:
        self.log.unlink(missing_ok=True)

    def __call__(self, seed: int) -> dict[str, float]:
        if seed == self.seed and not self.fired.exists():
            self.fired.touch()
            raise KeyboardInterrupt
        with self.log.open("a") as log:
            log.write(f"{seed}\n")
        return {"acc": float(np.random.rand()), "bad": float("nan") if seed % 2 else float(seed)}


def test_interrupted_sweep_resumes_from_its_file_to_an_identical_table(tmp_path: Path) -> None:
    store = tmp_path / "run.jsonl"
    metric = InterruptAt(5, tmp_path)
    partial = sweep(metric, "0:10", save=store, progress=False)
    assert partial.interrupted and partial.seeds == [0, 1, 2, 3, 4] and partial.not_run == [5, 6, 7, 8, 9]
    metric.forget_calls()
    resumed = sweep(metric, "0:10", save=store, progress=False)
    assert metric.calls == [5, 6, 7, 8, 9] and resumed.resumed == 5 and not resumed.interrupted
    fresh = sweep(InterruptAt(-1, tmp_path), "0:10", progress=False)
    assert table(resumed).equals(table(fresh)) and resumed.summary() == fresh.summary()
    import json

    lines = [json.loads(line) for line in store.read_text().splitlines()]  # strict JSON: NaN is a string
    assert lines[0]["kind"] == "header" and {"python", "numpy"} <= set(lines[0]["environment"])
    assert lines[1]["kind"] == "code" and lines[1]["hash"].startswith("sha256:")
    assert sorted(line["seed"] for line in lines if line["kind"] == "run") == list(range(10))


def test_resume_with_other_code_is_refused_in_one_line(tmp_path: Path) -> None:
    from jupyter_seed.evidence.sweeps.store import StoreError

    store = tmp_path / "run.jsonl"
    sweep(baseline, [0, 1], save=store, progress=False)
    with pytest.raises(StoreError) as caught:
        sweep(improved, [0, 1, 2], save=store, progress=False)
    assert "holds results of different code" in str(caught.value) and "\n" not in str(caught.value)
    pair_store = tmp_path / "pair.jsonl"
    compare({"a": baseline, "b": improved}, [0, 1], save=pair_store, progress=False)
    before = pair_store.read_text()
    with pytest.raises(StoreError, match="different code for variant 'b'"):
        compare({"new": improved, "b": baseline}, [0, 1], save=pair_store, progress=False)
    assert pair_store.read_text() == before  # refused before anything was written, 'new' included
    with store.open("a") as handle:
        handle.write('{"kind": "run", "variant": null, "se')  # torn by a crash mid-write
    again = sweep(baseline, [0, 1, 2], save=store, progress=False)
    assert again.resumed == 2 and again.seeds == [0, 1, 2]


def test_comparison_resumes_and_pairs_only_finished_seeds(tmp_path: Path) -> None:
    store = tmp_path / "cmp.jsonl"
    stopper = InterruptAt(3, tmp_path)
    partial = compare({"a": stopper, "b": improved}, range(6), save=store, progress=False)
    assert partial.interrupted and partial.comparison().seeds == (0, 1, 2)
    done = compare({"a": stopper, "b": improved}, range(6), save=store, progress=False)
    assert done.comparison().seeds == tuple(range(6)) and not done.interrupted
