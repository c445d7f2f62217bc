"""The case the localizer exists for: index_add_ / scatter_add_ on CUDA without deterministic mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gpu_support import requires_cuda

pytestmark = requires_cuda

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evidence"))

from localize_support import localize, write_notebook  # noqa: E402

SETUP = """
import torch
index = torch.randint(0, 8, (1 << 20,), device="cuda")
source = torch.randn(1 << 20, device="cuda") * 1e3
"""


@pytest.mark.parametrize(("line", "op"), [
    ("total = torch.zeros(8, device='cuda').index_add_(0, index, source)", "aten::index_add"),
    ("total = torch.zeros(8, device='cuda').scatter_add_(0, index, source)", "aten::scatter_add"),
])
def test_a_nondeterministic_cuda_kernel_is_named_with_equal_inputs(tmp_path: Path, line: str, op: str) -> None:
    notebook = write_notebook(tmp_path / "cuda.ipynb", SETUP, f"{line}\nprint(total.sum().item())")
    found = localize(notebook, 2)
    assert found is not None and found.file == "cell 2" and found.line == 1, found
    assert found.op is not None and found.op.startswith(op) and found.inputs_equal is True, found
    assert "nondeterministic kernel" in str(found) and found.fix and "use_deterministic_algorithms" in found.fix
