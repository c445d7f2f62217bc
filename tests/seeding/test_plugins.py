"""Third-party sources through the ``jupyter_seed.sources`` entry-point group."""

from __future__ import annotations

import json
from pathlib import Path

from support import run_python

PLUGIN = '''
import jupyter_seed

class CounterSource(jupyter_seed.RandomSource):
    name = "counter"
    label = "Counter library"
    module = "counterlib"

    def seed(self, seed):
        import counterlib
        counterlib.value = seed

    def get_state(self):
        import counterlib
        return counterlib.value

    def set_state(self, state):
        import counterlib
        counterlib.value = state
'''


def make_distribution(root: Path, name: str, entry_points: str) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_entry_point_source_is_seeded_restored_and_reported(tmp_path: Path) -> None:
    (tmp_path / "counter_plugin.py").write_text(PLUGIN)
    (tmp_path / "counterlib.py").write_text("value = None\n")
    make_distribution(tmp_path, "counter_plugin", "[jupyter_seed.sources]\ncounter = counter_plugin:CounterSource\n")
    make_distribution(tmp_path, "broken_plugin", "[jupyter_seed.sources]\nbroken = no_such_module:Nothing\n")
    out = run_python(
        """
        import json, jupyter_seed
        report = jupyter_seed.seed_everything(5)
        import counterlib
        at_import = counterlib.value
        with jupyter_seed.seeded(9):
            inside = counterlib.value
        state = jupyter_seed.state()
        print(json.dumps({"on_import": report.on_import, "at_import": at_import, "inside": inside,
                          "after": counterlib.value, "names": [s["name"] for s in state["sources"]],
                          "warnings": state["warnings"]}))
        """,
        env={"PYTHONPATH": str(tmp_path)},
    )
    result = json.loads(out.splitlines()[-1])
    assert "counter" in result["on_import"] and "counter" in result["names"]
    assert (result["at_import"], result["inside"], result["after"]) == (5, 9, 5)
    assert any("'broken' skipped" in warning for warning in result["warnings"])
