"""The command line's collection door: ``jupyter-seed check PATH...`` with folders, globs or several files.

Parsers and a handler only, beside :mod:`.cli` (which adds them); the work is in
:mod:`.evidence.collection`. One file, with no collection flag, goes to the single check
unchanged: its output, its errors and its exit codes stay what they are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .evidence.options import OptionError, check_options_of
from .seeding.messages import one_line

Handler = Callable[[argparse.Namespace], int]
COLLECTION_FLAGS = ("scheduler", "junit_xml", "cache")
EXIT_NOT_RUN = 2


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
    if getattr(args, "against_stored", False):
        raise OptionError("--against-stored checks one notebook at a time (for now): name one file")
    from .evidence.collection.command import run_command
    from .evidence.collection.discovery import find_notebooks

    options = check_options_of(args)
    try:
        args.notebook = [str(path) for path in find_notebooks(paths)]
        return run_command(args, options)
    except ValueError as error:  # a path naming no notebook, a scheduler that does not answer, a bad flag
        print(one_line(f"jupyter-seed check: error: {error}"), file=sys.stderr)
        return EXIT_NOT_RUN
