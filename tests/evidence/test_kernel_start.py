"""The check's kernels: ready on their own answers, stopped in the background, none left behind."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from jupyter_seed.evidence.checks.kernel_start import DeferredShutdowns, prompt_client_class
from jupyter_seed.evidence.checks.runner import execute_runs, kernel_env

pytestmark = pytest.mark.kernel


def run_async(main: Any) -> Any:
    """``asyncio.run(main())`` in a thread of its own: the test process may have a loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result(timeout=120)


def test_a_prompt_client_is_ready_with_iopub_connected() -> None:
    from jupyter_client.manager import AsyncKernelManager

    async def start_and_execute() -> list[str]:
        manager = AsyncKernelManager(kernel_name="python3")
        manager.client_factory = prompt_client_class()
        await manager.start_kernel(env=kernel_env())
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            # IOPub must carry the very first execution's output: that is what "ready" promises.
            request = client.execute("print('first words')")
            texts: list[str] = []
            while True:
                message = await client.get_iopub_msg(timeout=30)
                if message["parent_header"].get("msg_id") != request:
                    continue
                if message["msg_type"] == "stream":
                    texts.append(message["content"]["text"])
                if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                    return texts
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    for _ in range(3):  # a late IOPub subscription happens now and then: never a lost first output
        assert run_async(start_and_execute) == ["first words\n"]


def test_a_prompt_client_says_when_the_kernel_dies_before_answering() -> None:
    from jupyter_client.manager import AsyncKernelManager

    async def start_dying() -> None:
        manager = AsyncKernelManager(kernel_name="python3")
        manager.client_factory = prompt_client_class()
        await manager.start_kernel(env=kernel_env())
        client = manager.client()
        client.start_channels()
        try:
            await manager.signal_kernel(9)
            await client.wait_for_ready(timeout=30)
        finally:
            client.stop_channels()
            await manager.cleanup_resources()

    with pytest.raises(RuntimeError, match="died"):
        run_async(start_dying)


def test_deferred_shutdowns_are_all_awaited_and_their_errors_swallowed() -> None:
    finished: list[int] = []

    async def shutdown(number: int) -> None:
        await asyncio.sleep(0.01 * number)
        if number == 2:
            raise RuntimeError("No kernel is running!")
        finished.append(number)

    async def main() -> None:
        shutdowns = DeferredShutdowns()
        for number in range(4):
            shutdowns.defer(shutdown(number))
        await shutdowns.wait()
        assert not shutdowns.pending

    run_async(main)
    assert sorted(finished) == [0, 1, 3]


def test_runs_leave_no_kernel_process_behind(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getpid())")])
    executed = execute_runs(notebook, runs=3, seed=None, per_cell=None, cwd=str(tmp_path))
    pids = [int(copy_.cells[0].outputs[0]["text"]) for copy_ in executed]
    assert len(set(pids)) == 3
    # The shutdowns ran in the background of later runs, but all of them ended before the return.
    alive = [pid for pid in pids if _alive(pid)]
    assert not alive, f"kernels still running after the runs returned: {alive}"


def test_kernels_import_this_package_and_not_its_subfolders() -> None:
    entries = kernel_env()["PYTHONPATH"].split(os.pathsep)
    import jupyter_seed

    assert entries[0] == str(Path(jupyter_seed.__file__).resolve().parents[1])
    assert not any(Path(entry).name in ("evidence", "checks", "jupyter_seed") for entry in entries)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie counts as gone: its parent (the kernel's launcher) reaps it.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_a_kernel_that_publishes_no_status_for_kernel_info_is_still_ready() -> None:
    """Not every kernel publishes busy/idle for kernel_info: after a few such replies, the stock wait."""
    from jupyter_client.manager import AsyncKernelManager

    from jupyter_seed.evidence.checks.kernel_start import SILENT_KERNEL_REPLIES

    base = prompt_client_class()
    replies: list[int] = []

    class SilentStatusClient(base):  # type: ignore[misc, valid-type]
        async def _iopub_echoes(self, asked: set[str]) -> bool:
            replies.append(len(asked))
            return False  # as if the kernel never published the status of these requests

    async def start() -> str:
        manager = AsyncKernelManager(kernel_name="python3")
        manager.client_factory = SilentStatusClient
        await manager.start_kernel(env=kernel_env())
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            request = client.execute("print('answered')")
            while True:
                message = await client.get_iopub_msg(timeout=30)
                if message["parent_header"].get("msg_id") == request and message["msg_type"] == "stream":
                    return str(message["content"]["text"])
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    assert run_async(start) == "answered\n"
    assert len(replies) == SILENT_KERNEL_REPLIES
