"""Random source adapters: the built-in ones and those from the entry-point group.

A third-party package adds a source by exposing a :class:`RandomSource` subclass
(or a zero-argument factory returning an instance) in its metadata::

    [project.entry-points."jupyter_seed.sources"]
    mylib = "mylib.seeding:MyLibSource"
"""

from __future__ import annotations

import sys

from ..errors import describe_error
from ..plugin_scan import group_is_declared
from .base import DeterministicMode, Flags, RandomSource, check_source
from .cupy_source import CupySource
from .hashseed_source import HashSeedSource
from .jax_source import JaxSource
from .keras_source import KerasSource
from .numpy_source import NumpySource
from .polars_source import PolarsSource
from .random_source import PythonRandomSource
from .tensorflow_source import TensorflowSource
from .torch_source import TorchSource

ENTRY_POINT_GROUP = "jupyter_seed.sources"

__all__ = [
    "ENTRY_POINT_GROUP",
    "DeterministicMode",
    "Flags",
    "RandomSource",
    "builtin_sources",
    "entry_point_sources",
]


def builtin_sources() -> list[RandomSource]:
    # Order matters: Keras' official seeding also seeds TF and torch, and TF
    # before Keras mirrors keras.utils.set_random_seed.
    return [
        PythonRandomSource(),
        NumpySource(),
        TorchSource(),
        TensorflowSource(),
        KerasSource(),
        JaxSource(),
        PolarsSource(),
        CupySource(),
        HashSeedSource(),
    ]


def entry_point_sources(taken: set[str]) -> tuple[list[RandomSource], dict[str, str]]:
    """Instantiate third-party sources; a broken plugin is reported, never fatal."""
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
