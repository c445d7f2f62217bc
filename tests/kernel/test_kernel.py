"""A real ipykernel through jupyter_client: per-cell modes, cell ids, silent runs, restart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from kernel_client import Kernel

from jupyter_seed.seeding.seeds import derive_seed

pytestmark = pytest.mark.kernel

CELL_A = "import random, numpy as np\n(random.random(), float(np.random.rand()))"
CELL_B = "(random.random(), float(np.random.rand()))  # cell b"


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        yield k
    finally:
        k.shutdown()


def test_per_cell_same_reproduces_on_rerun(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    assert "Seeded" in kernel.execute("%seed 3407 --per-cell")["stdout"]
    first = kernel.value(CELL_A, cell_id="a")
    assert kernel.value(CELL_A, cell_id="a") == first
    assert kernel.value(CELL_B, cell_id="b") == first  # same mode: every cell starts from 3407
    expected = kernel.value("random.seed(3407); np.random.seed(3407); (random.random(), float(np.random.rand()))")
    assert first == expected


def test_per_cell_derived_reproduces_in_any_order(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 3407 --per-cell derived")
    a1 = kernel.value(CELL_A, cell_id="cell-a")
    b1 = kernel.value(CELL_B, cell_id="cell-b")
    b2 = kernel.value(CELL_B, cell_id="cell-b")
    a2 = kernel.value(CELL_A, cell_id="cell-a")
    assert a1 == a2 and b1 == b2 and a1 != b1
    derived = derive_seed(3407, "cell-b")
    expected = kernel.value(
        f"random.seed({derived}); np.random.seed({derived}); (random.random(), float(np.random.rand()))",
        cell_id="reference",
    )
    assert b1 == expected


def test_derived_streams_are_stable_across_kernels(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 11 --per-cell derived")
    first = kernel.value(CELL_A, cell_id="stable")
    other = Kernel(extra_env={"PYTHONHASHSEED": "random"})
    try:
        other.execute("%load_ext jupyter_seed")
        other.execute("%seed 11 --per-cell derived")
        assert other.value(CELL_A, cell_id="stable") == first
    finally:
        other.shutdown()


def test_silent_executions_do_not_reseed(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 5 --per-cell")
    kernel.execute("import random")  # visible: reseeds with 5
    kernel.execute("_a = random.random()", silent=True)
    kernel.execute("_b = random.random()", silent=True)  # a reseed here would repeat _a
    a, b = eval(kernel.value("(_a, _b)"))  # noqa: S307 - our own repr of two floats
    reference = eval(kernel.value("random.seed(5); (random.random(), random.random())"))  # noqa: S307
    assert (a, b) == reference


def test_restart_leaves_unloaded_unseeded_kernel(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 9 --per-cell --deterministic")
    kernel.restart()
    outcome = kernel.execute("%seed")
    assert outcome["status"] == "error" and "seed" in outcome["stderr"]  # magic gone: extension not loaded
    state = kernel.value(
        "import jupyter_seed, sys; s = jupyter_seed.state(); "
        "(s['extension_loaded'], s['seed'], s['per_cell'], 'torch' in sys.modules)"
    )
    assert state == "(False, None, 'off', False)"


def test_bad_input_in_kernel_is_one_line_and_harmless(kernel: Kernel) -> None:
    kernel.execute("%load_ext jupyter_seed")
    kernel.execute("%seed 4 --per-cell")
    for bad in ("abc", "-1", "4294967296", "1.5", "3 4", "--per-cell bogus", "--nope"):
        outcome = kernel.execute(f"%seed {bad}")
        assert outcome["status"] == "error", bad
        message = outcome["stderr"].strip()
        assert message.startswith("UsageError:") and len(message.splitlines()) == 1, message
    assert kernel.value("import jupyter_seed; jupyter_seed.state()['seed'], jupyter_seed.state()['per_cell']") == "(4, 'same')"


def test_terminal_ipython_without_front_end(tmp_path: object) -> None:
    script = "\n".join(
        [
            "%load_ext jupyter_seed",
            "%seed 21 --per-cell derived --quiet",
            "import random",
            "print('A', random.random())",
            "print('B', random.random())",
            "print('A', random.random())",
            "%seed",
            "exit",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--colors=NoColor"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "IPYTHONDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split("A ", 1)[1] for line in result.stdout.splitlines() if "A 0." in line]
    assert len(lines) == 2 and lines[0] == lines[1]
    import random

    random.seed(derive_seed(21, "print('A', random.random())"))
    assert float(lines[0]) == random.random()
    assert "per-cell reseeding     derived" in result.stdout


def test_autoload_through_ipython_config(tmp_path: object) -> None:
    from pathlib import Path

    profile = Path(str(tmp_path)) / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text('c.InteractiveShellApp.extensions = ["jupyter_seed"]\n')
    (profile / "ipython_kernel_config.py").write_text('c.InteractiveShellApp.extensions = ["jupyter_seed"]\n')
    k = Kernel(extra_env={"IPYTHONDIR": str(tmp_path)})
    try:
        assert "Seeded" in k.execute("%seed 3")["stdout"]
        assert k.value("import jupyter_seed; jupyter_seed.state()['extension_loaded']") == "True"
    finally:
        k.shutdown()
