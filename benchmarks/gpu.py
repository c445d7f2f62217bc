"""GPU timing: one reseed and the per-cell hook with CUDA initialised, side by side in one run.

    python -m benchmarks.gpu                 # needs torch with a CUDA device
    python -m benchmarks.gpu --allow-cpu     # smoke run of the script on a CPU-only machine

Compares, in one process with random, NumPy and torch loaded and CUDA
initialised: our hot path (``Seeder.reseed``), the per-cell hook in both modes,
the public ``seed_everything``, ``torch.manual_seed`` alone, the usual snippet
(``random.seed`` + ``np.random.seed`` + ``torch.manual_seed`` +
``torch.cuda.manual_seed_all``) and Lightning's ``seed_everything`` when it is
installed. Variants are interleaved round by round; figures are medians of
per-call times. Every variant is also checked to leave the CUDA stream that
``torch.manual_seed`` leaves.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

SEED = 3407


def _variants(device: str) -> dict[str, Callable[[], object]]:
    import numpy as np
    import torch

    import jupyter_seed
    from jupyter_seed.seeding.seeder import get_seeder

    seeder = get_seeder()
    jupyter_seed.seed_everything(SEED)
    variants: dict[str, Callable[[], object]] = {
        "jupyter-seed Seeder.reseed (hot path)": lambda: seeder.reseed(SEED),
        "jupyter-seed per-cell hook, same": lambda: seeder.before_cell("cell-1", "pass"),
        "jupyter-seed per-cell hook, derived": lambda: seeder.before_cell("cell-1", "pass"),
        "jupyter_seed.seed_everything": lambda: jupyter_seed.seed_everything(SEED),
        "torch.manual_seed": lambda: torch.manual_seed(SEED),
    }

    def usual_snippet() -> None:
        random.seed(SEED)
        np.random.seed(SEED)
        torch.manual_seed(SEED)
        if device == "cuda":
            torch.cuda.manual_seed_all(SEED)

    variants["usual snippet (random, numpy, torch, cuda)"] = usual_snippet
    lightning_seed: Callable[..., object] | None
    try:
        from lightning.fabric.utilities.seed import seed_everything as lightning_seed
    except ImportError:
        try:
            from pytorch_lightning import seed_everything as lightning_seed
        except ImportError:
            lightning_seed = None
    if lightning_seed is not None:
        quiet = {"verbose": False} if "verbose" in inspect.signature(lightning_seed).parameters else {}
        variants["Lightning seed_everything"] = lambda: lightning_seed(SEED, **quiet)
    return variants


def _prepare(name: str) -> None:
    from jupyter_seed.seeding.seeder import get_seeder

    seeder = get_seeder()
    if name.endswith("hook, same"):
        seeder.set_per_cell("same")
    elif name.endswith("hook, derived"):
        seeder.set_per_cell("derived")
    else:
        seeder.set_per_cell("off")


def _time_per_call(function: Callable[[], object], calls: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(calls):
        function()
    return (time.perf_counter_ns() - started) / calls / 1000.0


def _same_stream_as_manual_seed(name: str, function: Callable[[], object], device: str) -> bool:
    import torch

    from jupyter_seed.seeding.seeder import get_seeder

    _prepare(name)
    seeder = get_seeder()
    function()
    seed = seeder.applied_seed if "hook, derived" in name else SEED
    ours = torch.randn(8, device=device)
    torch.manual_seed(seed)
    return bool(torch.equal(ours, torch.randn(8, device=device)))


def run(rounds: int, calls: int, device: str) -> dict[str, Any]:
    import torch

    if device == "cuda":
        torch.zeros(1, device="cuda")  # CUDA initialised, as in a training notebook
    variants = _variants(device)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for name, function in variants.items():  # warm-up
        _prepare(name)
        _time_per_call(function, max(calls // 10, 1))
    for _ in range(rounds):
        for name, function in variants.items():
            _prepare(name)
            samples[name].append(_time_per_call(function, calls))
    identity = {
        name: _same_stream_as_manual_seed(name, function, device) for name, function in variants.items()
    }
    _prepare("off")
    return {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "rounds": rounds,
        "calls_per_round": calls,
        "median_us": {name: statistics.median(values) for name, values in samples.items()},
        "spread_us": {name: (min(values), max(values)) for name, values in samples.items()},
        "same_stream_as_manual_seed": identity,
    }


def render(result: dict[str, Any]) -> str:
    width = max(len(name) for name in result["median_us"])
    ours = result["median_us"]["jupyter-seed Seeder.reseed (hot path)"]
    lines = [
        f"GPU reseed timing on {result['device']} (torch {result['torch']}), "
        f"{result['rounds']} rounds x {result['calls_per_round']} calls, "
        + ("CPU smoke run, no CUDA" if result["device"] == "cpu" else "CUDA initialised"),
        f"{'variant'.ljust(width)}  median µs   min–max µs     x hot path  same stream as torch.manual_seed",
    ]
    for name, median in result["median_us"].items():
        low, high = result["spread_us"][name]
        same = "yes" if result["same_stream_as_manual_seed"][name] else "NO"
        lines.append(
            f"{name.ljust(width)}  {median:9.2f}   {low:6.2f}–{high:<7.2f}  {median / ours:9.1f}x  {same}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--allow-cpu", action="store_true", help="run on CPU when no CUDA device exists")
    parser.add_argument("--json", metavar="PATH", help="also write the raw results here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.calls < 1:
        parser.error(f"--rounds and --calls must be at least 1, got {args.rounds} and {args.calls}")
    try:
        import torch
    except ImportError:
        print("benchmarks.gpu: torch is not installed", file=sys.stderr)
        return 2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu" and not args.allow_cpu:
        print("benchmarks.gpu: no CUDA device; pass --allow-cpu for a smoke run", file=sys.stderr)
        return 2
    result = run(args.rounds, args.calls, device)
    print(render(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
    return 0 if all(result["same_stream_as_manual_seed"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
