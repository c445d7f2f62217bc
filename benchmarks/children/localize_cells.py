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


def jax_training(jax: Any, x: Any, y: Any, steps: int) -> float:
    jnp = jax.numpy
    params = {"w": jnp.zeros((16, 1)), "b": jnp.zeros((1,))}

    @jax.jit
    def step(params: Any, x: Any, y: Any) -> Any:
        def loss_of(p: Any) -> Any:
            hidden = jnp.tanh(x @ p["w"] + p["b"])
            return jnp.mean((hidden - y) ** 2)

        loss, grads = jax.value_and_grad(loss_of)(params)
        return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads), loss

    for _ in range(steps):
        params, loss = step(params, x, y)
    return float(loss)
