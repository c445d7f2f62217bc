"""Render the state dict as plain text (terminal) or an HTML table (notebook)."""

from __future__ import annotations

from html import escape
from typing import Any


def _seed_text(state: dict[str, Any]) -> str:
    seed = state["seed"]
    if seed is None:
        return "unseeded"
    origin = " (drawn from OS entropy)" if state.get("seed_origin") == "random" else ""
    return f"{seed}{origin}"


def _source_seed(entry: dict[str, Any]) -> str:
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
    ]


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
    for warning in state["warnings"]:
        lines.append(f"  warning: {warning}")
    for risk in state.get("risks", []):
        lines.append(f"  risk: {risk['message']}{_fix_text(risk)}")
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


def render_html(state: dict[str, Any]) -> str:
    summary = "".join(
        f"<tr><th style='text-align:left'>{escape(key)}</th><td colspan='3' style='text-align:left'>{escape(value)}</td></tr>"
        for key, value in summary_lines(state)
    )
    rows = "".join(
        "<tr>"
        f"<td style='text-align:left'>{escape(entry['label'])}</td>"
        f"<td style='text-align:left'>{escape(entry['version'] or '')}</td>"
        f"<td style='text-align:left'>{escape(_source_seed(entry))}</td>"
        f"<td style='text-align:left'><code>{escape(_flags(entry))}</code></td>"
        "</tr>"
        for entry in state["sources"]
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in state["warnings"])
    risks = "".join(f"<li>{escape(r['message'] + _fix_text(r))}</li>" for r in state.get("risks", []))
    return (
        f"<div class='jupyter-seed-status'><strong>jupyter-seed {escape(state['version'])}</strong>"
        f"<table>{summary}"
        "<tr><th style='text-align:left'>source</th><th style='text-align:left'>version</th>"
        "<th style='text-align:left'>seed</th><th style='text-align:left'>determinism (read back)</th></tr>"
        f"{rows}</table>"
        + (f"<p><strong>Cannot be fixed at run time / warnings</strong></p><ul>{warnings}</ul>" if warnings else "")
        + (f"<p><strong>Risks in this kernel now</strong></p><ul>{risks}</ul>" if risks else "")
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
