"""Kernel-internal traffic never consumes the user's streams (real kernels, jupyter_client)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager
from kernel_client import Kernel

pytestmark = pytest.mark.kernel

DRAWS = "import random; [random.random() for _ in range(3)]"


def expected_draws(seed: int) -> str:
    generator = random.Random(seed)
    return repr([generator.random() for _ in range(3)])


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    started = Kernel()
    yield started
    started.shutdown()


def reconnect(client: object, times: int = 3) -> None:
    """What a front end sends on every connect and reconnect."""
    for _ in range(times):
        reply = client.kernel_info(reply=True, timeout=60)  # type: ignore[attr-defined]
        assert reply["content"]["status"] == "ok"


def test_reconnect_does_not_shift_random_after_seed(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 5 --quiet")
    reconnect(kernel.client)
    assert kernel.value(DRAWS) == expected_draws(5)


def test_banner_still_has_a_tip_and_unload_puts_ipython_back(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    reply = kernel.client.kernel_info(reply=True, timeout=60)
    assert "Tip:" in reply["content"]["banner"]
    kernel.execute("%unload_ext jupyter_seed")
    assert kernel.value(
        "import IPython.core.interactiveshell as s, IPython.core.tips as t; s.pick_tip is t.pick_tip"
    ) == "True"


def test_kernelspec_seed_holds_for_the_first_cell_after_connects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_seed.kernel.kernelspec import install

    install(name="seeded-test", seed=11, prefix=str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    manager = KernelManager(kernel_name="seeded-test", ip="127.0.0.1")
    assert manager.kernel_spec.argv[0] == sys.executable
    manager.start_kernel(env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)  # itself a kernel_info_request
        reconnect(client)
        collect = _Collector()
        reply = client.execute_interactive(DRAWS, timeout=120, output_hook=collect)
        assert reply["content"]["status"] == "ok"
        assert collect.result == expected_draws(11)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class _Collector:
    def __init__(self) -> None:
        self.result: str | None = None

    def __call__(self, message: dict[str, object]) -> None:
        if message["msg_type"] == "execute_result":
            self.result = message["content"]["data"]["text/plain"]  # type: ignore[index]
