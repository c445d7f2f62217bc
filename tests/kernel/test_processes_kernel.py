"""In a real kernel: %seed reaches pool tasks; --no-processes and %unload_ext leave nothing behind."""

from __future__ import annotations

import json
import random
from ast import literal_eval
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from kernel_client import Kernel

from jupyter_seed.seeding.task_seed import task_seed_of

pytestmark = pytest.mark.kernel

TASKS = str(Path(__file__).resolve().parents[1] / "seeding")

POOL_CELL = f"""
import sys, json, multiprocessing
sys.path.insert(0, {TASKS!r})
from process_tasks import draw
results = {{}}
for method in ("fork", "spawn"):
    with multiprocessing.get_context(method).Pool(2) as pool:
        results[method] = sorted(pool.imap_unordered(draw, range(4)))
json.dumps(results)
"""

ENTRY_POINTS = """
import multiprocessing.pool, multiprocessing.process, concurrent.futures.process
entry_points = lambda: [multiprocessing.pool.Pool.__dict__[name] for name in ("map", "imap", "imap_unordered",
    "starmap", "apply_async")] + [concurrent.futures.process.ProcessPoolExecutor.__dict__[name] for name in
    ("submit", "map")] + [multiprocessing.process.BaseProcess.__dict__["start"]]
"""

CHILD = (
    "import subprocess, sys, json; (subprocess.run([sys.executable, '-c', "
    "'import os, jupyter_seed; print(jupyter_seed.state()[\"seed\"], "
    "os.environ.get(\"JUPYTER_SEED_PROCESS_SEED\"))'],"
    " capture_output=True, text=True).stdout.strip())"
)


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        yield k
    finally:
        k.shutdown()


def expected(seed: int, key: int) -> list[object]:
    random.seed(seed)
    np.random.seed(seed)
    return [key, random.random(), float(np.random.rand())]


def test_seed_reaches_pool_tasks_and_unload_restores_them(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute(ENTRY_POINTS + "before = entry_points()")
    kernel.execute("%seed 5 -q")
    first = json.loads(literal_eval(kernel.value(POOL_CELL)))
    kernel.execute("%seed 5 -q")
    assert json.loads(literal_eval(kernel.value(POOL_CELL))) == first  # the notebook run twice
    for method in ("fork", "spawn"):
        submission = 0 if method == "fork" else 1
        assert first[method] == [expected(task_seed_of(5, (submission, key)), key) for key in range(4)]
    assert kernel.value("any(a is b for a, b in zip(before, entry_points()))") == "False"
    assert literal_eval(kernel.value(CHILD)) == f"{task_seed_of(5, ('rank', 0))} 5"

    assert "left alone" in kernel.execute("%seed --no-processes")["stdout"]
    assert kernel.value("all(a is b for a, b in zip(before, entry_points()))") == "True"
    assert literal_eval(kernel.value(CHILD)) == "None None"  # a child of a kernel with the feature off

    kernel.execute("%seed --processes -q")
    assert kernel.value("any(a is b for a, b in zip(before, entry_points()))") == "False"
    kernel.execute("%unload_ext jupyter_seed")
    assert kernel.value("all(a is b for a, b in zip(before, entry_points()))") == "True"
    assert literal_eval(kernel.value(CHILD)) == "None None"
