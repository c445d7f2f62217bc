"""Section 2, reseed: one call of every candidate with random, NumPy, torch, TensorFlow and Keras loaded."""

from __future__ import annotations

from typing import Any

from .common import Options, median, number, progress, ratio, run_child, table

OURS = "ours: Seeder.reseed (hot path)"
NEEDS = ("numpy", "torch", "tensorflow", "keras")  # the section is skipped without them


def measure(options: Options) -> dict[str, Any]:
    rounds, batch = (9, 100) if options.quick else (41, 300)
    progress(f"reseed: {rounds} rounds x {batch} calls per candidate, in one process")
    data, _, _ = run_child("reseed_child.py", str(rounds), str(batch), "1" if options.anchors else "0")
    med_us = {name: median(values) for name, values in data["times"].items()}
    return {
        "ours_us": med_us[OURS],
        "floor_us": sum(v for k, v in med_us.items() if k.startswith("floor:")),
        "median_us": med_us,
        "mismatched": [name for name, ok in data["same"].items() if not ok],
        "lightning_us": med_us.get("lightning.seed_everything"),
        "same": data["same"],
        "unavailable": data["unavailable"],
        "rounds": rounds,
        "batch": batch,
    }


def render(data: dict[str, Any]) -> str:
    med_us, ours, floor = data["median_us"], data["ours_us"], data["floor_us"]
    rows: list[list[Any]] = []
    for name, value in med_us.items():
        if name.startswith("floor:"):
            continue
        same = data["same"].get(name)
        rows.append(
            [
                name,
                number(value, 2),
                ratio(value, ours),
                ratio(value, floor),
                "" if same is None else ("yes" if same else "NO"),
            ]
        )
    rows.append(
        ["floor: sum of the generators' own reseeds", number(floor, 2), ratio(floor, ours), "1.0x", ""]
    )
    for name, value in med_us.items():
        if name.startswith("floor:"):
            rows.append(["  " + name[len("floor: ") :], number(value, 2), "", "", ""])
    for name in data["unavailable"]:
        rows.append([name, "unavailable", "", "", ""])
    return table(
        "2. Reseed: one call with random, numpy, torch, tensorflow and keras loaded (µs per call)",
        ["call", "median µs", "vs ours", "vs floor", "same streams as ours"],
        rows,
        f"{data['rounds']} interleaved rounds x {data['batch']} calls. 'same streams' compares the draws "
        "after the call with the draws after Seeder.reseed, for the sources the call seeds (Lightning, "
        "accelerate and MONAI do not seed TensorFlow; Keras with the TF backend does not seed torch).",
    )
