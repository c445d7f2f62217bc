"""What every benchmark section shares: child interpreters, medians, number formats and tables."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any, Protocol

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILDREN = os.path.join(ROOT, "benchmarks", "children")
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "lightning", "accelerate", "monai")
SEED = 3407


@dataclass(frozen=True)
class Options:
    """What the command line asks of every section."""

    quick: bool = False
    anchors: bool = True
    frameworks: tuple[str, ...] = ("torch", "tensorflow")


class Section(Protocol):
    """A benchmark section module: measure in this run, render what was measured (also from its JSON)."""

    def measure(self, options: Options) -> dict[str, Any]: ...

    def render(self, data: dict[str, Any]) -> str: ...


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # An installed package runs from .pyc files; with PYTHONDONTWRITEBYTECODE set, every child
    # would recompile whatever changed since its .pyc was written (~36 ms for this package).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def child_path(name: str) -> str:
    """The file of one child program in benchmarks/children (run as a script: no runpy in the figures)."""
    return os.path.join(CHILDREN, name)


def run_child(
    program: str,
    *args: str,
    flags: tuple[str, ...] = (),
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> tuple[dict[str, Any], float, str]:
    """Run the child ``program`` in a fresh interpreter; it prints one JSON line last.

    Returns (data, wall_ms, stderr); ``data["process_cpu_ms"]`` is the whole child's CPU time.
    """
    import resource

    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *flags, child_path(program), *args],
        check=False,
        capture_output=True,
        text=True,
        env={**child_env(), **(env or {})},
        cwd=ROOT,
        timeout=timeout,
    )
    wall = (time.perf_counter() - start) * 1e3
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    data: dict[str, Any] = json.loads(lines[-1])
    # The whole child, start-up and interpreter teardown included (children run one at a time).
    data["process_cpu_ms"] = 1e3 * (
        children_after.ru_utime
        - children_before.ru_utime
        + children_after.ru_stime
        - children_before.ru_stime
    )
    return data, wall, proc.stderr


def available(module: str) -> bool:
    return find_spec(module) is not None


def progress(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def number(value: float, digits: int = 1) -> str:
    """``value`` with thousands separators, ``-`` for a figure that was not measured."""
    if math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: float, base: float) -> str:
    if not base or math.isnan(value) or math.isnan(base):
        return "-"
    return f"{value / base:,.1f}x"


def table(title: str, header: list[str], rows: list[list[Any]], note: str = "") -> str:
    """A titled plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [f"\n## {title}"]
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if note:
        lines.append(textwrap.fill(note, 100))
    return "\n".join(lines)
