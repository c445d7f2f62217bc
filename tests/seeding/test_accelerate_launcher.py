"""accelerate's ``notebook_launcher`` with 2 CPU processes: reproducible, rank-distinct draws (issue 23).

On CPU the launcher hands ``function`` to torch's elastic agent, which forks its ranks through
``torch.multiprocessing.start_processes``: the ranks start seeded from ``task_seed("rank", r)``.
The launches run in a fresh interpreter: the launcher forks (its start method is fixed), which
must not happen inside pytest's process once JAX has made it multithreaded, and it refuses to
run where an ``Accelerator`` was made before. Each launch takes a free port for its rendezvous.
"""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest
from support import run_python

pytestmark = pytest.mark.skipif(
    find_spec("accelerate") is None or find_spec("torch") is None, reason="needs accelerate and torch"
)

CODE = """
import json, os, random, socket, tempfile
import numpy as np
import torch
import jupyter_seed
from accelerate import notebook_launcher
from jupyter_seed.seeding.task_seed import task_seed_of


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train(folder):
    rank = int(os.environ["RANK"])
    with open(os.path.join(folder, f"rank{rank}.json"), "w") as handle:
        json.dump([rank, random.random(), float(np.random.rand()), float(torch.rand(()))], handle)


def caller():
    return random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist()


def launch(processes):
    jupyter_seed.seed_everything(7, processes=processes)
    before = caller()
    folder = tempfile.mkdtemp()
    notebook_launcher(train, args=(folder,), num_processes=2, use_port=str(free_port()))
    assert caller() == before, "the launch moved the notebook's own generators"
    ranks = []
    for rank in range(2):
        with open(os.path.join(folder, f"rank{rank}.json")) as handle:
            ranks.append(json.load(handle))
    return ranks


def expected(rank):
    seed = task_seed_of(7, ("rank", rank))
    generator = torch.Generator().manual_seed(seed)
    return [rank, random.Random(seed).random(), float(np.random.RandomState(seed).rand()),
            float(torch.rand((), generator=generator))]


print(json.dumps({"on": [launch(True), launch(True)], "off": launch(False), "expected": [expected(0), expected(1)]}))
"""


def test_notebook_launcher_ranks_are_reproducible_and_distinct() -> None:
    seen = json.loads(run_python(CODE, timeout=240).strip().splitlines()[-1])
    first, second = seen["on"]
    assert first == second, "two launches from the same seed drew differently"
    assert first[0][1:] != first[1][1:], "the two ranks drew the same numbers"
    assert first == seen["expected"], "a rank was not seeded with task_seed('rank', r)"
    # What process seeding fixes: without it both forked ranks inherit NumPy's and torch's state
    # and draw alike (Python's random reseeds itself from os.urandom after a fork: distinct, and
    # different at every launch).
    off = seen["off"]
    assert off[0][2:] == off[1][2:]
