"""The post-import hook, on throwaway modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_seed.seeding.import_hook import PostImportFinder


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("js_hook_")]:
        del sys.modules[name]


def test_callback_runs_after_the_module_finished_importing(modules: Path) -> None:
    (modules / "js_hook_a.py").write_text("import sys\nready = True\n")
    seen: list[tuple[str, bool]] = []
    finder = PostImportFinder(["js_hook_a"], lambda name: seen.append((name, sys.modules[name].ready)))
    finder.install()
    try:
        module = importlib.import_module("js_hook_a")
    finally:
        finder.uninstall()
    assert seen == [("js_hook_a", True)]
    # The real loader is back on the module: nothing downstream sees ours.
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__ is not None and module.__spec__.loader is module.__loader__


def test_unwatched_modules_and_uninstalled_hook_are_left_alone(modules: Path) -> None:
    (modules / "js_hook_b.py").write_text("")
    (modules / "js_hook_c.py").write_text("")
    seen: list[str] = []
    finder = PostImportFinder(["js_hook_c"], seen.append)
    finder.install()
    finder.install()  # idempotent
    importlib.import_module("js_hook_b")
    finder.uninstall()
    assert finder not in sys.meta_path
    importlib.import_module("js_hook_c")
    assert seen == []


def test_failing_import_does_not_call_back(modules: Path) -> None:
    (modules / "js_hook_d.py").write_text("raise ImportError('broken module')\n")
    seen: list[str] = []
    finder = PostImportFinder(["js_hook_d"], seen.append)
    finder.install()
    try:
        with pytest.raises(ImportError, match="broken module"):
            importlib.import_module("js_hook_d")
    finally:
        finder.uninstall()
    assert seen == []
