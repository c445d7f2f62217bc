"""Kernels that are ready as soon as they answer, and stopped without waiting for the corpse.

jupyter_client's ``wait_for_ready`` ends by draining IOPub until it has been silent
for 0.2 s, and ``shutdown_kernel(now=True)`` polls every 0.1 s until the killed process
is gone. For a check those are idle wall time on every kernel, about a third of a light
notebook's run, and the doctor starts many kernels. Here a kernel is ready once its
``kernel_info_reply`` came on the shell channel and the ``idle`` status of that same
request came on IOPub (proof that IOPub is connected, which is what the silence stood
for: nbclient reads IOPub messages by their parent request, so older ones are harmless),
and a finished kernel's shutdown runs in the background of the runs that follow it,
awaited before the runner returns.
"""

from __future__ import annotations

import asyncio
import atexit
import time
from queue import Empty
from typing import Any

IOPUB_ECHO_SECONDS = 0.1
"""How long to wait for a request's status on IOPub before asking again: IOPub subscribes late now
and then and misses it; the next request's status (or a late one of an earlier request) then counts."""


SILENT_KERNEL_REPLIES = 3
"""Replies without their IOPub status after which the wait falls back to jupyter_client's own."""


def prompt_client_class() -> Any:
    from jupyter_client.asynchronous import AsyncKernelClient

    class PromptKernelClient(AsyncKernelClient):  # type: ignore[misc]
        """``wait_for_ready`` without the trailing silence: the kernel's own answers prove it ready."""

        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            asked: set[str] = set()
            unechoed = 0
            while True:
                asked.add(self.kernel_info())
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply.get("msg_type") == "kernel_info_reply":
                    if await self._iopub_echoes(asked):
                        self._handle_kernel_info_reply(reply)
                        return
                    unechoed += 1
                    if unechoed >= SILENT_KERNEL_REPLIES:
                        # A kernel that answers but publishes no status for kernel_info (not every
                        # kernel follows the protocol there): jupyter_client's own wait, as stock.
                        left = None if timeout is None else max(1.0, deadline - time.monotonic())
                        await AsyncKernelClient._async_wait_for_ready(self, timeout=left)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        # AsyncKernelClient binds wait_for_ready to the base class's function, not to the override.
        wait_for_ready = _async_wait_for_ready

        async def _iopub_echoes(self, asked: set[str]) -> bool:
            """Whether IOPub carries the ``idle`` status of one of ``asked`` (so IOPub is connected)."""
            ends = time.monotonic() + IOPUB_ECHO_SECONDS
            while (left := ends - time.monotonic()) > 0:
                try:
                    message = await self.iopub_channel.get_msg(timeout=left)
                except Empty:
                    return False
                parent = (message.get("parent_header") or {}).get("msg_id")
                content = message.get("content") or {}
                if (
                    parent in asked
                    and message.get("msg_type") == "status"
                    and content.get("execution_state") == "idle"
                ):
                    return True
            return False

    return PromptKernelClient


class DeferredShutdowns:
    """Shutdowns of finished kernels, left running in the background until :meth:`wait`."""

    def __init__(self) -> None:
        self.pending: list[asyncio.Future[Any]] = []

    def defer(self, shutdown: Any) -> None:
        self.pending.append(asyncio.ensure_future(shutdown))

    async def wait(self) -> None:
        """Every deferred shutdown finished (a kernel that was already gone is not an error)."""
        while self.pending:
            batch, self.pending = self.pending, []
            await asyncio.gather(*batch, return_exceptions=True)


def notebook_client_class() -> Any:
    from .loading import require_nbclient

    nbclient, _ = require_nbclient()

    class CellIdNotebookClient(nbclient.NotebookClient):  # type: ignore[misc, name-defined]
        """Sends each cell's id as ``metadata.cellId``, as JupyterLab does (nbclient does not).

        Derived per-cell seeds are keyed by the cell id, so without it a check would
        derive different seeds from the ones a user's JupyterLab session gets.
        """

        current_cell_id: str | None = None
        shutdowns: DeferredShutdowns | None = None

        def create_kernel_manager(self) -> Any:
            manager = super().create_kernel_manager()
            manager.client_factory = prompt_client_class()
            return manager

        async def _async_cleanup_kernel(self) -> None:
            if self.shutdowns is None:
                await super()._async_cleanup_kernel()
            else:  # the outputs are in: the next run need not wait for this kernel's exit
                self.shutdowns.defer(super()._async_cleanup_kernel())
                # The runner awaits that shutdown before it returns: nbclient's exit hook for this
                # client would find it done (no kernel manager left) and fail at interpreter exit.
                atexit.unregister(self._cleanup_kernel)

        async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
            self.current_cell_id = cell.get("id")
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

        async def async_start_new_kernel_client(self) -> Any:
            client = await super().async_start_new_kernel_client()
            session, channel, owner = client.session, client.shell_channel, self

            def execute(
                code: str,
                silent: bool = False,
                store_history: bool = True,
                user_expressions: dict[str, Any] | None = None,
                allow_stdin: bool | None = None,
                stop_on_error: bool = True,
            ) -> str:
                content = {
                    "code": code,
                    "silent": silent,
                    "store_history": store_history,
                    "user_expressions": user_expressions or {},
                    "allow_stdin": client.allow_stdin if allow_stdin is None else allow_stdin,
                    "stop_on_error": stop_on_error,
                }
                metadata = {"cellId": owner.current_cell_id} if owner.current_cell_id else {}
                message = session.msg("execute_request", content, metadata=metadata)
                channel.send(message)
                return str(message["header"]["msg_id"])

            client.execute = execute
            return client

    return CellIdNotebookClient
