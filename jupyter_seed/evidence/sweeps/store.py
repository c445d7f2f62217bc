"""Save a sweep as it runs (JSON lines) and resume it: only seeds without a result run again.

One file, one JSON object per line, appended as each seed finishes, so a crash,
Ctrl-C or a kernel restart loses at most the seeds that were running:

    {"kind": "header", "format": 1, "created": "...", "environment": {"python": "3.11.7", ...}}
    {"kind": "code", "variant": null, "name": "train", "hash": "sha256:...", "identity": 2, "parts": {...}}
    {"kind": "run", "variant": null, "seed": 3, "metrics": {"acc": 0.91}, "error": null, "seconds": 1.2}

Non-finite metrics are written as the strings "nan", "inf", "-inf" (strict JSON).
Every line is checked (:mod:`.records`); a bad one is refused in one line with its
number. A torn last line (the process died, or the disk filled, mid-write) holds no
complete record: it is cut off before the next append, so every complete record is
kept and the first one written after the crash is not lost. The path is resolved
once, when the store is opened (``~`` expanded): code that changes directory does
not move it. Resuming code whose identity (:mod:`.identity`) differs from the
recorded one, or that the identity cannot cover, is refused in one line.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ...seeding.error_root import JupyterSeedError
from ...seeding.messages import short_text
from ...seeding.seeds import MAX_SEED, validate_seed
from . import records
from .engine import SeedRun
from .identity import SCHEME, Identity

__all__ = [
    "MAX_SWEEP_SEEDS",
    "StoreError",
    "SweepStore",
    "load_sweep",
    "named_sweeps",
    "open_store",
    "parse_seeds",
]

MAX_STORE_BYTES = 1 << 30
GLUE_MARK = '{"kind"'
MAX_SWEEP_SEEDS = 100_000
"""A larger sweep is almost always a typo (``0:4294967295``); split it up on purpose."""


def parse_seeds(spec: str | Iterable[int]) -> list[int]:
    """``"0:100"`` (stop excluded), ``"0:100:5"``, ``"1,7,3407"`` or a mix (``"1,10:20"``); or ints.

    Raises ``ValueError`` with one line naming the bad part (``TypeError`` for a non-iterable).
    """
    if isinstance(spec, str):
        seeds: list[int] = []
        parts = [part.strip() for part in spec.split(",")]
        if not spec.strip() or any(not part for part in parts):
            raise ValueError(
                f"seeds {spec!r}: expected START:STOP[:STEP] or N,N,... e.g. '0:100' or '1,7,3407'"
            )
        for part in parts:
            seeds.extend(_parse_part(part, spec))
            if len(seeds) > MAX_SWEEP_SEEDS:
                break
    else:
        if isinstance(spec, (bytes, Mapping)) or not isinstance(spec, Iterable):
            raise TypeError(f"seeds must be a spec string or an iterable of ints, got {type(spec).__name__}")
        seeds = []
        for item in spec:
            try:
                seeds.append(validate_seed(item))
            except (TypeError, ValueError) as error:
                raise ValueError(str(error)) from None
            if len(seeds) > MAX_SWEEP_SEEDS:
                break
    if not seeds:
        raise ValueError("no seeds to sweep")
    if len(seeds) > MAX_SWEEP_SEEDS:
        raise ValueError(f"more than {MAX_SWEEP_SEEDS} seeds; sweep fewer at a time")
    seen: set[int] = set()
    for seed in seeds:
        if seed in seen:
            raise ValueError(f"seed {seed} appears twice in the sweep")
        seen.add(seed)
    return seeds


def _parse_part(part: str, spec: str) -> range | list[int]:
    pieces = part.split(":")
    if len(pieces) > 3:
        raise ValueError(f"seeds {spec!r}: {part!r} has too many ':' (START:STOP[:STEP])")
    try:
        numbers = [int(piece.strip(), 10) for piece in pieces]
    except ValueError:
        raise ValueError(f"seeds {spec!r}: {part!r} is not an integer or START:STOP[:STEP]") from None
    if len(numbers) == 1:
        try:
            return [validate_seed(numbers[0])]
        except ValueError as error:
            raise ValueError(f"seeds {spec!r}: {error}") from None
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1
    if step <= 0:
        raise ValueError(f"seeds {spec!r}: step must be positive, got {step}")
    if not 0 <= start < stop <= MAX_SEED + 1:
        raise ValueError(f"seeds {spec!r}: need 0 <= START < STOP <= {MAX_SEED + 1}, got {start}:{stop}")
    if (stop - start + step - 1) // step > MAX_SWEEP_SEEDS:
        raise ValueError(f"seeds {spec!r}: more than {MAX_SWEEP_SEEDS} seeds; sweep fewer at a time")
    return range(start, stop, step)


def _encode(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)  # 'nan', 'inf', '-inf'


def store_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with ``~`` expanded, made absolute against the working directory of now."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


class StoreError(JupyterSeedError, ValueError):
    """A store that cannot be used: unreadable, malformed, or written by different code."""


class SweepStore:
    """The runs saved in one JSON-lines file, and the appender for new ones."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = store_path(path)
        self.header: dict[str, Any] | None = None
        self.codes: dict[str | None, dict[str, Any]] = {}
        self.runs: dict[tuple[str | None, int], SeedRun] = {}
        self._repair: tuple[str, int] | None = None  # ("cut", offset) or ("end", 0) before the next append
        if os.path.lexists(self.path):
            self._read()

    # ----------------------------------------------------------- reading
    def _load_bytes(self) -> bytes:
        try:
            info = os.stat(self.path)
            if not stat.S_ISREG(info.st_mode):
                raise StoreError(f"{self.path} is not a regular file")
            if info.st_size > MAX_STORE_BYTES:
                raise StoreError(f"{self.path} has {info.st_size} bytes (at most {MAX_STORE_BYTES})")
            return self.path.read_bytes()
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _read(self) -> None:
        data = self._load_bytes()
        body, newline, tail = data.rpartition(b"\n")
        lines = body.split(b"\n") if newline else []
        if not newline:
            tail = data
        for number, raw in enumerate(lines, 1):
            self._take_line(number, raw)
        if tail.strip(b" \t\r"):
            try:
                self._take(len(lines) + 1, records.parse_line(tail.decode("utf-8")))
                self._repair = ("end", 0)  # complete, but its newline was never written
            except (UnicodeDecodeError, records.RecordError):
                self._repair = ("cut", len(data) - len(tail))  # torn: no complete record in it
        if self.header is None and (self.codes or self.runs):
            raise StoreError(f"{self.path} is not a jupyter-seed sweep file (no header line)")

    def _take_line(self, number: int, raw: bytes) -> None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(f"{self.path} line {number} is not UTF-8 text") from None
        if not line.strip():
            return
        try:
            record = records.parse_line(line)
        except records.RecordError as error:
            glued = _glued_record(line)
            if glued is None:
                raise StoreError(f"{self.path} line {number}: {error}") from None
            record = glued
        self._take(number, record)

    def _take(self, number: int, record: dict[str, Any]) -> None:
        kind = record["kind"]
        where = f"{self.path} line {number}"
        if kind == "header":
            if self.header is not None:
                raise StoreError(f"{where}: a second header line")
            if record.get("format") != records.FORMAT:
                raise StoreError(
                    f"{where}: format {short_text(repr(record.get('format')), 20)}, expected {records.FORMAT}"
                )
            self.header = record
            return
        if self.header is None:
            raise StoreError(f"{self.path} is not a jupyter-seed sweep file (no header line)")
        variant = records.variant(record)
        if kind == "code":
            known = self.codes.get(variant)
            if known is not None and known["hash"] != record["hash"]:
                raise StoreError(
                    f"{where}: a second, different code record for {_label(variant)}; "
                    "the file mixes results of two codes"
                )
            self.codes.setdefault(variant, record)
            return
        if variant not in self.codes:
            raise StoreError(f"{where}: a run of {_label(variant)} before its code record")
        run = SeedRun(
            seed=records.seed(record),
            metrics=records.metrics(record),
            error=record.get("error"),
            seconds=float(record["seconds"]),
        )
        self.runs[(variant, run.seed)] = run

    # ---------------------------------------------------------- resuming
    def check(self, variant: str | None, name: str, identity: Identity) -> None:
        """Refuse, in one line, when the file holds results of other code for ``variant``."""
        recorded = self.codes.get(variant)
        if recorded is None:
            return
        if recorded.get("identity") != SCHEME:
            raise StoreError(
                f"{self.path.name} was saved by an older jupyter-seed whose code identity cannot tell "
                f"closures, defaults and globals apart; resuming {_label(variant)} is refused: use a new file"
            )
        if recorded["hash"] != identity.digest:
            before = recorded.get("parts", {})
            changed = [
                label
                for label in sorted(set(before) | set(identity.parts))
                if before.get(label) != identity.parts.get(label)
            ]
            what = f": {', '.join(changed[:3])}{' ...' if len(changed) > 3 else ''}" if changed else ""
            raise StoreError(
                f"{self.path.name} holds results of different code for {_label(variant)} "
                f"({recorded['name']} changed since it was saved{what}); use another file or delete it"
            )
        missing = list(identity.uncovered) + list(recorded.get("uncovered", []))
        if missing and self.done(variant):
            raise StoreError(
                f"cannot resume {_label(variant)} from {self.path.name}: the code identity cannot cover "
                f"{missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}, so a change "
                "there would go unseen; use a new file"
            )

    def claim(self, variant: str | None, name: str, identity: Identity) -> None:
        """Bind ``variant`` to this code (recorded in the file the first time)."""
        self.check(variant, name, identity)
        if variant not in self.codes:
            record = {
                "kind": "code",
                "variant": variant,
                "name": name,
                "hash": identity.digest,
                "identity": SCHEME,
                "parts": identity.parts,
                "uncovered": list(identity.uncovered),
            }
            self._append(record)
            self.codes[variant] = record

    def done(self, variant: str | None) -> dict[int, SeedRun]:
        return {seed: run for (name, seed), run in self.runs.items() if name == variant}

    def variants(self) -> list[str | None]:
        return list(self.codes)

    # ------------------------------------------------------------ writing
    def save(self, variant: str | None, run: SeedRun) -> None:
        metrics = None if run.metrics is None else {k: _encode(v) for k, v in run.metrics.items()}
        record = {
            "kind": "run",
            "variant": variant,
            "seed": run.seed,
            "metrics": metrics,
            "error": run.error,
            "seconds": round(run.seconds, 6),
        }
        self._append(record)
        self.runs[(variant, run.seed)] = run

    def _append(self, record: dict[str, Any]) -> None:
        lines = []
        header = self.header
        if header is None:
            header = records.new_header()
            lines.append(json.dumps(header, allow_nan=False))
        lines.append(json.dumps(record, allow_nan=False))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab", buffering=0) as handle:
                data = self._repaired(handle, data)
                start = handle.seek(0, os.SEEK_END)
                try:
                    written = 0
                    while written < len(data):
                        written += handle.write(data[written:]) or 0
                except OSError:
                    handle.truncate(start)  # leave no torn line behind (a full disk)
                    raise
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror or error}") from None
        self.header = header

    def _repaired(self, handle: Any, data: bytes) -> bytes:
        """Cut off a torn last line, or end an unterminated one, before the first append."""
        if self._repair is not None:
            action, offset = self._repair
            if action == "cut":
                handle.truncate(offset)
            else:
                data = b"\n" + data
            self._repair = None
        return data


def _label(variant: str | None) -> str:
    return "the sweep" if variant is None else f"variant {variant!r}"


def _glued_record(line: str) -> dict[str, Any] | None:
    """A record appended after a torn line by an older jupyter-seed, which did not cut the torn part off."""
    start = line.find(GLUE_MARK, 1)
    while start > 0:
        try:
            return records.parse_line(line[start:])
        except records.RecordError:
            start = line.find(GLUE_MARK, start + 1)
    return None


# ------------------------------------------------------------------ opening
def open_store(
    save: str | os.PathLike[str] | None, identities: Mapping[str | None, tuple[str, Identity]]
) -> SweepStore | None:
    """The store behind ``save=``, bound to each variant's code: ``{variant: (name, identity)}``."""
    if save is None:
        return None
    store = SweepStore(save)
    for variant, (name, identity) in identities.items():  # every variant checked before the file changes
        store.check(variant, name, identity)
    for variant, (name, identity) in identities.items():
        store.claim(variant, name, identity)
    return store


def saved_runs(
    store: SweepStore | None, variants: Iterable[str | None], seeds: list[int]
) -> dict[tuple[str | None, int], SeedRun]:
    """The saved runs of ``variants`` among ``seeds``."""
    if store is None:
        return {}
    wanted, names = set(seeds), set(variants)
    return {key: run for key, run in store.runs.items() if key[0] in names and key[1] in wanted}


# ------------------------------------------------------------ named sweeps
def load_sweep(path: str | os.PathLike[str], variant: str | None = None, **options: Any) -> Any:
    """The saved runs of one variant (the file's only one when it is omitted) as a ``SweepResult``."""
    from .result import SweepResult

    store = SweepStore(path)
    if not store.runs:
        raise StoreError(f"{store.path.name} holds no saved seeds")
    variants = store.variants()
    if variant is None and len(variants) > 1:
        names = ", ".join(repr(v) for v in variants)
        raise StoreError(f"{store.path.name} holds several variants ({names}); name one")
    chosen = variant if variant is not None else (variants[0] if variants else None)
    runs = sorted(store.done(chosen).values(), key=lambda run: run.seed)
    return SweepResult(runs, **options)


_NAMED: Any = None


def named_sweeps(shell: object) -> dict[str, Any]:
    """Sweeps kept by name in one shell (``%%seed --sweep ... --save NAME``), for ``--compare NAME``."""
    global _NAMED
    import weakref

    if _NAMED is None:
        _NAMED = weakref.WeakKeyDictionary()
    return _NAMED.setdefault(shell, {})
