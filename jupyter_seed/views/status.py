"""Render the state dict as plain text (terminal) or an HTML table (notebook).

Each problem is listed once: the risks (with their fixes) first, then the
warnings that no risk already states. In HTML, `backticked` code reads as code
and a source with no flags gets an empty cell, not an empty code box.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

# Warnings (the seeding core's words) that a risk (the kernel's list, with a fix) already states.
COVERED_BY_RISK: dict[str, tuple[str, ...]] = {
    "hash_seed_random": ("str hashing in this kernel is randomized",),
    "default_rng_unpatched": ("numpy.random.default_rng() without a seed ignores",),
}
BACKTICKED = re.compile(r"`([^`]+)`")


def _seed_text(state: dict[str, Any]) -> str:
    seed = state["seed"]
    if seed is None:
        return "unseeded"
    origin = " (drawn from OS entropy)" if state.get("seed_origin") == "random" else ""
    return f"{seed}{origin}"


def _hash_seed_text(flags: dict[str, Any]) -> str:
    """What child processes get, plainly, beside how this kernel itself hashes."""
    kernel, children = flags.get("kernel_hash_seed"), flags.get("children")
    if children is None:
        given = "children hash at random (PYTHONHASHSEED unset)"
    else:
        given = f"children get PYTHONHASHSEED={children}"
    if kernel in (None, "random"):
        return f"{given}; this kernel hashes at random"
    if children == kernel:
        return f"{given}, as this kernel (fixed at start)"
    return f"{given}; this kernel hashes with {kernel} (fixed at start)"


def _source_seed(entry: dict[str, Any]) -> str:
    if entry["name"] == "pythonhashseed" and entry["loaded"] and not entry["error"]:
        return _hash_seed_text(entry["determinism"])
    if not entry["loaded"]:
        return "not imported"
    if not entry["global_state"]:
        return "no global state"
    if entry["error"]:
        return f"FAILED: {entry['error']}"
    if entry["seeded"]:
        return f"seeded with {entry['seeded_with']}"
    if entry["seeded_with"] is not None:
        return f"not by us (reports {entry['seeded_with']})"
    return "not seeded"


def _flags(entry: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in entry["determinism"].items())


def summary_lines(state: dict[str, Any]) -> list[tuple[str, str]]:
    applied = state["applied_seed"]
    per_cell = state["per_cell"]
    if per_cell != "off" and applied is not None and applied != state["seed"]:
        per_cell += f" (last cell: {applied})"
    return [
        ("seed", _seed_text(state)),
        ("per-cell reseeding", per_cell),
        ("deterministic mode", state["deterministic"]),
        ("default_rng() patched", "yes" if state["patch_default_rng"] else "no"),
        ("DataLoader workers seeded", "yes" if state.get("workers") else "no"),
        ("pool tasks and processes seeded", _processes_text(state)),
    ]


def _processes_text(state: dict[str, Any]) -> str:
    if not state.get("processes"):
        return "no (--no-processes)"
    return "yes" if state["seed"] is not None else "yes, once a seed is set"


def _other_warnings(state: dict[str, Any]) -> list[str]:
    """The warnings no listed risk already states."""
    risk_ids = {risk["id"] for risk in state.get("risks", [])}
    covered = tuple(prefix for risk_id in risk_ids for prefix in COVERED_BY_RISK.get(risk_id, ()))
    return [warning for warning in state["warnings"] if not warning.startswith(covered)]


def render_text(state: dict[str, Any]) -> str:
    lines = [f"jupyter-seed {state['version']}"]
    lines += [f"  {key:<22} {value}" for key, value in summary_lines(state)]
    rows = [
        (entry["name"], entry["version"] or "", _source_seed(entry), _flags(entry))
        for entry in state["sources"]
    ]
    widths = [max(len(row[i]) for row in rows + [("source", "version", "seed", "")]) for i in range(3)]
    lines.append("")
    header = ("source", "version", "seed", "determinism (read back)")
    for row in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip())
    for risk in state.get("risks", []):
        lines.append(f"  risk: {risk['message']}{_fix_text(risk)}")
    for warning in _other_warnings(state):
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)


FIX_HINTS = {
    "deterministic": "%seed --deterministic",
    "patch_default_rng": "%seed --patch-default-rng",
    "per_cell": "%seed --per-cell",
    "kernelspec": "jupyter-seed kernelspec, then switch to that kernel",
}


def _fix_text(risk: dict[str, Any]) -> str:
    fix = risk.get("fix")
    return f" (fix: {FIX_HINTS[fix]})" if fix in FIX_HINTS else ""


def _html_text(text: str) -> str:
    """Escaped text whose `backticked` parts are code."""
    return BACKTICKED.sub(r"<code>\1</code>", escape(text))


def _html_fix(risk: dict[str, Any]) -> str:
    fix = risk.get("fix")
    return f" (fix: <code>{escape(FIX_HINTS[fix])}</code>)" if fix in FIX_HINTS else ""


def _html_flags(entry: dict[str, Any]) -> str:
    flags = _flags(entry)
    return f"<code>{escape(flags)}</code>" if flags else ""


def render_html(state: dict[str, Any]) -> str:
    summary = "".join(
        f"<tr><th style='text-align:left'>{escape(key)}</th><td colspan='3' style='text-align:left'>{escape(value)}</td></tr>"
        for key, value in summary_lines(state)
    )
    rows = "".join(
        "<tr>"
        f"<td style='text-align:left'>{escape(entry['label'])}</td>"
        f"<td style='text-align:left'>{escape(entry['version'] or '')}</td>"
        f"<td style='text-align:left'>{_html_text(_source_seed(entry))}</td>"
        f"<td style='text-align:left'>{_html_flags(entry)}</td>"
        "</tr>"
        for entry in state["sources"]
    )
    items = [f"<li>{_html_text(risk['message'])}{_html_fix(risk)}</li>" for risk in state.get("risks", [])]
    items += [f"<li>{_html_text(warning)}</li>" for warning in _other_warnings(state)]
    return (
        f"<div class='jupyter-seed-status'><strong>jupyter-seed {escape(state['version'])}</strong>"
        f"<table>{summary}"
        "<tr><th style='text-align:left'>source</th><th style='text-align:left'>version</th>"
        "<th style='text-align:left'>seed</th><th style='text-align:left'>determinism (read back)</th></tr>"
        f"{rows}</table>"
        + (f"<p><strong>Risks in this kernel now</strong></p><ul>{''.join(items)}</ul>" if items else "")
        + "</div>"
    )


class StatusView:
    """Displays as HTML in a notebook and as text in a terminal."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def _repr_html_(self) -> str:
        return render_html(self.state)

    def __repr__(self) -> str:
        return render_text(self.state)
