"""``PYTHONHASHSEED``: fixed for child processes, reported truthfully for the kernel.

A running interpreter's ``str`` hashing was fixed when it started; setting the
variable now only reaches processes started later (DataLoader workers,
multiprocessing). ``jupyter-seed kernelspec`` fixes it from kernel start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

from .base import EnvironmentVariables, Flags, RandomSource

VAR = "PYTHONHASHSEED"


@cache
def startup_hash_seed() -> str | None:
    """The ``PYTHONHASHSEED`` this interpreter started with (``None``: random)."""
    return _read_startup_environment().get(VAR)


def _read_startup_environment() -> dict[str, str]:
    # /proc shows the environment as it was at exec time, before anyone changed
    # os.environ; elsewhere the environment at our first look is the best we have.
    try:
        with open(f"/proc/{os.getpid()}/environ", "rb") as handle:
            raw = handle.read()
    except OSError:
        return dict(os.environ)
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def _raw_environment(name: str) -> tuple[Callable[[], object], Callable[[str], object]]:
    """A fast ``os.environ.get(name)``, and how to encode a text to compare with what it returns.

    The per-cell hook reads the variable on every reseed; the public mapping
    encodes the key and decodes the value each time (~0.5 µs, a tenth of a
    reseed's own work), while its underlying dict answers in ~50 ns. Decided
    once, for both halves, so a reading and an encoded text always compare.
    """
    data = getattr(os.environ, "_data", None)
    encode_key, encode_value = getattr(os.environ, "encodekey", None), getattr(os.environ, "encodevalue", None)
    if isinstance(data, dict) and callable(encode_key) and callable(encode_value):
        key = encode_key(name)
        return (lambda: data.get(key)), encode_value
    return (lambda: os.environ.get(name)), str


def kernel_hashing_fixed() -> bool:
    value = startup_hash_seed()
    return sys.flags.hash_randomization == 0 or (value is not None and value != "random")


_held_for_children = False


def hold_for_children() -> None:
    """From now on this process's children get the ``PYTHONHASHSEED`` set now; reseeds leave it alone.

    Called by a pool worker before its first task: each task's reseed would otherwise
    rewrite the variable (a ``setenv`` per task, and glibc keeps every distinct value:
    ~76 MiB per million tasks), while a value fixed per worker is just as reproducible.
    """
    global _held_for_children
    _held_for_children = True


def fixed_hash_seed() -> str | None:
    """The kernel's own hash seed when it was fixed at start (``None``: its hashing is randomized)."""
    if not kernel_hashing_fixed():
        return None
    value = startup_hash_seed()
    return value if value is not None and value != "random" else "0"


class HashSeedSource(RandomSource):
    name = "pythonhashseed"
    label = "PYTHONHASHSEED (child processes)"
    module = None

    def __init__(self) -> None:
        self._env = EnvironmentVariables()
        self._read, self._encode = _raw_environment(VAR)
        self._texts: dict[int, tuple[str, object]] = {}

    def version(self) -> str | None:
        return None

    def seed(self, seed: int) -> None:
        if _held_for_children:
            return
        texts = self._texts.get(seed)
        if texts is None:
            if len(self._texts) > 4096:  # derived per-cell seeds: one per cell
                self._texts.clear()
            # A kernel whose hashing was fixed at start keeps it for its children: they hash as it does.
            text = fixed_hash_seed() or str(seed)
            texts = self._texts[seed] = (text, self._encode(text))
        if self._read() != texts[1]:
            self._env.set(VAR, texts[0])

    def detach(self) -> None:
        self._env.restore_all()

    def read_seed(self, last_applied: int | None) -> int | None:
        value = os.environ.get(VAR)
        return int(value) if value and value.isdigit() else None

    def get_state(self) -> Any:
        return os.environ.get(VAR)

    def set_state(self, state: Any) -> None:
        if state is None:
            os.environ.pop(VAR, None)
        else:
            os.environ[VAR] = state

    def determinism(self) -> Flags:
        return {
            "kernel_hash_seed": startup_hash_seed() if kernel_hashing_fixed() else "random",
            "children": os.environ.get(VAR),
        }

    def warnings(self) -> list[str]:
        if kernel_hashing_fixed():
            return []
        return [
            (
                "str hashing in this kernel is randomized (PYTHONHASHSEED was not set when it "
                "started), so set iteration order can differ between kernel runs; fix it with "
                "`jupyter-seed kernelspec`"
            )
        ]
