"""The contract every random source adapter fulfils.

An adapter wraps one random source (a library's global generator or a piece of
process state). It must never import its library: :attr:`module` names the
top-level module whose presence in ``sys.modules`` means the source is live, and
the seeder only calls :meth:`seed` and friends once that module has been
imported (the import hook calls them right after the import finishes).
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .state_codec import ArrayReader, ArrayWriter

DeterministicMode = Literal["off", "strict", "warn"]
Flags = dict[str, "bool | str | int | None"]


def library_installed(module: str | None) -> bool:
    """Whether ``module``'s top-level package could be imported, asked without importing it."""
    if module is None:
        return True
    return _top_level_installed(module.partition(".")[0])


@cache
def _top_level_installed(top_level: str) -> bool:
    if top_level in sys.modules:
        return True
    from importlib.util import find_spec

    try:
        return find_spec(top_level) is not None
    except (ImportError, ValueError):
        return False


class RandomSource:
    """Base class for adapters; subclasses override what applies to them."""

    #: Short stable identifier, used in state dicts and reports.
    name: str = ""
    #: Human-readable name for the status table.
    label: str = ""
    #: Top-level module that must be imported for the source to be live.
    #: ``None`` means the source is always live (process state such as env vars).
    module: str | None = None
    #: Whether :meth:`seed` actually seeds something; JAX has no global state.
    has_global_state: bool = True

    def is_loaded(self) -> bool:
        return self.module is None or self.module in sys.modules

    def is_installed(self) -> bool:
        """Whether the library could be imported (asked without importing it, once)."""
        return library_installed(self.module)

    def version(self) -> str | None:
        mod = sys.modules.get(self.module) if self.module else None
        return getattr(mod, "__version__", None) if mod is not None else None

    def seed(self, seed: int) -> None:
        """Seed the source so its next draws equal the library's official seeding."""

    def read_seed(self, last_applied: int | None) -> int | None:
        """The seed the library reports it was last seeded with, when it can tell."""
        return last_applied

    def get_state(self) -> Any:
        """A snapshot of the source's full generator state (opaque)."""
        return None

    def set_state(self, state: Any) -> None:
        """Restore a snapshot taken by :meth:`get_state`."""

    def encode_state(self, state: Any, arrays: ArrayWriter) -> Any:
        """A :meth:`get_state` snapshot as JSON-ready values for a state file; arrays go to ``arrays``.

        The adapter owns this format: the default writes plain values and NumPy
        arrays (:func:`~.state_codec.encode_plain`); an adapter whose state holds
        its library's objects writes them itself. Raise
        :class:`~.state_codec.StateNotPortable` when the state cannot be written
        without pickle.
        """
        from .state_codec import StateNotPortable, encode_plain

        if state is None:
            raise StateNotPortable("the library cannot read its generator's state back")
        return encode_plain(state, arrays)

    def decode_state(self, node: Any, arrays: ArrayReader) -> Any:
        """What :meth:`encode_state` wrote, as a state for :meth:`set_state`.

        Raise ``ValueError`` for a description this adapter did not write; it is
        called for every state in a file before any is applied.
        """
        from .state_codec import decode_plain

        return decode_plain(node, arrays)

    def prepare_deterministic(self, mode: DeterministicMode) -> list[str]:
        """Set what must be in place *before* the library is imported (env vars).

        Called whether or not the module is loaded. Returns warnings about what
        was set too late to take effect.
        """
        return []

    def apply_deterministic(self, mode: DeterministicMode) -> list[str]:
        """Switch the loaded library's deterministic algorithms on or off."""
        return []

    def determinism(self) -> Flags:
        """Determinism flags read back from the library (not what we set)."""
        return {}

    def warnings(self) -> list[str]:
        """What cannot be fixed at run time, stated plainly for the status."""
        return []

    def on_import(self) -> None:
        """Called right after :attr:`module` finished importing, before the reseed."""

    def detach(self) -> None:
        """Put back every patch, flag and variable the adapter changed (extension unload).

        Generator states are not put back: the user's draws since then are theirs.
        """


def check_source(source: object) -> RandomSource:
    """Refuse a source whose identity the seeder relies on is malformed (one-line error).

    The rest of what a source says is checked on every read, in
    :mod:`jupyter_seed.seeding.boundary`.
    """
    if not isinstance(source, RandomSource):
        raise TypeError(f"expected a RandomSource, got {type(source).__name__}")
    name, module, has_state = source.name, source.module, source.has_global_state
    if type(name) is not str or not name.strip() or len(name) > 100:
        raise TypeError(f"source name must be a non-empty str of at most 100 characters, got {type(name).__name__}")
    if module is not None and type(module) is not str:
        raise TypeError(f"source {name!r}: module must be a str or None, got {type(module).__name__}")
    if type(has_state) is not bool:
        raise TypeError(f"source {name!r}: has_global_state must be a bool, got {type(has_state).__name__}")
    return source


class EnvironmentVariables:
    """Sets env vars and puts back exactly what was there before the first change."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, name: str, value: str) -> None:
        if name not in self._saved:
            self._saved[name] = os.environ.get(name)
        os.environ[name] = value

    def value_before(self, name: str) -> str | None:
        """The value ``name`` had before we first changed it (its current value if we did not)."""
        return self._saved[name] if name in self._saved else os.environ.get(name)

    def restore(self, name: str) -> None:
        if name not in self._saved:
            return
        previous = self._saved.pop(name)
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous

    def restore_all(self) -> None:
        for name in list(self._saved):
            self.restore(name)
