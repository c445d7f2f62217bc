"""The seeder's settings for the processes a notebook starts (the patches live in :mod:`.processes`).

A mixin, so the seeder keeps one place for its configuration while the patches
follow it through its listeners.
"""

from __future__ import annotations


def normalize_processes(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"processes must be True or False, got {_echo(value)}")
    return value


def _echo(value: object) -> str:
    from .messages import short_text

    try:
        return short_text(repr(value))
    except Exception:  # noqa: BLE001 - a broken __repr__ must not replace our error
        return f"<{type(value).__name__}>"


class ProcessSettings:
    """The seeder's settings for the processes a notebook starts; the patches live in :mod:`.processes`."""

    processes: bool = True
    """Seed the tasks and processes started while a seed is active (on by default)."""

    tasks_submitted: int = 0
    """Submissions since the last reseed: the first key of a task's seed (reset by ``reseed``)."""

    def set_processes(self, enabled: object) -> None:
        """Seed (``True``) or leave alone (``False``) the pools, executors and ranks started from now on."""
        self.processes = normalize_processes(enabled)
        self._notify()

    def next_submission(self) -> int:
        number = self.tasks_submitted
        self.tasks_submitted = number + 1
        return number

    def _notify(self) -> None:  # the seeder's
        raise NotImplementedError
