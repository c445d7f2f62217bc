"""How many runs the doctor needs before it may confirm a cause, and how long it may take.

The false-confirmation probability
----------------------------------
A change that does nothing (the null hypothesis) leaves the cell's output a random
value ``X`` whatever the change; the runs are independent draws of it. The doctor may
confirm a change only when the runs it has seen would be that unlikely under the
null hypothesis, for every distribution of ``X``:

* **Decisive evidence** (:func:`decisive_bound`): ``R`` runs without the change, all
  with different outputs (the check's own two are among them), and ``m`` pairs with
  the change at ``m`` different doses (stand-in seeds, hash seeds, ``%seed`` values):
  each pair agrees, and the ``m`` agreed outputs differ from each other and from every
  run without the change. Under the null hypothesis with ``k`` equally likely outputs
  that has probability ``prod(1 - i/k, i < R) * prod((1/k) * (1 - (R + j)/k), j < m)``;
  a search over random and adversarial distributions found none above the largest
  uniform one (``tests/unit/test_doctor_plan.py`` checks it on random distributions).
  Two runs and two pairs: at most 0.77 %; two runs and three pairs: 0.04 %.
* **Repeated evidence** (:func:`repeated_bound`): the cell differed in all ``n`` pairs
  without the change and agreed in all ``m`` pairs with it (no doses): probability
  ``p**n * (1 - p)**m`` for a per-pair difference probability ``p``, at most
  ``n**n * m**m / (n + m)**(n + m)``. This is what a cell that differs now and then
  (``np.empty``) can fake; four and four pairs: at most 0.39 %.

Across the experiments tried for one cell the bound is shared out (weighted Bonferroni):
the first experiment (the likeliest cause: ``entropy``, or ``seed`` under ``--mode
asis``) may use :data:`FIRST_SHARE` of :data:`ALPHA`, the others split the rest, so
the probability that any experiment is confirmed wrongly for a cell stays at most
``ALPHA`` = 1 %.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..options import OptionError

ALPHA = 0.01
"""Largest probability, per differing cell, that the doctor confirms a change that does nothing."""
FIRST_SHARE = 0.8
"""Share of :data:`ALPHA` for the first experiment; the others split the rest."""
DEFAULT_BUDGET_FACTOR = 1.5
"""The doctor's default budget: this many times the check's own time."""


def decisive_bound(runs: int, pairs: int, largest_k: int = 2000) -> float:
    """Largest null-hypothesis probability of decisive evidence (``runs`` distinct, ``pairs`` at doses)."""
    if runs < 1 or pairs < 1:
        return 1.0
    worst = 0.0
    for k in range(runs + pairs, largest_k):
        value = 1.0
        for i in range(1, runs):
            value *= 1 - i / k
        for j in range(pairs):
            value *= (1 / k) * (1 - (runs + j) / k)
        worst = max(worst, value)
    return worst


def repeated_bound(differed: int, agreed: int) -> float:
    """Largest ``p**differed * (1 - p)**agreed`` over ``p``: an ineffective change confirmed by luck."""
    if differed < 1 or agreed < 1:
        return 1.0
    total = differed + agreed
    return math.exp(differed * math.log(differed / total) + agreed * math.log(agreed / total))


def share(position: int, experiments: int) -> float:
    """The false-confirmation probability the ``position``-th (0-based) of ``experiments`` may use."""
    if experiments <= 1:
        return ALPHA
    if position == 0:
        return ALPHA * FIRST_SHARE
    return ALPHA * (1 - FIRST_SHARE) / (experiments - 1)


def pairs_needed(runs: int, allowed: float, most: int = 6) -> int:
    """Fewest dose pairs whose decisive bound with ``runs`` distinct runs is within ``allowed``."""
    for pairs in range(2, most + 1):
        if decisive_bound(runs, pairs) <= allowed:
            return pairs
    return most


def repeated_needed(differed: int, allowed: float, most: int = 12) -> int:
    """Fewest agreeing pairs that, after ``differed`` differing pairs, stay within ``allowed``."""
    for agreed in range(2, most + 1):
        if repeated_bound(differed, agreed) <= allowed:
            return agreed
    return most + 1  # more than the doctor will run: the change can only be observed


@dataclass(frozen=True)
class DoctorBudget:
    """Seconds, or a multiple of the check's own time (``factor``)."""

    seconds: float | None = None
    factor: float | None = DEFAULT_BUDGET_FACTOR

    def limit(self, check_seconds: float) -> float:
        if self.seconds is not None:
            return self.seconds
        return (self.factor or DEFAULT_BUDGET_FACTOR) * max(check_seconds, 0.0)

    def __str__(self) -> str:
        return f"{self.seconds:g} s" if self.seconds is not None else f"{self.factor:g}x the check's time"


def parse_doctor_budget(text: object, flag: str = "--doctor-budget") -> DoctorBudget:
    """``SECONDS`` (``30``) or a multiple of the check's time (``2x``); one clear line otherwise."""
    if isinstance(text, DoctorBudget):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, factor = float(text), False
    elif isinstance(text, str) and text.strip():
        spelled = text.strip().lower()
        factor = spelled.endswith("x")
        try:
            value = float(spelled[:-1] if factor else spelled)
        except ValueError:
            value = math.nan
    else:
        value, factor = math.nan, False
    if not 0 < value < math.inf:
        shown = " ".join(repr(text).split())[:60]
        raise OptionError(
            f"{flag} must be a positive number of seconds (30) or a multiple of the check's time (2x), "
            f"got {shown}"
        )
    return DoctorBudget(factor=value) if factor else DoctorBudget(seconds=value, factor=None)


def follow_up(differed: int, agreed: int, allowed: float, most: int = 10) -> tuple[int, int] | None:
    """Fewest more ``(baseline pairs, pairs with the change)`` for repeated evidence within ``allowed``.

    None when that takes more than ``most`` pairs: the change is then reported as observed only.
    """
    options = [
        (extra_base + extra, extra_base, extra)
        for extra_base in range(most + 1)
        for extra in range(most + 1 - extra_base)
        if repeated_bound(differed + extra_base, agreed + extra) <= allowed
    ]
    return min(options)[1:] if options else None


_POOL = re.compile(
    r"\bjoblib\b|\bParallel\s*\(|\bmultiprocessing\b|\b(Process|Thread)PoolExecutor\b|\bloky\b"
    r"|\b(Thread)?Pool\s*\("
)


def first_experiments(seed: int | None, sources: dict[int, str]) -> dict[int, str]:
    """Each differing cell's first experiment, fixed from its code before any run is seen.

    Only the order of the experiments is taken from the text, never a cause: a cell that
    starts a pool itself gets ``workers' entropy`` first (the pools' tasks run in the kernel,
    one at a time, where their draws are in the probes' reach and marked as the tasks'; the
    kernel's own entropy is replaced as well), so that experiment may use the first share of
    the false-confirmation probability and needs two pairs only.
    """
    usual = "seed" if seed is None else "entropy"
    if seed is None:
        return dict.fromkeys(sources, usual)  # --mode asis: "no seed" comes before anything else
    return {
        index: "workers' entropy" if _POOL.search(source) else usual
        for index, source in sources.items()
    }
