"""Save a sweep as it runs (JSON lines) and resume it: only seeds without a result run again.

One file, one JSON object per line, appended and flushed as each seed finishes,
so a crash, Ctrl-C or a kernel restart loses at most the seeds that were running:

    {"kind": "header", "format": 1, "created": "...", "environment": {"python": "3.11.7", "torch": "2.13.0", ...}}
    {"kind": "code", "variant": null, "name": "train", "hash": "sha256:..."}
    {"kind": "run", "variant": null, "seed": 3, "metrics": {"acc": 0.91}, "error": null, "seconds": 1.2}

Non-finite metrics are written as the strings "nan", "inf", "-inf" (strict JSON).
A torn last line (the process died mid-write) is ignored. Resuming with code
whose hash differs from the recorded one is refused in one line.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine import SeedRun

FORMAT = 1
ENVIRONMENT_PACKAGES = ("numpy", "torch", "tensorflow", "keras", "jax", "scikit-learn", "jupyter-seed")


# ------------------------------------------------------------- identities
def code_identity(fn: Callable[..., Any]) -> str:
    """``sha256:`` of a function's source, or of its bytecode when the source is not available."""
    import functools
    import inspect
    import marshal

    parts: list[bytes] = []
    target: Any = fn
    while isinstance(target, functools.partial):
        parts.append(repr((target.args, sorted(target.keywords.items()))).encode())
        target = target.func
    if not inspect.isfunction(target) and not inspect.ismethod(target) and not inspect.isbuiltin(target):
        target = type(target)  # a callable object: its class defines the code
    try:
        parts.append(inspect.getsource(target).encode())
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        parts.append(
            marshal.dumps(code)
            if code is not None
            else getattr(target, "__qualname__", repr(target)).encode()
        )
    return "sha256:" + hashlib.sha256(b"\0".join(parts)).hexdigest()


def text_identity(text: str) -> str:
    """``sha256:`` of a cell's source."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def environment() -> dict[str, str]:
    """Python and the installed framework versions, as recorded in the file's header."""
    import platform
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ENVIRONMENT_PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


# ------------------------------------------------------------------ values
def _encode(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)  # 'nan', 'inf', '-inf'


def _decode(value: float | str) -> float:
    return float(value)


class StoreError(ValueError):
    """A store that cannot be used: unreadable, or written by different code."""


class SweepStore:
    """The runs saved in one JSON-lines file, and the appender for new ones."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] | None = None
        self.codes: dict[str | None, dict[str, str]] = {}
        self.runs: dict[tuple[str | None, int], SeedRun] = {}
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise StoreError(f"cannot read {self.path}: {error}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                self._take(record)
            except (ValueError, KeyError, TypeError) as error:
                if number == len(lines):
                    continue  # torn last line: the process died while writing it
                raise StoreError(f"{self.path} line {number} is not a sweep record ({error})") from None
        if self.header is None and lines:
            raise StoreError(f"{self.path} is not a jupyter-seed sweep file (no header line)")

    def _take(self, record: dict[str, Any]) -> None:
        kind = record["kind"]
        if kind == "header":
            if record.get("format") != FORMAT:
                raise ValueError(f"format {record.get('format')!r}, expected {FORMAT}")
            self.header = record
        elif kind == "code":
            self.codes[record["variant"]] = {"name": str(record["name"]), "hash": str(record["hash"])}
        elif kind == "run":
            metrics = record["metrics"]
            run = SeedRun(
                seed=int(record["seed"]),
                metrics=None if metrics is None else {str(k): _decode(v) for k, v in metrics.items()},
                error=None if record["error"] is None else str(record["error"]),
                seconds=float(record["seconds"]),
            )
            self.runs[(record["variant"], run.seed)] = run
        else:
            raise ValueError(f"unknown kind {kind!r}")

    # ---------------------------------------------------------- resuming
    def check(self, variant: str | None, identity: str) -> None:
        """Refuse, in one line, when the file holds results of other code for ``variant``."""
        recorded = self.codes.get(variant)
        if recorded is not None and recorded["hash"] != identity:
            label = "the sweep" if variant is None else f"variant {variant!r}"
            raise StoreError(
                f"{self.path.name} holds results of different code for {label} "
                f"({recorded['name']} changed since it was saved); use another file or delete it"
            )

    def claim(self, variant: str | None, name: str, identity: str) -> None:
        """Bind ``variant`` to this code (recorded in the file the first time)."""
        self.check(variant, identity)
        if variant not in self.codes:
            self.codes[variant] = {"name": name, "hash": identity}
            self._append({"kind": "code", "variant": variant, "name": name, "hash": identity})

    def done(self, variant: str | None) -> dict[int, SeedRun]:
        return {seed: run for (name, seed), run in self.runs.items() if name == variant}

    def variants(self) -> list[str | None]:
        return list(self.codes)

    # ------------------------------------------------------------ writing
    def save(self, variant: str | None, run: SeedRun) -> None:
        self.runs[(variant, run.seed)] = run
        metrics = None if run.metrics is None else {k: _encode(v) for k, v in run.metrics.items()}
        self._append(
            {
                "kind": "run",
                "variant": variant,
                "seed": run.seed,
                "metrics": metrics,
                "error": run.error,
                "seconds": round(run.seconds, 6),
            }
        )

    def _append(self, record: dict[str, Any]) -> None:
        from datetime import datetime, timezone

        lines = []
        if self.header is None:
            self.header = {
                "kind": "header",
                "format": FORMAT,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "environment": environment(),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lines.append(json.dumps(self.header, allow_nan=False))
        lines.append(json.dumps(record, allow_nan=False))
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
            handle.flush()


# ------------------------------------------------------------ named sweeps
def load_sweep(path: str | os.PathLike[str], variant: str | None = None, **options: Any) -> Any:
    """The saved runs of one variant (the file's only one when ``variant`` is omitted) as a ``SweepResult``."""
    from .result import SweepResult

    store = SweepStore(path)
    if not store.runs:
        raise StoreError(f"{Path(path).name} holds no saved seeds")
    variants = store.variants()
    if variant is None and len(variants) > 1:
        names = ", ".join(repr(v) for v in variants)
        raise StoreError(f"{Path(path).name} holds several variants ({names}); name one")
    chosen = variant if variant is not None else (variants[0] if variants else None)
    runs = sorted(store.done(chosen).values(), key=lambda run: run.seed)
    return SweepResult(runs, **options)


_SHELVES: Any = None


def shelf(owner: object) -> dict[str, Any]:
    """Sweeps kept by name for one shell (``%%seed --sweep ... --save NAME``), for ``--compare NAME``."""
    global _SHELVES
    import weakref

    if _SHELVES is None:
        _SHELVES = weakref.WeakKeyDictionary()
    return _SHELVES.setdefault(owner, {})
