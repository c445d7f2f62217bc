"""Seed values: validation, per-cell derivation and fresh entropy.

Kept free of heavy imports: this module is on the extension's load path.
"""

from __future__ import annotations

import operator

MAX_SEED = 2**32 - 1
"""Largest accepted seed. NumPy's legacy seeding is the narrowest common range."""

DERIVATION_TAG = b"jupyter-seed/cell/v1"


def validate_seed(value: object, *, name: str = "seed") -> int:
    """Return ``value`` as an ``int`` in ``[0, MAX_SEED]`` or raise.

    ``bool`` and ``str`` are refused with :class:`TypeError` even though Python
    could coerce them: ``seed_everything(True)`` or ``seed_everything("7")`` is
    almost always a bug in the caller. Floats are refused for the same reason.
    """
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    seed = operator.index(value)  # type: ignore[arg-type]
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {seed}")
    return seed


def parse_seed_text(text: str) -> int:
    """Parse a seed typed by a person (magic argument, CLI flag)."""
    stripped = text.strip()
    try:
        value = int(stripped, 10)
    except ValueError:
        raise ValueError(
            f"seed must be an integer in [0, {MAX_SEED}], got {text!r}"
        ) from None
    return validate_seed(value)


def derive_seed(seed: int, key: str) -> int:
    """Derive the per-cell seed for ``key`` (a cell id, or a cell's source).

    ``sha256(b"jupyter-seed/cell/v1" + b"\\0" + ascii(seed) + b"\\0" + utf8(key))``,
    first four bytes read big-endian. SHA-256 rather than ``hash()`` so the value
    is the same in every process, machine and Python version.
    """
    from hashlib import sha256  # deferred: importing hashlib costs ~6 ms at load

    digest = sha256(b"%s\0%d\0%s" % (DERIVATION_TAG, seed, key.encode("utf-8"))).digest()
    return int.from_bytes(digest[:4], "big")


def entropy_seed() -> int:
    """A fresh seed from the operating system's entropy source."""
    import os

    return int.from_bytes(os.urandom(4), "big")
