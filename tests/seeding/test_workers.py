"""DataLoader workers seeded without code changes: real multi-worker loaders, fork and spawn."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from support import run_python  # noqa: E402
from worker_datasets import RandomDraws  # noqa: E402

from jupyter_seed.seeding import workers  # noqa: E402

CONTEXTS = [c for c in ("fork", "spawn") if c in multiprocessing.get_all_start_methods()]
JAX_FORK_WARNING = "os.fork() was called"

FRESH = """
import sys
sys.path[:0] = [{folder!r}, {tests!r}]
from jupyter_seed.seeding.seeder import get_seeder
import test_workers
test_workers.{check}(get_seeder(), *{args!r})
print("checked")
"""


def in_fresh_interpreter(check: str, *args: object) -> None:
    """Run ``check(seeder, *args)`` of this module in a new interpreter: for checks that fork.

    JAX warns, rightly, when a process whose JAX threads run forks: a thread that holds
    a lock at that moment leaves it held in the child for good. Earlier tests in this
    pytest process may have started them (Keras imports JAX). A fresh interpreter has none.
    """
    here = Path(__file__).resolve().parent
    code = FRESH.format(folder=str(here), tests=str(here.parent), check=check, args=args)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 0 and "checked" in result.stdout, result.stdout + result.stderr
    assert JAX_FORK_WARNING not in result.stderr, result.stderr


def _epochs(context: str, epochs: int = 2, **loader_options: object) -> list[list[tuple]]:
    loader = torch.utils.data.DataLoader(
        RandomDraws(8), batch_size=None, num_workers=2, multiprocessing_context=context, **loader_options
    )
    return [[tuple(item) for item in loader] for _ in range(epochs)]


def _by_worker(epoch: list[tuple], column: int) -> dict[int, list[float]]:
    draws: dict[int, list[float]] = {}
    for item in epoch:
        draws.setdefault(item[1], []).append(item[column])
    return draws


@pytest.mark.parametrize("context", CONTEXTS)
def test_workers_distinct_epochs_distinct_and_rerun_repeats(seeder, context: str) -> None:
    if context == "fork":
        in_fresh_interpreter("check_workers_distinct_epochs_distinct_and_rerun_repeats", context)
    else:
        check_workers_distinct_epochs_distinct_and_rerun_repeats(seeder, context)


def check_workers_distinct_epochs_distinct_and_rerun_repeats(seeder, context: str) -> None:
    seeder.seed_everything(11, workers=True)
    first = _epochs(context)
    seeder.seed_everything(11, workers=True)
    again = _epochs(context)
    assert first == again, "a re-run under the same seed repeats every worker's draws"
    for column in (2, 3, 4):  # numpy, random, torch
        for epoch in first:
            per_worker = _by_worker(epoch, column)
            assert set(per_worker) == {0, 1}
            assert per_worker[0] != per_worker[1], f"column {column}: workers repeat each other"
        assert [i[column] for i in first[0]] != [i[column] for i in first[1]], "epochs repeat"
    seeder.seed_everything(12)
    assert _epochs(context) != first, "another seed gives other draws"


@pytest.mark.skipif("fork" not in CONTEXTS, reason="fork start method not available")
def test_epochs_differ_even_when_each_cell_reseeds() -> None:
    in_fresh_interpreter("check_epochs_differ_even_when_each_cell_reseeds")


def check_epochs_differ_even_when_each_cell_reseeds(seeder) -> None:
    # Per-cell reseeding puts the global torch generator back before every cell;
    # a loader drawing its epochs' base seeds from it would repeat one epoch per cell.
    def epoch_per_cell(loader: object) -> list[list[tuple]]:
        draws = []
        for _ in range(2):
            seeder.before_cell(None, "for batch in loader: ...")
            draws.append([tuple(item) for item in loader])
        return draws

    def loader() -> object:
        return torch.utils.data.DataLoader(
            RandomDraws(8), batch_size=None, shuffle=True, num_workers=2, multiprocessing_context="fork"
        )

    seeder.seed_everything(11)
    seeder.set_per_cell("same")
    plain = epoch_per_cell(loader())
    assert plain[0] == plain[1], "without --workers each cell repeats the same epoch"
    runs = []
    for _ in range(2):
        seeder.seed_everything(11, workers=True)
        runs.append(epoch_per_cell(loader()))
    assert runs[0][0] != runs[0][1]
    assert runs[0] == runs[1], "a re-run repeats them"


def test_own_worker_init_fn_and_generator_are_kept(seeder) -> None:
    seeder.seed_everything(5, workers=True)

    def mine(worker_id: int) -> None:
        pass

    generator = torch.Generator()
    loader = torch.utils.data.DataLoader(RandomDraws(), worker_init_fn=mine, generator=generator)
    assert loader.worker_init_fn is mine and loader.generator is generator
    defaulted = torch.utils.data.DataLoader(RandomDraws(), worker_init_fn=None)
    assert defaulted.worker_init_fn is workers.worker_init_fn
    assert isinstance(defaulted.generator, torch.Generator)


def test_no_workers_and_detach_restore_the_original_init(seeder) -> None:
    original = torch.utils.data.DataLoader.__init__
    seeder.seed_everything(5, workers=True)
    assert torch.utils.data.DataLoader.__init__ is not original
    assert seeder.state()["workers"] is True
    seeder.set_workers(False)
    assert torch.utils.data.DataLoader.__init__ is original
    assert torch.utils.data.DataLoader(RandomDraws()).worker_init_fn is None
    seeder.set_workers(True)
    seeder.detach()
    assert torch.utils.data.DataLoader.__init__ is original
    assert seeder.state()["workers"] is False


def test_bad_workers_value_changes_nothing(seeder) -> None:
    seeder.seed_everything(5)
    with pytest.raises(TypeError):
        seeder.seed_everything(6, workers="yes")
    assert seeder.seed == 5 and seeder.workers is False
    with pytest.raises(TypeError):
        seeder.set_workers(1)
    assert seeder.workers is False


def test_worker_init_fn_gives_each_rank_its_own_torch_stream() -> None:
    out = run_python(
        """
        import os, torch
        from jupyter_seed.seeding.workers import worker_init_fn
        draws = {}
        for rank in ("0", "1"):
            os.environ["RANK"] = rank
            torch.manual_seed(7)
            worker_init_fn(0)
            draws[rank] = torch.rand(3).tolist()
        os.environ["RANK"] = "1"
        torch.manual_seed(7)
        worker_init_fn(0)
        print(draws["0"] != draws["1"], torch.rand(3).tolist() == draws["1"])
        """
    )
    assert out.split() == ["True", "True"]


def test_workers_enabled_before_torch_is_imported() -> None:
    out = run_python(
        """
        import sys, jupyter_seed
        jupyter_seed.seed_everything(3, workers=True)
        assert "torch" not in sys.modules
        import torch
        from jupyter_seed.seeding.workers import worker_init_fn
        loader = torch.utils.data.DataLoader([1, 2, 3])
        print(loader.worker_init_fn is worker_init_fn, jupyter_seed.state()["workers"])
        """
    )
    assert out.split() == ["True", "True"]


@pytest.mark.skipif("fork" not in CONTEXTS, reason="fork start method not available")
def test_the_fork_checks_fork_no_process_with_jax_threads() -> None:
    jax = pytest.importorskip("jax")
    jax.numpy.ones(2).sum().block_until_ready()  # JAX's threads run in this process now
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        test_epochs_differ_even_when_each_cell_reseeds()
    assert not [w for w in caught if JAX_FORK_WARNING in str(w.message)]
