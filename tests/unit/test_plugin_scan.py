"""The entry-point scan sees a plugin installed or removed, and reads site-packages once."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from jupyter_seed.seeding import plugin_scan

GROUP = "jupyter_seed.sources"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(plugin_scan, "CACHE_PATH", str(tmp_path / "cache" / "groups.json"))
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [str(site)])
    return site


def install(site: Path, name: str, entry_points: str) -> Path:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(entry_points)
    return info


def test_install_and_removal_are_seen(folder: Path) -> None:
    install(folder, "other", "[console_scripts]\nx = y:z\n")
    assert plugin_scan.group_is_declared(GROUP) is False
    plugin = install(folder, "plugin", f"[{GROUP}]\nmine = mine:Source\n")
    assert plugin_scan.group_is_declared(GROUP) is True
    shutil.rmtree(plugin)
    assert plugin_scan.group_is_declared(GROUP) is False


def test_unchanged_folders_are_not_read_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(folder, "plugin", f"[{GROUP}]\nmine = mine:Source\n")
    assert plugin_scan.group_is_declared(GROUP) is True
    monkeypatch.setattr(plugin_scan, "folder_declares", lambda *args: pytest.fail("read again"))
    assert plugin_scan.group_is_declared(GROUP) is True


def test_unwritable_or_corrupt_cache_still_answers(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(folder, "plugin", f"[{GROUP}]\nmine = mine:Source\n")
    corrupt = folder.parent / "corrupt.json"
    corrupt.write_text("{not json")
    monkeypatch.setattr(plugin_scan, "CACHE_PATH", str(corrupt))
    assert plugin_scan.group_is_declared(GROUP) is True
    monkeypatch.setattr(plugin_scan, "CACHE_PATH", "/proc/no/such/place/groups.json")
    assert plugin_scan.group_is_declared(GROUP) is True


def test_folders_without_distributions_never_rewrite_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(folder, "other", "[console_scripts]\nx = y:z\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setattr(sys, "path", [str(notebooks), str(folder)])
    assert plugin_scan.group_is_declared(GROUP) is False
    cache = Path(plugin_scan.CACHE_PATH)
    written = cache.stat().st_mtime_ns
    assert str(notebooks) not in cache.read_text()
    for name in ("a.ipynb", "b.ipynb"):  # a notebook folder changes with every save
        (notebooks / name).write_text("{}")
        assert plugin_scan.group_is_declared(GROUP) is False
    assert cache.stat().st_mtime_ns == written


def test_only_folders_on_the_current_path_are_kept(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other-env"
    other.mkdir()
    install(other, "plugin", f"[{GROUP}]\nmine = mine:Source\n")
    monkeypatch.setattr(sys, "path", [str(other)])
    assert plugin_scan.group_is_declared(GROUP) is True
    monkeypatch.setattr(sys, "path", [str(folder)])
    install(folder, "other", "[console_scripts]\nx = y:z\n")
    assert plugin_scan.group_is_declared(GROUP) is False
    assert str(other) not in Path(plugin_scan.CACHE_PATH).read_text()
