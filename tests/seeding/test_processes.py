"""Seeds reach the processes a notebook starts: real pools, executors, joblib and torch ranks.

Each check runs the same submissions twice from the same seed (and with 1 and 3
workers) and asks for identical per-task draws that differ from task to task,
for every start method; the submitter's own generators must be untouched.

Every case that forks runs in a fresh interpreter (:func:`run_check`), never in
pytest's own process: once an earlier test of the same run has used JAX
(tests/seeding/test_frameworks.py), this process is multithreaded, JAX warns that
``os.fork()`` "will likely lead to a deadlock", and it may; a forked worker would
also inherit whatever seeding state earlier tests left behind.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from process_tasks import (
    draw,
    draw_pair,
    draw_with_torch,
    hash_seed_for_children,
    process_draws,
    rank_draws,
)

import jupyter_seed
from jupyter_seed.seeding.process_start import DETERMINISTIC_VARIABLE, SEED_VARIABLE
from jupyter_seed.seeding.seeder import Seeder
from jupyter_seed.seeding.seeds import derive_seed
from jupyter_seed.seeding.task_seed import submission_seeds, task_seed_of

METHODS = ("fork", "spawn", "forkserver")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def run_check(check: Callable[..., None], *args: str) -> None:
    """``check(*args)`` here, or, when it forks (an argument names fork), in a fresh interpreter."""
    forks = any(arg in ("fork", "multiprocessing") for arg in args)  # joblib's multiprocessing forks
    if forks:
        in_fresh_interpreter(check, *args)
    else:
        check(*args)


def in_fresh_interpreter(check: Callable[..., None], *args: str) -> None:
    """Run ``check(*args)``, a function of this module, in a new interpreter; its failure is ours."""
    code = (
        f"import sys; sys.path[:0] = [{str(HERE)!r}]; import test_processes; "
        f"test_processes.{check.__name__}(*sys.argv[1:])"
    )
    env = {k: v for k, v in os.environ.items() if k not in (SEED_VARIABLE, DETERMINISTIC_VARIABLE)}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )
    assert result.returncode == 0, f"{check.__name__}{args} failed:\n{result.stdout}\n{result.stderr}"
    assert "os.fork() was called" not in result.stderr, result.stderr


def caller_state() -> Any:
    return random.getstate(), np.random.get_state()[1].tolist()


def twice(submit: Callable[[int], list[Any]]) -> list[list[Any]]:
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
    """What ``draw(key)`` gives when started from ``seed`` (own generators: the global ones stay as they are)."""
    return key, random.Random(seed).random(), float(np.random.RandomState(seed).rand())


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


def test_the_pools_cheap_task_seeds_are_task_seed_itself(seeder: Seeder) -> None:
    jupyter_seed.seed_everything(3407)
    for submission in (0, 1, 17, 2**31):
        seeds = submission_seeds(3407, submission)
        for index in (0, 1, 9, 10, 99, 1234567, -1):
            assert seeds(index) == jupyter_seed.task_seed(submission, index) == task_seed_of(3407, (submission, index))
    assert submission_seeds(3407, 0)(True) == task_seed_of(3407, (0, True)) != task_seed_of(3407, (0, 1))
    with pytest.raises(TypeError, match="must be int"):
        submission_seeds(3407, True)


def check_a_stale_process_id_still_seeds_as_a_worker() -> None:
    """A child forked by code that skips Python's fork hooks keeps its parent's cached id: still seeded."""
    from jupyter_seed.seeding import task_calls

    jupyter_seed.seed_everything(7)
    before = caller_state()
    parent = os.getpid() + 1  # a submitter that is not this process
    task_calls._process_id = parent  # what such a child would still read
    wrapper = task_calls.SeededItem(draw, 7, "off", 3, pid=parent, thread=threading.get_ident())
    assert wrapper((5, "x")) == expected_draw(task_seed_of(7, (3, 5)), "x")
    assert caller_state() != before  # it ran as a worker: this process's generators were its to seed


def test_a_stale_process_id_still_seeds_as_a_worker() -> None:
    in_fresh_interpreter(check_a_stale_process_id_still_seeds_as_a_worker)  # a worker's seeding, not pytest's


def test_task_seed_refuses_bad_keys_and_a_missing_seed(seeder: Seeder) -> None:
    with pytest.raises(RuntimeError, match="no active seed"):
        jupyter_seed.task_seed(0)
    jupyter_seed.seed_everything(1)
    with pytest.raises(TypeError, match="JSON-able"):
        jupyter_seed.task_seed({1, 2})
    with pytest.raises(ValueError, match="JSON-able"):
        jupyter_seed.task_seed(float("nan"))


# ---------------------------------------------------------------------- pools
def check_pool(method: str) -> None:
    context = multiprocessing.get_context(method)

    def submit(workers: int) -> list[Any]:
        with context.Pool(workers) as pool:
            mapped = pool.map(draw, range(4))
            lazy = list(pool.imap(draw, range(4, 6)))
            unordered = sorted(pool.imap_unordered(draw, range(6, 10)))  # keyed by task: order may vary
            starred = pool.starmap(draw_pair, [(1, 2), (3, 4)])
            applied = pool.apply_async(draw, ("apply",)).get(timeout=60)
            chunked = pool.map(draw, range(10, 40), chunksize=7)  # chunks of several tasks: each one seeded
        return [*mapped, *lazy, *unordered, *starred, applied, *chunked]

    runs = twice(submit)
    assert_reproducible(runs)
    # The documented seed: task i of submission n starts from task_seed(n, i).
    assert runs[0][1] == expected_draw(task_seed_of(7, (0, 1)), 1)
    assert runs[0][-2] == expected_draw(task_seed_of(7, (5, 28)), 38)
    assert runs[0][-1] == expected_draw(task_seed_of(7, (5, 29)), 39)
    assert runs[0][12] == expected_draw(task_seed_of(7, (4, 0)), "apply")


@pytest.mark.parametrize("method", METHODS)
def test_pool_tasks_repeat_whatever_the_start_method_and_worker_count(seeder: Seeder, method: str) -> None:
    run_check(check_pool, method)


def check_executor(method: str) -> None:
    context = multiprocessing.get_context(method)

    def submit(workers: int) -> list[Any]:
        with ProcessPoolExecutor(workers, mp_context=context) as executor:
            mapped = list(executor.map(draw, range(5), chunksize=2))
            submitted = [executor.submit(draw, key).result(timeout=60) for key in ("a", "b")]
        return [*mapped, *submitted]

    runs = twice(submit)
    assert_reproducible(runs)
    assert runs[0][3] == expected_draw(task_seed_of(7, (0, 3)), 3)
    assert runs[0][6] == expected_draw(task_seed_of(7, (2, 0)), "b")


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_executor_submit_and_map(seeder: Seeder, method: str) -> None:
    run_check(check_executor, method)


def check_joblib(backend: str) -> None:
    import joblib

    def submit(workers: int) -> list[Any]:
        parallel = joblib.Parallel(n_jobs=workers, backend=backend)
        return list(parallel(joblib.delayed(draw)(key) for key in range(5)))

    runs = twice(submit)  # n_jobs=1 runs in this process: under seeded(), restored after
    assert_reproducible(runs)
    assert runs[0][2] == expected_draw(task_seed_of(7, (0, 2)), 2)


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_joblib_parallel_one_job_or_three(seeder: Seeder, backend: str) -> None:
    pytest.importorskip("joblib")
    run_check(check_joblib, backend)


def check_hash_seed_held(method: str) -> None:
    """A worker's children get one PYTHONHASHSEED, the submitter's, however many tasks it runs."""
    jupyter_seed.seed_everything(7)
    ours = os.environ["PYTHONHASHSEED"]
    with multiprocessing.get_context(method).Pool(2) as pool:
        seen = pool.map(hash_seed_for_children, range(40), chunksize=5)
    # Rewritten per task, it cost a setenv each, and glibc keeps every distinct value it was given.
    assert seen == [(key, ours) for key in range(40)]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_keeps_one_hash_seed_for_its_children(seeder: Seeder, method: str) -> None:
    run_check(check_hash_seed_held, method)


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
        torch_multiprocessing.spawn(rank_draws, args=(str(folder),), nprocs=2)  # spawn: no fork here
        runs.append([json.loads((folder / f"rank{rank}.json").read_text()) for rank in range(2)])
    assert runs[0] == runs[1]
    assert runs[0][0][1:] != runs[0][1][1:]
    assert tuple(runs[0][1][:3]) == expected_draw(task_seed_of(7, ("rank", 1)), 1)


def check_plain_process(method: str, folder: str) -> None:
    context = multiprocessing.get_context(method)
    runs = []
    for run in range(2):
        jupyter_seed.seed_everything(7)
        paths = [os.path.join(folder, f"{method}-{run}-{index}.json") for index in range(2)]
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


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_plain_process_is_one_submission(seeder: Seeder, tmp_path: Path, method: str) -> None:
    run_check(check_plain_process, method, str(tmp_path))


def check_torch_in_workers(method: str) -> None:
    import torch  # noqa: F401 - imported before the pool: forked workers are quick

    def submit(workers: int) -> list[Any]:
        with multiprocessing.get_context(method).Pool(workers) as pool:
            return pool.map(draw_with_torch, range(3))

    assert_reproducible(twice(submit))


def test_torch_in_workers_is_seeded_too(seeder: Seeder) -> None:
    pytest.importorskip("torch")
    run_check(check_torch_in_workers, "fork")


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
    assert json.loads(ranks[1]) == random.Random(task_seed_of(7, ("rank", 1))).random()
    assert child_state({}) == {"seed": task_seed_of(7, ("rank", 0)), "variable": "7"}


def test_a_failing_start_up_hook_is_one_warning_line(seeder: Seeder) -> None:
    for bad in ({SEED_VARIABLE: "seven"}, {SEED_VARIABLE: "7", DETERMINISTIC_VARIABLE: "always"},
                {SEED_VARIABLE: "7", "RANK": "first"}):
        result = child_state(bad, "print('still runs')")
        assert result.stdout == "still runs\n"
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("jupyter-seed: this process runs unseeded:"), result.stderr


def test_the_installed_hook_is_the_packaged_one_and_does_nothing_without_the_variable() -> None:
    import site

    installed = [Path(folder) / "jupyter_seed_processes.pth" for folder in site.getsitepackages()]
    installed = [path for path in installed if path.exists()]
    assert installed, "jupyter_seed_processes.pth is not installed: pip install -e . again"
    source = (ROOT / "jupyter_seed" / "seeding" / "process_start.pth").read_text(encoding="utf-8")
    assert installed[0].read_text(encoding="utf-8") == source
    line = source.strip()
    assert "\n" not in line and line.startswith("import os;")
    # Without the variable the line is one lookup in os.environ (already imported by site):
    # no import, no mark, nothing else done. Its cost is the benchmark's (section 5), not asserted here.
    assert hook_line_effect(installed[0], None) == ["[]", "False"]
    assert hook_line_effect(installed[0], "7")[-1] == "True"  # the same probe sees the hook when it runs


def hook_line_effect(pth: Path, seed: str | None) -> list[str]:
    """Run the installed ``.pth`` line in a bare interpreter: the modules it imported, and its mark."""
    variable = SEED_VARIABLE
    setting = f"os.environ.pop({variable!r}, None)" if seed is None else f"os.environ[{variable!r}] = {seed!r}"
    code = (
        f"import os, sys; {setting}; before = set(sys.modules); "
        f"exec(compile(open({str(pth)!r}).read(), 'pth', 'exec'), {{}}); "
        "print(sorted(set(sys.modules) - before), getattr(sys, '_jupyter_seed_process_start', False))"
    )
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_kernels_are_not_seeded_by_their_parent(seeder: Seeder) -> None:
    jupyter_seed.seed_everything(7)
    script = ("import sys, json; sys.orig_argv = [sys.executable, '-m', 'ipykernel_launcher']; "
              "from jupyter_seed.seeding import process_start; print(json.dumps(process_start.is_kernel()))")
    assert child_state({}, script).stdout.strip() == "true"
