"""State files under hostile input and faults: bounded reads, one-line refusals, nothing changed.

Each refusal is checked against real generators (random, NumPy, torch): a
refused load leaves every one of them bit-identical.
"""

from __future__ import annotations

import io
import json
import os
import random
import threading
import time
import zipfile
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

from support import run_python  # noqa: E402

from jupyter_seed.seeding.checkpoint import CheckpointError, load_state, save_state  # noqa: E402


def _generators() -> tuple:
    return random.getstate(), np.random.get_state(legacy=False), torch.get_rng_state()


def _assert_unchanged(before: tuple) -> None:
    after = _generators()
    assert after[0] == before[0]
    assert after[1]["state"]["pos"] == before[1]["state"]["pos"]
    assert np.array_equal(after[1]["state"]["key"], before[1]["state"]["key"])
    assert torch.equal(after[2], before[2])


def _refused(path: object, seeder, message: str) -> str:
    seeder.seed_everything(6)
    before = _generators()
    started = time.monotonic()
    with pytest.raises(CheckpointError) as raised:
        load_state(path, seeder)  # type: ignore[arg-type]
    assert time.monotonic() - started < 20, "a refusal must not read or decompress its way there"
    text = str(raised.value)
    assert message in text and "\n" not in text, text
    _assert_unchanged(before)
    return text


def _saved(seeder, tmp_path: Path) -> Path:
    seeder.seed_everything(5)
    path = tmp_path / "rng.npz"
    save_state(path, seeder)
    return path


def _npy(array: object) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_a_member_that_inflates_past_the_limit_is_refused_before_it_is_read(seeder, tmp_path: Path) -> None:
    path = _saved(seeder, tmp_path)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (64 << 20,)}
    )
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("a0_bomb.npy", "w") as member:
            member.write(header.getvalue())
            chunk = bytes(1 << 20)
            for _ in range(64):
                member.write(chunk)
    assert path.stat().st_size < 1 << 20, "the bomb is small on disk"
    _refused(path, seeder, "bytes")


def test_a_member_the_description_does_not_name_is_refused(seeder, tmp_path: Path) -> None:
    path = _saved(seeder, tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.npy", _npy(np.arange(3)))
    _refused(path, seeder, "extra.npy")


def test_a_fifo_is_refused_without_waiting_for_a_writer(seeder, tmp_path: Path) -> None:
    fifo = tmp_path / "state.npz"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_state(fifo, seeder)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome.append(error)
        else:
            outcome.append(None)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(15)
    if worker.is_alive():  # unblock the reader so the test process can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(15)
        pytest.fail("load_state waited on a FIFO")
    assert isinstance(outcome[0], CheckpointError) and "not a regular file" in str(outcome[0])
    _refused(fifo, seeder, "not a regular file")


def test_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    # In a child with a memory cap: an unbounded read of /dev/zero must not take this machine with it.
    out = run_python(
        """
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        import jupyter_seed
        from jupyter_seed.seeding.checkpoint import CheckpointError
        try:
            jupyter_seed.load_state("/dev/zero")
        except CheckpointError as error:
            print("refused:", error)
        except MemoryError:
            print("MemoryError")
        """
    )
    last = out.strip().splitlines()[-1]
    assert last.startswith("refused:") and "not a regular file" in last, out


def test_an_oversized_file_is_refused_by_its_size(seeder, tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    with open(path, "wb") as handle:
        handle.truncate(200 << 20)  # sparse: costs no disk
    _refused(path, seeder, "at most")


def test_too_many_members_are_refused(seeder, tmp_path: Path) -> None:
    path = _saved(seeder, tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(5000):
            archive.writestr(f"x{index}.npy", b"")
    _refused(path, seeder, "members")


def test_a_refused_load_that_needs_numpy_random_leaves_random_bit_identical(tmp_path: Path) -> None:
    # `import numpy` does not import numpy.random; finishing that import fires the
    # seeder's import hook, which reseeds `random`. A refused load must not.
    path = tmp_path / "rng.npz"
    run_python(
        f"""
        import json, zipfile, io, numpy as np, jupyter_seed
        jupyter_seed.seed_everything(5)
        np.random.rand()
        jupyter_seed.save_state({str(path)!r})
        with np.load({str(path)!r}) as archive:
            arrays = {{key: archive[key] for key in archive.files}}
        meta = json.loads(arrays["meta"].tobytes())
        meta["sources"]["zz_not_here"] = {{"version": None, "state": None}}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        np.savez({str(path)!r}, **arrays)
        """
    )
    out = run_python(
        f"""
        import json, random, sys, numpy
        import jupyter_seed
        from jupyter_seed.seeding.checkpoint import CheckpointError
        jupyter_seed.seed_everything(9)
        random.random()
        before = random.getstate()
        assert "numpy.random" not in sys.modules
        try:
            jupyter_seed.load_state({str(path)!r})
        except CheckpointError as error:
            message = str(error)
        print(json.dumps({{"same": random.getstate() == before, "message": message}}))
        """
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert "zz_not_here" in result["message"]
    assert result["same"], "random was reseeded by a refused load"


def test_a_load_leaves_sources_the_file_does_not_hold_as_they_were(tmp_path: Path) -> None:
    # The file holds random and NumPy only; torch is live here, and the import of
    # numpy.random the load finishes would reseed it through the import hook.
    path = tmp_path / "rng.npz"
    run_python(
        f"""
        import numpy as np, jupyter_seed
        jupyter_seed.seed_everything(5)
        np.random.rand()
        jupyter_seed.save_state({str(path)!r})
        """
    )
    out = run_python(
        f"""
        import json, sys, numpy, torch, jupyter_seed
        jupyter_seed.seed_everything(9)
        torch.rand(3)
        before = torch.get_rng_state()
        loaded = "numpy.random" in sys.modules
        names = jupyter_seed.load_state({str(path)!r})
        print(json.dumps({{"names": names, "torch_same": bool(torch.equal(torch.get_rng_state(), before)),
                           "numpy_random_was_loaded": loaded}}))
        """
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert "numpy" in result["names"] and "torch" not in result["names"]
    assert result["torch_same"], result


def test_save_never_writes_through_a_planted_symlink(seeder, tmp_path: Path) -> None:
    target = tmp_path / "rng.npz"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    # Every name the old scheme could pick for this process and its neighbours.
    for pid in {os.getpid(), os.getpid() + 1}:
        os.symlink(victim, f"{target}.tmp-{pid}")
    seeder.seed_everything(5)
    save_state(target, seeder)
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and zipfile.is_zipfile(target)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        ["rng.npz", "victim.txt"] + [f"rng.npz.tmp-{pid}" for pid in {os.getpid(), os.getpid() + 1}]
    )


def test_save_into_a_missing_folder_is_refused_in_one_line(seeder, tmp_path: Path) -> None:
    seeder.seed_everything(5)
    with pytest.raises(CheckpointError) as raised:
        save_state(tmp_path / "missing" / "rng.npz", seeder)
    assert "cannot write" in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "missing").exists()


def test_paths_expand_the_home_folder(seeder, shell, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    seeder.seed_everything(5)
    assert "random" in save_state("~/by-api.npz", seeder)
    assert (tmp_path / "by-api.npz").is_file()
    expected = (random.random(), float(np.random.rand()))
    load_state("~/by-api.npz", seeder)
    assert (random.random(), float(np.random.rand())) == expected

    shell.run_line_magic("seed", "7 --save-state ~/by-magic.npz")
    assert (tmp_path / "by-magic.npz").is_file() and "Saved" in capsys.readouterr().out
    drawn = (random.random(), float(np.random.rand()))
    shell.run_line_magic("seed", "--load-state ~/by-magic.npz -q")
    assert (random.random(), float(np.random.rand())) == drawn
    assert not Path("~").exists()


def test_json_nesting_in_the_description_is_refused_in_one_line(seeder, tmp_path: Path) -> None:
    path = _saved(seeder, tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["sources"]["random"]["state"] = None
    text = json.dumps(meta).replace('"state": null', '"state": ' + "[" * 100000 + "]" * 100000, 1)
    arrays["meta"] = np.frombuffer(text.encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    _refused(path, seeder, "state file")
