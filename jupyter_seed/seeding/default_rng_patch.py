"""Make ``numpy.random.default_rng()`` without a seed draw from the active seed.

NumPy's global seed never reaches Generators, so a notebook that calls
``default_rng()`` stays random after ``%seed``. The patch replaces the function
in ``numpy.random`` (code that imported the name earlier keeps the original).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class DefaultRngPatch:
    def __init__(self, seeded_generator: Callable[[], Any]) -> None:
        self._seeded_generator = seeded_generator
        self._namespace: Any = None
        self._original: Any = None
        self._replacement: Any = None

    @property
    def installed(self) -> bool:
        return self._namespace is not None

    def install(self, numpy_random: Any) -> None:
        if self.installed:
            return
        original = numpy_random.default_rng
        seeded_generator = self._seeded_generator

        def default_rng(seed: Any = None) -> Any:
            if seed is None:
                generator = seeded_generator()
                if generator is not None:
                    return generator
            return original(seed)

        default_rng.__doc__ = original.__doc__
        default_rng.__wrapped__ = original  # type: ignore[attr-defined]
        numpy_random.default_rng = default_rng
        self._namespace, self._original, self._replacement = numpy_random, original, default_rng

    def uninstall(self) -> None:
        if not self.installed:
            return
        if self._namespace.default_rng is self._replacement:
            self._namespace.default_rng = self._original
        self._namespace = self._original = self._replacement = None
