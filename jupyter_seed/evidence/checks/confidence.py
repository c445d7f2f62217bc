"""How sure a clean verdict is: what it rests on, and what it could have missed.

K identical runs miss a cell whose outputs differ in a share ``p`` of runs with
chance ``(1 - p) ** K`` (every one of the K runs took the common outcome). A clean
check says so, with the runs that bring that chance under 5%: 2 runs miss a
1-in-10 difference 81% of the time, 29 runs under 5% (Gruber et al. needed 170
reruns for 95% confidence on rarer flakiness).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

RARE_SHARE_RUNS = 10
"""The difference spoken of: one that shows in 1 run out of this many."""
TARGET_MISS = 0.05


def miss_chance(runs: int, share: float = 1 / RARE_SHARE_RUNS) -> float:
    """Chance that ``runs`` runs all agree although the outputs differ in ``share`` of runs."""
    return float((1 - share) ** runs)


def runs_needed(target: float = TARGET_MISS, share: float = 1 / RARE_SHARE_RUNS) -> int:
    """Fewest runs whose :func:`miss_chance` is under ``target``."""
    runs = math.ceil(math.log(target) / math.log(1 - share))
    while miss_chance(runs, share) >= target:
        runs += 1
    return runs


@dataclass(frozen=True)
class Confidence:
    """What a clean verdict rests on.

    ``runs`` is how many runs agreed (the stored outputs count as one against stored);
    ``runs_flag_offset`` turns a number of runs into the ``--runs`` value that gives it
    (``1`` against stored, where ``--runs`` counts fresh runs only).
    """

    runs: int
    what: str
    runs_flag_offset: int = 0

    @property
    def miss(self) -> float:
        return miss_chance(self.runs)

    @property
    def runs_for_target(self) -> int:
        return runs_needed()

    def __str__(self) -> str:
        text = (
            f"{self.what}: a cell that differs in 1 run out of {RARE_SHARE_RUNS} "
            f"would be missed {_percent(self.miss)} of the time"
        )
        if self.miss >= TARGET_MISS:
            flag = self.runs_for_target - self.runs_flag_offset
            text += f"; --runs {flag} brings that under {_percent(TARGET_MISS)}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs_compared": self.runs,
            "rests_on": self.what,
            "differs_in_one_run_of": RARE_SHARE_RUNS,
            "miss_chance": round(self.miss, 4),
            "runs_for_under_5_percent": self.runs_for_target,
            "text": str(self),
        }


def _percent(value: float) -> str:
    shown = value * 100
    if shown >= 10 or shown == round(shown):
        return f"{shown:.0f}%"
    return f"{shown:.1f}%"


def run_vs_run(runs: int) -> Confidence:
    """A clean ``jupyter-seed check``: ``runs`` identical runs."""
    return Confidence(runs, f"{runs} identical runs")


def against_stored(fresh_runs: int) -> Confidence:
    """A clean check against stored outputs: the stored run and ``fresh_runs`` fresh runs agree."""
    plural = "s" if fresh_runs != 1 else ""
    return Confidence(
        fresh_runs + 1, f"the stored outputs and {fresh_runs} fresh run{plural} agree", runs_flag_offset=1
    )
