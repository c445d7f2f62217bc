from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def seeder() -> Iterator[object]:
    """The process-wide seeder, returned to a clean configuration afterwards."""
    from jupyter_seed.seeding.seeder import get_seeder

    seeder = get_seeder()
    yield seeder
    seeder.set_deterministic("off")
    seeder.detach()


@pytest.fixture
def shell(seeder: object) -> Iterator[object]:
    """An IPython InteractiveShell with the extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_seed")
    yield ip
    if "jupyter_seed" in ip.extension_manager.loaded:
        ip.run_line_magic("unload_ext", "jupyter_seed")
