"""How our views print a timing, so that the output comparison can tell it from data.

A wall time differs in every run; a check that compares outputs must mask it and nothing
else. Every timing a view of ours prints goes through these two functions:

- text: the figure with the unit ``s`` (``"0.412 s"``), which the duration rule of
  :mod:`jupyter_seed.evidence.outputs.text_rules` masks;
- HTML: the same text inside ``<span class="jupyter-seed-timing">``, which the timing rule
  there masks whole, whatever the figure looks like.

A figure never takes an exponent (``1.2e+03``): the duration rule reads plain decimals.
"""

from __future__ import annotations

import html
import math

TIMING_CLASS = "jupyter-seed-timing"
"""The HTML class that marks a wall time; the output comparison masks the span's text."""


def timing_text(seconds: float) -> str:
    """``"0.412 s"``, ``"12.3 s"``: plain decimals and the unit, never an exponent."""
    if not math.isfinite(seconds):
        return "? s"
    return f"{seconds:.3f} s" if abs(seconds) < 10 else f"{seconds:.1f} s"


def timing_html(seconds: float) -> str:
    """The timing as HTML, marked with :data:`TIMING_CLASS`."""
    return f'<span class="{TIMING_CLASS}">{html.escape(timing_text(seconds))}</span>'
