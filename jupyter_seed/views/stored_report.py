"""The against-stored check's report as text (terminal), Markdown (CI summaries) and JSON."""

from __future__ import annotations

import json
from typing import Any

# A view reads a result through its shape and imports nothing from evidence/, which calls it.
from .shapes import DifferenceShape
from .shapes import StoredReportShape as StoredReport

_LABELS = {"no-stored-output": "no stored output"}
_MARKS = {
    "matches": "✅",
    "float-drift": "≈",
    "nondeterministic": "🎲",
    "environment": "🔧",
    "changed": "❌",
    "no-stored-output": "∅",
    "skipped": "⏭️",
}


def _label(kind: str) -> str:
    return _LABELS.get(kind, kind)


def _header(report: StoredReport) -> str:
    runs = f"{report.fresh_runs} fresh run" + ("s" if report.fresh_runs != 1 else "")
    configuration = report.configuration.text
    return f"{report.path}: against its stored outputs; {configuration}; {runs}, {report.seconds:.1f} s"


def _provenance_line(report: StoredReport) -> str:
    if report.provenance is None:
        return f"Provenance: none stored in the notebook ({_no_provenance()})."
    if not report.changes:
        return "Provenance: recorded; this environment is the same in everything that can change results."
    return "Provenance: recorded; changed since: " + "; ".join(report.changes) + "."


def _no_provenance() -> str:
    return (
        "metadata.jupyter_seed.provenance is missing: `jupyter-seed run` or a save from JupyterLab writes it"
    )


def _tolerance(report: StoredReport) -> str:
    return f"--rtol {report.rtol:g}, --atol {report.atol:g}"


def to_text(report: StoredReport) -> str:
    lines = [_header(report)]
    for cell in report.cells:
        lines.append(f"  cell {cell.index:>3} {_label(cell.kind):<17} {cell.first_line}")
        lines += [f"               {detail}" for detail in cell.details]
        if cell.kind == "nondeterministic" and report.doctor_seconds is not None and not cell.causes:
            lines.append("               cause: none found by the doctor's experiments")
    if report.doctor_seconds is not None:
        lines.append(f"Doctor: diagnostic runs took {report.doctor_seconds:.1f} s.")
        lines += [f"  {entry}" for entry in report.doctor_experiments]
    lines.append(_provenance_line(report))
    if report.count("float-drift"):
        lines.append(f"Tolerance: {_tolerance(report)} (a number may move by atol + rtol x |stored|).")
    if report.confidence is not None:
        lines.append(f"Rests on: {report.confidence}.")
    lines.append(f"Result: {report.summary()}.")
    return "\n".join(lines)


def to_markdown(report: StoredReport) -> str:
    def escape(text: str) -> str:
        return text.replace("|", "\\|").replace("`", "'")

    lines = [
        f"### `{escape(report.path)}`: {report.summary()}",
        "",
        f"Against its stored outputs; {escape(report.configuration.text)}; {report.fresh_runs} fresh run(s), "
        f"{report.seconds:.1f} s.",
        "",
        "| cell | class | source | detail |",
        "| ---: | --- | --- | --- |",
    ]
    for cell in report.cells:
        detail = "<br>".join(escape(line) for line in cell.details)
        mark = _MARKS.get(cell.kind, "")
        lines.append(
            f"| {cell.index} | {mark} {_label(cell.kind)} | `{escape(cell.first_line)}` | {detail} |"
        )
    lines += ["", escape(_provenance_line(report))]
    if report.confidence is not None:
        lines += ["", f"Rests on: {escape(str(report.confidence))}."]
    return "\n".join(lines)


def to_json(report: StoredReport) -> str:
    def difference(found: DifferenceShape | None) -> dict[str, str] | None:
        return None if found is None else {"where": found.where, "stored": found.first, "fresh": found.second}

    cells = []
    for cell in report.cells:
        entry: dict[str, Any] = {
            "index": cell.index,
            "id": cell.cell_id,
            "class": cell.kind,
            "source": cell.source,
            "detail": cell.details,
            "difference": difference(cell.difference),
        }
        if cell.drift is not None:
            entry["drift"] = {
                "max_abs": cell.drift.max_abs,
                "max_rel": cell.drift.max_rel,
                "where": cell.drift.where,
                "numbers": cell.drift.numbers,
            }
        if cell.run_difference is not None:
            entry["run_difference"] = {
                "run": cell.run,
                "where": cell.run_difference.where,
                "first": cell.run_difference.first,
                "second": cell.run_difference.second,
            }
            entry["causes"] = [cause.as_dict() for cause in cell.causes]
        if cell.changes:
            entry["changes"] = cell.changes
        cells.append(entry)
    return json.dumps(
        {
            "notebook": report.path,
            "against": "stored",
            "mode": report.configuration.mode,
            "seed": report.configuration.seed,
            "per_cell": report.configuration.per_cell,
            "configuration_origin": report.configuration.origin,
            "fresh_runs": report.fresh_runs,
            "rtol": report.rtol,
            "atol": report.atol,
            "seconds": round(report.seconds, 3),
            "doctor_seconds": None if report.doctor_seconds is None else round(report.doctor_seconds, 3),
            "doctor_experiments": list(report.doctor_experiments),
            "provenance_recorded": report.provenance is not None,
            "environment_changes": report.changes,
            "ok": report.ok,
            "exit_code": report.exit_code,
            "confidence": None if report.confidence is None else report.confidence.as_dict(),
            "counts": {kind: report.count(kind) for kind in _MARKS},
            "cells": cells,
        },
        indent=2,
        allow_nan=False,
    )


def render(report: StoredReport, format: str) -> str:
    return {"text": to_text, "json": to_json, "markdown": to_markdown}[format](report)
