"""Adapters own their state format: the checkpoint module keeps only the file format.

A new source writes and reads its own state through ``encode_state`` /
``decode_state``, with no edit to the checkpoint module; files written before
the format moved into the adapters still load.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import jupyter_seed.seeding.checkpoint as checkpoint  # noqa: E402
from jupyter_seed.seeding.checkpoint import CheckpointError, load_state, save_state  # noqa: E402
from jupyter_seed.seeding.sources.base import RandomSource  # noqa: E402

FRAMEWORKS = ("numpy", "torch", "tensorflow", "keras", "cupy", "polars", "jax")


def test_the_checkpoint_module_names_no_framework() -> None:
    tree = ast.parse(Path(checkpoint.__file__).read_text(encoding="utf-8"))
    imported = {
        (alias.name if isinstance(node, ast.Import) else (node.module or "")).partition(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not imported & (set(FRAMEWORKS) - {"numpy"}), imported
    texts = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert not [
        text for text in texts if any(f"{name}." in text for name in ("torch", "tf", "keras", "tensorflow"))
    ]


class PcgSource(RandomSource):
    """A real NumPy PCG64 generator in a library of its own; its state is a bit generator object.

    Only its adapter knows how to write that object out, which is the point.
    """

    name = "pcg_library"
    label = "PCG library"
    module = "pcg_library_for_tests"

    def _library(self) -> Any:
        return sys.modules[self.module]

    def seed(self, seed: int) -> None:
        self._library().generator = np.random.Generator(np.random.PCG64(seed))

    def get_state(self) -> Any:
        bit_generator = np.random.PCG64()
        bit_generator.state = self._library().generator.bit_generator.state
        return bit_generator

    def set_state(self, state: Any) -> None:
        self._library().generator = np.random.Generator(state)

    def encode_state(self, state: Any, arrays: Any) -> Any:
        inner = state.state
        return {
            "pcg64": [
                str(inner["state"]["state"]),
                str(inner["state"]["inc"]),
                inner["has_uint32"],
                inner["uinteger"],
            ]
        }

    def decode_state(self, node: Any, arrays: Any) -> Any:
        value, increment, has_uint32, uinteger = node["pcg64"]
        bit_generator = np.random.PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(value), "inc": int(increment)},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        return bit_generator


@pytest.fixture
def pcg_source(seeder, monkeypatch):
    monkeypatch.setitem(sys.modules, PcgSource.module, types.ModuleType(PcgSource.module))
    source = PcgSource()
    seeder.sources.append(source)
    yield source
    seeder.sources.remove(source)


def test_a_new_source_saves_and_loads_through_its_own_adapter(seeder, pcg_source, tmp_path: Path) -> None:
    seeder.seed_everything(5)
    library = sys.modules[PcgSource.module]
    library.generator.random(3)
    path = tmp_path / "rng.npz"
    assert "pcg_library" in save_state(path, seeder)
    expected = library.generator.random(4).tolist()
    seeder.seed_everything(6)
    assert "pcg_library" in load_state(path, seeder)
    assert library.generator.random(4).tolist() == expected


def test_a_source_that_says_its_state_is_not_portable_is_skipped_and_named(
    seeder, pcg_source, tmp_path, monkeypatch
) -> None:
    from jupyter_seed.seeding.sources.state_codec import StateNotPortable

    def refuse(state: Any, arrays: Any) -> Any:
        arrays.put(np.zeros(3))  # half-written, then refused: its array must not reach the file
        raise StateNotPortable("this library keeps its state on a device")

    monkeypatch.setattr(pcg_source, "encode_state", refuse)
    seeder.seed_everything(5)
    path = tmp_path / "rng.npz"
    assert "pcg_library" not in save_state(path, seeder)
    meta, arrays = checkpoint.read_state_file(path)
    assert meta["skipped"]["pcg_library"] == "this library keeps its state on a device"
    assert set(arrays) == set(meta["arrays"])
    assert all(array.shape != (3,) or array.dtype != np.float64 for array in arrays.values())


def test_a_description_the_adapter_did_not_write_is_refused_before_anything_applies(
    seeder, pcg_source, tmp_path: Path
) -> None:
    seeder.seed_everything(5)
    path = tmp_path / "rng.npz"
    save_state(path, seeder)
    with np.load(path, allow_pickle=False) as archive:
        stored = {key: archive[key] for key in archive.files}
    meta = json.loads(stored["meta"].tobytes())
    meta["sources"]["pcg_library"]["state"] = {"something": "else"}
    stored["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **stored)
    seeder.seed_everything(6)
    before = (torch.get_rng_state(), sys.modules[PcgSource.module].generator.bit_generator.state)
    with pytest.raises(CheckpointError, match="corrupt state for pcg_library"):
        load_state(path, seeder)
    assert torch.equal(torch.get_rng_state(), before[0])
    assert sys.modules[PcgSource.module].generator.bit_generator.state == before[1]


def test_files_written_before_the_arrays_list_still_load(seeder, tmp_path: Path) -> None:
    seeder.seed_everything(5)
    torch.rand(3)
    path = tmp_path / "rng.npz"
    save_state(path, seeder)
    with np.load(path, allow_pickle=False) as archive:
        stored = {key: archive[key] for key in archive.files}
    meta = json.loads(stored["meta"].tobytes())
    del meta["arrays"]  # what the previous version wrote
    stored["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **stored)
    expected = (float(np.random.rand()), torch.rand(3).tolist())
    seeder.seed_everything(6)
    assert {"random", "numpy", "torch"} <= set(load_state(path, seeder))
    assert (float(np.random.rand()), torch.rand(3).tolist()) == expected


def test_torch_refuses_a_state_of_the_wrong_shape(seeder, tmp_path: Path) -> None:
    from jupyter_seed.seeding.sources.state_codec import ArrayReader

    source = next(s for s in seeder.sources if s.name == "torch")
    with pytest.raises(ValueError, match="torch's state"):
        source.decode_state({"t": "tuple", "v": [None]}, ArrayReader({}))
    with pytest.raises(ValueError, match="lacks"):
        source.decode_state({"t": "tuple", "v": [{"t": "torch", "k": "a9"}, None, None]}, ArrayReader({}))


def test_torch_writes_accelerator_states_as_a_list_of_tensors(seeder) -> None:
    # The shape get_state returns once CUDA runs: (CPU state, one state per device, None).
    # Without a GPU here, CPU generator states stand in for the per-device byte tensors.
    from jupyter_seed.seeding.sources.state_codec import ArrayReader, ArrayWriter

    source = next(s for s in seeder.sources if s.name == "torch")
    devices = [torch.Generator().manual_seed(seed).get_state() for seed in (1, 2)]
    state = (torch.get_rng_state(), devices, None)
    writer = ArrayWriter()
    node = json.loads(json.dumps(source.encode_state(state, writer)))
    cpu, cuda, queued = source.decode_state(node, ArrayReader(writer.arrays))
    assert torch.equal(cpu, state[0]) and queued is None
    assert len(cuda) == 2
    assert all(torch.equal(a, b) and a.dtype == torch.uint8 for a, b in zip(cuda, devices, strict=True))
