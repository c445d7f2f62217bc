"""Every Python example in the README runs as written, so the README cannot drift from the code.

Each ```python block is one IPython cell (magics included) run in its own fresh IPython
process from a scratch folder: a block may not lean on another block's names. A block that
is a template to paste into a notebook cell says so on its first line with the comment
``# notebook cell``; those run too, in order, in one process, as the cells of one notebook.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NOTEBOOK_CELL = "# notebook cell"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of every ```python block."""
    return [(text.count("\n", 0, match.start()) + 1, match.group(1)) for match in FENCE.finditer(text)]


def test_the_extractor_finds_blocks_and_their_lines() -> None:
    text = "intro\n```python\nx = 1\n```\nmore\n```bash\nls\n```\n```python\ny = 2\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (9, "y = 2\n")]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))
STANDALONE = [(line, code) for line, code in BLOCKS if not code.startswith(NOTEBOOK_CELL)]
# The marker line goes: a cell magic must be the cell's first line.
CELLS = [code.split("\n", 1)[1] for _, code in BLOCKS if code.startswith(NOTEBOOK_CELL)]

# Run in IPython so magics work; the script exits non-zero on the first exception. The shell's
# namespace is ``__main__``, as in a kernel, so functions defined in a block pickle for pools.
RUNNER = """
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
for path in sys.argv[1:]:
    result = shell.run_cell(open(path, encoding="utf-8").read(), store_history=True)
    if not result.success:
        print(f"FAILED: {path}", file=sys.stderr)
        sys.exit(1)
"""


def run_cells(tmp_path: Path, cells: list[str]) -> subprocess.CompletedProcess[str]:
    paths = []
    for index, code in enumerate(cells):
        path = tmp_path / f"cell{index}.ipy"
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *paths],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def test_the_readme_has_examples_of_both_kinds() -> None:
    assert len(STANDALONE) >= 3 and CELLS


@pytest.mark.parametrize(("line", "code"), STANDALONE, ids=[f"line{line}" for line, _ in STANDALONE])
def test_a_readme_example_runs(tmp_path: Path, line: int, code: str) -> None:
    result = run_cells(tmp_path, [code])
    assert result.returncode == 0, f"README line {line}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_the_readme_notebook_cells_run_in_order(tmp_path: Path) -> None:
    result = run_cells(tmp_path, CELLS)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
