"""Section 4, import: the post-import hook's cost on importing a framework in a fresh process."""

from __future__ import annotations

from typing import Any

from .common import Options, available, median, number, progress, run_child, table

CHILD = "import_child.py"


def measure(options: Options) -> dict[str, Any]:
    reps = 2 if options.quick else 9
    out: dict[str, Any] = {}
    for framework in (fw for fw in options.frameworks if available(fw)):
        progress(f"import: {framework}")
        if not options.quick:
            run_child(CHILD, framework, "plain")  # warm-up: page cache
        plain, hooked = [], []
        for _ in range(reps):
            plain.append(run_child(CHILD, framework, "plain")[0]["ms"])
            data = run_child(CHILD, framework, "hook")[0]
            hooked.append(data["ms"])
            if not data["seeded"]:
                raise AssertionError(f"{framework} was not seeded by the post-import hook")
        inst, _, _ = run_child(CHILD, framework, "instrumented")
        p, h = median(plain), median(hooked)
        own = inst["find_spec"] + inst["callback"]
        out[framework] = {
            "plain_ms": p,
            "hook_ms": h,
            "own_ms": own,
            "own_pct": 100 * own / p,
            "n": reps,
            "finder_ms": inst["find_spec"],
            "callback_ms": inst["callback"],
        }
    return out


def render(data: dict[str, Any]) -> str:
    rows = []
    for framework, r in data.items():
        p, h = r["plain_ms"], r["hook_ms"]
        rows.append(
            [
                f"import {framework}",
                r["n"],
                number(p),
                number(h),
                number(h - p),
                number(100 * (h - p) / p, 1) + "%",
                number(r["finder_ms"], 2),
                number(r["callback_ms"], 2),
                number(r["own_pct"], 2) + "%",
            ]
        )
    return table(
        "4. Post-import hook: importing a framework in a fresh process (numpy already imported)",
        ["import", "n", "plain ms", "with hook ms", "Δ ms", "Δ %", "finder ms", "seeding ms", "hook own %"],
        rows,
        "plain/with hook: medians over interleaved fresh processes that both import jupyter_seed; the "
        "hooked one calls `jupyter_seed.seed_everything(3407)` before the import. finder/seeding: time "
        "spent inside our meta-path finder and in the post-import seeding callback, measured in one "
        "instrumented process, a far less noisy figure than Δ.",
    )
