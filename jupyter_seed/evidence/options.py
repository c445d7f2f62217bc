"""The options the front doors share: each rule, and its message, written once.

``jupyter-seed check``, the pytest plugin (``--jupyter-seed-*``) and ``%%seed --check``
take the same values typed as text: a seed, a number of runs, a timeout, a check
mode. A door passes its spelling of the flag, so the same mistake reads the same at
every door (``--runs must be an integer from 2 to 100, got 1``); the Python API
(:func:`~.checks.notebook.check_notebook`, :func:`~.checks.cell.check_cell`) checks
its values with the same functions. Light on purpose: ``%seed`` imports it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from ..seeding.error_root import JupyterSeedError
from ..seeding.messages import short_int, short_text
from ..seeding.modes import PER_CELL_MODES
from ..seeding.seeds import InvalidSeedError, parse_seed_text

__all__ = [
    "CHECK_MODES",
    "CHECK_PER_CELL_MODES",
    "DEFAULT_CHECK_MODE",
    "DEFAULT_RUNS",
    "DEFAULT_SEED",
    "MAX_RUNS",
    "CheckMode",
    "CheckOptions",
    "OptionError",
    "check_options",
    "parse_parallel",
    "parse_runs",
    "parse_seed",
    "parse_timeout",
    "parse_tolerance",
    "resolve_mode",
    "validate_parallel",
    "validate_runs",
    "validate_timeout",
    "validate_tolerance",
]


class OptionError(JupyterSeedError, ValueError):
    """A bad option value; the one-line message names the flag as the door spells it."""


MIN_RUNS = 2
"""A check compares runs: one run has nothing to compare with."""
MAX_RUNS = 100
"""Most runs of one check: beyond that a check is a benchmark, and a typo (``--runs 3000``) costs hours."""
DEFAULT_RUNS = 2
DEFAULT_SEED = 0

CheckMode = Literal["asis", "once", "per-cell"]
CHECK_MODES: tuple[CheckMode, ...] = ("asis", "once", "per-cell")
DEFAULT_CHECK_MODE: CheckMode = "once"
"""``%seed N`` once at the start, as a notebook that seeds itself would: it checks the stream
order across cells too, which per-cell reseeding would hide."""
CHECK_PER_CELL_MODES: tuple[str, ...] = tuple(mode for mode in PER_CELL_MODES if mode != "off")
"""Per-cell mode of a check: the seeder's modes but ``off`` (that is ``--mode once``)."""

_INTEGER_DIGITS = 20
"""Longest text read as an integer: ``int()`` on a huge text is slow, past 4,300 digits refused."""


def _echo(value: object) -> str:
    """What the person gave, short and on one line, quoted when it is text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return short_int(value)
    if isinstance(value, float):
        return repr(value)
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not replace our error
        text = f"<{type(value).__name__}>"
    return short_text(" ".join(text.split()))


def _integer_or_text(text: str) -> int | str:
    """``text`` as an ``int`` when it spells a short decimal integer, else the text itself."""
    stripped = text.strip()
    if len(stripped) <= _INTEGER_DIGITS:
        try:
            return int(stripped, 10)
        except ValueError:
            pass
    return text


# ------------------------------------------------------------------- seeds
def parse_seed(text: str, flag: str = "--seed") -> int:
    """A seed typed as text: an integer in ``[0, 2**32-1]`` (the rule of :mod:`jupyter_seed.seeding.seeds`)."""
    try:
        return parse_seed_text(text, name=flag)
    except InvalidSeedError as error:
        raise OptionError(str(error)) from None


# -------------------------------------------------------------------- runs
def validate_runs(runs: object, flag: str = "--runs") -> int:
    if isinstance(runs, bool) or not isinstance(runs, int) or not MIN_RUNS <= runs <= MAX_RUNS:
        raise OptionError(f"{flag} must be an integer from {MIN_RUNS} to {MAX_RUNS}, got {_echo(runs)}")
    return runs


def parse_runs(text: str, flag: str = "--runs") -> int:
    return validate_runs(_integer_or_text(text), flag)


# ----------------------------------------------------------------- timeout
def _positive_seconds(value: float, flag: str, shown: str) -> float:
    if not 0 < value < math.inf:  # NaN fails the comparison too
        raise OptionError(f"{flag} must be positive (a finite number of seconds), got {shown}")
    return value


def validate_timeout(seconds: object, flag: str = "--timeout") -> float | None:
    """Seconds per cell, or ``None`` for no limit."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise OptionError(f"{flag} must be a number of seconds, got {_echo(seconds)}")
    return _positive_seconds(float(seconds), flag, _echo(seconds))


def parse_timeout(text: str | None, flag: str = "--timeout") -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"{flag} must be a number of seconds, got {_echo(text)}") from None
    return _positive_seconds(value, flag, short_text(text.strip()))


# --------------------------------------------------------------- tolerance
def validate_tolerance(value: object, flag: str) -> float:
    """``--rtol`` / ``--atol`` of ``check --against-stored``: a finite number from 0 up."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise OptionError(f"{flag} must be a finite number from 0 up, got {_echo(value)}")
    return float(value)


def parse_tolerance(text: str | None, default: float, flag: str) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"{flag} must be a finite number from 0 up, got {_echo(text)}") from None
    return validate_tolerance(value, flag)


# ---------------------------------------------------------------- parallel
def validate_parallel(parallel: object, flag: str = "--parallel") -> int | None:
    """Kernels at a time, or ``None`` for one per CPU core."""
    if parallel is None:
        return None
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise OptionError(f"{flag} must be a positive integer, got {_echo(parallel)}")
    return parallel


def parse_parallel(text: str | None, flag: str = "--parallel") -> int | None:
    return None if text is None else validate_parallel(_integer_or_text(text), flag)


# ------------------------------------------------------------------- modes
def _choice(value: object, choices: tuple[str, ...], flag: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise OptionError(f"{flag}: invalid choice {_echo(value)} (choose from {', '.join(choices)})")
    return value


def resolve_mode(mode: object, per_cell: object, *, prefix: str = "") -> tuple[CheckMode, str | None]:
    """The check mode to run and its per-cell setting; a per-cell setting alone means per-cell mode.

    ``prefix`` is the door's flag prefix (``"jupyter-seed-"`` for pytest's options).
    """
    mode_flag, per_cell_flag = f"--{prefix}mode", f"--{prefix}per-cell"
    if per_cell is not None:
        _choice(per_cell, CHECK_PER_CELL_MODES, per_cell_flag)
    if mode is None:
        mode = "per-cell" if per_cell else DEFAULT_CHECK_MODE
    chosen = cast(CheckMode, _choice(mode, CHECK_MODES, mode_flag))
    if chosen != "per-cell" and per_cell is not None:
        raise OptionError(f"{per_cell_flag} goes with {mode_flag} per-cell, not with {mode_flag} {chosen}")
    return chosen, (str(per_cell or "same") if chosen == "per-cell" else None)


# ------------------------------------------------------- a notebook check
@dataclass(frozen=True)
class CheckOptions:
    """Every option of one notebook check, each checked: the keyword arguments of ``check_notebook``."""

    seed: int = DEFAULT_SEED
    runs: int = DEFAULT_RUNS
    mode: CheckMode = DEFAULT_CHECK_MODE
    per_cell: str | None = None
    timeout: float | None = None
    ignore: tuple[str, ...] = ()
    parallel: int | None = None

    def arguments(self) -> dict[str, Any]:
        return asdict(self)


def check_options(
    *,
    seed: str | None = None,
    runs: str | None = None,
    mode: str | None = None,
    per_cell: str | None = None,
    timeout: str | None = None,
    ignore: tuple[str, ...] | list[str] = (),
    parallel: str | None = None,
    prefix: str = "",
) -> CheckOptions:
    """The options of ``jupyter-seed check`` as typed (``None``: not given), checked in one place.

    Raises :class:`OptionError` naming the first bad one with the door's flag
    (``--{prefix}runs``); nothing is run before every option is known to be good.
    """
    from .outputs.text_rules import volatile_rules  # the --ignore rule lives with the text rules

    chosen, per_cell_mode = resolve_mode(mode, per_cell, prefix=prefix)
    options = CheckOptions(
        seed=DEFAULT_SEED if seed is None else parse_seed(seed, f"--{prefix}seed"),
        runs=DEFAULT_RUNS if runs is None else parse_runs(runs, f"--{prefix}runs"),
        mode=chosen,
        per_cell=per_cell_mode,
        timeout=parse_timeout(timeout, f"--{prefix}timeout"),
        ignore=tuple(ignore),
        parallel=parse_parallel(parallel, f"--{prefix}parallel"),
    )
    try:
        volatile_rules(options.ignore)
    except ValueError as error:
        raise OptionError(str(error)) from None
    return options


def check_options_of(args: Any) -> CheckOptions:
    """:func:`check_options` from an ``argparse`` namespace of ``jupyter-seed check`` (the CLI's names)."""
    return check_options(
        seed=args.seed,
        runs=args.runs,
        mode=args.mode,
        per_cell=args.per_cell,
        timeout=args.timeout,
        ignore=args.ignore,
        parallel=args.parallel,
    )
