"""Comparisons as text (terminals), HTML (notebooks) and figures (matplotlib, imported lazily)."""

from __future__ import annotations

import html
import math
from typing import Any

from .shapes import ComparisonResultShape, PairedComparisonShape
from .sweep_view import figure_png


def headline(result: ComparisonResultShape) -> str:
    seeds = len(result.sweeps[result.baseline].runs) + len(result.sweeps[result.baseline].not_run)
    others = ", ".join(result.variants[1:])
    line = f"Comparison over {seeds} seeds, paired by seed: {others} against {result.baseline!r} (the baseline)."
    if result.interrupted:
        line += f" Stopped early, {result.interrupted}: only finished pairs are compared."
    return line


def bootstrap_note(result: ComparisonResultShape) -> str:
    used = sorted({c.ci.resamples for c in result.comparisons}) or [result.resamples]
    return (
        f"Intervals: bootstrap of the paired mean difference, {'/'.join(str(u) for u in used)} resamples, "
        f"seed {result.bootstrap_seed} (repeats exactly)."
    )


def comparison_text(result: ComparisonResultShape) -> str:
    lines = [headline(result)]
    for c in result.comparisons:
        lines.append(f"  {c.metric}: {c.sentence()}")
    if not result.comparisons:
        lines.append("  no metric in common between the baseline and the variants")
    for name, sweep in result.sweeps.items():
        for run in sweep.failed[:5]:
            lines.append(f"  {name}, seed {run.seed} failed: {run.error}")
    lines.append("  " + bootstrap_note(result))
    return "\n".join(lines)


def _signed(value: float) -> str:
    return f"{value:+.4g}" if math.isfinite(value) else "&#8212;"


def _plain(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "&#8212;"


def comparison_html(result: ComparisonResultShape) -> str:
    escape = html.escape
    pct = round(100 * result.confidence)
    rows = "".join(
        f"<tr><th style='text-align:left'>{escape(c.variant)}</th><td>{escape(c.metric)} "
        f"{'&#8593;' if c.higher_is_better else '&#8595;'}</td><td>{c.n}</td>"
        f"<td>{_signed(c.mean_difference)}</td><td>[{_signed(c.ci.low)}, {_signed(c.ci.high)}]</td>"
        f"<td>{c.wins} of {c.n} ({_plain(100 * c.probability_of_improvement)}%)</td>"
        f"<td>{_plain(c.test.p_value)}</td><td>{_plain(c.baseline_std)} / {_plain(c.variant_std)}</td>"
        f"<td>{'yes' if c.distinguishable else 'no'}</td></tr>"
        for c in result.comparisons
    )
    sentences = "".join(f"<li>{escape(c.metric)}: {escape(c.sentence())}</li>" for c in result.comparisons)
    parts = [
        f"<div><p><b>{escape(headline(result))}</b></p><ul>{sentences}</ul>",
        (
            "<table><thead><tr><th>variant</th><th>metric</th><th>n</th><th>mean difference</th>"
            f"<th>{pct}% CI</th><th>beats {escape(result.baseline)}</th><th>p-value</th>"
            f"<th>seed std (baseline / variant)</th><th>beyond seed noise</th></tr></thead><tbody>{rows}</tbody></table>"
        ),
        (
            f"<p style='font-size:smaller'>{escape(bootstrap_note(result))} Test: "
            f"{escape(result.comparisons[0].test.name) if result.comparisons else '-'}.</p>"
        ),
    ]
    for c in result.comparisons:
        try:
            image = figure_png(comparison_figure(c))
        except (ImportError, ValueError, ArithmeticError):
            continue
        parts.append(
            f"<img alt='{escape(c.variant)} vs {escape(c.baseline)}: {escape(c.metric)}' "
            f"src='data:image/png;base64,{image}'/>"
        )
    parts.append("</div>")
    return "".join(parts)


def comparison_figure(c: PairedComparisonShape) -> Any:
    """Left: the paired difference per seed, with the mean and its CI. Right: both ECDFs."""
    from matplotlib.figure import Figure

    if c.n == 0:
        raise ValueError("no common seeds to plot")
    figure = Figure(figsize=(9.6, 3.6), dpi=100, layout="constrained")
    left, right = figure.subplots(1, 2)
    differences = c.differences
    order = range(c.n)
    colors = ["#55A868" if (d > 0) == c.higher_is_better and d != 0 else "#C44E52" for d in differences]
    left.bar(order, differences, color=colors, width=0.8)
    left.axhline(0, color="black", linewidth=0.8)
    left.axhline(
        c.mean_difference,
        color="#4C72B0",
        linestyle="--",
        linewidth=1,
        label=f"mean {c.mean_difference:+.3g}",
    )
    left.axhspan(
        c.ci.low,
        c.ci.high,
        color="#4C72B0",
        alpha=0.15,
        label=f"{round(100 * c.ci.confidence)}% CI [{c.ci.low:+.3g}, {c.ci.high:+.3g}]",
    )
    if c.n <= 40:
        left.set_xticks(list(order), [str(s) for s in c.seeds], rotation=90, fontsize="x-small")
    left.set_xlabel("seed")
    left.set_ylabel(f"{c.metric}: {c.variant} - {c.baseline}")
    left.set_title(f"paired differences ({c.wins} of {c.n} better)")
    left.legend(frameon=False, fontsize="small")
    for label, values, color in (
        (c.baseline, c.baseline_values, "#8C8C8C"),
        (c.variant, c.variant_values, "#4C72B0"),
    ):
        ordered = sorted(values)
        heights = [(i + 1) / len(ordered) for i in range(len(ordered))]
        right.step(ordered, heights, where="post", color=color, label=label)
    right.set_xlabel(c.metric)
    right.set_ylabel("share of seeds")
    right.set_title("distributions over seeds (ECDF)")
    right.legend(frameon=False, fontsize="small")
    for axes in (left, right):
        axes.spines[["top", "right"]].set_visible(False)
    return figure
