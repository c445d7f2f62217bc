"""Fixtures shared by the evidence tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def dask_executor() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            processes=True,
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


@pytest.fixture(autouse=True)
def _hash_seed_as_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels these tests start inherit PYTHONHASHSEED as the test process started with it.

    A seeding test earlier in the session (``seed_everything`` sets the variable for child
    processes) must not fix str hashing in the kernels a later check starts: the hash-seed
    cases would then reproduce by accident.
    """
    from jupyter_seed.seeding.sources.hashseed_source import startup_hash_seed

    start = startup_hash_seed()
    if start is None:
        monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    else:
        monkeypatch.setenv("PYTHONHASHSEED", start)
