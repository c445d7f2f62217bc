"""The archive under a state file: bounded, link-proof reading and writing of one small ``.npz``.

What the archive means is :mod:`.checkpoint`'s business; this module only makes
sure that reading one never hangs (a FIFO), never reads without end (a device,
a huge or growing file), never inflates past a bound (a zip bomb), and that
writing one never follows a planted link or leaves half a file behind.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import zipfile
from typing import Any

from .error_root import JupyterSeedError
from .messages import describe_error, one_line

MAX_FILE_BYTES = 16 << 20
"""Largest state file read, and the most its members may hold together (a real one is a few kB)."""
MAX_META_BYTES = 1 << 20
MAX_MEMBERS = 1024


class CheckpointError(JupyterSeedError, ValueError):
    """A state file that cannot be written or applied; the message is one line."""


def shown_path(path: str) -> str:
    return one_line(path, 160)


def write_replacing(target: str, data: bytes) -> None:
    """Write ``data`` to a temporary file created exclusively beside ``target``, then swap it in.

    ``mkstemp`` picks an unpredictable name and refuses one that exists, so a
    planted symlink cannot redirect the write; ``os.replace`` swaps in whole.
    """
    folder = os.path.dirname(target) or "."
    try:
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
        )
    except OSError as error:
        raise CheckpointError(f"cannot write {shown_path(target)}: {describe_error(error)}") from None
    try:
        try:
            os.fchmod(handle, _new_file_mode(target))
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, target)
    except OSError as error:
        raise CheckpointError(f"cannot write {shown_path(target)}: {describe_error(error)}") from None
    finally:
        if os.path.lexists(temporary):
            os.remove(temporary)


def _new_file_mode(target: str) -> int:
    """The mode ``open(target, "w")`` would give: the existing file's, or 0o666 less the umask."""
    try:
        existing = os.stat(target, follow_symlinks=False)
        if stat.S_ISREG(existing.st_mode):
            return stat.S_IMODE(existing.st_mode)
    except OSError:
        pass
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o600  # the umask cannot be read without changing it: private is the safe guess


def read_regular_file(target: str) -> bytes:
    """The file's bytes; refused without reading when it is not a regular file or too large."""
    try:
        _check_regular(target, os.stat(target))
        # O_NONBLOCK: a FIFO swapped in after the check opens without waiting for a writer.
        flags = (
            os.O_RDONLY
            | getattr(os, "O_NONBLOCK", 0)
            | getattr(os, "O_NOCTTY", 0)
            | getattr(os, "O_CLOEXEC", 0)
        )
        handle = os.open(target, flags)
    except OSError as error:
        raise CheckpointError(f"cannot read {shown_path(target)}: {describe_error(error)}") from None
    try:
        _check_regular(target, os.fstat(handle))
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise CheckpointError(f"cannot read {shown_path(target)}: {describe_error(error)}") from None
    finally:
        os.close(handle)
    if left <= 0:
        raise CheckpointError(f"{shown_path(target)} grew past {MAX_FILE_BYTES} bytes while being read")
    return b"".join(chunks)


def _check_regular(target: str, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise CheckpointError(f"{shown_path(target)} is not a regular file, so it is no state file")
    if status.st_size > MAX_FILE_BYTES:
        raise CheckpointError(
            f"{shown_path(target)} is {status.st_size} bytes; a state file is at most {MAX_FILE_BYTES} bytes"
        )


def member_count(raw: bytes) -> int:
    """The entry count the zip's end record declares, read before zipfile builds a list of them.

    0 when there is no end record: zipfile then refuses the file itself.
    """
    end = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(raw):
        return 0
    return max(
        int.from_bytes(raw[end + 8 : end + 10], "little"), int.from_bytes(raw[end + 10 : end + 12], "little")
    )


def members_by_name(archive: zipfile.ZipFile, not_ours: str) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        if info.filename in members:
            raise CheckpointError(f"{not_ours}: member {one_line(info.filename, 60)!r} appears twice")
        total += info.file_size
        if total > MAX_FILE_BYTES:
            raise CheckpointError(
                f"{not_ours}: its members hold more than {MAX_FILE_BYTES} bytes once inflated"
            )
        members[info.filename] = info
    return members


def read_array(np: Any, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)  # zipfile stops at the declared size; this makes sure
    if len(data) != info.file_size:
        raise ValueError(f"member {info.filename[:40]!r} is not the size it declares")
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
