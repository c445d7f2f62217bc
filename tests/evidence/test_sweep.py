"""Seed sweeps: spec parsing, identical metrics sequentially / in a process pool / on Dask, the magic."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest

import jupyter_seed
from jupyter_seed.evidence.sweeps.store import parse_seeds
from jupyter_seed.evidence.sweeps.sweep import SweepResult, as_metrics, sweep

SEEDS = [0, 1, 2, 3, 7, 3407]


def train_tiny() -> dict[str, float]:
    """A real (tiny) torch regression trained from the global RNG that the sweep seeds."""
    import torch

    x = torch.randn(64, 4)
    y = x @ torch.randn(4, 1) + 0.1 * torch.randn(64, 1)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(25):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return {"loss": loss.item(), "numpy_draw": float(np.random.rand())}


def flaky(seed: int) -> float:
    if seed == 3:
        raise ValueError("seed 3 diverged")
    return float(np.random.default_rng(seed).random())


def metrics_by_seed(result: SweepResult) -> dict[int, Any]:
    return {run.seed: run.metrics for run in result}


# ------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("0:5", [0, 1, 2, 3, 4]),
        ("0:10:5", [0, 5]),
        ("1,7,3407", [1, 7, 3407]),
        (" 1, 10:12 ", [1, 10, 11]),
        ([4, np.int64(5)], [4, 5]),
        (range(3), [0, 1, 2]),
    ],
)
def test_parse_seeds(spec: Any, expected: list[int]) -> None:
    assert parse_seeds(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "expected START:STOP"),
        ("5:1", "START < STOP"),
        ("0:10:0", "step must be positive"),
        ("a:b", "not an integer"),
        ("1,,2", "expected START:STOP"),
        ("1:2:3:4", "too many"),
        ("0:4294967297", "STOP <="),
        ("-1", "[0, 4294967295]"),
        ("1,1", "appears twice"),
        ("0:200000", "more than"),
        ([1.5], "must be an integer"),
        ({1: 2}, "iterable of ints"),
    ],
)
def test_parse_seeds_rejects_bad_specs_in_one_line(spec: Any, message: str) -> None:
    with pytest.raises(
        (ValueError, TypeError), match=message.replace("[", r"\[").replace("]", r"\]")
    ) as caught:
        parse_seeds(spec)
    assert "\n" not in str(caught.value)


def test_metrics_conversion() -> None:
    import torch

    assert as_metrics(np.float32(0.5)) == {"value": 0.5}
    assert as_metrics(torch.tensor(2.0)) == {"value": 2.0}
    assert as_metrics({"acc": 1, "loss": np.float64(0.25)}) == {"acc": 1.0, "loss": 0.25}
    for bad in ("0.5", None, True, [1, 2], {}):
        with pytest.raises(TypeError):
            as_metrics(bad)


# --------------------------------------------------------------- executors
def test_sequential_sweep_is_order_independent_and_restores_state() -> None:
    jupyter_seed.seed_everything(42)
    before = np.random.get_state()[1].copy()
    forward = sweep(train_tiny, SEEDS, progress=False)
    backward = sweep(train_tiny, list(reversed(SEEDS)), progress=False)
    assert np.array_equal(np.random.get_state()[1], before)  # the caller's RNG state is untouched
    assert metrics_by_seed(forward) == metrics_by_seed(backward)
    assert len({run.metrics["loss"] for run in forward}) == len(SEEDS)  # type: ignore[index]
    assert forward.seeds == SEEDS and not forward.failed


def test_process_pool_gives_identical_metrics() -> None:
    sequential = sweep(train_tiny, SEEDS, progress=False)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = sweep(train_tiny, SEEDS, executor=pool, progress=False)
    assert metrics_by_seed(pooled) == metrics_by_seed(sequential)


def test_dask_local_cluster_gives_identical_metrics(dask_executor: Any) -> None:
    sequential = sweep(train_tiny, SEEDS, progress=False)
    on_dask = sweep(train_tiny, SEEDS, executor=dask_executor, progress=False)
    assert metrics_by_seed(on_dask) == metrics_by_seed(sequential)


def test_failing_seed_is_recorded_and_sweep_goes_on() -> None:
    for executor in (
        None,
        ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")),
    ):
        result = sweep(flaky, "0:6", executor=executor, progress=False)
        if executor is not None:
            executor.shutdown()
        assert [run.seed for run in result.failed] == [3]
        assert result.failed[0].error == "ValueError: seed 3 diverged"
        assert len(result.metrics()) == 5
        assert "seed 3 failed: ValueError: seed 3 diverged" in str(result)


def test_unpicklable_function_is_one_clear_error() -> None:
    import threading

    lock = threading.Lock()
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(TypeError, match="cannot send"):
        sweep(lambda: lock.locked() and 1.0, [1, 2], executor=pool, progress=False)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="needs a callable"):
        sweep(3, [1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Executor"):
        sweep(train_tiny, [1], executor=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="appears twice"):
        sweep(train_tiny, [1, 1])
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as threads, pytest.raises(ValueError, match="ThreadPoolExecutor shares"):
        sweep(train_tiny, [1, 2], executor=threads)


# ----------------------------------------------------------------- result
def test_summary_table_pandas_and_plot_render() -> None:
    result = sweep(flaky, "0:40", progress=False)
    (summary,) = result.summary()
    values = result.metrics()
    assert summary.count == 39 and summary.max == max(values.values())
    assert summary.best_seed == max(values, key=values.__getitem__)
    assert summary.worst_seed == min(values, key=values.__getitem__)
    lower = SweepResult(result.runs, higher_is_better=False).summary()[0]
    assert lower.best_seed == summary.worst_seed
    per_metric = SweepResult(result.runs, higher_is_better={"value": False}).summary()[0]
    assert per_metric.best_seed == summary.worst_seed
    frame = result.to_pandas()
    assert list(frame.columns) == ["value", "error", "seconds"] and frame.index.name == "seed"
    assert frame.loc[3, "error"] == "ValueError: seed 3 diverged" and np.isnan(frame.loc[3, "value"])
    figure = result.plot()
    assert figure.axes[0].get_xlabel() == "value"
    page = result._repr_html_()
    assert "data:image/png;base64," in page and "best seed" in page and "1 failed seeds" in page


# ------------------------------------------------------------------ magic
@pytest.fixture(autouse=True)
def _agg_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def test_sweep_magic_runs_cell_per_seed(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("import numpy as np\nbase = 10")
    result = shell.run_cell("%%seed --sweep 0:4\nprint('noise')\nbase += 1\nbase + np.random.rand()")
    assert result.error_in_exec is None
    sweep_result = result.result
    assert isinstance(sweep_result, SweepResult)
    for seed, value in sweep_result.metrics().items():
        expected = 11 + np.random.RandomState(seed).rand()
        assert value == expected  # every seed starts from base == 10: order-independent
    assert shell.user_ns["base"] == 11
    assert "noise" not in capsys.readouterr().out  # the runs' own output is not shown


def test_sweep_magic_dict_metric_and_failures(shell: Any) -> None:
    shell.run_cell("import torch")
    result = shell.run_cell(
        "%%seed --sweep 1,2,5 --minimize\nx = torch.randn(3)\n"
        "assert int(torch.initial_seed()) != 2, 'two'\n{'mean': x.mean(), 'max': x.max()}"
    ).result
    assert result.metric_names == ["mean", "max"]
    assert [run.seed for run in result.failed] == [2] and "AssertionError: two" in result.failed[0].error
    assert result.summary()[0].best_seed == min(result.metrics("mean"), key=result.metrics("mean").get)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%seed --sweep 5:1\n1", "START < STOP"),
        ("%%seed --sweep 0:3 7\n1", "drop the positional seed"),
        ("%%seed --sweep 0:3 --runs 2\n1", "--runs goes with --check"),
        ("%seed --sweep 0:3", "cell magic"),
        ("%%seed --minimize 3\n1", "--minimize goes with --sweep"),
        ("%%seed --sweep 0:2\nx = (", "does not parse"),
        ("%%seed --sweep 0:2\nx = 1", "last expression"),
    ],
)
def test_sweep_magic_bad_input(shell: Any, source: str, message: str) -> None:
    from IPython.core.error import UsageError

    jupyter_seed.seed_everything(5)
    before = jupyter_seed.state()
    result = shell.run_cell(source)
    assert isinstance(result.error_in_exec, UsageError) and message in str(result.error_in_exec)
    assert jupyter_seed.state() == before


# --------------------------------------------------------------- progress
def test_progress_bar_shows_an_eta_and_is_silent_without_tqdm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    sweep(flaky, "0:4", progress=True)
    shown = capsys.readouterr().err
    assert "seeds:" in shown and "/4 [00:00<" in shown  # tqdm's count of total and "elapsed<remaining"
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    result = sweep(flaky, "0:4", progress=True)
    assert capsys.readouterr().err == "" and len(result.metrics()) == 3
