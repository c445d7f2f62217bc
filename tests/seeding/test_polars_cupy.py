"""polars and CuPy adapters; neither library is imported by us, nor any other reach-further library."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator

import pytest
from support import run_python

from jupyter_seed.seeding.sources.cupy_source import CupySource

CUPY_TARGET = "/tmp/cupy_target"  # a real CuPy wheel unpacked here, when a developer has one


def test_polars_sample_and_shuffle_repeat_under_one_seed(seeder) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": range(100)})

    def draws() -> tuple[list[int], list[int]]:
        return frame.sample(5)["a"].to_list(), frame["a"].shuffle().to_list()

    report = seeder.seed_everything(7)
    assert "polars" in report.seeded
    first = draws()
    seeder.seed_everything(7)
    assert draws() == first
    seeder.seed_everything(8)
    assert draws() != first
    pl.set_random_seed(7)
    assert draws() == first, "equal to polars' own seeding"
    entry = next(s for s in seeder.state()["sources"] if s["name"] == "polars")
    assert entry["loaded"] and entry["seeded"] and entry["version"] == pl.__version__


def test_polars_imported_after_seeding_is_seeded_on_import() -> None:
    pytest.importorskip("polars")
    out = run_python(
        """
        import sys, jupyter_seed
        jupyter_seed.seed_everything(7)
        assert "polars" not in sys.modules
        import polars as pl
        frame = pl.DataFrame({"a": range(100)})
        ours = frame.sample(5)["a"].to_list()
        pl.set_random_seed(7)
        print(ours == frame.sample(5)["a"].to_list())
        """
    )
    assert out.strip() == "True"


def test_numpy_only_kernel_imports_none_of_the_optional_libraries() -> None:
    out = run_python(
        """
        import sys
        import numpy as np
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "jupyter_seed")
        shell.run_line_magic("seed", "3407 --workers")
        shell.run_line_magic("seed", "")
        import jupyter_seed
        jupyter_seed.state()
        heavy = ["torch", "tensorflow", "keras", "jax", "polars", "cupy", "papermill", "pytest_randomly"]
        print(" ".join(name for name in heavy if name in sys.modules) or "none")
        """
    )
    assert out.strip().splitlines()[-1] == "none"


class _FakeRandomState:
    def __init__(self, seed: int | None = None) -> None:
        self.seed_value = seed


def _cupy_module(devices: int | Exception) -> types.ModuleType:
    """A stand-in for the cupy module: the adapter's logic only, the real CuPy needs a GPU."""
    cupy = types.ModuleType("cupy")
    current = {"device": 0}
    states: dict[int, object] = {}

    def get_device_count() -> int:
        if isinstance(devices, Exception):
            raise devices
        return devices

    class Device:
        def __init__(self, index: int) -> None:
            self.index = index

        def __enter__(self) -> None:
            current["device"] = self.index

        def __exit__(self, *exc: object) -> None:
            current["device"] = 0

    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count), Device=Device)
    cupy.random = types.SimpleNamespace(
        RandomState=_FakeRandomState,
        set_random_state=lambda state: states.__setitem__(current["device"], state),
        get_random_state=lambda: states.setdefault(current["device"], _FakeRandomState()),
    )
    cupy.states = states  # type: ignore[attr-defined]
    return cupy


@pytest.fixture
def fake_cupy(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def install(devices: int | Exception) -> types.ModuleType:
        module = _cupy_module(devices)
        monkeypatch.setitem(sys.modules, "cupy", module)
        return module

    yield install


def test_cupy_absent_is_silent() -> None:
    source = CupySource()
    if "cupy" in sys.modules:
        pytest.skip("cupy is imported in this process")
    assert not source.is_loaded()


def test_cupy_without_a_gpu_is_not_loaded_and_never_seeded(fake_cupy) -> None:
    class CUDARuntimeError(RuntimeError):
        pass

    cupy = fake_cupy(CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"))
    source = CupySource()
    assert not source.is_loaded()
    assert source.device_count() == 0
    assert cupy.states == {}


def test_cupy_with_gpus_seeds_every_device_and_restores_snapshots(fake_cupy) -> None:
    cupy = fake_cupy(2)
    source = CupySource()
    assert source.is_loaded()
    before = source.get_state()
    source.seed(11)
    assert {device: state.seed_value for device, state in cupy.states.items()} == {0: 11, 1: 11}
    assert all(before[device] is not cupy.states[device] for device in (0, 1)), "old generators untouched"
    source.set_state(before)
    assert all(before[device] is cupy.states[device] for device in (0, 1))


def test_real_cupy_without_a_gpu_is_not_seeded() -> None:
    if not os.path.isdir(os.path.join(CUPY_TARGET, "cupy")):
        pytest.skip(f"no CuPy wheel unpacked at {CUPY_TARGET}")
    out = run_python(
        """
        import jupyter_seed, sys
        import cupy
        report = jupyter_seed.seed_everything(5)
        from jupyter_seed.seeding.sources.cupy_source import CupySource
        print(CupySource().device_count(), "cupy" in report.seeded)
        """,
        env={"PYTHONPATH": CUPY_TARGET},
    )
    count, seeded = out.split()
    assert seeded == ("True" if int(count) > 0 else "False")
