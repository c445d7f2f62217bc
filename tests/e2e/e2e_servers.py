"""Real Jupyter servers on 127.0.0.1 for the browser tests.

Each server runs in its own process group with isolated config, data, runtime,
settings and workspace directories (the installed labextension is still found
under ``sys.prefix``), and is shut down with its kernels when its tests finish.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DOCS = Path(__file__).resolve().parents[2] / "docs"

# Settings every test server starts with: no news/update toasts over the toolbar.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    kind: str  # "lab" or "notebook"
    url: str
    token: str
    root: Path
    runtime_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def api(self, path: str, method: str = "GET", body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def page_url(self, notebook: str) -> str:
        if self.kind == "lab":  # a fresh workspace: no notebook from an earlier test is restored
            return f"{self.url}/lab/workspaces/{uuid.uuid4().hex[:8]}/tree/{notebook}?token={self.token}"
        return f"{self.url}/notebooks/{notebook}?token={self.token}"

    def notebook(self, name: str, cells: list[str], metadata: dict[str, Any] | None = None) -> str:
        """Write a notebook with these code cells into the server's root; return its name."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata.update(metadata or {})
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        nbformat.write(nb, self.root / name)
        return name

    def read_notebook(self, name: str) -> Any:
        return nbformat.read(self.root / name, as_version=4)

    def kernel_connection_file(self, notebook: str) -> Path:
        (kernel_id,) = [s["kernel"]["id"] for s in self.api("/api/sessions") if s["path"] == notebook]
        return self.runtime_dir / f"kernel-{kernel_id}.json"

    def shutdown_kernels(self) -> None:
        for kernel in self.api("/api/kernels"):
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


def start_server(kind: str, base: Path) -> Server:
    root, home = base / "root", base / "home"
    config, data, runtime = home / "config", home / "data", home / "runtime"
    settings, workspaces = home / "settings", home / "workspaces"
    for folder in (root, config, data, runtime, settings, workspaces):
        folder.mkdir(parents=True, exist_ok=True)
    for name, values in USER_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    app = "LabApp" if kind == "lab" else "JupyterNotebookApp"
    command = [
        sys.executable,
        "-m",
        "jupyterlab" if kind == "lab" else "notebook",
        "--no-browser",
        "--allow-root",  # CI containers run as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--{app}.user_settings_dir={settings}",
        f"--{app}.workspaces_dir={workspaces}",
        f"--{app}.expose_app_in_browser=True",  # window.jupyterapp: theme switch for screenshots
    ]
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(data),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(home / "ipython"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    log_path = base / f"{kind}-server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(kind, f"http://127.0.0.1:{port}", token, root, runtime, process, log_path)
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited:\n{log_path.read_text(errors='replace')}")
        try:
            server.api("/api/status")
            return server
        except OSError:
            if time.monotonic() > deadline:
                stop_server(server)
                raise RuntimeError(
                    f"{kind} server did not start:\n{log_path.read_text(errors='replace')}"
                ) from None
            time.sleep(0.3)


def stop_server(server: Server) -> None:
    try:
        server.shutdown_kernels()
    except OSError:
        pass
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if server.process.poll() is not None:
            break
        try:
            os.killpg(server.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    try:  # kernels share the server's process group: make sure none is left
        os.killpg(server.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
