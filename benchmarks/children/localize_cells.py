"""The code the localizer benchmark traces: copied beside the trace as the user's own module."""

from __future__ import annotations

from typing import Any


def training(torch: Any, x: Any, y: Any, steps: int) -> float:
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return float(loss.item())


def long_loop(steps: int) -> int:
    total = 0
    for step in range(steps):
        total += step
    return total
