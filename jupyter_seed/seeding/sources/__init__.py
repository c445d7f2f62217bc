"""Random source adapters: the built-in ones and those from the entry-point group.

A third-party package adds a source by exposing a :class:`RandomSource` subclass
(or a zero-argument factory returning an instance) in its metadata::

    [project.entry-points."jupyter_seed.sources"]
    mylib = "mylib.seeding:MyLibSource"
"""

from __future__ import annotations

import sys
from importlib import import_module

from ..messages import describe_error
from .base import DeterministicMode, Flags, RandomSource, check_source

ENTRY_POINT_GROUP = "jupyter_seed.sources"

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "DeterministicMode",
    "Flags",
    "RandomSource",
    "SourceDeclaration",
    "builtin_sources",
    "entry_point_sources",
]


class SourceDeclaration:
    """A built-in adapter described without importing it.

    A kernel that never imports torch never imports the torch adapter either:
    the seeder watches :attr:`module` and imports the adapter once the library
    is loaded (or when everything is asked for: the status, deterministic mode).
    ``tests/unit/test_source_list.py`` checks that each line matches its adapter.
    """

    __slots__ = ("name", "module", "has_global_state", "adapter")

    def __init__(self, name: str, module: str | None, has_global_state: bool, adapter: str) -> None:
        self.name = name
        self.module = module
        self.has_global_state = has_global_state
        self.adapter = adapter

    def is_loaded(self) -> bool:
        return self.module is None or self.module in sys.modules

    def create(self) -> RandomSource:
        module_name, _, class_name = self.adapter.partition(":")
        source: RandomSource = getattr(import_module(module_name, __name__), class_name)()
        return source

    def __repr__(self) -> str:
        return f"SourceDeclaration({self.name!r}, module={self.module!r})"


# Order matters: Keras' official seeding also seeds TF and torch, and TF before
# Keras mirrors keras.utils.set_random_seed.
BUILTIN: tuple[SourceDeclaration, ...] = (
    SourceDeclaration("random", "random", True, ".random_source:PythonRandomSource"),
    SourceDeclaration("numpy", "numpy.random", True, ".numpy_source:NumpySource"),
    SourceDeclaration("torch", "torch", True, ".torch_source:TorchSource"),
    SourceDeclaration("tensorflow", "tensorflow", True, ".tensorflow_source:TensorflowSource"),
    SourceDeclaration("keras", "keras", True, ".keras_source:KerasSource"),
    SourceDeclaration("jax", "jax", False, ".jax_source:JaxSource"),
    SourceDeclaration("polars", "polars", True, ".polars_source:PolarsSource"),
    SourceDeclaration("cupy", "cupy", True, ".cupy_source:CupySource"),
    SourceDeclaration("pythonhashseed", None, True, ".hashseed_source:HashSeedSource"),
)


def builtin_sources() -> list[RandomSource]:
    """Every built-in adapter, imported and instantiated, in seeding order."""
    return [declaration.create() for declaration in BUILTIN]


def entry_point_sources(taken: set[str]) -> tuple[list[RandomSource], dict[str, str]]:
    """Instantiate third-party sources; a broken plugin is reported, never fatal."""
    from ..plugin_scan import group_is_declared

    if not group_is_declared(ENTRY_POINT_GROUP):
        return [], {}
    from importlib.metadata import entry_points

    sources: list[RandomSource] = []
    errors: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            source = check_source(entry.load()())
            if source.name in taken:
                raise ValueError(f"source name {source.name!r} is already taken")
        except Exception as error:  # noqa: BLE001 - a plugin must not break seeding
            errors[entry.name] = describe_error(error)
            print(f"jupyter-seed: source plugin {entry.name!r} skipped: {errors[entry.name]}", file=sys.stderr)
            continue
        taken.add(source.name)
        sources.append(source)
    return sources, errors
