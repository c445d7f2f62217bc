"""The kernels this process started, and how a stopped collection ends them.

A check running in a worker thread (or on a Dask worker) cannot take Ctrl-C itself: signals
reach only the main thread. Ending its kernel is what stops it: nbclient then reports the
kernel dead, the check ends as "not run", and nothing is left running. Kernels are the
children of this process whose command line runs ``ipykernel`` (nbclient starts them directly).
"""

from __future__ import annotations

import os
import signal
import time

__all__ = ["kernel_children", "stop_kernels"]


def _children_from_proc(parent: int) -> list[int]:
    """Linux without psutil: scan /proc for processes whose parent is ``parent``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                # "pid (command) state ppid ...": the command may hold spaces and parentheses.
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def kernel_children(parent: int | None = None) -> list[int]:
    """Process ids of the running ipykernel children of ``parent`` (default: this process)."""
    parent = os.getpid() if parent is None else parent
    try:
        import psutil
    except ImportError:
        if not os.path.isdir("/proc"):
            return []
        return [pid for pid in _children_from_proc(parent) if "ipykernel" in _command_line(pid)]
    try:
        children = psutil.Process(parent).children(recursive=False)
    except psutil.Error:
        return []
    found = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def stop_kernels(grace: float = 3.0) -> int:
    """End this process's kernels: SIGTERM, then SIGKILL for any still there after ``grace`` s.

    Returns how many were running. Safe to repeat: a kernel started meanwhile is ended too.
    """
    pids = kernel_children()
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(pid in pids for pid in kernel_children()):
        time.sleep(0.05)
    for pid in kernel_children():
        if pid in pids:
            _signal(pid, signal.SIGKILL)
    return len(pids)


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass  # already gone
