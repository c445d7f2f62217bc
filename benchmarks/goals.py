"""The goals of issues 5, 11 and 23: whether each holds in this run (reported, never asserted)."""

from __future__ import annotations

from typing import Any


def measure(results: dict[str, Any]) -> list[str]:
    """One ``[PASS]``/``[FAIL]`` line per goal whose section ran."""
    lines = []

    def line(ok: bool | None, text: str) -> None:
        mark = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        lines.append(f"[{mark}] {text}")

    load = results.get("load")
    if load:
        line(
            load["delta_after_start_ms"] <= 15 and load["delta_mib"] <= 1 and not load["frameworks"],
            f"load + %seed adds ≤ 15 ms and ≤ 1 MiB as a whole process, imports no framework: "
            f"{load['delta_after_start_ms']:+.1f} ms process CPU from the step to exit (whole process "
            f"{load['delta_process_cpu_ms']:+.1f} ms; step: +{load['delta_cpu_ms']:.1f} ms CPU, "
            f"+{load['delta_ms']:.1f} ms wall; teardown {load['delta_teardown_ms']:+.1f} ms), "
            f"+{load['delta_mib']:.2f} MiB, frameworks imported: {', '.join(load['frameworks']) or 'none'}",
        )
    reseed = results.get("reseed")
    if reseed:
        light = reseed.get("lightning_us")
        fast = reseed["ours_us"] <= 30 and (light is None or light / reseed["ours_us"] >= 10)
        line(
            fast,
            f"one reseed ≤ 30 µs and ≥ 10x faster than Lightning: {reseed['ours_us']:.1f} µs"
            + (
                f", {light / reseed['ours_us']:.1f}x faster than Lightning"
                if light
                else ", Lightning unavailable"
            ),
        )
        everything = reseed["median_us"]["ours: jupyter_seed.seed_everything"]
        line(
            everything <= 1.3 * reseed["floor_us"],
            f"one seed_everything ≤ 1.3x the floor (the generators' own reseeds): {everything:.1f} µs "
            f"= {everything / reseed['floor_us']:.2f}x the floor's {reseed['floor_us']:.1f} µs",
        )
        line(
            not reseed["mismatched"],
            "streams identical to the anchors and official calls"
            + (f": MISMATCH {reseed['mismatched']}" if reseed["mismatched"] else ""),
        )
    kernel = results.get("kernel")
    if kernel:
        ev = kernel["events_us"]
        added = {k: v - ev["no extension"] for k, v in ev.items() if k != "no extension"}
        line(
            max(added.values()) <= 50,
            "per-cell overhead ≤ 50 µs per cell (all our pre/post_run_cell work, in "
            "the kernel): " + ", ".join(f"{k} {v:+.1f} µs" for k, v in added.items()),
        )
    imports = results.get("import")
    if imports:
        for fw, r in imports.items():
            line(
                r["own_pct"] <= 2,
                f"post-import hook adds ≤ 2% to import {fw}: hook's own time {r['own_ms']:.2f} ms "
                f"= {r['own_pct']:.2f}% (Δ of medians {r['hook_ms'] - r['plain_ms']:+.0f} ms)",
            )
    processes = results.get("processes")
    if processes:
        lines += process_goals(processes)
    return lines


def process_goals(data: dict[str, Any]) -> list[str]:
    """Issue 23: the start-up hook costs ≤ 1 ms; seeded Pool.map ≤ 1.1x plain, and how far the floor allows."""
    from .processes import GOAL_RATIO, task_ratios

    lines = []
    start = data["start_up"]
    if start["available"]:
        ok = start["delta_ms"] <= 1
        lines.append(
            f"[{'PASS' if ok else 'FAIL'}] the start-up hook adds ≤ 1 ms to an interpreter start without its "
            f"variables: Δ of medians {start['delta_ms']:+.2f} ms over {start['n']} interleaved starts "
            f"(site's own work on the file: {start['hook_file_us']:.1f} µs)"
        )
    else:
        lines.append(f"[n/a ] the start-up hook adds ≤ 1 ms to an interpreter start: {start['reason']}")
    ratios = task_ratios(data)
    plain = all(r["on_vs_off"] <= GOAL_RATIO for r in ratios.values())
    floor_allows = all(r["anchor_vs_off"] <= GOAL_RATIO for r in ratios.values())
    lines.append(
        f"[{'PASS' if plain else 'FAIL'}] seeded Pool.map ≤ {GOAL_RATIO}x plain Pool.map on "
        f"{data['tasks']['tasks']:,} tiny tasks: "
        + ", ".join(f"{method} {r['on_vs_off']:.1f}x" for method, r in ratios.items())
        + (
            ""
            if plain or floor_allows
            else " (not reachable for tasks this small: seeding random + numpy by hand in each task, the floor, is "
            + ", ".join(f"{method} {r['anchor_vs_off']:.1f}x" for method, r in ratios.items())
            + " plain)"
        )
    )
    near_floor = all(r["on_vs_anchor"] <= GOAL_RATIO for r in ratios.values())
    lines.append(
        f"[{'PASS' if near_floor else 'FAIL'}] seeded Pool.map ≤ {GOAL_RATIO}x the floor (each task seeding "
        "random + numpy itself): "
        + ", ".join(f"{method} {r['on_vs_anchor']:.2f}x" for method, r in ratios.items())
    )
    return lines


def render(lines: list[str]) -> str:
    return "\n## Goals (reported, not asserted)\n" + "\n".join(lines)
