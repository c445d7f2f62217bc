"""Check a collection: find the notebooks, take clean ones from the cache, run the rest, report.

:func:`check_collection` is the Python API; :func:`run_command` is ``jupyter-seed check``
given several paths, a folder or a glob (one file keeps the single check's output).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..options import CheckOptions
from .cache import NotebookCache, cache_key
from .discovery import find_notebooks
from .local import Task, run_local
from .outcome import NotebookOutcome, check_arguments_known, interrupted, kernels_per_check, worst_exit_code
from .reports import append_step_summary, summary_markdown, summary_text, write_junit

__all__ = ["CollectionResult", "check_collection", "run_command"]


@dataclass
class CollectionResult:
    outcomes: list[NotebookOutcome]
    """One per notebook, in the order they were named."""
    interrupted: bool
    seconds: float

    @property
    def exit_code(self) -> int:
        return worst_exit_code(self.outcomes)

    def render(self, format: str = "text") -> str:
        """Each failing notebook's report, then the summary table (``json``: one document)."""
        if format == "json":
            import json

            notebooks = [
                {
                    **{k: v for k, v in o.as_dict().items() if k not in ("text", "markdown", "json")},
                    "report": json.loads(o.json) if o.json else None,
                    "error": None if o.json else o.text,
                }
                for o in self.outcomes
            ]
            return json.dumps(
                {
                    "notebooks": notebooks,
                    "interrupted": self.interrupted,
                    "seconds": round(self.seconds, 3),
                    "exit_code": self.exit_code,
                },
                indent=2,
            )
        if format == "markdown":
            return summary_markdown(self.outcomes)
        failing = [o.text for o in self.outcomes if o.verdict in ("differs", "not run")]
        return "\n\n".join([*failing, summary_text(self.outcomes)])


def _progress(total: int, enabled: bool | None) -> Any:
    """A tqdm bar on stderr, quiet when stderr is not a terminal (CI logs, pipes) or tqdm is missing."""
    shown = sys.stderr.isatty() if enabled is None else enabled
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="notebook", file=sys.stderr, disable=not shown, dynamic_ncols=True)


def _names(paths: list[Path]) -> list[Task]:
    return [Task(path, str(path)) for path in paths]


def check_collection(
    paths: Sequence[str | os.PathLike[str]],
    options: CheckOptions | Mapping[str, Any] | None = None,
    *,
    doctor: bool = True,
    scheduler: Any = None,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    on_outcome: Callable[[NotebookOutcome], None] | None = None,
) -> CollectionResult:
    """Check every notebook the paths name (files, folders, globs) with the same options.

    ``options``: :class:`CheckOptions`, or every keyword argument of the single check as a
    mapping (``doctor``, ``localize``, ``doctor_budget``...; with ``against_stored`` true those of
    ``check_against_stored``: what :func:`jupyter_seed.cli_collection.check_arguments` builds
    from the flags). ``doctor`` applies where the mapping does not say.
    ``scheduler``: ``None`` runs here, side by side; ``"local"`` starts a Dask
    ``LocalCluster``; an address or a ``distributed.Client`` runs on that cluster.
    ``cache``: a folder of clean verdicts (see :mod:`.cache`). Ctrl-C stops the queue and
    returns what finished, ``interrupted`` set. Bad paths or options raise ValueError first.
    """
    if options is None or isinstance(options, CheckOptions):
        arguments = {**(options or CheckOptions()).arguments(), "doctor": doctor}
    else:
        arguments = {"doctor": doctor, **options}
    check_arguments_known(arguments)
    store = NotebookCache(cache) if cache is not None else None
    started = time.perf_counter()
    tasks = _names(find_notebooks([os.fspath(p) for p in paths]))
    outcomes: dict[str, NotebookOutcome] = {}
    keys: dict[str, str | None] = {}
    bar = _progress(len(tasks), progress)

    def finished(outcome: NotebookOutcome) -> None:
        outcomes[outcome.notebook] = outcome
        if store is not None:
            store.put(keys.get(outcome.notebook), outcome)
        if bar is not None:
            bar.set_postfix_str(f"{outcome.notebook}: {outcome.verdict_text}", refresh=False)
            bar.update(1)

    stopped = False
    try:
        to_run = []
        for task in tasks:
            if store is not None:
                keys[task.name] = cache_key(task.path, arguments)
                hit = store.get(keys[task.name], task.name)
                if hit is not None:
                    finished(hit)
                    continue
            to_run.append(task)

        def heard(outcome: NotebookOutcome) -> None:
            finished(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

        if scheduler is None:
            found, stopped = run_local(to_run, arguments, on_outcome=heard)
        else:
            from .dask_path import run_on_dask

            found, stopped = run_on_dask(to_run, arguments, scheduler=scheduler, on_outcome=heard)
        outcomes.update(found)
    except KeyboardInterrupt:  # while reading the cache: nothing runs yet
        stopped = True
    finally:
        if bar is not None:
            bar.close()
    ordered = [outcomes.get(task.name) or interrupted(task.name) for task in tasks]
    return CollectionResult(ordered, stopped, time.perf_counter() - started)


# ------------------------------------------------------------- the CLI
def _check_writable(path: str, flag: str) -> None:
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise ValueError(f"{flag} {path}: its folder {parent} does not exist")
    if Path(path).expanduser().is_dir():
        raise ValueError(f"{flag} {path}: is a folder")


def run_command(args: argparse.Namespace, arguments: Mapping[str, Any]) -> int:
    """``jupyter-seed check PATH...`` for a collection: print the reports and the summary; the exit status.

    ``arguments``: every option of the single check, checked (``cli_collection.check_arguments``).
    """
    if args.junit_xml:
        _check_writable(args.junit_xml, "--junit-xml")
    scheduler = args.scheduler
    if scheduler is not None:
        from .dask_path import connect

        client, cluster = connect(scheduler, kernels_per_check(arguments), arguments.get("parallel"))
        scheduler = client
    else:
        client = cluster = None
    try:
        result = check_collection(args.notebook, arguments, scheduler=scheduler, cache=args.cache)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    print(result.render(args.format))
    if args.junit_xml:
        write_junit(args.junit_xml, result.outcomes, result.seconds)
    try:
        append_step_summary(result.outcomes)
    except OSError as error:  # the verdicts stand: a summary that cannot be written is a warning
        print(f"jupyter-seed check: warning: GITHUB_STEP_SUMMARY not written: {error}", file=sys.stderr)
    if result.interrupted:
        print(
            "jupyter-seed check: interrupted; finished notebooks are reported, no kernel is left running",
            file=sys.stderr,
        )
    return result.exit_code
