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


# ---------------------------------------------------------------- a spec in the way (issue 19, B4)
def users_own_spec(folder: Path) -> dict[Path, bytes]:
    """A kernelspec the user made under our default name: their seed, logo and extra file."""
    folder.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "My seeded Python",
        "language": "python",
        "env": {"PYTHONHASHSEED": "42", "MY_SETTING": "1"},
    }
    (folder / "kernel.json").write_text(json.dumps(spec))
    (folder / "logo-64x64.png").write_bytes(b"\x89PNG not really")
    (folder / "startup.py").write_text("print('mine')\n")
    return {path: path.read_bytes() for path in folder.iterdir()}


def unchanged(files: dict[Path, bytes]) -> bool:
    folder = next(iter(files)).parent
    same_bytes = all(path.read_bytes() == data for path, data in files.items())
    return set(folder.iterdir()) == set(files) and same_bytes


def test_toolbar_fix_never_overwrites_the_users_own_spec(tmp_path: Path, monkeypatch, seeder) -> None:
    from jupyter_seed.kernel.comm import apply_fix

    data_dir = tmp_path / "data"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    files = users_own_spec(data_dir / "kernels" / "python3-seeded")
    with pytest.raises(ValueError) as info:
        apply_fix(seeder, "kernelspec")
    message = str(info.value)
    assert "\n" not in message and str(data_dir / "kernels" / "python3-seeded") in message, message
    assert "not written by jupyter-seed" in message and "logo-64x64.png" in message
    assert unchanged(files)


def test_cli_refuses_a_spec_of_the_same_name_it_did_not_write(tmp_path: Path, capsys) -> None:
    files = users_own_spec(tmp_path / "share" / "jupyter" / "kernels" / "mine")
    assert main(["kernelspec", "--name", "mine", "--prefix", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kernels/mine" in err[0] and "--name" in err[0], err
    assert unchanged(files)


def test_an_edited_spec_of_ours_is_the_users(tmp_path: Path, capsys) -> None:
    assert main(["kernelspec", "--name", "mine", "--seed", "1", "--prefix", str(tmp_path)]) == 0
    spec_file = tmp_path / "share" / "jupyter" / "kernels" / "mine" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["env"]["PYTHONHASHSEED"] = "7"  # the user's own hash seed, metadata left as it was
    spec_file.write_text(json.dumps(spec))
    files = {spec_file: spec_file.read_bytes()}
    assert main(["kernelspec", "--name", "mine", "--seed", "2", "--prefix", str(tmp_path)]) == 2
    assert "is not what jupyter-seed writes" in capsys.readouterr().err
    assert unchanged(files)


def test_a_logo_added_to_our_spec_makes_it_the_users(tmp_path: Path) -> None:
    assert main(["kernelspec", "--name", "mine", "--prefix", str(tmp_path)]) == 0
    folder = tmp_path / "share" / "jupyter" / "kernels" / "mine"
    (folder / "logo-32x32.png").write_bytes(b"logo")
    files = {path: path.read_bytes() for path in folder.iterdir()}
    assert main(["kernelspec", "--name", "mine", "--seed", "3", "--prefix", str(tmp_path)]) == 2
    assert unchanged(files)


def test_a_same_named_spec_elsewhere_on_the_kernel_path_is_in_the_way(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    files = users_own_spec(elsewhere / "kernels" / "shared-name")
    (tmp_path / "home").mkdir()
    env = {"HOME": str(tmp_path / "home"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    env["JUPYTER_PATH"] = str(elsewhere)
    result = run_cli(["kernelspec", "--name", "shared-name", "--user"], env)
    assert result.returncode == 2 and "elsewhere/kernels/shared-name" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "kernels" / "shared-name").exists()
    assert unchanged(files)


def test_a_linked_kernel_folder_is_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "kernel.json").write_text("{}")
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    kernels.mkdir(parents=True)
    (kernels / "mine").symlink_to(target)
    assert main(["kernelspec", "--name", "mine", "--prefix", str(tmp_path)]) == 2
    assert (target / "kernel.json").read_text() == "{}" and (kernels / "mine").is_symlink()


def test_a_fresh_install_writes_only_its_kernel_json_readable_by_all(tmp_path: Path) -> None:
    assert main(["kernelspec", "--name", "fresh", "--seed", "4", "--prefix", str(tmp_path)]) == 0
    folder = tmp_path / "share" / "jupyter" / "kernels" / "fresh"
    assert [path.name for path in folder.iterdir()] == ["kernel.json"]
    assert (folder / "kernel.json").stat().st_mode & 0o444 == 0o444
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager(kernel_dirs=[str(folder.parent)])
    assert manager.get_kernel_spec("fresh").metadata["jupyter_seed"]["seed"] == 4
