"""The ``jupyter-seed`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ._version import __version__
from .cli_collection import AGAINST_STORED, add_collection_options, check_arguments
from .cli_stored import add_against_stored_options, check_against_stored_command, configure_run
from .evidence.checks.notebook import EXIT_INTERRUPTED, EXIT_NOT_RUN
from .evidence.checks.runner import DEFAULT_CELL_TIMEOUT
from .evidence.options import (
    CHECK_MODES,
    CHECK_PER_CELL_MODES,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    MAX_RUNS,
    OptionError,
    parse_seed,
)
from .evidence.outputs.text_rules import rule_listing, rule_names
from .seeding.messages import one_line

# Option values are read as text and checked by jupyter_seed.evidence.options, never by an
# argparse ``type``: the pytest plugin checks its options with the same functions, so a
# mistake gets the same message at both doors.


class _OneLineErrors(argparse.ArgumentParser):
    """Bad flags get one short error line, not argparse's usage block first, whatever was typed."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, one_line(f"{self.prog}: error: {message}") + "\n")


class _ListRules(argparse.Action):
    """``--list-rules``: like ``--version``, answered before the notebook paths are asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(rule_listing())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(
        prog="jupyter-seed", description="Reproducible Jupyter kernels: seeding, checks and sweeps."
    )
    parser.add_argument("--version", action="version", version=f"jupyter-seed {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    kernelspec = commands.add_parser(
        "kernelspec",
        help="install a kernelspec that fixes PYTHONHASHSEED and CUBLAS_WORKSPACE_CONFIG from kernel start",
    )
    kernelspec.add_argument("--name", default="python3-seeded", help="kernelspec name (default: %(default)s)")
    kernelspec.add_argument("--display-name", help="name shown in the launcher")
    kernelspec.add_argument("--hash-seed", default="0", help="PYTHONHASHSEED for the kernel (default: %(default)s)")
    kernelspec.add_argument("--seed", help="also run `%%seed SEED` when the kernel starts")
    kernelspec.add_argument(
        "--no-autoload", action="store_true", help="do not load the extension when the kernel starts"
    )
    where = kernelspec.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true", help="install into sys.prefix (this environment)")
    where.add_argument("--prefix", help="install under this prefix")
    kernelspec.set_defaults(handler=_kernelspec)

    check = commands.add_parser("check", help="check that a notebook reproduces its outputs run after run")
    _configure_check(check)
    add_against_stored_options(check)
    add_collection_options(check)
    configure_run(commands)
    return parser


def _configure_check(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    rules = rule_names().replace("%", "%%")  # argparse formats help with %
    parser.description = (
        "Run a notebook --runs times in fresh kernels with jupyter_seed loaded and the seed applied, "
        "and compare every cell's outputs (cells tagged jupyter-seed-skip run but are not compared; "
        "a cell tagged jupyter-seed-expect-differ, one that differs on purpose, is compared and reported "
        "but does not count against the verdict). "
        "Exit 0: all cells reproduce; 1: some differ; 2: the notebook could not be run; 130: interrupted."
    )
    parser.add_argument(
        "notebook",
        nargs="+",
        metavar="PATH",
        help="the .ipynb file; several files, folders (recursively, .ipynb_checkpoints skipped) or globs "
        "check a collection",
    )
    parser.add_argument(
        "--mode",
        metavar="{" + ",".join(CHECK_MODES) + "}",
        default=None,
        help="asis: the notebook as it is, no seed added; once: `%%seed SEED` at the start; "
        "per-cell: `%%seed SEED --per-cell` (default: once, or per-cell when --per-cell is given)",
    )
    parser.add_argument("--seed", default=None, help=f"seed for %%seed (default: {DEFAULT_SEED})")
    parser.add_argument(
        "--per-cell",
        metavar="{" + ",".join(CHECK_PER_CELL_MODES) + "}",
        default=None,
        help="per-cell reseeding: each cell with SEED (same) or with a seed derived from SEED "
        "and the cell id (derived); implies --mode per-cell",
    )
    parser.add_argument(
        "--runs", default=None, help=f"executions to compare, from 2 to {MAX_RUNS} (default: {DEFAULT_RUNS})"
    )
    parser.add_argument(
        "--timeout",
        default=f"{DEFAULT_CELL_TIMEOUT:g}",
        help=f"seconds per cell; a cell that runs longer stops the check (default: {DEFAULT_CELL_TIMEOUT:g})",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help=f"also replace matches of REGEX before comparing text (repeatable). Always masked: {rules} "
        "(--list-rules shows each rule's regular expression)",
    )
    parser.add_argument(
        "--list-rules",
        action=_ListRules,
        nargs=0,
        help="print every text rule applied before comparing, with its regular expression, and exit",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="report format"
    )
    parser.add_argument(
        "--parallel",
        default=None,
        metavar="N",
        help="kernels at a time (default: one per CPU core, at most --runs)",
    )
    parser.add_argument(
        "--no-doctor",
        action="store_true",
        help="when a cell differs, do not re-run the notebook to find the cause",
    )
    parser.add_argument(
        "--doctor-budget",
        default=None,
        metavar="SECONDS|Nx",
        help="most time the doctor may take: seconds (30) or a multiple of the check's time (2x); "
        "its first experiment always runs (default: 1.5x)",
    )
    parser.add_argument(
        "--localize",
        action="store_true",
        help="when a cell differs, trace two more runs up to it and report the line, value and op "
        "where they first part (torch ops, TensorFlow eager ops, JAX primitives)",
    )
    parser.set_defaults(handler=_check)
    return parser


def _check(args: argparse.Namespace) -> int:
    from .evidence.checks.notebook import NotebookCheckError, check_notebook

    arguments = check_arguments(args)  # the same options, checked the same way, as a collection's
    if arguments.pop(AGAINST_STORED):
        return check_against_stored_command(args)
    try:
        report = check_notebook(args.notebook, **arguments)
    except (NotebookCheckError, ValueError) as error:
        print(f"jupyter-seed check: error: {error}", file=sys.stderr)
        return EXIT_NOT_RUN
    except KeyboardInterrupt:
        print("jupyter-seed check: interrupted; every kernel it started is shut down", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(report.render(args.format))
    return report.exit_code


def _kernelspec(args: argparse.Namespace) -> int:
    import os

    from .kernel.kernelspec import install

    hash_seed = parse_seed(args.hash_seed, "--hash-seed")
    seed = None if args.seed is None else parse_seed(args.seed, "--seed")
    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install(
        name=args.name,
        hash_seed=hash_seed,
        display_name=args.display_name,
        autoload=not args.no_autoload,
        seed=seed,
        user=args.user,
        prefix=prefix,
    )
    print(f"Installed kernelspec {os.path.basename(path)!r} in {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except OptionError as error:
        print(one_line(f"jupyter-seed {args.command}: error: {error}"), file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as error:
        from .seeding.messages import describe_error

        print(one_line(f"jupyter-seed: error: {describe_error(error)}"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
