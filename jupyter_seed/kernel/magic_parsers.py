"""The flags of ``%seed`` (line) and ``%%seed`` (cell): two parsers, built on first use.

Each magic has its own parser, so argparse itself refuses a flag that belongs to
the other one; modes are values (``--per-cell {same,derived,off}``), the
``--no-...`` flags are aliases. Every refusal is one short ``UsageError`` line.
Adding a flag: append to ``LINE_ARGUMENTS`` or ``CELL_ARGUMENTS`` (and a group
name when it excludes another flag).
"""

from __future__ import annotations

import argparse
import shlex
from functools import cache
from typing import Any, NoReturn

from IPython.core.error import UsageError

from ..seeding.messages import one_line, short_text
from ..seeding.modes import DETERMINISTIC_MODES, PER_CELL_MODES
from ..seeding.seeds import MAX_SEED

LINE = "%seed"
CELL = "%%seed"
MESSAGE_LIMIT = 300

# (flags, add_argument keywords, mutually exclusive group or None)
Argument = tuple[tuple[str, ...], dict[str, Any], "str | None"]

LINE_ARGUMENTS: list[Argument] = [
    (("seed",), {"nargs": "?", "help": f"integer in [0, {MAX_SEED}]; reseeds every random source now"}, None),
    (
        ("--per-cell",),
        {
            "nargs": "?",
            "const": "same",
            "choices": PER_CELL_MODES,
            "help": "reseed before every cell: 'same' (default) with the seed itself, 'derived' with "
            "sha256(seed, cell id) so each cell has its own reproducible stream; 'off' stops",
        },
        "per_cell",
    ),
    (
        ("--no-per-cell",),
        {"dest": "per_cell", "action": "store_const", "const": "off", "help": "same as --per-cell off"},
        "per_cell",
    ),
    (
        ("--deterministic",),
        {
            "nargs": "?",
            "const": "strict",
            "choices": DETERMINISTIC_MODES,
            "help": "deterministic algorithms (torch, TensorFlow, cuDNN, cuBLAS, XLA): 'strict' (default), "
            "'warn' makes torch warn instead of raise on nondeterministic ops, 'off' switches them off",
        },
        "deterministic",
    ),
    (
        ("--no-deterministic",),
        {"dest": "deterministic", "action": "store_const", "const": "off", "help": "same as --deterministic off"},
        "deterministic",
    ),
    (("--random",), {"action": "store_true", "help": "draw a seed from OS entropy, apply it and print it"}, None),
    (
        ("--patch-default-rng",),
        {
            "dest": "patch_default_rng",
            "action": "store_const",
            "const": True,
            "help": "make numpy.random.default_rng() without a seed draw from the active seed",
        },
        "patch",
    ),
    (
        ("--no-patch-default-rng",),
        {"dest": "patch_default_rng", "action": "store_const", "const": False, "help": "undo --patch-default-rng"},
        "patch",
    ),
    (
        ("--workers",),
        {
            "dest": "workers",
            "action": "store_const",
            "const": True,
            "help": "give DataLoaders created from now on without their own worker_init_fn/generator ours: "
            "workers draw distinct streams, epochs differ, a re-run repeats them",
        },
        "workers",
    ),
    (
        ("--no-workers",),
        {"dest": "workers", "action": "store_const", "const": False, "help": "undo --workers"},
        "workers",
    ),
    (
        ("--processes",),
        {
            "dest": "processes",
            "action": "store_const",
            "const": True,
            "help": "seed the tasks of multiprocessing.Pool, ProcessPoolExecutor and joblib.Parallel from "
            "task_seed(submission, index), and spawned ranks and launched processes from their rank "
            "(the default)",
        },
        "processes",
    ),
    (
        ("--no-processes",),
        {"dest": "processes", "action": "store_const", "const": False, "help": "leave other processes alone"},
        "processes",
    ),
    (
        ("--save-state",),
        {"metavar": "FILE", "default": None, "help": "write every loaded generator's full state to FILE (.npz)"},
        "state_file",
    ),
    (
        ("--load-state",),
        {"metavar": "FILE", "default": None, "help": "restore the generator states saved in FILE, all or none"},
        "state_file",
    ),
    (("-q", "--quiet"), {"action": "store_true", "help": "print nothing on success"}, None),
]

CELL_ARGUMENTS: list[Argument] = [
    (("seed",), {"nargs": "?", "help": "run the cell under this seed, then restore every source's state"}, None),
    (("--random",), {"action": "store_true", "help": "run the cell under a seed drawn from OS entropy"}, None),
    (("-q", "--quiet"), {"action": "store_true", "help": "print nothing on success"}, None),
    (
        ("--check",),
        {
            "action": "store_true",
            "help": "run the cell --runs times from the same seed and report whether its outputs and "
            "assigned names are identical",
        },
        None,
    ),
    # --runs stays text: the magic checks it with the CLI's rule (jupyter_seed.evidence.options).
    (("--runs",), {"default": None, "help": "with --check: how many runs (default 2)"}, None),
    (
        ("--localize",),
        {
            "action": "store_true",
            "help": "with --check: when the runs differ, trace two more and report the line, value and "
            "framework op (torch, TensorFlow eager) where they first part",
        },
        None,
    ),
    (
        ("--sweep",),
        {
            "metavar": "SEEDS",
            "default": None,
            "help": "run the cell once per seed ('0:100', '0:100:5', '1,7,3407') and summarise its last "
            "expression (a number or a dict of numbers)",
        },
        None,
    ),
    (("--minimize",), {"action": "store_true", "help": "with --sweep: lower is better (best seed = lowest)"}, None),
    (
        ("--save",),
        {
            "metavar": "NAME",
            "default": None,
            "help": "with --sweep: keep the result under NAME for a later --compare; NAME.jsonl also writes "
            "each seed to that file as it finishes and resumes from it (only seeds without a result run)",
        },
        None,
    ),
    (
        ("--compare",),
        {
            "metavar": "NAME",
            "default": None,
            "help": "with --sweep: compare this sweep, seed by seed, with the one saved as NAME (or NAME.jsonl)",
        },
        None,
    ),
]


class HelpShown(Exception):
    """``-h``: argparse printed the help; the magic returns nothing."""


def _options(arguments: list[Argument]) -> set[str]:
    return {flag for flags, _, _ in arguments for flag in flags if flag.startswith("-")}


class _MagicParser(argparse.ArgumentParser):
    """Raises one short ``UsageError`` line instead of printing usage and exiting."""

    def __init__(self, prog: str, other: str, other_options: set[str]) -> None:
        super().__init__(prog=prog, add_help=True, allow_abbrev=False)
        self.other = other
        self.other_options = other_options

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            for token in message[len(prefix) :].split():
                flag = token.split("=", 1)[0]
                if flag in self.other_options:
                    kind = "cell" if self.other == CELL else "line"
                    raise UsageError(f"{flag} belongs to the {kind} magic {self.other}, not to {self.prog}")
        raise UsageError(one_line(f"{self.prog}: {message}", MESSAGE_LIMIT))

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.error(message)
        raise HelpShown


def _build(prog: str, arguments: list[Argument], other: str, other_arguments: list[Argument]) -> _MagicParser:
    parser = _MagicParser(prog, other, _options(other_arguments) - _options(arguments))
    groups: dict[str, Any] = {}
    for flags, keywords, group in arguments:
        target: Any = parser
        if group is not None:
            if group not in groups:
                groups[group] = parser.add_mutually_exclusive_group()
            target = groups[group]
        target.add_argument(*flags, **keywords)
    return parser


@cache
def line_parser() -> _MagicParser:
    return _build(LINE, LINE_ARGUMENTS, CELL, CELL_ARGUMENTS)


@cache
def cell_parser() -> _MagicParser:
    return _build(CELL, CELL_ARGUMENTS, LINE, LINE_ARGUMENTS)


def split(line: str, prog: str) -> list[str]:
    """Shell-like words of a magic line; unbalanced quotes are a one-line ``UsageError``."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(f"{prog}: {error} in {short_text(line)!r}") from None


def parse_line(line: str) -> argparse.Namespace:
    words = split(line, LINE)
    return _plain_seed(words) or line_parser().parse_args(words)


QUIET_FLAGS = frozenset({"-q", "--quiet"})


def _plain_seed(words: list[str]) -> argparse.Namespace | None:
    """``%seed N`` and ``%seed N -q``, the lines typed most, answered as argparse would.

    Building the line parser costs ~1 ms, most of the first ``%seed``'s own time;
    these two forms need no flag handling (``tests/unit/test_magic_parsers.py``
    holds this function's answers equal to the parser's). Anything else: ``None``.
    """
    quiet = [word for word in words if word in QUIET_FLAGS]
    rest = [word for word in words if word not in QUIET_FLAGS]
    if len(rest) != 1 or len(quiet) > 1 or rest[0].startswith("-"):
        return None
    return argparse.Namespace(**{**_line_defaults(), "seed": rest[0], "quiet": bool(quiet)})


@cache
def _line_defaults() -> dict[str, Any]:
    """What argparse gives each destination of ``LINE_ARGUMENTS`` when its flag is absent."""
    defaults: dict[str, Any] = {}
    for flags, keywords, _ in LINE_ARGUMENTS:
        long_flag = next((flag for flag in flags if flag.startswith("--")), flags[0])
        dest = keywords.get("dest", long_flag.lstrip("-").replace("-", "_"))
        default = keywords.get("default", False if keywords.get("action") == "store_true" else None)
        defaults.setdefault(dest, default)  # argparse: the first argument of a shared dest sets it
    return defaults


def parse_cell(line: str) -> argparse.Namespace:
    return cell_parser().parse_args(split(line, CELL))
