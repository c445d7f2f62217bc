"""Point 9: a real ipykernel on the GPU; per-cell derived + deterministic makes a training cell repeat."""

from __future__ import annotations

import pytest
from gpu_support import requires_cuda

pytest.importorskip("IPython", reason="the kernel test needs IPython")
pytest.importorskip("ipykernel", reason="the kernel test needs ipykernel")
pytest.importorskip("jupyter_client", reason="the kernel test needs jupyter_client")

pytestmark = [requires_cuda, pytest.mark.kernel]

TRAIN_CELL = """
from torch import nn
model = nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 1)).cuda()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
x, y = torch.randn(256, 32, device="cuda"), torch.randn(256, 1, device="cuda")
for _ in range(20):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
float(loss).hex()
"""


def test_training_cell_repeats_after_another_cell() -> None:
    from kernel_client import Kernel

    kernel = Kernel()
    try:
        setup = kernel.execute("%load_ext jupyter_seed\nimport torch\n%seed 3407 --per-cell derived --deterministic")
        assert setup["error"] is None and setup["status"] == "ok", setup
        first = kernel.value(TRAIN_CELL, cell_id="train")
        kernel.value("torch.randn(1000, device='cuda').sum().item()", cell_id="other")
        again = kernel.value(TRAIN_CELL, cell_id="train")
        other_cell = kernel.value(TRAIN_CELL, cell_id="train-copy")
    finally:
        kernel.shutdown()
    assert first == again
    assert other_cell != first, "another cell id derives another seed"
