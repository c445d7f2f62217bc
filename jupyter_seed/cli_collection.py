"""The command line's collection door: ``jupyter-seed check PATH...`` with folders, globs or several files.

Parsers and a handler only, beside :mod:`.cli` (which adds them); the work is in
:mod:`.evidence.collection`. One file, with no collection flag, goes to the single check
unchanged: its output, its errors and its exit codes stay what they are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .cli_stored import against_stored_arguments
from .evidence.collection.outcome import AGAINST_STORED
from .evidence.options import OptionError, check_options_of
from .seeding.messages import one_line

Handler = Callable[[argparse.Namespace], int]
COLLECTION_FLAGS = ("scheduler", "junit_xml", "cache")
EXIT_NOT_RUN = 2


def check_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Every option of ``check``, checked, as the keyword arguments of the check that runs one notebook.

    ``check_notebook``'s, or with ``against_stored`` true ``check_against_stored``'s. The single
    check and each notebook of a collection take them from here, so a flag that reaches one
    reaches the other (``tests/evidence/test_collection_options.py`` holds every flag to it).
    """
    if getattr(args, "against_stored", False):
        if args.localize:
            raise OptionError("--localize compares two fresh runs; it does not go with --against-stored")
        return {AGAINST_STORED: True, **against_stored_arguments(args)}
    for flag in ("rtol", "atol"):
        if getattr(args, flag, None) is not None:
            raise OptionError(f"--{flag} goes with --against-stored")
    from .evidence.checks.doctor_plan import parse_doctor_budget

    return {
        AGAINST_STORED: False,
        **check_options_of(args).arguments(),
        "doctor": not args.no_doctor,
        "localize": args.localize,
        "doctor_budget": None if args.doctor_budget is None else parse_doctor_budget(args.doctor_budget),
    }


def add_collection_options(check: argparse.ArgumentParser) -> None:
    """``--scheduler``, ``--junit-xml``, ``--cache``; the handler first sees whether PATH is one file."""
    group = check.add_argument_group("collections (several files, folders, globs)")
    group.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="check each notebook on a Dask worker, its folder shipped with it: 'local' starts a "
        "LocalCluster "
        "here, anything else is a scheduler's address (default: side by side on this machine)",
    )
    group.add_argument(
        "--junit-xml",
        default=None,
        metavar="FILE",
        help="also write a JUnit XML file: one test case per notebook, the report as the failure message",
    )
    group.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="skip a notebook whose code cells, outputs, local modules, options and environment are "
        "unchanged since a clean verdict (reported as cached)",
    )
    single: Handler = check.get_default("handler")
    check.set_defaults(handler=lambda args: check_paths(args, single))


def check_paths(args: argparse.Namespace, single: Handler) -> int:
    from .evidence.collection.discovery import is_single_file

    paths = list(args.notebook)
    if is_single_file(paths) and not any(getattr(args, flag, None) for flag in COLLECTION_FLAGS):
        args.notebook = paths[0]
        return single(args)
    from .evidence.collection.command import run_command
    from .evidence.collection.discovery import find_notebooks

    arguments = check_arguments(args)  # every flag checked before a path is searched or a kernel started
    try:
        args.notebook = [str(path) for path in find_notebooks(paths)]
        return run_command(args, arguments)
    except ValueError as error:  # a path naming no notebook, a scheduler that does not answer, a bad flag
        print(one_line(f"jupyter-seed check: error: {error}"), file=sys.stderr)
        return EXIT_NOT_RUN
