"""A small helper to drive a real IPython kernel through jupyter_client."""

from __future__ import annotations

import os
from typing import Any

from jupyter_client.manager import KernelManager


def execute_content(code: str, *, silent: bool = False) -> dict[str, Any]:
    """The content of an execute_request as a front end sends it."""
    return {
        "code": code,
        "silent": silent,
        "store_history": not silent,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }


class Kernel:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        # jupyter_client replaces the spec's "python" with sys.executable, so the
        # kernel runs this interpreter (the one with jupyter_seed installed).
        self.manager = KernelManager(kernel_name="python3", ip="127.0.0.1")
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(extra_env or {})}
        self.manager.start_kernel(env=env, extra_arguments=[], cwd=os.getcwd())
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def execute(
        self, code: str, *, cell_id: str | None = None, silent: bool = False, timeout: float = 120
    ) -> dict[str, Any]:
        """Run ``code``; return stdout, stderr, the execute_result text, error and reply status.

        IPython reports a ``UsageError`` on stderr with status ``error`` rather than
        as an ``error`` message.
        """
        content = execute_content(code, silent=silent)
        metadata = {"cellId": cell_id} if cell_id else {}
        message = self.client.session.msg("execute_request", content, metadata=metadata)
        self.client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        stdout: list[str] = []
        stderr: list[str] = []
        result: str | None = None
        error: str | None = None
        while True:
            reply = self.client.get_iopub_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream" and body["name"] == "stdout":
                stdout.append(body["text"])
            elif kind == "stream":
                stderr.append(body["text"])
            elif kind == "execute_result":
                result = body["data"].get("text/plain")
            elif kind == "error":
                error = f"{body['ename']}: {body['evalue']}"
            elif kind == "status" and body["execution_state"] == "idle":
                break
        shell_reply = self.client.get_shell_msg(timeout=timeout)
        return {"stdout": "".join(stdout), "stderr": "".join(stderr), "result": result, "error": error,
                "status": shell_reply["content"]["status"]}

    def value(self, code: str, **kwargs: Any) -> str:
        outcome = self.execute(code, **kwargs)
        assert outcome["error"] is None, outcome["error"]
        assert outcome["result"] is not None, outcome
        return outcome["result"]

    def restart(self) -> None:
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=120)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

