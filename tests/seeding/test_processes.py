"""Seeds reach the processes a notebook starts: real pools, executors, joblib and torch ranks.

Each check runs the same submissions twice from the same seed (and with 1 and 3
workers) and asks for identical per-task draws that differ from task to task,
for every start method; the submitter's own generators must be untouched.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from process_tasks import draw, draw_pair, draw_with_torch, process_draws, rank_draws

import jupyter_seed
from jupyter_seed.seeding.process_start import DETERMINISTIC_VARIABLE, SEED_VARIABLE
from jupyter_seed.seeding.seeder import Seeder
from jupyter_seed.seeding.seeds import derive_seed
from jupyter_seed.seeding.task_seed import task_seed_of

METHODS = ("fork", "spawn", "forkserver")
ROOT = Path(__file__).resolve().parents[2]


def caller_state() -> Any:
    return random.getstate(), np.random.get_state()[1].tolist()


def twice(seeder: Seeder, submit: Callable[[int], list[Any]]) -> list[list[Any]]:
    """``submit(workers)`` under seed 7 with 3 workers, again, then with 1; the caller's state stays."""
    runs = []
    for workers in (3, 3, 1):
        jupyter_seed.seed_everything(7)
        before = caller_state()
        runs.append(submit(workers))
        assert caller_state() == before, "a submission moved the submitter's generators"
    return runs


def assert_reproducible(runs: list[list[Any]]) -> None:
    first = runs[0]
    for other in runs[1:]:
        assert other == first
    draws = [entry[1:] for entry in first]
    assert len(set(draws)) == len(draws), "two tasks drew the same numbers"


def expected_draw(seed: int, key: Any) -> tuple[Any, float, float]:
    random.seed(seed)
    np.random.seed(seed)
    return key, random.random(), float(np.random.rand())


@pytest.fixture(autouse=True)
def clean(seeder: Seeder) -> Iterator[None]:
    yield
    assert SEED_VARIABLE not in os.environ or seeder.applied_seed is not None


# ------------------------------------------------------------------ task_seed
def test_task_seed_is_sha256_of_seed_and_json_keys(seeder: Seeder) -> None:
    jupyter_seed.seed_everything(3407)
    digest = sha256(b'jupyter-seed/task/v1\x003407\x00[0,1]').digest()
    assert jupyter_seed.task_seed(0, 1) == int.from_bytes(digest[:4], "big")
    text = json.dumps(["rank", {"b": 1, "a": [None, True, 1.5]}], separators=(",", ":"), sort_keys=True)
    digest = sha256(b"jupyter-seed/task/v1\x003407\x00" + text.encode()).digest()
    keyed = jupyter_seed.task_seed("rank", {"b": 1, "a": [None, True, 1.5]})
    assert keyed == int.from_bytes(digest[:4], "big")
    assert jupyter_seed.task_seed(True) != jupyter_seed.task_seed(1)  # true is not 1 in JSON
    assert jupyter_seed.task_seed("x") != derive_seed(3407, "x")  # derive_seed keeps its own meaning
    cell = sha256(b"jupyter-seed/cell/v1\x003407\x00x").digest()
    assert derive_seed(3407, "x") == int.from_bytes(cell[:4], "big")


def test_task_seed_refuses_bad_keys_and_a_missing_seed(seeder: Seeder) -> None:
    with pytest.raises(RuntimeError, match="no active seed"):
        jupyter_seed.task_seed(0)
    jupyter_seed.seed_everything(1)
    with pytest.raises(TypeError, match="JSON-able"):
        jupyter_seed.task_seed({1, 2})
    with pytest.raises(ValueError, match="JSON-able"):
        jupyter_seed.task_seed(float("nan"))


# ---------------------------------------------------------------------- pools
@pytest.mark.parametrize("method", METHODS)
def test_pool_tasks_repeat_whatever_the_start_method_and_worker_count(seeder: Seeder, method: str) -> None:
    context = multiprocessing.get_context(method)

    def submit(workers: int) -> list[Any]:
        with context.Pool(workers) as pool:
            mapped = pool.map(draw, range(4))
            lazy = list(pool.imap(draw, range(4, 6)))
            unordered = sorted(pool.imap_unordered(draw, range(6, 10)))  # keyed by task: order may vary
            starred = pool.starmap(draw_pair, [(1, 2), (3, 4)])
            applied = pool.apply_async(draw, ("apply",)).get(timeout=60)
        return [*mapped, *lazy, *unordered, *starred, applied]

    runs = twice(seeder, submit)
    assert_reproducible(runs)
    # The documented seed: task i of submission n starts from task_seed(n, i).
    assert runs[0][1] == expected_draw(task_seed_of(7, (0, 1)), 1)
    assert runs[0][-1] == expected_draw(task_seed_of(7, (4, 0)), "apply")


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_executor_submit_and_map(seeder: Seeder, method: str) -> None:
    context = multiprocessing.get_context(method)

    def submit(workers: int) -> list[Any]:
        with ProcessPoolExecutor(workers, mp_context=context) as executor:
            mapped = list(executor.map(draw, range(5), chunksize=2))
            submitted = [executor.submit(draw, key).result(timeout=60) for key in ("a", "b")]
        return [*mapped, *submitted]

    runs = twice(seeder, submit)
    assert_reproducible(runs)
    assert runs[0][3] == expected_draw(task_seed_of(7, (0, 3)), 3)


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_joblib_parallel_one_job_or_three(seeder: Seeder, backend: str) -> None:
    joblib = pytest.importorskip("joblib")

    def submit(workers: int) -> list[Any]:
        parallel = joblib.Parallel(n_jobs=workers, backend=backend)
        return list(parallel(joblib.delayed(draw)(key) for key in range(5)))

    runs = twice(seeder, submit)  # n_jobs=1 runs in this process: under seeded(), restored after
    assert_reproducible(runs)
    assert runs[0][2] == expected_draw(task_seed_of(7, (0, 2)), 2)


def test_thread_pools_are_left_alone(seeder: Seeder) -> None:
    from multiprocessing.pool import ThreadPool

    jupyter_seed.seed_everything(7)
    expected = [random.random() for _ in range(3)]
    jupyter_seed.seed_everything(7)
    with ThreadPool(1) as pool:
        got = pool.map(lambda _: random.random(), range(3))
    assert got == expected  # threads share the generators: nothing reseeds them between tasks
    assert seeder.tasks_submitted == 0


def test_torch_spawn_ranks_are_reproducible_and_distinct(seeder: Seeder, tmp_path: Path) -> None:
    torch_multiprocessing = pytest.importorskip("torch.multiprocessing")
    runs = []
    for run in range(2):
        folder = tmp_path / str(run)
        folder.mkdir()
        jupyter_seed.seed_everything(7)
        torch_multiprocessing.spawn(rank_draws, args=(str(folder),), nprocs=2)
        runs.append([json.loads((folder / f"rank{rank}.json").read_text()) for rank in range(2)])
    assert runs[0] == runs[1]
    assert runs[0][0][1:] != runs[0][1][1:]
    assert tuple(runs[0][1][:3]) == expected_draw(task_seed_of(7, ("rank", 1)), 1)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_plain_process_is_one_submission(seeder: Seeder, tmp_path: Path, method: str) -> None:
    context = multiprocessing.get_context(method)
    runs = []
    for run in range(2):
        jupyter_seed.seed_everything(7)
        paths = [str(tmp_path / f"{run}-{index}.json") for index in range(2)]
        processes = [context.Process(target=process_draws, args=(path,)) for path in paths]
        for process in processes:
            process.start()
            # The parent's object is as it was; only the child got the wrapper.
            assert process._target is process_draws  # type: ignore[attr-defined]
        for process in processes:
            process.join(60)
        runs.append([json.loads(Path(path).read_text()) for path in paths])
    assert runs[0] == runs[1] and runs[0][0] != runs[0][1]
    assert tuple(runs[0][1]) == expected_draw(task_seed_of(7, (1, 0)), None)[1:]


def test_torch_in_workers_is_seeded_too(seeder: Seeder) -> None:
    pytest.importorskip("torch")
    context = multiprocessing.get_context("fork")  # torch is imported here already: forked workers are quick

    def submit(workers: int) -> list[Any]:
        with context.Pool(workers) as pool:
            return pool.map(draw_with_torch, range(3))

    assert_reproducible(twice(seeder, submit))


# ----------------------------------------------------- on, off, unload
def entry_points() -> dict[str, Any]:
    import concurrent.futures.process as futures_process
    import multiprocessing.pool as pool
    import multiprocessing.process as process

    import torch.multiprocessing as torch_multiprocessing
    from torch.multiprocessing import spawn as torch_spawn_module

    points = {name: pool.Pool.__dict__[name] for name in
              ("map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async", "apply_async")}
    points["submit"] = futures_process.ProcessPoolExecutor.__dict__["submit"]
    points["executor map"] = futures_process.ProcessPoolExecutor.__dict__["map"]
    points["start"] = process.BaseProcess.__dict__["start"]
    points["torch start_processes"] = sys.modules["torch.multiprocessing.spawn"].start_processes
    points["torch package start_processes"] = torch_multiprocessing.start_processes
    del torch_spawn_module
    try:
        import joblib.parallel

        points["joblib"] = joblib.parallel.Parallel.__dict__["__call__"]
    except ImportError:
        pass
    return points


def test_off_and_detach_restore_every_entry_point_by_identity(seeder: Seeder) -> None:
    pytest.importorskip("torch")
    original = entry_points()
    jupyter_seed.seed_everything(7)
    patched = entry_points()
    assert all(patched[name] is not original[name] for name in original), "an entry point was not patched"
    assert os.environ[SEED_VARIABLE] == "7"
    seeder.set_processes(False)
    assert all(value is original[name] for name, value in entry_points().items())
    assert SEED_VARIABLE not in os.environ
    jupyter_seed.seed_everything(8, deterministic="warn")
    assert SEED_VARIABLE not in os.environ  # off stays off until turned on
    jupyter_seed.seed_everything(8, processes=True)
    assert os.environ[SEED_VARIABLE] == "8" and os.environ[DETERMINISTIC_VARIABLE] == "warn"
    seeder.set_deterministic("off")
    seeder.detach()
    assert all(value is original[name] for name, value in entry_points().items())
    assert SEED_VARIABLE not in os.environ and DETERMINISTIC_VARIABLE not in os.environ
    assert seeder.processes is True  # back to the default for the next load


def test_processes_false_leaves_children_alone(seeder: Seeder) -> None:
    original = entry_points()
    jupyter_seed.seed_everything(7, processes=False)
    assert all(value is original[name] for name, value in entry_points().items())
    with pytest.raises(TypeError, match="processes must be True or False"):
        jupyter_seed.seed_everything(9, processes="yes")  # type: ignore[arg-type]
    assert seeder.seed == 7 and seeder.processes is False  # refused before anything changed
    child = child_state({})
    assert child == {"seed": None, "variable": None}


# ------------------------------------------------------- the start-up hook
def child_state(extra_env: dict[str, str], code: str = "") -> Any:
    script = code or (
        "import json, os, jupyter_seed; "
        "print(json.dumps({'seed': jupyter_seed.state()['seed'], "
        f"'variable': os.environ.get({SEED_VARIABLE!r})}}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **extra_env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1]) if not code else result


def test_launched_children_seed_themselves_from_their_rank(seeder: Seeder) -> None:
    jupyter_seed.seed_everything(7)
    code = "import random, json; print(json.dumps(random.random()))"
    ranks = [child_state({"RANK": str(rank)}, code).stdout for rank in (0, 1, 1)]
    assert ranks[1] == ranks[2] != ranks[0]
    random.seed(task_seed_of(7, ("rank", 1)))
    assert json.loads(ranks[1]) == random.random()
    assert child_state({}) == {"seed": task_seed_of(7, ("rank", 0)), "variable": "7"}


def test_a_failing_start_up_hook_is_one_warning_line(seeder: Seeder) -> None:
    for bad in ({SEED_VARIABLE: "seven"}, {SEED_VARIABLE: "7", DETERMINISTIC_VARIABLE: "always"},
                {SEED_VARIABLE: "7", "RANK": "first"}):
        result = child_state(bad, "print('still runs')")
        assert result.stdout == "still runs\n"
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("jupyter-seed: this process runs unseeded:"), result.stderr


def test_the_installed_hook_is_the_packaged_one_and_costs_nothing_without_the_variable() -> None:
    import site

    installed = [Path(folder) / "jupyter_seed_processes.pth" for folder in site.getsitepackages()]
    installed = [path for path in installed if path.exists()]
    assert installed, "jupyter_seed_processes.pth is not installed: pip install -e . again"
    source = (ROOT / "jupyter_seed" / "seeding" / "process_start.pth").read_text(encoding="utf-8")
    assert installed[0].read_text(encoding="utf-8") == source
    line = source.strip()
    assert "\n" not in line and line.startswith("import ")
    environment = {key: value for key, value in os.environ.items() if key != SEED_VARIABLE}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        code = compile(line, "jupyter_seed_processes.pth", "exec")
        started = time.perf_counter()
        for _ in range(1000):
            exec(code, {})
        per_start = (time.perf_counter() - started) / 1000
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert per_start < 1e-4, f"the start-up hook costs {per_start * 1e6:.0f} µs without its variable"


def test_kernels_are_not_seeded_by_their_parent(seeder: Seeder) -> None:
    jupyter_seed.seed_everything(7)
    script = ("import sys, json; sys.orig_argv = [sys.executable, '-m', 'ipykernel_launcher']; "
              "from jupyter_seed.seeding import process_start; print(json.dumps(process_start.is_kernel()))")
    assert child_state({}, script).stdout.strip() == "true"
