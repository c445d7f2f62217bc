"""What one seeding did, as data (rendering lives with the front ends)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

_FIELDS = ("seed", "seeded", "failed", "on_import", "warnings")


class SeedReport(tuple):  # type: ignore[type-arg]
    """What one seeding did: which sources took the seed and which failed. Immutable.

    A tuple underneath, written by hand: ``seed_everything`` builds one per call,
    and a tuple costs a third of an attribute dict (``@dataclass`` and
    ``NamedTuple`` would also generate code with ``exec`` on the extension's load path).
    """

    __slots__ = ()

    def __new__(
        cls,
        seed: int,
        seeded: tuple[str, ...],
        failed: dict[str, str] | None = None,
        on_import: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> SeedReport:
        return tuple.__new__(cls, (seed, seeded, {} if failed is None else failed, on_import, warnings))

    #: ``SeedReport.from_fields((seed, seeded, failed, on_import, warnings))``, no defaults:
    #: the seeder's hot path, without a Python frame.
    from_fields: Any = classmethod(tuple.__new__)

    seed: int = property(itemgetter(0), doc="The seed applied.")  # type: ignore[assignment]
    seeded: tuple[str, ...] = property(itemgetter(1), doc="Sources that took the seed.")  # type: ignore[assignment]
    failed: dict[str, str] = property(itemgetter(2), doc="Source name -> one-line error.")  # type: ignore[assignment]
    on_import: tuple[str, ...] = property(  # type: ignore[assignment]
        itemgetter(3), doc="Installed sources not imported yet: seeded when they are."
    )
    warnings: tuple[str, ...] = property(  # type: ignore[assignment]
        itemgetter(4), doc="What deterministic mode could not switch on, one line each."
    )

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeedReport) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]  # holds a dict

    def __repr__(self) -> str:
        return "SeedReport(" + ", ".join(f"{name}={value!r}" for name, value in zip(_FIELDS, self, strict=True)) + ")"

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
