"""RNG state checkpoints: every loaded source's full generator state, in a file safe to load.

This module owns the file format, and only that. A checkpoint is one NumPy
``.npz`` archive, written and read without pickle: a JSON description (stored as
bytes under ``meta``) and the arrays it names. Each source adapter writes and
reads its own state (:meth:`RandomSource.encode_state` / ``decode_state``), so a
new source needs nothing here.

A file is read defensively (:mod:`.state_archive`): only a regular file of
bounded size, only the members its description names (any other member refuses
the file), each size checked before it is read. Loading decodes every state before it applies any
and puts every generator back if applying one fails, so a refused file leaves
the kernel exactly as it was. Imports a load or a save has to finish (NumPy
imports ``numpy.random`` lazily) fire the seeder's import hook, which reseeds
the live sources: every generator it touched is put back.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from collections.abc import Iterable
from typing import Any

from .boundary import is_loaded, version_of
from .messages import describe_error, one_line
from .seeder import Seeder, get_seeder
from .snapshots import restore_snapshots, take_snapshots
from .sources.base import RandomSource
from .sources.state_codec import ArrayReader, ArrayWriter, StateNotPortable
from .state_archive import (
    MAX_MEMBERS,
    MAX_META_BYTES,
    CheckpointError,
    member_count,
    members_by_name,
    read_array,
    read_regular_file,
    shown_path,
    write_replacing,
)

__all__ = ["FORMAT", "FORMAT_VERSION", "CheckpointError", "load_state", "read_state_file", "save_state"]

FORMAT = "jupyter-seed/rng-state"
FORMAT_VERSION = 1
META = "meta"


# ------------------------------------------------------------------- save
def save_state(path: str | os.PathLike[str], seeder: Seeder | None = None) -> list[str]:
    """Write every loaded source's generator state to ``path``; return the names saved.

    Sources whose state cannot be written without pickle (polars, CuPy, some
    third-party sources) are left out and named in the file's ``skipped`` list.
    """
    try:
        import numpy as np
    except ImportError:
        raise CheckpointError("RNG state files are NumPy archives: install numpy") from None
    target = os.path.expanduser(os.fspath(path))
    seeder = seeder or get_seeder()
    # module None: process state such as PYTHONHASHSEED, not a generator.
    candidates = [
        source for source in seeder.sources if source.module is not None and source.has_global_state
    ]
    _finish_lazy_imports(seeder, candidates)
    writer = ArrayWriter()
    sources: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for source in candidates:
        if not is_loaded(source):
            continue
        mark = writer.mark()
        try:
            sources[source.name] = {
                "version": version_of(source),
                "state": source.encode_state(source.get_state(), writer),
            }
        except StateNotPortable as reason:
            writer.rollback(mark)
            skipped[source.name] = one_line(str(reason), 200)
        except Exception as error:  # noqa: BLE001
            raise CheckpointError(
                f"cannot save the state of {source.name}: {describe_error(error)}"
            ) from None
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "applied_seed": seeder.applied_seed,
        "sources": sources,
        "skipped": skipped,
        "arrays": list(writer.arrays),
    }
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    members: dict[str, Any] = {META: blob, **writer.arrays}
    np.savez(buffer, **members)
    write_replacing(target, buffer.getvalue())
    return list(sources)


# ------------------------------------------------------------------- read
def read_state_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file's description and arrays; :class:`CheckpointError` for anything unreadable."""
    target = os.path.expanduser(os.fspath(path))
    raw = read_regular_file(target)
    try:
        import numpy as np
    except ImportError:
        raise CheckpointError("RNG state files are NumPy archives: install numpy") from None
    not_ours = f"{shown_path(target)} is not a jupyter-seed state file"
    if member_count(raw) > MAX_MEMBERS:
        raise CheckpointError(f"{not_ours}: it has more than {MAX_MEMBERS} members")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = members_by_name(archive, not_ours)
            meta_info = members.pop(f"{META}.npy", None)
            if meta_info is None or meta_info.file_size > MAX_META_BYTES:
                raise CheckpointError(f"{not_ours}: no description of at most {MAX_META_BYTES} bytes")
            meta = json.loads(read_array(np, archive, meta_info).tobytes().decode("utf-8"))
            _check_meta(meta, target)
            named = _named_arrays(meta)
            unknown = sorted(set(members) - {f"{key}.npy" for key in named})
            if unknown:
                raise CheckpointError(
                    f"{not_ours}: it holds {len(unknown)} member(s) its description does not name, "
                    f"such as {one_line(unknown[0], 60)!r}"
                )
            missing = [key for key in named if f"{key}.npy" not in members]
            if missing:
                raise CheckpointError(
                    f"corrupt state file {shown_path(target)}: array {one_line(missing[0], 60)!r} is missing"
                )
            arrays = {key: read_array(np, archive, members[f"{key}.npy"]) for key in named}
    except CheckpointError:
        raise
    except Exception as error:  # noqa: BLE001 - zip, npy, JSON and recursion errors all mean the same here
        raise CheckpointError(f"{not_ours} ({describe_error(error, 120)})") from None
    return meta, arrays


def _check_meta(meta: Any, target: str) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{shown_path(target)} is not a jupyter-seed state file")
    if meta.get("format_version") != FORMAT_VERSION:
        shown = one_line(repr(meta.get("format_version")), 40)
        raise CheckpointError(
            f"{shown_path(target)} has state format {shown}; this jupyter-seed reads {FORMAT_VERSION}"
        )
    if not isinstance(meta.get("sources"), dict):
        raise CheckpointError(f"corrupt state file {shown_path(target)}: no sources")
    arrays = meta.get("arrays")
    if arrays is not None and (
        not isinstance(arrays, list) or not all(isinstance(key, str) for key in arrays)
    ):
        raise CheckpointError(
            f"corrupt state file {shown_path(target)}: its list of arrays is not a list of names"
        )


def _named_arrays(meta: dict[str, Any]) -> list[str]:
    """The member names the description gives, without repeats.

    Files written before the list existed name arrays only inside the states,
    as ``{"k": name}`` entries; those are collected without recursion.
    """
    if meta.get("arrays") is not None:
        return list(dict.fromkeys(meta["arrays"]))
    names: dict[str, None] = {}
    pending: list[Any] = [meta["sources"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("k"), str):
                names[node["k"]] = None
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return list(names)


# ------------------------------------------------------------------- load
def load_state(path: str | os.PathLike[str], seeder: Seeder | None = None) -> list[str]:
    """Apply a file written by :func:`save_state`: every state in it, or none.

    Refused, in one line and with nothing changed: a corrupt file, one written
    by another version of a library, or one naming a library not imported here.
    """
    seeder = seeder or get_seeder()
    meta, arrays = read_state_file(path)
    reader = ArrayReader(arrays)
    by_name = {source.name: source for source in seeder.sources}
    decoded: list[tuple[RandomSource, Any]] = []
    for name, entry in meta["sources"].items():
        shown = one_line(str(name), 40)
        if not isinstance(entry, dict):
            raise CheckpointError(f"corrupt state file: the entry for {shown} is not an object")
        source = by_name.get(name)
        if source is None or not (is_loaded(source) or _lazily_importable(source)):
            raise CheckpointError(f"the state file has {shown}'s state, but {shown} is not imported here")
        recorded, current = entry.get("version"), version_of(source)
        if recorded != current:
            recorded_text = one_line(str(recorded), 40) if recorded else "(no version)"
            current_text = current or "(no version)"
            raise CheckpointError(
                f"the state file was written with {shown} {recorded_text}, this kernel has {current_text}"
            )
        try:
            decoded.append((source, source.decode_state(entry.get("state"), reader)))
        except Exception as error:  # noqa: BLE001 - a corrupt description, whatever the adapter raised
            raise CheckpointError(f"corrupt state for {shown}: {describe_error(error, 120)}") from None
    _apply_all(seeder, decoded)
    return [source.name for source, _ in decoded]


def _apply_all(seeder: Seeder, decoded: list[tuple[RandomSource, Any]]) -> None:
    """Apply every decoded state, or put every generator back as it was."""
    live = _live(seeder)
    problems: dict[str, str] = {}
    before = take_snapshots(live, problems)
    in_file = {source.name for source, _ in decoded}
    unreadable = [name for name in problems if name in in_file]
    if unreadable:  # a source the file holds must be restorable, or a failure could not be undone
        raise CheckpointError(
            f"cannot load: the current state of {unreadable[0]} cannot be read to undo a failure "
            f"({problems[unreadable[0]]})"
        )
    step = "import what the file needs"
    try:
        imported = _import_lazily(source for source, _ in decoded)
        for source, state in decoded:
            step = f"apply the state of {source.name}"
            source.set_state(state)
    except Exception as error:  # noqa: BLE001
        # The failing source may be half-applied, so it is put back too, with every other.
        failed_restores: dict[str, str] = {}
        restore_snapshots(live, before, failed_restores)
        for name, problem in failed_restores.items():
            print(f"jupyter-seed: could not put back {name}: {problem}", file=sys.stderr)
        raise CheckpointError(f"cannot {step}: {describe_error(error, 120)}") from None
    if imported:  # the import hook reseeded the live sources: those the file does not hold go back
        restore_snapshots([source for source in live if source.name not in in_file], before, problems)


def _live(seeder: Seeder) -> list[RandomSource]:
    return [source for source in seeder.sources if source.has_global_state and is_loaded(source)]


def _lazily_importable(source: RandomSource) -> bool:
    # NumPy imports numpy.random on first use: `import numpy` then a save or a load must still work.
    module = source.module
    if not module or "." not in module:
        return False
    return module not in sys.modules and module.partition(".")[0] in sys.modules


def _import_lazily(sources: Iterable[RandomSource]) -> bool:
    """Import the lazily imported modules of ``sources``; whether any was imported."""
    import importlib

    modules = {source.module for source in sources if _lazily_importable(source) and source.module}
    for module in sorted(modules):
        importlib.import_module(module)
    return bool(modules)


def _finish_lazy_imports(seeder: Seeder, sources: list[RandomSource]) -> None:
    """Finish the lazy imports ``sources`` need, leaving every generator that was live as it was."""
    if not any(_lazily_importable(source) for source in sources):
        return
    live = _live(seeder)
    problems: dict[str, str] = {}
    before = take_snapshots(live, problems)
    _import_lazily(sources)
    restore_snapshots(live, before, problems)
