"""Pool tasks run inline by a helper thread leave the process-wide generators alone (real joblib)."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import jupyter_seed
from jupyter_seed.seeding.seeder import Seeder, get_seeder

joblib = pytest.importorskip("joblib")


def test_joblib_with_one_job_inside_a_thread_pool_does_not_reseed_under_the_main_thread(
    seeder: Seeder,
) -> None:
    jupyter_seed.seed_everything(3407)
    before = random.getstate()
    applied = get_seeder().applied_seed
    task_running, checked = threading.Event(), threading.Event()

    def task(i: int) -> int:
        if i == 0:
            task_running.set()
            assert checked.wait(30)
        return i

    def in_helper_thread() -> list[int]:
        # joblib runs n_jobs=1 inline, in this helper thread: the submitting thread itself.
        return list(joblib.Parallel(n_jobs=1)(joblib.delayed(task)(i) for i in range(3)))

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(in_helper_thread)
        assert task_running.wait(30)
        # While the task runs, the cells' thread sees its own seed and state, not the task's.
        seen = (get_seeder().applied_seed, random.getstate() == before, jupyter_seed.task_seed("x"))
        checked.set()
        assert future.result(30) == [0, 1, 2]
    assert seen == (applied, True, jupyter_seed.task_seed("x"))
    assert random.getstate() == before
