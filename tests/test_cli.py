"""The ``jupyter-seed`` console script: ``--version``, ``kernelspec``, and bad input.

Everything runs the installed console script in a child process, as a user would,
and the kernelspec is started for real through jupyter_client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import jupyter_seed

SCRIPT = Path(sys.executable).with_name("jupyter-seed")
CUBLAS = ("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"console script missing: {SCRIPT} (is the package installed?)"
    return subprocess.run([str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"jupyter-seed {jupyter_seed.__version__}\n"
    assert result.stderr == ""


def test_version_as_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jupyter_seed.cli", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, f"jupyter-seed {jupyter_seed.__version__}\n")


# ------------------------------------------------------------------ kernelspec
def _start(kernel_dir: Path, name: str) -> Any:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    manager = KernelManager(
        kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]), ip="127.0.0.1"
    )
    # No env= here: the kernelspec's own env must do the work (the test process may have
    # PYTHONHASHSEED set; the spec's value wins either way).
    manager.start_kernel(cwd=str(kernel_dir))
    return manager


def _run(manager: Any, code: str, timeout: float = 120) -> str:
    """Execute ``code``; return its stdout (fail on an error)."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        stdout: list[str] = []
        errors: list[str] = []

        def output(message: dict[str, Any]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream" and content["name"] == "stdout":
                stdout.append(content["text"])
            elif message["msg_type"] == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")

        reply = client.execute_interactive(code, timeout=timeout, output_hook=output)
        assert reply["content"]["status"] == "ok" and not errors, errors
        return "".join(stdout)
    finally:
        client.stop_channels()


PROBE = (
    "import json, os, sys, jupyter_seed\n"
    "s = jupyter_seed.state()\n"
    "print(json.dumps({'hash': hash('x'), 'seed': s['seed'], 'loaded': s['extension_loaded'],\n"
    "                  'magic': get_ipython().find_line_magic('seed') is not None,\n"
    "                  'env_hash': os.environ.get('PYTHONHASHSEED'),\n"
    "                  'cublas': os.environ.get('CUBLAS_WORKSPACE_CONFIG'),\n"
    "                  'python': sys.executable}))"
)


@pytest.mark.kernel
def test_kernelspec_fixes_hash_seed_and_seed(tmp_path: Path) -> None:
    result = cli("kernelspec", "--prefix", str(tmp_path), "--hash-seed", "5", "--seed", "9")
    assert result.returncode == 0, result.stderr
    kernel_dir = tmp_path / "share" / "jupyter" / "kernels"
    spec_file = kernel_dir / "python3-seeded" / "kernel.json"
    assert str(spec_file.parent) in result.stdout
    spec = json.loads(spec_file.read_text())
    assert spec["env"]["PYTHONHASHSEED"] == "5"
    assert spec["env"][CUBLAS[0]] == CUBLAS[1]
    assert os.path.samefile(spec["argv"][0], sys.executable)  # this environment's interpreter
    assert spec["language"] == "python"
    assert "PYTHONHASHSEED=5" in spec["display_name"]

    # What hash('x') is in any interpreter started with PYTHONHASHSEED=5.
    expected_hash = int(
        subprocess.run(
            [sys.executable, "-c", "print(hash('x'))"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "5"},
        ).stdout
    )

    probes = []
    for _ in range(2):  # two kernel starts, one after the other
        manager = _start(kernel_dir, "python3-seeded")
        try:
            probes.append(json.loads(_run(manager, PROBE).strip().splitlines()[-1]))
        finally:
            manager.shutdown_kernel(now=True)
    first, second = probes
    assert first["hash"] == second["hash"] == expected_hash
    for probe in probes:
        assert probe["seed"] == 9
        assert probe["loaded"] is True and probe["magic"] is True
        assert probe["cublas"] == CUBLAS[1]
        assert os.path.samefile(probe["python"], sys.executable)
        # %seed 9 keeps the kernel's fixed hash seed for child processes: they hash as the kernel does.
        assert probe["env_hash"] == "5"


@pytest.mark.kernel
def test_kernelspec_no_autoload(tmp_path: Path) -> None:
    result = cli("kernelspec", "--prefix", str(tmp_path), "--name", "plain-seeded", "--no-autoload")
    assert result.returncode == 0, result.stderr
    kernel_dir = tmp_path / "share" / "jupyter" / "kernels"
    spec = json.loads((kernel_dir / "plain-seeded" / "kernel.json").read_text())
    assert spec["env"]["PYTHONHASHSEED"] == "0"  # the default hash seed
    assert not any("jupyter_seed" in arg or "%seed" in arg for arg in spec["argv"])
    manager = _start(kernel_dir, "plain-seeded")
    try:
        probe = json.loads(_run(manager, PROBE).strip().splitlines()[-1])
    finally:
        manager.shutdown_kernel(now=True)
    assert probe["loaded"] is False and probe["magic"] is False and probe["seed"] is None
    assert probe["env_hash"] == "0"


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--hash-seed", "abc"], ["--hash-seed", "abc"]),
        (["--hash-seed", "-1"], ["--hash-seed"]),
        (["--seed", "4294967296"], ["--seed", "4294967296"]),
        (["--seed", "1.5"], ["--seed", "1.5"]),
        (["--user", "--sys-prefix"], ["not allowed with"]),
        (["--bogus"], ["--bogus"]),
        (["--name", "bad name!"], ["bad name!"]),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], mentions: list[str]) -> None:
    result = cli("kernelspec", "--prefix", str(tmp_path / "prefix"), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("jupyter-seed"), lines[0]
    assert "error" in lines[0]
    for text in mentions:
        assert text in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "prefix").exists(), "a rejected command must install nothing"


def test_no_command_prints_help_and_exits_2() -> None:
    result = cli()
    assert result.returncode == 2
    assert "kernelspec" in result.stdout


# ------------------------------------------------------- one rule, every door
def _pytest_door(tmp_path: Path, *options: str) -> str:
    """``pytest --jupyter-seed-check`` with ``options``: its one usage-error line."""
    from importlib.metadata import entry_points

    installed = any(e.value == "jupyter_seed.pytest_plugin" for e in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "jupyter_seed.pytest_plugin"]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", "-q", "--jupyter-seed-check", *options],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage-error exit: nothing ran
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    return line


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("runs", "1", "must be an integer from 2 to 100, got 1"),
        ("runs", "abc", "must be an integer from 2 to 100, got 'abc'"),
        ("seed", "4294967296", "must be an integer in [0, 4294967295], got 4294967296"),
        ("timeout", "0", "must be positive (a finite number of seconds), got 0"),
        ("timeout", "soon", "must be a number of seconds, got 'soon'"),
    ],
)
def test_the_same_mistake_gets_the_same_message_at_every_door(
    tmp_path: Path, shell: Any, capsys: pytest.CaptureFixture[str], option: str, value: str, rule: str
) -> None:
    from IPython.core.error import UsageError

    from jupyter_seed.cli import main

    notebook = tmp_path / "test_door.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert main(["check", str(notebook), f"--{option}", value]) == 2
    assert capsys.readouterr().err == f"jupyter-seed check: error: --{option} {rule}\n"
    line = _pytest_door(tmp_path, f"--jupyter-seed-{option}", value)
    assert line.endswith(f"jupyter-seed: --jupyter-seed-{option} {rule}"), line
    if option == "timeout":
        return  # %%seed --check has no timeout
    magic_line = f"--check --runs {value}" if option == "runs" else f"--check {value}"
    before = jupyter_seed.state()
    with pytest.raises(UsageError) as info:
        shell.run_cell_magic("seed", magic_line, "x = 1")
    name = "--runs" if option == "runs" else "seed"  # the positional seed has no flag
    assert str(info.value) == f"{name} {rule}"
    assert jupyter_seed.state() == before


def test_check_help_names_the_text_rules_in_words_and_list_rules_shows_each_regex() -> None:
    from jupyter_seed.evidence.outputs.text_rules import VOLATILE_RULES

    shown = cli("check", "--help")
    assert shown.returncode == 0
    help_text = " ".join(shown.stdout.split())
    assert "Always masked: ANSI colour codes, the kernel's own transport errors" in help_text
    assert "memory addresses" in help_text
    assert "%timeit's loop counts" in help_text and "--list-rules" in help_text
    assert not any(rule.pattern in help_text for rule in VOLATILE_RULES)  # no raw regular expression
    listed = cli("check", "--list-rules")  # no notebook needed, like --version
    assert listed.returncode == 0 and listed.stderr == ""
    for number, rule in enumerate(VOLATILE_RULES, start=1):
        assert f"{number:2}. {rule.name}\n    regex: {rule.pattern}\n" in listed.stdout
