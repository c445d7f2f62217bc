"""Section 1, load: a fresh NumPy-only kernel process, plus ``%load_ext jupyter_seed`` + ``%seed 3407``.

Baseline and ours run in pairs of fresh processes, the order alternating; each anchor's
import-and-seed runs after the pairs. Table 1b lists what the load step imports.
"""

from __future__ import annotations

from typing import Any

from .anchors import ANCHORS
from .common import FRAMEWORKS, Options, available, median, number, progress, ratio, run_child, table

CHILD = "load_child.py"
BASELINE, OURS = "numpy + ipykernel modules + shell (baseline)", "+ %load_ext jupyter_seed, %seed 3407"
# Idle BLAS/OpenMP threads add tens of ms of noise to a process's CPU time, alike in every
# variant; one thread each keeps the whole-process figures about the main thread's work.
LOAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PAIRED_KEYS = ("process_cpu_ms", "after_start_ms", "teardown_ms", "wall_ms", "rss")


def _run(variant: str) -> dict[str, Any]:
    data, wall, _ = run_child(CHILD, variant, ",".join(FRAMEWORKS), env=LOAD_ENV)
    data["wall_ms"] = wall
    data["teardown_ms"] = data["process_cpu_ms"] - data["cpu_at_exit_ms"]
    data["after_start_ms"] = data["process_cpu_ms"] - data["cpu_before_ms"]
    return data


def measure(options: Options) -> dict[str, Any]:
    reps = 7 if options.quick else 41
    anchor_reps = 1 if options.quick else 5
    importtime_runs = 3 if options.quick else 7
    variants: dict[str, str] = {BASELINE: "baseline", OURS: "ours"}
    unavailable: list[tuple[str, str]] = []
    if options.anchors:
        for anchor in ANCHORS:
            if available(anchor.module):
                variants[f"+ import & {anchor.name}(3407)"] = anchor.key
            else:
                unavailable.append((f"+ import & {anchor.name}(3407)", "unavailable"))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    progress(f"load: {reps} pairs of fresh processes, then {anchor_reps} of each anchor")
    for name, variant in list(variants.items()):  # warm-up: page cache, .pyc files
        try:
            _run(variant)
        except RuntimeError:
            if variant in ("baseline", "ours"):
                raise
            # An anchor that is installed but cannot be imported is reported, not fatal.
            unavailable.append((name, "import failed"))
            del variants[name], results[name]
    # Baseline and ours in pairs, the order alternating: a process started right after
    # another runs measurably slower on this machine, whichever it is.
    for rep in range(reps):
        for name in (BASELINE, OURS) if rep % 2 else (OURS, BASELINE):
            results[name].append(_run(variants[name]))
    for name, variant in variants.items():  # anchors take seconds each: after the pairs, not between
        if variant in ("baseline", "ours"):
            continue
        for _ in range(anchor_reps):
            results[name].append(_run(variant))

    summary: dict[str, dict[str, Any]] = {}
    for name, runs in results.items():
        summary[name] = {
            "n": len(runs),
            **{
                key: median([r[key] for r in runs])
                for key in (
                    "step_ms",
                    "cpu_ms",
                    "wall_ms",
                    "process_cpu_ms",
                    "teardown_ms",
                    "after_start_ms",
                    "rss",
                )
            },
            "frameworks": sorted({m for r in runs for m in r["frameworks"]}),
            "numpy_random": any(r["numpy_random"] for r in runs),
        }
    base, ours = summary[BASELINE], summary[OURS]
    pairs = list(zip(results[BASELINE], results[OURS], strict=True))
    paired = {key: median([o[key] - b[key] for b, o in pairs]) for key in PAIRED_KEYS}
    offenders = sorted(importtime_offenders(importtime_runs), key=lambda o: -o[1])
    return {
        "delta_ms": ours["step_ms"] - base["step_ms"],
        "delta_cpu_ms": ours["cpu_ms"] - base["cpu_ms"],
        "delta_wall_ms": ours["wall_ms"] - base["wall_ms"],
        "delta_process_cpu_ms": paired["process_cpu_ms"],
        "delta_after_start_ms": paired["after_start_ms"],
        "delta_teardown_ms": paired["teardown_ms"],
        "delta_mib": paired["rss"],
        "frameworks": ours["frameworks"],
        "summary": summary,
        "paired": paired,
        "unavailable": unavailable,
        "offenders": offenders[:10],
        "importtime_runs": importtime_runs,
        "imported_modules": len(offenders),
        "imported_self_us": sum(o[1] for o in offenders),
    }


def importtime_offenders(runs: int) -> list[tuple[str, float, float]]:
    """(module, median self µs, median cumulative µs) for the modules the load step imports."""
    seen: dict[str, list[tuple[int, int]]] = {}
    for _ in range(runs):
        _, _, stderr = run_child(CHILD, "ours", ",".join(FRAMEWORKS), flags=("-X", "importtime"))
        after = stderr.split("@@MARK@@", 1)[1] if "@@MARK@@" in stderr else ""
        for line in after.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            parts = line[len("import time:") :].split("|")
            try:
                seen.setdefault(parts[2].strip(), []).append((int(parts[0]), int(parts[1])))
            except (ValueError, IndexError):
                continue
    return [
        (name, median([v[0] for v in values]), median([v[1] for v in values]))
        for name, values in seen.items()
    ]


def render(data: dict[str, Any]) -> str:
    summary, paired = data["summary"], data["paired"]
    base, ours = summary[BASELINE], summary[OURS]

    def delta(name: str, key: str, digits: int = 1) -> str:
        # Ours: the median of the paired differences; an anchor: the difference of medians.
        return number(paired[key] if name == OURS else summary[name][key] - base[key], digits)

    rows: list[list[Any]] = []
    for name, s in summary.items():
        rows.append(
            [
                name,
                s["n"],
                number(s["step_ms"], 2),
                number(s["cpu_ms"], 2),
                delta(name, "wall_ms"),
                delta(name, "process_cpu_ms"),
                delta(name, "after_start_ms"),
                delta(name, "teardown_ms"),
                number(s["rss"], 1),
                delta(name, "rss", 2),
                ratio(s["step_ms"], ours["step_ms"]) if name not in (BASELINE, OURS) else "",
                ",".join(s["frameworks"]) or "none",
            ]
        )
    for name, reason in data["unavailable"]:
        rows.append([name, 0, reason, "", "", "", "", "", "", "", "", ""])
    load_table = table(
        "1. Load: fresh process with numpy, ipykernel's modules and an IPython shell (a NumPy-only kernel)",
        [
            "variant",
            "n",
            "step ms",
            "step CPU ms",
            "Δ wall ms",
            "Δ process CPU ms",
            "Δ after start-up ms",
            "Δ teardown ms",
            "peak RSS MiB",
            "Δ RSS MiB",
            "vs ours",
            "frameworks imported",
        ],
        rows,
        "step ms / step CPU ms = in-process wall / CPU time of the step after numpy and the shell are ready "
        "(medians; on a shared machine wall time includes waiting for a core, CPU time does not); Δ wall = "
        "whole child process wall time minus the baseline's (noisier); Δ process CPU = the whole child's "
        "user + system time, interpreter start-up and teardown included, minus the baseline's (start-up, "
        "identical code in both, varies by ±20 ms); Δ after start-up = the same from the step's start to "
        "the process's end (step + teardown; the goal's figure); Δ teardown = the CPU time spent after the "
        "script's end (atexit handlers, module teardown); Δ RSS = peak RSS minus the baseline's. For ours "
        "the Δ columns are medians of the paired differences (baseline and ours run in pairs, order "
        "alternating); for the anchors, differences of medians. BLAS/OpenMP threads: one.",
    )
    # What the extension imports at load: python -X importtime, modules imported during the step.
    import_rows: list[list[Any]] = [
        [name, number(us / 1e3, 2), number(cum / 1e3, 2)] for name, us, cum in data["offenders"]
    ]
    import_rows.append(
        [
            f"all {data['imported_modules']} modules imported by the step",
            number(data["imported_self_us"] / 1e3, 2),
            "",
        ]
    )
    imports_table = table(
        "1b. Modules imported by `%load_ext jupyter_seed` + `%seed 3407` "
        f"(python -X importtime, median of {data['importtime_runs']} runs)",
        ["module", "self ms", "cumulative ms"],
        import_rows,
        "-X importtime inflates absolute figures; read them as shares."
        + (
            " numpy.random is imported by seeding NumPy's global RandomState: "
            "`import numpy` alone does not load it."
            if ours["numpy_random"]
            else ""
        ),
    )
    return load_table + "\n" + imports_table
