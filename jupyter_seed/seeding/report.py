"""What one seeding did, as data (rendering lives with the front ends)."""

from __future__ import annotations

from typing import Any

_FIELDS = ("seed", "seeded", "failed", "on_import", "warnings")


class SeedReport:
    """What one seeding did: which sources took the seed and which failed. Immutable.

    Written by hand rather than with ``@dataclass``: the decorator generates its
    methods with ``exec`` when the module is imported (~1.5 ms on the extension's
    load path), and its frozen ``__init__`` costs ~2 µs on every ``seed_everything``.
    """

    seed: int
    seeded: tuple[str, ...]
    failed: dict[str, str]
    on_import: tuple[str, ...]
    warnings: tuple[str, ...]
    """What deterministic mode could not switch on, one line each."""

    def __init__(
        self,
        seed: int,
        seeded: tuple[str, ...],
        failed: dict[str, str] | None = None,
        on_import: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        # One dict update: the fastest way past our own __setattr__ (~1 µs).
        self.__dict__.update(
            seed=seed, seeded=seeded, failed={} if failed is None else failed, on_import=on_import, warnings=warnings
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SeedReport is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SeedReport is immutable: cannot delete {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeedReport) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # holds a dict, like the dataclass it replaces

    def __repr__(self) -> str:
        return "SeedReport(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS) + ")"

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        text = f"Seeded {', '.join(self.seeded) or 'nothing'} with {self.seed}"
        if self.on_import:
            text += f"; {', '.join(self.on_import)} will be seeded on import"
        if self.failed:
            text += "; FAILED: " + ", ".join(f"{name} ({error})" for name, error in self.failed.items())
        return text + "." + "".join(f"\nwarning: {warning}" for warning in self.warnings)
