"""The command line's stored-output doors: ``jupyter-seed run`` and ``jupyter-seed check --against-stored``.

Parsers and handlers only, beside :mod:`.cli` (which adds them); the work is in
:mod:`.evidence.checks.run_command` and :mod:`.evidence.checks.against_stored`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .evidence.checks.doctor_plan import parse_doctor_budget
from .evidence.checks.loading import NotebookCheckError
from .evidence.checks.runner import DEFAULT_CELL_TIMEOUT
from .evidence.options import (
    CHECK_MODES,
    CHECK_PER_CELL_MODES,
    DEFAULT_SEED,
    check_options,
    check_options_of,
    parse_tolerance,
)
from .evidence.outputs.tolerance import DEFAULT_ATOL, DEFAULT_RTOL

EXIT_NOT_RUN = 2
EXIT_INTERRUPTED = 130


def add_against_stored_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--against-stored",
        action="store_true",
        help="compare one fresh run with the outputs stored in the notebook (a second run only when a "
        "cell differs) and classify every cell: matches, float-drift, nondeterministic, environment, "
        "changed; runs with the seed and modes in its metadata unless --seed/--mode say otherwise",
    )
    check.add_argument(
        "--rtol",
        default=None,
        help=f"with --against-stored: relative tolerance of a number (default: {DEFAULT_RTOL:g})",
    )
    check.add_argument(
        "--atol",
        default=None,
        help=f"with --against-stored: absolute tolerance of a number (default: {DEFAULT_ATOL:g})",
    )


def configure_run(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser(
        "run",
        help="execute a notebook headless and store its outputs with the provenance stamp",
        description="Execute a notebook in one fresh kernel with jupyter_seed loaded and the seed applied, "
        "and write it with its outputs and metadata.jupyter_seed.provenance (what `check --against-stored` "
        "compares with). In place unless --output. Exit 0: written; 2: it could not be run or written "
        "(nothing is written then); 130: interrupted.",
    )
    run.add_argument("notebook", help="the .ipynb file")
    run.add_argument("--output", "-o", default=None, metavar="OUT", help="write here instead of in place")
    run.add_argument(
        "--mode",
        metavar="{" + ",".join(CHECK_MODES) + "}",
        default=None,
        help="as `check --mode` (default: the configuration in the notebook's metadata, else once)",
    )
    run.add_argument("--seed", default=None, help=f"seed for %%seed (default: recorded, else {DEFAULT_SEED})")
    run.add_argument(
        "--per-cell",
        metavar="{" + ",".join(CHECK_PER_CELL_MODES) + "}",
        default=None,
        help="as `check --per-cell`",
    )
    run.add_argument(
        "--timeout",
        default=f"{DEFAULT_CELL_TIMEOUT:g}",
        help=f"seconds per cell (default: {DEFAULT_CELL_TIMEOUT:g})",
    )
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from .evidence.checks.run_command import run_notebook
    from .seeding.provenance import stamp

    options = check_options(seed=args.seed, mode=args.mode, per_cell=args.per_cell, timeout=args.timeout)
    try:
        result = run_notebook(
            args.notebook,
            output=args.output,
            seed=options.seed if args.seed is not None else None,
            mode=options.mode if args.mode is not None or args.per_cell is not None else None,
            per_cell=options.per_cell,
            timeout=options.timeout,
        )
    except (NotebookCheckError, ValueError) as error:
        print(f"jupyter-seed run: error: {error}", file=sys.stderr)
        return EXIT_NOT_RUN
    except KeyboardInterrupt:
        print("jupyter-seed run: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(
        f"{result.path}: {result.code_cells} code cells run, {result.seconds:.1f} s; "
        f"{result.configuration.text}"
    )
    if result.provenance is not None:
        print(f"Provenance: {stamp(result.provenance)}")
    return 0


def against_stored_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """``check_against_stored``'s keyword arguments from the flags, each checked; only what was given
    overrides the notebook's configuration. The single check's, and each notebook's of a collection."""
    options = check_options_of(args)
    return {
        "seed": options.seed if args.seed is not None else None,
        "mode": options.mode if args.mode is not None or args.per_cell is not None else None,
        "per_cell": options.per_cell,
        "runs": options.runs if args.runs is not None else None,
        "timeout": options.timeout,
        "ignore": options.ignore,
        "parallel": options.parallel,
        "rtol": parse_tolerance(args.rtol, DEFAULT_RTOL, "--rtol"),
        "atol": parse_tolerance(args.atol, DEFAULT_ATOL, "--atol"),
        "doctor": not args.no_doctor,
        "doctor_budget": None if args.doctor_budget is None else parse_doctor_budget(args.doctor_budget),
    }


def check_against_stored_command(args: argparse.Namespace) -> int:
    from .evidence.checks.against_stored import check_against_stored

    arguments = against_stored_arguments(args)
    try:
        report = check_against_stored(args.notebook, **arguments)
    except (NotebookCheckError, ValueError) as error:
        print(f"jupyter-seed check: error: {error}", file=sys.stderr)
        return EXIT_NOT_RUN
    except KeyboardInterrupt:
        print("jupyter-seed check: interrupted; every kernel it started is shut down", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(report.render(args.format))
    return report.exit_code
