"""The ``%seed`` status as HTML and text: each problem once, code as code, no empty boxes (issue 25, item 4)."""

from __future__ import annotations

import json
import re

from support import run_python

from jupyter_seed.views.status import render_html, render_text

# A fresh interpreter with randomized hashing, numpy imported and a seed set: the
# hash-seed and default_rng() problems are both a warning of the core and a risk.
STATE_CODE = """
import json
import numpy.random
import jupyter_seed
from jupyter_seed.kernel.state_contract import build_state
from jupyter_seed.seeding.seeder import get_seeder
jupyter_seed.seed_everything(3407)
print(json.dumps(build_state(get_seeder())))
"""


def real_state() -> dict:
    return json.loads(run_python(STATE_CODE, env={"PYTHONHASHSEED": "random"}).strip().splitlines()[-1])


def test_html_lists_each_problem_once_with_code_as_code_and_no_empty_boxes() -> None:
    state = real_state()
    risk_ids = {risk["id"] for risk in state["risks"]}
    assert {"hash_seed_random", "default_rng_unpatched"} <= risk_ids
    assert any(w.startswith("str hashing in this kernel is randomized") for w in state["warnings"])
    html = render_html(state)
    assert "`" not in html
    assert "<code></code>" not in html
    assert html.count("str hashing") == 1
    assert html.count("default_rng() without a seed") == 1
    assert html.count("<ul>") == 1  # one list: risks, then the warnings no risk states
    assert "(fix: <code>jupyter-seed kernelspec, then switch to that kernel</code>)" in html
    # A source with flags shows them as code; one without shows an empty cell.
    rows = re.findall(r"<tr><td[^>]*>([^<]*)</td>(.*?)</tr>", html)
    cells = {label: re.findall(r"<td[^>]*>(.*?)</td>", rest)[-1] for label, rest in rows}
    assert cells["Python random"] == ""
    assert cells["PYTHONHASHSEED (child processes)"].startswith("<code>kernel_hash_seed=random")


def test_text_lists_each_problem_once() -> None:
    text = render_text(real_state())
    assert text.count("str hashing") == 1 and text.count("default_rng() without a seed") == 1
    assert "risk: numpy.random.default_rng() without a seed ignores the seed (fix: %seed --patch-default-rng)" in text


def test_a_warning_no_risk_states_is_still_listed() -> None:
    state = real_state()
    state["warnings"].append("torch: cuDNN stays nondeterministic (`flags` frozen)")
    html = render_html(state)
    assert "<li>torch: cuDNN stays nondeterministic (<code>flags</code> frozen)</li>" in html
    assert "warning: torch: cuDNN stays nondeterministic" in render_text(state)
