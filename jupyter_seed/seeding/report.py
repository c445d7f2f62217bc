"""What one seeding did, as data (rendering lives with the front ends)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, init=False)
class SeedReport:
    """What one seeding did: which sources took the seed and which failed."""

    seed: int
    seeded: tuple[str, ...]
    failed: dict[str, str] = field(default_factory=dict)
    on_import: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """What deterministic mode could not switch on, one line each."""

    def __init__(
        self,
        seed: int,
        seeded: tuple[str, ...],
        failed: dict[str, str] | None = None,
        on_import: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        # One dict update instead of the frozen dataclass's five object.__setattr__ calls
        # (~2 µs): every seed_everything builds a report, and it must stay near the bare reseeds.
        self.__dict__.update(
            seed=seed, seeded=seeded, failed={} if failed is None else failed, on_import=on_import, warnings=warnings
        )

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
