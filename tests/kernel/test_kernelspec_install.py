"""`jupyter-seed kernelspec` never removes anything outside ``kernels/<name>``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_seed.cli import main
from jupyter_seed.kernel.kernelspec import validate_kernel_name

HOSTILE_NAMES = ["..", ".", "...", "../x", "a/b", "/tmp", "a\\b", "", " ", "x\n", "ß", "a" * 101]


def populate(data_dir: Path) -> list[Path]:
    """Another kernel and lab settings, which must survive any install."""
    other = data_dir / "kernels" / "other"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text(json.dumps({"argv": ["python"], "display_name": "Other"}))
    settings = data_dir / "lab" / "user-settings" / "overrides.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    return [other / "kernel.json", settings]


def run_cli(args: list[str], env: dict[str, str], sys_prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from jupyter_seed.cli import main; "
    if sys_prefix is not None:
        code += f"sys.prefix = {str(sys_prefix)!r}; "
    code += f"sys.exit(main({args!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_kernel_name(name)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


@pytest.mark.parametrize("name", ["python3-seeded", "a.b_c-1", "Mixed", "x..y"])
def test_jupyter_names_are_accepted_lowercased(name: str) -> None:
    assert validate_kernel_name(name) == name.lower()


@pytest.mark.parametrize("name", ["..", "."])
def test_prefix_install_with_dot_names_keeps_everything(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "share" / "jupyter"
    survivors = populate(data_dir)
    assert main(["kernelspec", "--name", name, "--prefix", str(tmp_path)]) == 2
    assert all(path.exists() for path in survivors)
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_prefix_reinstall_replaces_only_its_own_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "share" / "jupyter"
    survivors = populate(data_dir)
    for seed in ("1", "2"):
        assert main(["kernelspec", "--name", "mine", "--seed", seed, "--prefix", str(tmp_path)]) == 0
    spec = json.loads((data_dir / "kernels" / "mine" / "kernel.json").read_text())
    assert spec["metadata"]["jupyter_seed"]["seed"] == 2
    assert all(path.exists() for path in survivors)


@pytest.mark.parametrize("name", ["..", ".", "ok-name"])
def test_sys_prefix_install(tmp_path: Path, name: str) -> None:
    survivors = populate(tmp_path / "share" / "jupyter")
    result = run_cli(["kernelspec", "--name", name, "--sys-prefix"], {}, sys_prefix=tmp_path)
    assert result.returncode == (0 if name == "ok-name" else 2), result.stderr
    assert all(path.exists() for path in survivors)
    assert (tmp_path / "share" / "jupyter" / "kernels" / "ok-name").exists() == (name == "ok-name")


@pytest.mark.parametrize("name", ["..", ".", "ok-name"])
def test_user_install(tmp_path: Path, name: str) -> None:
    data_dir = tmp_path / "data"
    survivors = populate(data_dir)
    env = {"HOME": str(tmp_path / "home"), "JUPYTER_DATA_DIR": str(data_dir)}
    result = run_cli(["kernelspec", "--name", name, "--user"], env)
    assert result.returncode == (0 if name == "ok-name" else 2), result.stderr
    assert all(path.exists() for path in survivors)
    assert (data_dir / "kernels" / "ok-name").exists() == (name == "ok-name")
    if name != "ok-name":
        assert len(result.stderr.strip().splitlines()) == 1
