"""``%%seed --sweep ... --save NAME`` / ``--compare NAME``: comparisons that fit a notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_seed
from jupyter_seed.evidence.sweeps.compare import ComparisonResult
from jupyter_seed.evidence.sweeps.result import SweepResult


@pytest.fixture(autouse=True)
def _agg_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def test_save_then_compare_pairs_the_common_seeds(shell: Any) -> None:
    shell.run_cell("import numpy as np")
    base = shell.run_cell("%%seed --sweep 0:12 --save baseline\nnp.random.rand()").result
    assert isinstance(base, SweepResult)
    outcome = shell.run_cell("%%seed --sweep 2:14 --compare baseline --save shifted\nnp.random.rand() + 0.5")
    assert outcome.error_in_exec is None
    result = outcome.result
    assert isinstance(result, ComparisonResult) and result.variants == ["baseline", "shifted"]
    paired = result.comparison()
    assert paired.seeds == tuple(range(2, 12))  # only the seeds both sweeps ran
    assert all(d == pytest.approx(0.5) for d in paired.differences)  # same seed, same draw, +0.5
    assert paired.wins == 10 and paired.distinguishable
    assert str(paired).startswith("shifted beats baseline on 10 of 10 seeds; mean +0.5")
    page = result._repr_html_()
    assert "beyond seed noise" in page and page.count("data:image/png;base64,") == 1


def test_minimize_compares_with_lower_is_better(shell: Any) -> None:
    shell.run_cell("import numpy as np")
    shell.run_cell("%%seed --sweep 0:10 --save old --minimize\nnp.random.rand()")
    result = shell.run_cell("%%seed --sweep 0:10 --compare old --minimize\nnp.random.rand() - 0.1").result
    paired = result.comparison()
    assert paired.variant == "this cell" and not paired.higher_is_better and paired.wins == 10


def test_jsonl_save_resumes_after_an_interrupt_and_compares_across_restarts(
    shell: Any, tmp_path: Path
) -> None:
    store, log = tmp_path / "base.jsonl", tmp_path / "calls"

    def tick() -> None:  # counts in a file: a changed closure or global would (rightly) not resume
        with log.open("a") as handle:
            handle.write("1")
        if len(log.read_text()) == 5:
            raise KeyboardInterrupt

    shell.user_ns["tick"] = tick
    cell = f"%%seed --sweep 0:8 --save {store}\nimport numpy as np\ntick()\nnp.random.rand()"
    partial = shell.run_cell(cell).result
    assert partial.interrupted and partial.seeds == [0, 1, 2, 3] and partial.not_run == [4, 5, 6, 7]
    assert "Stopped early" in str(partial)
    resumed = shell.run_cell(cell).result
    assert resumed.resumed == 4 and resumed.seeds == list(range(8)) and not resumed.interrupted
    expected = {seed: np.random.RandomState(seed).rand() for seed in range(8)}
    assert resumed.metrics() == expected
    # A fresh kernel knows no names, but the file is there: compare against it directly.
    from jupyter_seed.evidence.sweeps import store as sweep_store

    sweep_store.named_sweeps(shell).clear()
    result = shell.run_cell(
        f"%%seed --sweep 0:8 --compare {store}\nimport numpy as np\nnp.random.rand() * 2"
    ).result
    assert isinstance(result, ComparisonResult) and result.comparison().n == 8


def test_changed_cell_is_refused_for_the_same_file(shell: Any, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    store = tmp_path / "run.jsonl"
    shell.run_cell(f"%%seed --sweep 0:3 --save {store}\n1.0")
    error = shell.run_cell(f"%%seed --sweep 0:3 --save {store}\n2.0").error_in_exec
    assert isinstance(error, UsageError) and "holds results of different code" in str(error)
    assert "\n" not in str(error)


def test_metric_keys_that_read_alike_are_refused_and_nan_metrics_are_listed(shell: Any) -> None:
    result = shell.run_cell("%%seed --sweep 0:3\n{1: 0.5, '1': 0.7}").result
    assert len(result.failed) == 3 and "metric keys 1 and '1' both read '1'" in result.failed[0].error
    nan_result = shell.run_cell("%%seed --sweep 0:3\n{'acc': 0.5, 'diverged': float('nan')}").result
    assert [s.name for s in nan_result.summary()] == ["acc", "diverged"]
    assert "diverged: no finite values (3 seeds gave NaN or inf)" in str(nan_result)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("%%seed --sweep 0:3 --compare nothing\n1", "no sweep saved as 'nothing'"),
        ("%%seed --sweep 0:3 --save a --compare a\n1", "name the same sweep"),
        ("%%seed 3 --save a\n1", "--save goes with --sweep"),
        ("%%seed --compare a\n1", "--compare goes with --sweep"),
        ("%seed --save a", "cell magic"),
        ("%%seed --sweep 0:3 --compare /nonexistent/x.jsonl\n1", "holds no saved seeds"),
    ],
)
def test_bad_save_and_compare_input_is_one_line_and_changes_nothing(
    shell: Any, source: str, message: str
) -> None:
    from IPython.core.error import UsageError

    jupyter_seed.seed_everything(5)
    before = jupyter_seed.state()
    error = shell.run_cell(source).error_in_exec
    assert isinstance(error, UsageError) and message in str(error) and "\n" not in str(error)
    assert jupyter_seed.state() == before


@pytest.mark.kernel
@pytest.mark.timeout(300)
def test_sweep_resumes_after_the_kernel_dies_mid_sweep(tmp_path: Path) -> None:
    import json
    import queue

    from kernel_client import Kernel

    store, flag = tmp_path / "crash.jsonl", tmp_path / "crash-at-seed-4"
    flag.touch()
    # mt[0] of NumPy's legacy state is the seed itself: the cell knows when it runs seed 4.
    cell = (
        f"%%seed --sweep 0:8 --save {store}\n"
        "import os\nimport numpy as np\n"
        f"if np.random.get_state()[1][0] == 4 and os.path.exists({str(flag)!r}):\n"
        "    os._exit(1)  # the kernel dies, as on an out-of-memory kill\n"
        "np.random.rand()"
    )
    kernel = Kernel()
    try:
        kernel.execute("%load_ext jupyter_seed")
        with pytest.raises(queue.Empty):
            kernel.execute(cell, timeout=20)
        saved = [json.loads(line) for line in store.read_text().splitlines()]
        assert [r["seed"] for r in saved if r["kind"] == "run"] == [0, 1, 2, 3]
        flag.unlink()
        kernel.restart()
        kernel.execute("%load_ext jupyter_seed")
        summary = kernel.execute(cell)["result"]
        assert summary is not None and "Sweep over 8 seeds: 8 ok, 0 failed. 4 resumed" in summary, summary
        values = json.loads(kernel.value("import json; json.dumps(_.metrics())").strip("'"))
    finally:
        kernel.shutdown()
    assert {int(k): v for k, v in values.items()} == {s: np.random.RandomState(s).rand() for s in range(8)}


def test_sweep_reports_where_the_kernels_seed_ranks(shell: Any) -> None:
    shell.run_cell("import numpy as np\n%seed 7 --quiet")
    result = shell.run_cell("%%seed --sweep 0:20\nnp.random.rand()").result
    values = result.metrics()
    better = sum(1 for v in values.values() if v > values[7])
    (rank,) = result.ranks()
    assert rank.seed == 7 and rank.rank == better + 1 and rank.of == 20
    assert f"seed 7 ranks {rank.rank}" in str(result) and "reporting it would" in str(result)
    assert rank.sentence() in result._repr_html_()


def test_a_cell_that_reads_a_changed_global_is_not_resumed_as_the_same(shell: Any, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    store = tmp_path / "lr.jsonl"
    shell.run_cell("import numpy as np\nlr = 0.1")
    cell = f"%%seed --sweep {{}} --save {store}\nscaled = lr * np.random.rand()\nscaled"
    assert shell.run_cell(cell.format("0:3")).result.seeds == [0, 1, 2]
    shell.run_cell("lr = 0.2")
    error = shell.run_cell(cell.format("0:5")).error_in_exec
    assert isinstance(error, UsageError) and "global 'lr'" in str(error) and "\n" not in str(error)
    shell.run_cell("lr = 0.1")
    resumed = shell.run_cell(cell.format("0:5")).result
    assert resumed.resumed == 3 and resumed.metrics() == {
        s: 0.1 * np.random.RandomState(s).rand() for s in range(5)
    }


def test_compare_with_a_bad_store_line_is_one_line_naming_it(shell: Any, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    saved, store = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    shell.run_cell(f"%%seed --sweep 0:2 --save {saved}\n1.0")
    store.write_text(saved.read_text())  # another file: the kernel knows no sweep by this name
    with store.open("a") as handle:
        handle.write('{"kind": "run", "variant": null, "seed": true, "metrics": [1], "error": null, "seconds": 0}\n')
    jupyter_seed.seed_everything(5)
    before = jupyter_seed.state()
    error = shell.run_cell(f"%%seed --sweep 0:2 --compare {store}\n2.0").error_in_exec
    assert isinstance(error, UsageError) and "line 5" in str(error) and "\n" not in str(error)
    assert "seed must be an integer, got bool" in str(error) and jupyter_seed.state() == before


def test_save_expands_the_home_folder(shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    result = shell.run_cell("%%seed --sweep 0:2 --save ~/home.jsonl\n1.0").result
    assert isinstance(result, SweepResult) and (tmp_path / "home.jsonl").exists()
    assert "Sweep over 2 seeds" in shell.display_formatter.format(result)[0]["text/plain"]
