"""The notebook check's report as text (terminal), Markdown (CI summaries) and JSON."""

from __future__ import annotations

import json
from typing import Literal

from .shapes import CellReportShape, NotebookReportShape

Format = Literal["text", "json", "markdown"]
AS_TAGGED = "differs, as its jupyter-seed-expect-differ tag says"
TAGGED_BUT_SAME = "reproduced, though tagged jupyter-seed-expect-differ"


def _tag_note(cell: CellReportShape) -> str:
    """What the cell's jupyter-seed-expect-differ tag made of its result ("" when untagged)."""
    if not cell.expected_to_differ or cell.skipped:
        return ""
    return TAGGED_BUT_SAME if cell.reproducible else AS_TAGGED


def to_text(report: NotebookReportShape) -> str:
    lines = [
        f"{report.path}: {report.mode_text}, {report.runs} runs, {report.seconds:.1f} s"
    ]
    for cell in report.cells:
        mark = "skipped" if cell.skipped else "ok     " if cell.reproducible else "DIFFERS"
        note = _tag_note(cell)
        mark = "differs" if note == AS_TAGGED else mark  # lower case: not against the verdict
        lines.append(f"  cell {cell.index:>3} {mark} {cell.first_line}")
        if note:
            lines.append(f"               {note}")
        if cell.difference is not None:
            lines.append(f"               run {cell.run} vs run 1: {cell.difference}")
            if cell.divergence is not None:
                lines.append(f"               {cell.divergence}")
            lines += [f"               cause {rank}: {cause}" for rank, cause in enumerate(cell.causes, 1)]
            if report.doctor_seconds is not None and not cell.causes and not note:
                lines.append("               cause: none found by the doctor's experiments")
    if report.doctor_seconds is not None:
        lines.append(f"Doctor: diagnostic runs took {report.doctor_seconds:.1f} s.")
        lines += [f"  {entry}" for entry in getattr(report, "doctor_experiments", [])]
    if report.confidence is not None:
        lines.append(f"Rests on: {report.confidence}.")
    lines.append(f"Result: {report.summary()}.")
    return "\n".join(lines)

def to_markdown(report: NotebookReportShape) -> str:
    def escape(text: str) -> str:
        return text.replace("|", "\\|").replace("`", "'")

    lines = [
        f"### `{escape(report.path)}`: {report.summary()}",
        "",
        f"{escape(report.mode_text).capitalize()}, {report.runs} runs, {report.seconds:.1f} s.",
        "",
        "| cell | status | source | first difference |",
        "| ---: | --- | --- | --- |",
    ]
    for cell in report.cells:
        status = "✅ reproduces" if cell.reproducible else "❌ differs"
        status = "⏭️ skipped" if cell.skipped else status
        status = "☑️ differs, as tagged" if _tag_note(cell) == AS_TAGGED else status
        detail = "" if cell.difference is None else f"run {cell.run} vs run 1: {cell.difference}"
        detail = "<br>".join(filter(None, [_tag_note(cell), detail]))
        if cell.divergence is not None:
            detail += f"<br>{cell.divergence}"
        if cell.causes:
            detail += "<br>" + "<br>".join(f"cause {n}: {cause}" for n, cause in enumerate(cell.causes, 1))
        lines.append(f"| {cell.index} | {status} | `{escape(cell.first_line)}` | {escape(detail)} |")
    if report.confidence is not None:
        lines += ["", f"Rests on: {escape(str(report.confidence))}."]
    return "\n".join(lines)

def to_json(report: NotebookReportShape) -> str:
    return json.dumps(
        {
            "notebook": report.path,
            "mode": report.mode,
            "seed": report.seed,
            "per_cell": report.per_cell,
            "runs": report.runs,
            "seconds": round(report.seconds, 3),
            "doctor_seconds": None if report.doctor_seconds is None else round(report.doctor_seconds, 3),
            "doctor_experiments": list(getattr(report, "doctor_experiments", [])),
            "ok": report.ok,
            "exit_code": report.exit_code,
            "confidence": None if report.confidence is None else report.confidence.as_dict(),
            "cells": [
                {
                    "index": cell.index,
                    "id": cell.cell_id,
                    "reproducible": cell.reproducible,
                    "skipped": cell.skipped,
                    "expected_to_differ": cell.expected_to_differ,
                    "source": cell.source,
                    "causes": [cause.as_dict() for cause in cell.causes],
                    "likely_causes": [str(cause) for cause in cell.causes],
                    "divergence": None if cell.divergence is None else cell.divergence.to_json(),
                    "difference": None
                    if cell.difference is None
                    else {
                        "run": cell.run,
                        "where": cell.difference.where,
                        "first": cell.difference.first,
                        "second": cell.difference.second,
                    },
                }
                for cell in report.cells
            ],
        },
        indent=2,
    )

def render(report: NotebookReportShape, format: Format) -> str:
    return {"text": to_text, "json": to_json, "markdown": to_markdown}[format](report)
