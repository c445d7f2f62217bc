"""What a collection shows: the summary table (text, Markdown), JUnit XML, and GitHub's step summary.

JUnit XML is what CI systems and the GitHub / GitLab test views read: one test case per
notebook; a notebook that differs is a failure and one that could not run an error, each with
the single check's report as its text; one the collection never finished is skipped.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .outcome import NotebookOutcome

__all__ = [
    "append_step_summary",
    "junit_xml",
    "result_line",
    "summary_markdown",
    "summary_text",
    "write_junit",
]

HEADER = ("notebook", "verdict", "cells differing", "first cause", "seconds")
MARKS = {"reproducible": "✅", "differs": "❌", "not run": "⚠️", "interrupted": "⏹️"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, even escaped (a cell's ANSI colours bring ESC)."""


def _row(outcome: NotebookOutcome) -> list[str]:
    cells = (
        f"{outcome.differing} of {outcome.cells}" if outcome.verdict in ("reproducible", "differs") else "-"
    )
    return [outcome.notebook, outcome.verdict_text, cells, outcome.first_cause, f"{outcome.seconds:.1f}"]


def result_line(outcomes: Sequence[NotebookOutcome]) -> str:
    """``5 notebooks: 3 reproducible (1 cached), 1 differs, 1 not run``."""
    counts = {verdict: sum(1 for o in outcomes if o.verdict == verdict) for verdict in MARKS}
    cached = sum(1 for o in outcomes if o.cached)
    parts = [f"{counts['reproducible']} reproducible" + (f" ({cached} cached)" if cached else "")]
    parts += [
        f"{counts[verdict]} {verdict}" for verdict in ("differs", "not run", "interrupted") if counts[verdict]
    ]
    noun = "notebook" if len(outcomes) == 1 else "notebooks"
    return f"{len(outcomes)} {noun}: " + ", ".join(parts)


def summary_text(outcomes: Sequence[NotebookOutcome]) -> str:
    rows = [list(HEADER)] + [_row(outcome) for outcome in outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  ".join(cells + [row[-1].rjust(widths[-1])]).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.append(f"Result: {result_line(outcomes)}.")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def summary_markdown(outcomes: Sequence[NotebookOutcome], *, details: bool = True) -> str:
    """The summary as a Markdown table; ``details``: each failing notebook's report folded below it."""
    lines = [
        f"### jupyter-seed check: {result_line(outcomes)}",
        "",
        "| notebook | verdict | cells differing | first cause | seconds |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for outcome in outcomes:
        name, verdict, cells, cause, seconds = _row(outcome)
        mark = MARKS[outcome.verdict]
        lines.append(f"| `{_escape(name)}` | {mark} {verdict} | {cells} | {_escape(cause)} | {seconds} |")
    if details:
        for outcome in outcomes:
            if outcome.verdict in ("differs", "not run"):
                body = outcome.markdown or _escape(outcome.text)
                lines += [
                    "",
                    f"<details><summary>{_escape(outcome.notebook)}</summary>",
                    "",
                    body,
                    "",
                    "</details>",
                ]
    return "\n".join(lines)


def junit_xml(outcomes: Sequence[NotebookOutcome], seconds: float) -> bytes:
    import xml.etree.ElementTree as ElementTree

    def clean(text: str) -> str:
        return _NOT_XML.sub("?", text)

    counts = {
        "tests": str(len(outcomes)),
        "failures": str(sum(1 for o in outcomes if o.verdict == "differs")),
        "errors": str(sum(1 for o in outcomes if o.verdict == "not run")),
        "skipped": str(sum(1 for o in outcomes if o.verdict == "interrupted")),
        "time": f"{seconds:.3f}",
    }
    root = ElementTree.Element("testsuites", {"name": "jupyter-seed check", **counts})
    suite = ElementTree.SubElement(root, "testsuite", {"name": "jupyter-seed check", **counts})
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            {
                "classname": "jupyter-seed check",
                "name": clean(outcome.notebook),
                "file": clean(outcome.notebook),
                "time": f"{outcome.seconds:.3f}",
            },
        )
        message = clean(outcome.first_cause or outcome.verdict)
        if outcome.verdict == "differs":
            tag = "failure"
        elif outcome.verdict == "not run":
            tag = "error"
        elif outcome.verdict == "interrupted":
            ElementTree.SubElement(case, "skipped", {"message": message})
            continue
        else:
            ElementTree.SubElement(case, "system-out").text = clean(
                outcome.text or f"{outcome.notebook}: reproducible (cached: nothing ran)"
            )
            continue
        element = ElementTree.SubElement(case, tag, {"message": message, "type": outcome.verdict})
        element.text = clean(outcome.text)
    ElementTree.indent(root)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def write_junit(path: str | os.PathLike[str], outcomes: Sequence[NotebookOutcome], seconds: float) -> None:
    """Write the JUnit file whole or not at all: a temp file beside it, then a rename."""
    target = Path(path).expanduser()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(junit_xml(outcomes, seconds))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_step_summary(outcomes: Sequence[NotebookOutcome]) -> bool:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set; whether it was."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(summary_markdown(outcomes) + "\n\n")
    return True
