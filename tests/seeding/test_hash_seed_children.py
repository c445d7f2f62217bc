"""A kernel whose hash seed was fixed at start keeps it for its children (issue 25, item 5).

``jupyter-seed kernelspec --hash-seed 0`` starts the kernel with ``PYTHONHASHSEED=0``;
``%seed 3407`` must not hand its children 3407, or they would hash differently from
their parent. The status says plainly what children get.
"""

from __future__ import annotations

import json

from support import run_python

CODE = """
import json, os, subprocess, sys
import jupyter_seed
from jupyter_seed.kernel.state_contract import build_state
from jupyter_seed.seeding.seeder import get_seeder
from jupyter_seed.views.status import render_text
jupyter_seed.seed_everything(3407)
child = subprocess.run([sys.executable, "-c", "print(hash('jupyter-seed'))"], capture_output=True, text=True, check=True)
(row,) = [line for line in render_text(build_state(get_seeder())).splitlines() if "pythonhashseed" in line]
print(json.dumps({
    "children": os.environ.get("PYTHONHASHSEED"),
    "same_hash": int(child.stdout) == hash("jupyter-seed"),
    "row": row,
}))
"""


def run(hash_seed: str) -> dict:
    return json.loads(run_python(CODE, env={"PYTHONHASHSEED": hash_seed}).strip().splitlines()[-1])


def test_a_fixed_hash_seed_is_kept_for_children() -> None:
    seen = run("0")
    assert seen["children"] == "0" and seen["same_hash"] is True
    assert "children get PYTHONHASHSEED=0, as this kernel (fixed at start)" in seen["row"]


def test_a_nonzero_fixed_hash_seed_is_kept_too() -> None:
    seen = run("5")
    assert seen["children"] == "5" and seen["same_hash"] is True


def test_a_randomized_kernel_gives_children_the_seed() -> None:
    seen = run("random")
    assert seen["children"] == "3407"
    assert "children get PYTHONHASHSEED=3407; this kernel hashes at random" in seen["row"]
