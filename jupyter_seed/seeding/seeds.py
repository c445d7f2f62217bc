"""Seed values: validation, per-cell derivation and fresh entropy.

Kept free of heavy imports: this module is on the extension's load path.
"""

from __future__ import annotations

import operator

from .error_root import JupyterSeedError
from .messages import ECHO_LIMIT, ELLIPSIS, short_int, short_text

MAX_SEED = 2**32 - 1
"""Largest accepted seed. NumPy's legacy seeding is the narrowest common range."""

DERIVATION_TAG = b"jupyter-seed/cell/v1"


class InvalidSeedError(JupyterSeedError, ValueError):
    """A seed out of range or unreadable; always a one-line message."""


class SeedTypeError(InvalidSeedError, TypeError):
    """A seed of the wrong type. Also a ``ValueError``, so ``except ValueError`` catches every bad seed."""


def _echo(value: object) -> str:
    """A short, one-line rendering of what the caller passed, even for hostile objects."""
    if isinstance(value, int):
        return short_int(value)
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return f"{value[:ECHO_LIMIT]!r}{ELLIPSIS}({len(value)} characters)"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not replace our error
        text = f"<{type(value).__name__}>"
    return short_text(" ".join(text.split()))


def validate_seed(value: object, *, name: str = "seed") -> int:
    """Return ``value`` as an ``int`` in ``[0, MAX_SEED]`` or raise :class:`InvalidSeedError`.

    ``bool`` and ``str`` are refused with :class:`SeedTypeError` even though Python
    could coerce them: ``seed_everything(True)`` or ``seed_everything("7")`` is
    almost always a bug in the caller. Floats are refused for the same reason.
    """
    if type(value) is int and 0 <= value <= MAX_SEED:  # the common case, first: seed_everything is timed
        return value
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise SeedTypeError(f"{name} must be an integer, got {type(value).__name__} {_echo(value)}")
    try:
        seed = operator.index(value)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a third-party __index__ may raise anything
        raise SeedTypeError(f"{name} must be an integer, got {type(value).__name__} {_echo(value)}") from None
    if not 0 <= seed <= MAX_SEED:
        raise InvalidSeedError(f"{name} must be an integer in [0, {MAX_SEED}], got {_echo(seed)}")
    return seed


def parse_seed_text(text: object, *, name: str = "seed") -> int:
    """Parse a seed typed by a person (magic argument, CLI flag); ``name`` is how the error names it."""
    if not isinstance(text, str):
        raise SeedTypeError(f"{name} must be given as text, got {type(text).__name__} {_echo(text)}")
    stripped = text.strip()
    value = None
    if len(stripped) <= 2 * len(str(MAX_SEED)):  # bounded: int() on a huge text is slow or refused
        try:
            value = int(stripped, 10)
        except ValueError:
            pass
    if value is None:
        raise InvalidSeedError(f"{name} must be an integer in [0, {MAX_SEED}], got {_echo(text)}")
    return validate_seed(value, name=name)


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
