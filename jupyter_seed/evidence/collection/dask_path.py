"""``--scheduler ADDRESS``: each notebook's check on a Dask worker, its folder shipped with it.

``local`` starts a ``LocalCluster`` here (one worker per notebook that fits the cores side
by side, one thread each); any other text is a scheduler's address. A notebook's folder
(every file beneath it but hidden ones, ``.ipynb_checkpoints`` and ``__pycache__``; at most
:data:`SHIP_LIMIT` bytes) travels to the worker once per folder as a tar archive, is unpacked
into a temporary folder there, and the notebook is checked in it with the same
:func:`~.outcome.check_one` as on this machine: the verdicts are the same. Workers need
jupyter-seed, nbclient and the notebook's packages installed. Ctrl-C cancels what has not
started and ends the kernels the workers run (:mod:`.kernels`).
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from ...seeding.error_root import JupyterSeedError
from ...seeding.messages import describe_error, short_text
from .discovery import SKIPPED_FOLDERS
from .kernels import kernel_children, stop_kernels
from .local import STOP_DEADLINE, Task, plan
from .outcome import NotebookOutcome, check_one, interrupted, kernels_per_check, not_run

__all__ = ["SHIP_LIMIT", "SchedulerError", "check_shipped", "pack_folder", "run_on_dask"]

SHIP_LIMIT = 64 * 2**20
"""Most bytes of one notebook's folder sent to a worker: large data sets belong on the workers."""
CARRIED_VARIABLES = ("PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS")
"""Variables that change results, taken to the worker's kernels as they are here (set or unset):
Dask's nanny gives its workers ``PYTHONHASHSEED=6640`` when it is unset or 0, so without this a
notebook that hashes str reproduces on a worker and differs here (against stored outputs: another
class, ``environment``)."""
_carried_lock = threading.Lock()
_carried_users = 0
_carried_saved: dict[str, str | None] = {}


def submitter_environment() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in CARRIED_VARIABLES}


@contextmanager
def carried_environment(values: dict[str, str | None]) -> Iterator[None]:
    """The submitter's variables in this worker while checks run; the worker's own back after the last.

    Every check of one collection carries the same values; a worker running several at once
    sets them once and restores them when the last ends.
    """
    global _carried_users, _carried_saved
    with _carried_lock:
        if _carried_users == 0:
            _carried_saved = {name: os.environ.get(name) for name in values}
        _carried_users += 1
        _set_variables(values)
    try:
        yield
    finally:
        with _carried_lock:
            _carried_users -= 1
            if _carried_users == 0:
                _set_variables(_carried_saved)


def _set_variables(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class SchedulerError(JupyterSeedError, ValueError):
    """No cluster to run on (distributed missing, an address that does not answer); one line."""


def _shipped_files(folder: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(n for n in folders if n not in SKIPPED_FOLDERS and not n.startswith("."))
        found += [
            Path(root) / n for n in sorted(files) if not n.startswith(".") and (Path(root) / n).is_file()
        ]
    return found


def pack_folder(folder: Path, limit: int = SHIP_LIMIT) -> bytes:
    """The folder's files as a gzip'd tar (links followed); ValueError past ``limit`` bytes."""
    files = _shipped_files(folder)
    total = sum(path.stat().st_size for path in files)
    if total > limit:
        raise ValueError(
            f"its folder holds {total / 2**20:.0f} MiB to ship to a worker, "
            f"more than {limit / 2**20:.0f} MiB; "
            "put large data on the workers and read it from there"
        )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1, dereference=True) as archive:
        for path in files:
            archive.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


def _unpack(archive: bytes, root: str) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as opened:
        members = []
        for member in opened.getmembers():
            relative = PurePosixPath(member.name)
            if not member.isfile() or relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"refused archive member {short_text(member.name)}")
            members.append(member)
        opened.extractall(root, members=members)  # noqa: S202 - every member checked above


def check_shipped(
    archive: bytes,
    relative: str,
    name: str,
    arguments: dict[str, Any],
    environment: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """On the worker: unpack the folder, check the notebook in it, hand back the outcome as a dict.

    ``arguments`` are the single check's, every option with them (as on this machine);
    ``environment``: :data:`CARRIED_VARIABLES` as the submitter has them.
    """
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jupyter-seed-shipped-") as root:
        try:
            _unpack(archive, root)
        except (OSError, ValueError, tarfile.TarError) as error:
            return not_run(name, f"unpacking on the worker failed: {describe_error(error)}").as_dict()
        with carried_environment(environment or {}):
            outcome = check_one(Path(root) / relative, name, arguments)
    return {**outcome.as_dict(), "seconds": time.perf_counter() - started}


def worker_kernels() -> int:
    """Run on each worker: how many kernels it still runs, after ending them."""
    stop_kernels()
    return len(kernel_children())


def connect(scheduler: Any, runs: int, parallel: int | None) -> tuple[Any, Any]:
    """A ``distributed.Client`` (and the cluster it started, for ``local``), or SchedulerError.

    ``runs``: kernels one notebook's check runs at a time (:func:`~.outcome.kernels_per_check`).
    """
    try:
        import distributed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
    if isinstance(scheduler, distributed.Client):
        return scheduler, None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise SchedulerError(
            f"--scheduler must be 'local' or a scheduler address, got {short_text(repr(scheduler))}"
        )
    cluster = None
    try:
        if scheduler == "local":
            workers = plan(runs, parallel).notebooks_at_a_time
            before = dict(os.environ)
            try:
                cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=40,
                )
            finally:  # its nannies write their workers' variables (PYTHONHASHSEED=6640) into ours
                os.environ.clear()
                os.environ.update(before)
            return distributed.Client(cluster), cluster
        return distributed.Client(scheduler, timeout="10s"), None
    except Exception as error:  # noqa: BLE001 - any failure to connect is one line
        if cluster is not None:
            cluster.close()
        raise SchedulerError(f"--scheduler {short_text(scheduler)}: {describe_error(error)}") from None


def _stop_remote(client: Any, futures: list[Any]) -> None:
    client.cancel([future for future in futures if not future.done()])
    ends = time.monotonic() + STOP_DEADLINE
    while time.monotonic() < ends:
        try:
            if not any(client.run(worker_kernels).values()):
                return
        except KeyboardInterrupt:
            continue
        except Exception:  # noqa: BLE001 - a worker that went away runs no kernel
            return


def run_on_dask(
    tasks: list[Task],
    arguments: dict[str, Any],
    *,
    scheduler: Any,
    on_outcome: Callable[[NotebookOutcome], None],
) -> tuple[dict[str, NotebookOutcome], bool]:
    """Check every task on the cluster; outcomes by name, and whether Ctrl-C stopped it."""
    import distributed

    client, cluster = connect(scheduler, kernels_per_check(arguments), arguments.get("parallel"))
    outcomes: dict[str, NotebookOutcome] = {}
    futures: list[Any] = []
    names: dict[str, str] = {}  # future key -> notebook, for a future that fails without an outcome
    environment = submitter_environment()
    try:
        archives: dict[Path, Any] = {}
        for task in tasks:
            folder = task.path.resolve().parent
            if folder not in archives:
                try:
                    archives[folder] = client.scatter(pack_folder(folder), hash=True)
                except (OSError, ValueError) as error:
                    archives[folder] = describe_error(error)
            shipped = archives[folder]
            if isinstance(shipped, str):
                outcomes[task.name] = not_run(task.name, shipped)
                on_outcome(outcomes[task.name])
                continue
            key = f"jupyter-seed-check-{os.getpid()}-{time.time_ns()}-{len(futures)}"
            names[key] = task.name
            futures.append(
                client.submit(
                    check_shipped, shipped, task.path.name, task.name, arguments, environment, key=key
                )
            )
        for future in distributed.as_completed(futures):
            try:
                outcome = NotebookOutcome.from_dict(future.result())
            except Exception as error:  # noqa: BLE001 - a worker lost mid-check is that notebook's outcome
                outcome = not_run(names[future.key], f"the worker failed: {describe_error(error)}")
            outcomes[outcome.notebook] = outcome
            on_outcome(outcome)
    except KeyboardInterrupt:
        _stop_remote(client, futures)
        for task in tasks:
            outcomes.setdefault(task.name, interrupted(task.name))
        return outcomes, True
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    return outcomes, False
