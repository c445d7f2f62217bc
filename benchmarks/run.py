"""jupyter-seed benchmarks: load cost, reseed cost, per-cell overhead, import-hook cost and process
seeding's cost (child start-up, pool tasks), side by side with the seeding functions people use today.

    .venv/bin/python -m benchmarks            # full run (~8 min on 2 cores)
    .venv/bin/python -m benchmarks --quick    # fewer repetitions (~3 min)
    .venv/bin/python -m benchmarks --quick --no-anchors --frameworks torch    # the smoke test's run, ~45 s

Anchors (Lightning ``seed_everything``, accelerate ``set_seed``, MONAI
``set_determinism``, ``keras.utils.set_random_seed``) come from the ``bench``
extra (``pip install -e .[bench]``); a missing one is reported as unavailable.

Every timing is a median over many repetitions; A/B variants are interleaved so
that noise from other processes hits them alike, and every ratio printed is
between figures measured in this one run. Fresh-process figures (load, import)
come from child interpreters (benchmarks/children). The run asserts correctness
(no framework imported by the extension; identical streams in the reseed section)
but nothing about time: the "goals" block only reports whether each goal holds.
Each section is a module with ``measure(Options) -> dict`` and ``render(dict) -> str``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import goals, imports, kernel, load, processes, reseed
from .common import Options, Section, available

SECTIONS: dict[str, Section] = {
    "load": load,
    "reseed": reseed,
    "kernel": kernel,
    "import": imports,
    "processes": processes,
}
VERSIONS_OF = ("numpy", "torch", "tensorflow", "keras", "lightning", "accelerate", "monai")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (indicative figures)")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    parser.add_argument(
        "--no-anchors", action="store_true", help="skip Lightning/accelerate/MONAI/Keras anchors"
    )
    parser.add_argument(
        "--frameworks",
        default="torch,tensorflow",
        help="frameworks whose import section 4 times (default: torch,tensorflow)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    return parser


def versions() -> str:
    found = []
    for name in VERSIONS_OF:
        for dist in (name, name + "-cpu"):
            try:
                found.append(f"{name} {version(dist)}")
                break
            except PackageNotFoundError:
                continue
        else:
            found.append(f"{name} unavailable")
    return ", ".join(found)


def render(results: dict[str, Any]) -> str:
    """Every table of the sections in ``results``, then the goals: what a run prints, from its JSON."""
    parts = [SECTIONS[name].render(data) for name, data in results.items() if name in SECTIONS]
    return "\n".join([*parts, goals.render(goals.measure(results))])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        # Said now, not after minutes of measuring.
        parser.error(f"--json: no folder {os.path.dirname(os.path.abspath(args.json))!r} to write into")
    options = Options(
        quick=args.quick,
        anchors=not args.no_anchors,
        frameworks=tuple(fw.strip() for fw in args.frameworks.split(",") if fw.strip()),
    )
    print(
        f"# jupyter-seed benchmarks ({'quick' if args.quick else 'full'}) — "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    print("# " + versions())
    results: dict[str, Any] = {}
    started = time.perf_counter()
    for section in sections:
        if section == "reseed" and not all(available(m) for m in reseed.NEEDS):
            print(f"\n## {section}: skipped (numpy, torch, tensorflow and keras are needed)")
            continue
        results[section] = SECTIONS[section].measure(options)
        print(SECTIONS[section].render(results[section]), flush=True)
    print(goals.render(goals.measure(results)))
    print(f"\n# total {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2, default=str)
    failures = []
    if "load" in results and results["load"]["frameworks"]:
        failures.append(f"the extension imported {results['load']['frameworks']}")
    if "reseed" in results and results["reseed"]["mismatched"]:
        failures.append(f"streams differ: {results['reseed']['mismatched']}")
    if failures:
        print("ERROR: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
