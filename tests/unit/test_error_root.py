"""Every error of ours derives from one root, ``jupyter_seed.JupyterSeedError``."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import jupyter_seed
from jupyter_seed.evidence.checks.runner import NotebookCheckError
from jupyter_seed.evidence.options import OptionError
from jupyter_seed.evidence.sweeps.store import StoreError
from jupyter_seed.kernel.protocol import ProtocolError
from jupyter_seed.seeding.checkpoint import CheckpointError
from jupyter_seed.seeding.error_root import JupyterSeedError
from jupyter_seed.seeding.seeds import InvalidSeedError, SeedTypeError

PACKAGE = Path(jupyter_seed.__file__).parent
ERRORS = [InvalidSeedError, SeedTypeError, CheckpointError, StoreError, ProtocolError, NotebookCheckError, OptionError]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
def test_each_error_derives_from_the_root(error: type[Exception]) -> None:
    assert issubclass(error, JupyterSeedError)
    assert jupyter_seed.JupyterSeedError is JupyterSeedError


def test_bad_input_errors_stay_value_errors() -> None:
    """Code written against the builtins keeps catching them."""
    for error in (InvalidSeedError, CheckpointError, StoreError, ProtocolError, OptionError):
        assert issubclass(error, ValueError), error
    assert issubclass(SeedTypeError, TypeError)


def test_no_error_class_of_ours_is_left_out() -> None:
    """Every ``class ...Error`` anywhere in the package, a new one included, derives from the root."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                found[f"{module}.{node.name}"] = getattr(importlib.import_module(module), node.name)
    assert {error.__name__ for error in ERRORS} <= {error.__name__ for error in found.values()}
    assert [name for name, error in found.items() if not issubclass(error, JupyterSeedError)] == []
