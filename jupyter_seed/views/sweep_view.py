"""Sweep summaries as text (terminals), HTML (notebooks) and a histogram (matplotlib, imported lazily)."""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

from .shapes import MetricSummaryShape, SeedRunShape, SweepResultShape
from .timing import timing_html

FAILED_SHOWN = 10
PER_SEED_ROWS = 1000


def headline(result: SweepResultShape) -> str:
    ok = len(result.runs) - len(result.failed)
    line = f"Sweep over {len(result.runs)} seeds: {ok} ok, {len(result.failed)} failed."
    if result.resumed:
        line += f" {result.resumed} resumed from the saved file."
    if result.interrupted:
        line += f" Stopped early, {result.interrupted}: {len(result.not_run)} seeds did not run."
    return line


SEEDS_NAMED = 10


def non_finite_note(s: MetricSummaryShape) -> str:
    """``"seeds 3, 5 gave NaN or inf"``: which seeds every figure leaves out (all of them: how many)."""
    word = "seed" if s.non_finite == 1 else "seeds"
    if not s.has_finite_values or not s.non_finite_seeds:
        return f"{s.non_finite} {word} gave NaN or inf"
    named = ", ".join(str(seed) for seed in s.non_finite_seeds[:SEEDS_NAMED])
    extra = len(s.non_finite_seeds) - SEEDS_NAMED
    return f"{word} {named}{f' and {extra} more' if extra > 0 else ''} gave NaN or inf"


def summary_line(s: MetricSummaryShape, *, higher_is_better: bool) -> str:
    if not s.has_finite_values:
        return f"  {s.name}: no finite values ({non_finite_note(s)})"
    pct = round(100 * s.ci.confidence)
    best_word = "best" if higher_is_better else "best (lowest)"
    return (
        f"  {s.name}: mean {s.mean:.6g} ({pct}% CI [{s.ci.low:.6g}, {s.ci.high:.6g}]), median {s.median:.6g}, "
        f"IQM {s.iqm:.6g}, std {s.std:.4g}, min {s.min:.6g}, max {s.max:.6g} (max - min {s.spread:.4g}); "
        f"{best_word} seed {s.best_seed}, worst seed {s.worst_seed}"
        + (f"; left out: {non_finite_note(s)}" if s.non_finite else "")
    )


def bootstrap_note(result: SweepResultShape) -> str:
    used = sorted({s.ci.resamples for s in result.summary() if s.has_finite_values}) or [result.resamples]
    return (
        f"  (bootstrap: {'/'.join(str(u) for u in used)} resamples, seed {result.bootstrap_seed}; "
        f"the summary repeats exactly)"
    )


def sweep_text(result: SweepResultShape) -> str:
    lines = [headline(result)]
    summaries = result.summary()
    lines += [summary_line(s, higher_is_better=result.is_higher_better(s.name)) for s in summaries]
    lines += [f"  {rank.sentence()}" for rank in result.ranks()]
    if any(s.has_finite_values for s in summaries):
        lines.append(bootstrap_note(result))
    for run in result.failed[:FAILED_SHOWN]:
        lines.append(f"  seed {run.seed} failed: {run.error}")
    if len(result.failed) > FAILED_SHOWN:
        lines.append(f"  ... and {len(result.failed) - FAILED_SHOWN} more failed seeds")
    return "\n".join(lines)


def _cell(value: float, digits: int = 6) -> str:
    return f"{value:.{digits}g}" if math.isfinite(value) else "&#8212;"


def sweep_html(result: SweepResultShape) -> str:
    escape = html.escape

    def arrow(name: str) -> str:
        return "&#8593;" if result.is_higher_better(name) else "&#8595;"  # which way is better

    rows = []
    for s in result.summary():
        if not s.has_finite_values:
            rows.append(
                f"<tr><th style='text-align:left'>{escape(s.name)} {arrow(s.name)}</th>"
                f"<td>0</td><td colspan='10'>no finite values ({escape(non_finite_note(s))})</td></tr>"
            )
            continue
        rows.append(
            f"<tr><th style='text-align:left'>{escape(s.name)} {arrow(s.name)}</th><td>{s.count}</td>"
            f"<td>{_cell(s.mean)}</td><td>[{_cell(s.ci.low)}, {_cell(s.ci.high)}]</td>"
            f"<td>{_cell(s.median)}</td><td>{_cell(s.iqm)}</td>"
            f"<td>{_cell(s.std, 4)}</td><td>{_cell(s.min)}</td><td>{_cell(s.max)}</td><td>{_cell(s.spread, 4)}</td>"
            f"<td>{s.best_seed}</td><td>{s.worst_seed}</td></tr>"
        )
    pct = round(100 * result.confidence)
    parts = [
        f"<div><p><b>{escape(headline(result))}</b></p>",
        (
            f"<table><thead><tr><th>metric</th><th>n</th><th>mean</th><th>{pct}% CI of the mean</th>"
            "<th>median</th><th>IQM</th><th>std</th><th>min</th><th>max</th>"
            f"<th>max&#8722;min</th><th>best seed</th><th>worst seed</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        ),
        f"<p style='font-size:smaller'>{escape(bootstrap_note(result).strip())} IQM: interquartile mean.</p>",
    ]
    parts += [f"<p>{escape(rank.sentence())}</p>" for rank in result.ranks()]
    for s in result.summary():
        image = png(result, s.name) if s.has_finite_values else None
        if image:
            parts.append(f"<img alt='histogram of {escape(s.name)}' src='data:image/png;base64,{image}'/>")
    if result.failed:
        items = "".join(f"<li>seed {run.seed}: {escape(str(run.error))}</li>" for run in result.failed[:50])
        parts.append(
            f"<details open><summary>{len(result.failed)} failed seeds</summary><ul>{items}</ul></details>"
        )

    notes = [f"{s.name}: {non_finite_note(s)}" for s in result.summary() if s.has_finite_values and s.non_finite]
    if notes:
        parts.append(f"<p>Left out of the figures: {escape('; '.join(notes))}.</p>")

    def outcome(run: SeedRunShape) -> str:
        return ", ".join(f"{k}={v:.6g}" for k, v in (run.metrics or {}).items()) or str(run.error)

    per_seed = "".join(
        f"<tr><td>{run.seed}</td><td>{escape(outcome(run))}</td><td>{timing_html(run.seconds)}</td></tr>"
        for run in result.runs[:PER_SEED_ROWS]
    )
    parts.append(
        "<details><summary>per seed</summary><table><thead><tr><th>seed</th><th>result</th>"
        f"<th>wall time</th></tr></thead><tbody>{per_seed}</tbody></table></details></div>"
    )
    return "".join(parts)


def histogram(result: SweepResultShape, name: str, *, bins: int | None = None) -> Any:
    from matplotlib.figure import Figure

    values = [v for v in result.metrics(name).values() if math.isfinite(v)]
    if not values:
        raise ValueError(f"metric {name!r} has no finite values to plot")
    if not math.isfinite(max(values) - min(values)):
        raise ValueError(f"metric {name!r} spans more than a float can hold; no histogram")
    figure = Figure(figsize=(6.4, 3.6), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    bins = bins or max(5, min(60, int(math.sqrt(len(values))) * 2))
    axes.hist(values, bins=bins, color="#4C72B0", edgecolor="white", linewidth=0.5)
    mean = math.fsum(v / len(values) for v in values)  # divided first: 1e308 for every seed does not overflow
    axes.axvline(mean, color="black", linestyle="--", linewidth=1, label=f"mean {mean:.4g}")
    low, high = min(values), max(values)
    axes.axvspan(low, high, color="#DD8452", alpha=0.12, label=f"max - min = {high - low:.4g}")
    axes.set_xlabel(name)
    axes.set_ylabel("number of seeds")
    axes.set_title(f"{name} over {len(values)} seeds")
    axes.legend(frameon=False, fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def figure_png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def png(result: SweepResultShape, name: str) -> str | None:
    try:
        return figure_png(histogram(result, name))
    except (ImportError, ValueError, ArithmeticError):  # no matplotlib, or a range too wide to bin
        return None
