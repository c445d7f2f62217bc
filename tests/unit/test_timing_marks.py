"""Wall times our views print are marked as timings, the comparison masks them and nothing else,
and a shown difference always includes the part that differs.

Pure logic: sweep results built by hand, nbformat dicts, report dataclasses; no kernel.
"""

from __future__ import annotations

import json
import re

import pytest

from jupyter_seed.evidence.checks.notebook import EXPECT_DIFFER_TAG, CellReport, NotebookReport
from jupyter_seed.evidence.outputs.mimebundle import mimebundle_difference, text_difference
from jupyter_seed.evidence.outputs.text_rules import normalize_text, volatile_rules
from jupyter_seed.evidence.outputs.values import Difference, differing_excerpts
from jupyter_seed.evidence.sweeps.engine import SeedRun
from jupyter_seed.evidence.sweeps.result import SweepResult
from jupyter_seed.views.timing import TIMING_CLASS, timing_html, timing_text

PLAIN_SECONDS = re.compile(r"\d+\.\d+ s")
MARKED = re.compile(rf'<span class="{TIMING_CLASS}">([^<]*)</span>')


def sweep(losses: list[float], seconds: list[float]) -> SweepResult:
    pairs = enumerate(zip(losses, seconds, strict=True))
    return SweepResult([SeedRun(seed, {"loss": loss}, None, wall) for seed, (loss, wall) in pairs])


def bundle(result: SweepResult) -> dict[str, str]:
    return {"text/plain": repr(result), "text/html": result._repr_html_()}


# ------------------------------------------------------------------ marking
@pytest.mark.parametrize("seconds", [0.0, 1e-7, 0.0004, 0.41249, 9.9996, 10.0, 99.96, 12345.67, 3.2e7])
def test_a_timing_reads_as_plain_seconds_and_the_duration_rule_masks_it(seconds: float) -> None:
    text = timing_text(seconds)
    assert PLAIN_SECONDS.fullmatch(text), text  # never an exponent, always the unit
    assert normalize_text(f"took {text}.") == "took <duration>."
    assert MARKED.fullmatch(timing_html(seconds)).group(1) == text  # type: ignore[union-attr]


def test_every_per_seed_wall_time_in_the_sweep_html_is_marked() -> None:
    html = sweep([0.5, 0.25, 0.125], [0.0123, 4.5, 1234.5])._repr_html_()
    assert MARKED.findall(html) == ["0.012 s", "4.500 s", "1234.5 s"]
    per_seed = html[html.index("per seed") :]
    # Outside the marks no figure of the per-seed table is a timing any more.
    assert not re.search(r"<td>[\d.e+-]+</td></tr>", MARKED.sub("", per_seed))


# ------------------------------------------------------------------ masking
def test_two_sweeps_that_differ_only_in_their_wall_times_compare_equal() -> None:
    losses = [0.31, 0.29, 0.35, 0.3]
    first = bundle(sweep(losses, [0.0123, 0.0456, 0.2, 1.7]))
    second = bundle(sweep(losses, [0.0789, 0.0111, 3.9, 11.25]))
    assert first != second  # the wall times are in the output...
    assert mimebundle_difference(first, second, "output 2", volatile_rules()) is None  # ...and masked


def test_a_metric_that_differs_is_found_and_shown_even_on_a_long_html_line() -> None:
    seconds = [0.0123, 0.0456, 0.2, 1.7]
    first = bundle(sweep([0.31, 0.29, 0.35, 0.3], seconds))
    second = bundle(sweep([0.31, 0.29, 0.35, 0.4], seconds))
    found = mimebundle_difference(first, second, "output 2", volatile_rules())
    assert found is not None and found.where == "output 2 text/html line 1"
    assert found.first != found.second  # both sides never read the same: the means, 300 characters in
    assert "<td>0.3125</td>" in found.first and "<td>0.3375</td>" in found.second


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("<td>0.412</td>", "<td>0.413</td>"),  # a bare number in a cell is data
        ("<span>0.412 x</span>", "<span>0.413 x</span>"),  # a span without the mark
        ('<span class="other">0.412 x</span>', '<span class="other">0.413 x</span>'),
        (f'<b class="{TIMING_CLASS}">0.412 x</b>', f'<b class="{TIMING_CLASS}">0.413 x</b>'),  # only our span
        (f'<span class="{TIMING_CLASS}">1 s</span> 7', f'<span class="{TIMING_CLASS}">2 s</span> 8'),
    ],
)
def test_the_timing_rule_masks_the_marked_span_and_nothing_else(first: str, second: str) -> None:
    assert mimebundle_difference({"text/html": first}, {"text/html": second}, "", volatile_rules()) is not None


def test_the_marked_span_is_masked_whole() -> None:
    marked = f'<td><span class="{TIMING_CLASS}">{{}}</span></td>'
    for a, b in (("0.012 s", "1234.5 s"), ("0.012 s", "1.2e+03"), ("?", "3 min")):
        assert normalize_text(marked.format(a)) == normalize_text(marked.format(b)) == marked.format("<timing>")


# ------------------------------------------------------------------ excerpts
def test_a_long_line_is_excerpted_around_its_first_difference() -> None:
    head, tail = "<div>" + "x" * 300, "</td>" + "y" * 300
    found = text_difference(head + "<td>0.1234" + tail, head + "<td>0.1299" + tail, "html")
    assert found is not None
    assert found.first != found.second
    assert "0.1234" in found.first and "0.1299" in found.second
    assert found.first.startswith("…'") and found.first.endswith("'…")
    assert len(found.first) <= 82


def test_short_lines_read_as_before() -> None:
    assert text_difference("a = 1", "a = 2", "stdout") == Difference("stdout line 1", "'a = 1'", "'a = 2'")


def test_a_difference_at_the_end_of_a_long_line_is_shown() -> None:
    first, second = differing_excerpts("a" * 200, "a" * 200 + "!")
    assert first != second and second.endswith("!'") and first.startswith("…")


# ---------------------------------------------------------------- the tag
def report(*cells: tuple[bool, bool]) -> NotebookReport:
    """One cell per (differs, tagged jupyter-seed-expect-differ)."""
    built = NotebookReport("demo.ipynb", 0, None, 2, 1.0)
    for index, (differs, tagged) in enumerate(cells, start=1):
        cell = CellReport(index, f"c{index}", f"print({index})", expected_to_differ=tagged)
        if differs:
            cell.difference, cell.run = Difference("stdout line 1", "'1'", "'2'"), 2
        built.cells.append(cell)
    return built


def test_a_cell_that_differs_as_its_tag_says_does_not_count_against_the_verdict() -> None:
    checked = report((False, False), (True, True), (False, True))
    assert checked.ok and checked.exit_code == 0 and checked.differing == []
    assert checked.summary() == (
        f"2 of 3 code cells reproduce; the other one differs, as its {EXPECT_DIFFER_TAG} tag says"
    )
    text = checked.render("text")
    assert f"cell   2 differs print(2)\n               differs, as its {EXPECT_DIFFER_TAG} tag says\n" in text
    assert f"cell   3 ok      print(3)\n               reproduced, though tagged {EXPECT_DIFFER_TAG}" in text
    cells = json.loads(checked.render("json"))["cells"]
    assert [(c["reproducible"], c["expected_to_differ"]) for c in cells] == [(True, False), (False, True), (True, True)]
    assert "differs, as tagged" in checked.render("markdown")


def test_an_untagged_difference_still_fails_and_the_tagged_ones_are_named_apart() -> None:
    checked = report((True, False), (True, True), (False, False))
    assert not checked.ok and checked.exit_code == 1
    assert [cell.index for cell in checked.differing] == [1]
    assert checked.summary() == f"1 of 3 code cells differ (and 1 more, as its {EXPECT_DIFFER_TAG} tag says)"
    assert "cell   1 DIFFERS" in checked.render("text")
