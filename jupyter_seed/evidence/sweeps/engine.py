"""Run (variant, seed) tasks here or on any ``concurrent.futures.Executor``; stop cleanly.

Sweeps and comparisons are both lists of :class:`Task`. Each task seeds the
process it lands in (:func:`run_seed`), so its metrics depend on the seed only,
not on the worker, the engine or the order of completion. Ctrl-C or a broken
executor cancels every task that has not started, keeps every result that came
back, and returns at once with the reason: the caller reports a partial result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...seeding.messages import describe_error

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

SCALAR_METRIC = "value"
"""The metric's name when a function returns a plain number."""


# ------------------------------------------------------------------- metrics
def as_metrics(value: object) -> dict[str, float]:
    """A number, or a dict of numbers, as ``{name: float}``; anything else raises ``TypeError``.

    Keys are named by ``str(key)``; two keys that would read alike (``1`` and ``"1"``)
    are refused rather than merged, so no value is silently lost.
    """
    if isinstance(value, Mapping):
        if not value:
            raise TypeError("the metric dict is empty")
        metrics: dict[str, float] = {}
        originals: dict[str, object] = {}
        for key, item in value.items():
            name = str(key)
            if name in metrics:
                raise ValueError(
                    f"metric keys {originals[name]!r} and {key!r} both read {name!r}; give them distinct names"
                )
            metrics[name] = _as_number(item, f"metric {key!r}")
            originals[name] = key
        return metrics
    return {SCALAR_METRIC: _as_number(value, "the metric")}


def _as_number(value: object, what: str) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        raise TypeError(
            f"{what} must be a number or a dict of numbers, got {type(value).__name__} {value!r:.40}"
        )
    item = getattr(value, "item", None)  # numpy scalars, 0-d arrays, one-element tensors
    try:
        return float(item() if callable(item) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{what} must be a number or a dict of numbers, got {type(value).__name__}") from None


# ------------------------------------------------------------------ one seed
@dataclass(frozen=True)
class SeedRun:
    """One seed's outcome: its metrics, or the error that stopped it."""

    seed: int
    metrics: dict[str, float] | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def run_seed(fn: Callable[..., Any], seed: int, pass_seed: bool, deterministic: str = "off") -> SeedRun:
    """Seed this process with ``seed``, call ``fn``, and restore every random source's state.

    Module-level so every executor can ship it; it runs wherever the task lands.
    """
    from ...seeding.seeder import get_seeder

    seeder = get_seeder()
    start = time.perf_counter()
    try:
        if deterministic != "off" and seeder.deterministic != deterministic:
            seeder.set_deterministic(deterministic)
        with seeder.seeded(seed):
            value = fn(seed) if pass_seed else fn()
        metrics = as_metrics(value)
    except Exception as error:  # noqa: BLE001 - a failing seed is a result, not the end of the sweep
        return SeedRun(seed, None, describe_error(error), time.perf_counter() - start)
    return SeedRun(seed, metrics, None, time.perf_counter() - start)


def run_pickled(payload: bytes, seed: int, pass_seed: bool, deterministic: str) -> SeedRun:
    """:func:`run_seed` for a function shipped by value (cloudpickle), e.g. one defined in a notebook."""
    import pickle

    try:
        fn = pickle.loads(payload)
    except Exception as error:  # noqa: BLE001
        return SeedRun(
            seed, None, f"could not unpickle the function in the worker: {describe_error(error)}", 0.0
        )
    return run_seed(fn, seed, pass_seed, deterministic)


def takes_seed(fn: Callable[..., Any]) -> bool:
    """``fn(seed)`` when ``fn`` has a required positional parameter, else ``fn()``."""
    import inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return any(
        parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is parameter.empty
        for parameter in signature.parameters.values()
    )


# --------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    variant: str | None
    seed: int
    fn: Callable[..., Any]

    @property
    def key(self) -> tuple[str | None, int]:
        return (self.variant, self.seed)


@dataclass
class Outcome:
    """What came back: runs by ``(variant, seed)``, and why the run stopped early, if it did."""

    runs: dict[tuple[str | None, int], SeedRun] = field(default_factory=dict)
    interrupted: str | None = None


def check_executor(executor: object) -> None:
    import sys

    if executor is None:
        return
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    thread_pool = sys.modules.get("concurrent.futures.thread")
    if thread_pool is not None and isinstance(executor, thread_pool.ThreadPoolExecutor):
        # Seeds would race on the one process-wide random state that every thread shares.
        raise ValueError(
            "a ThreadPoolExecutor shares one random state between seeds; use a process pool or Dask"
        )


def execute(
    tasks: list[Task],
    *,
    executor: Executor | None,
    deterministic: str,
    progress: bool,
    on_run: Callable[[Task, SeedRun], None] | None = None,
    already_done: int = 0,
) -> Outcome:
    """Run every task; ``on_run`` sees each result as it arrives (e.g. to save it)."""
    outcome = Outcome()
    bar = progress_bar(progress, total=len(tasks) + already_done, initial=already_done)
    try:
        if executor is None:
            _run_here(tasks, deterministic, outcome, bar, on_run)
        else:
            _run_on(executor, tasks, deterministic, outcome, bar, on_run)
    finally:
        if bar is not None:
            bar.close()
    return outcome


def execute_saving(
    tasks: list[Task], *, executor: Executor | None, store: Any, progress: bool, already_done: int
) -> Outcome:
    """:func:`execute` under the kernel's deterministic mode, saving each result to ``store`` (or None)."""
    from ...seeding.seeder import get_seeder

    return execute(
        tasks,
        executor=executor,
        deterministic=get_seeder().deterministic,
        progress=progress,
        on_run=None if store is None else (lambda task, run: store.save(task.variant, run)),
        already_done=already_done,
    )


def _record(
    outcome: Outcome, task: Task, run: SeedRun, bar: Any, on_run: Callable[[Task, SeedRun], None] | None
) -> None:
    outcome.runs[task.key] = run
    if on_run is not None:
        on_run(task, run)
    if bar is not None:
        bar.update(1)


def _run_here(
    tasks: list[Task],
    deterministic: str,
    outcome: Outcome,
    bar: Any,
    on_run: Callable[[Task, SeedRun], None] | None,
) -> None:
    pass_seed = {id(task.fn): takes_seed(task.fn) for task in tasks}
    for task in tasks:
        try:
            run = run_seed(task.fn, task.seed, pass_seed[id(task.fn)], deterministic)
        except KeyboardInterrupt:
            outcome.interrupted = "interrupted (KeyboardInterrupt)"
            return
        _record(outcome, task, run, bar, on_run)


Shipment = tuple[Callable[..., SeedRun], tuple[Any, ...], bool]
"""The runner to submit, the arguments before the seed, and whether ``fn`` takes the seed."""


def _payloads(tasks: list[Task]) -> dict[int, Shipment]:
    """How to ship each distinct function: by value through cloudpickle when it is installed."""
    try:
        import cloudpickle  # ships functions defined in a notebook (__main__) by value
    except ImportError:
        cloudpickle = None
    shipped: dict[int, Shipment] = {}
    for task in tasks:
        if id(task.fn) in shipped:
            continue
        pass_seed = takes_seed(task.fn)
        if cloudpickle is None:
            shipped[id(task.fn)] = (run_seed, (task.fn,), pass_seed)
            continue
        try:
            payload = cloudpickle.dumps(task.fn)
        except Exception as error:  # noqa: BLE001
            raise TypeError(
                f"cannot send {task.fn!r:.80} to the executor's workers: {describe_error(error)}"
            ) from None
        shipped[id(task.fn)] = (run_pickled, (payload,), pass_seed)
    return shipped


def _run_on(
    executor: Executor,
    tasks: list[Task],
    deterministic: str,
    outcome: Outcome,
    bar: Any,
    on_run: Callable[[Task, SeedRun], None] | None,
) -> None:
    from concurrent.futures import BrokenExecutor, CancelledError, as_completed

    shipped = _payloads(tasks)
    futures: dict[Future[SeedRun], Task] = {}
    try:
        try:
            for task in tasks:
                runner, head, pass_seed = shipped[id(task.fn)]
                futures[executor.submit(runner, *head, task.seed, pass_seed, deterministic)] = task
        except (BrokenExecutor, RuntimeError) as error:  # shut down or broken before everything was queued
            outcome.interrupted = f"the executor failed: {describe_error(error)}"
            return
        for future in as_completed(futures):
            task = futures[future]
            try:
                run = future.result()
            except (BrokenExecutor, CancelledError) as error:
                outcome.interrupted = f"the executor failed: {describe_error(error)}"
                return
            except Exception as error:  # noqa: BLE001 - a lost worker fails its seed, not the sweep
                run = SeedRun(task.seed, None, describe_error(error), 0.0)
            _record(outcome, task, run, bar, on_run)
    except KeyboardInterrupt:
        outcome.interrupted = "interrupted (KeyboardInterrupt)"
    finally:
        if outcome.interrupted is not None:
            _cancel_and_keep(futures, outcome, bar, on_run)


def _cancel_and_keep(
    futures: dict[Future[SeedRun], Task],
    outcome: Outcome,
    bar: Any,
    on_run: Callable[[Task, SeedRun], None] | None,
) -> None:
    """Cancel what has not started; keep what already finished. Never wait for running tasks."""
    for future in futures:
        future.cancel()
    for future, task in futures.items():
        if task.key in outcome.runs or not future.done() or future.cancelled():
            continue
        try:
            run = future.result(timeout=0)
        except BaseException:  # noqa: BLE001, S112 - a broken task stays "not run"
            continue
        _record(outcome, task, run, bar, on_run)


# ------------------------------------------------------------------ progress
def progress_bar(enabled: bool, *, total: int, initial: int = 0) -> Any:
    """A ``tqdm.auto`` bar with an ETA (a widget in notebooks, text in terminals); ``None`` without tqdm."""
    if not enabled:
        return None
    from importlib.util import find_spec

    if find_spec("tqdm") is None:
        return None
    if find_spec("ipywidgets") is None:
        # tqdm.auto would warn "IProgress not found" in every notebook sweep, then use this same text bar.
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc="seeds", unit="run", leave=False)
