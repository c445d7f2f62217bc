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


ODD_PLUGINS = '''
import jupyter_seed

class NumberName(jupyter_seed.RandomSource):
    name = 5

class OddValues(jupyter_seed.RandomSource):
    name = "oddvalues"
    module = None
    label = {"not": "a str"}

    def version(self):
        return float("nan")

    def read_seed(self, last_applied):
        return {1, 2}

    def determinism(self):
        return {"nan": float("nan"), 3: object()}

    def warnings(self):
        return "a str where a list belongs"

class Raising(jupyter_seed.RandomSource):
    name = "raising"
    module = None

    def seed(self, seed):
        raise RuntimeError("cannot seed\\nat all")

    def version(self):
        raise RuntimeError("no version")

    def determinism(self):
        raise RuntimeError("no flags")
'''


def test_misbehaving_entry_point_sources_are_named_and_everything_else_works(tmp_path: Path) -> None:
    (tmp_path / "odd_plugins.py").write_text(ODD_PLUGINS)
    make_distribution(
        tmp_path,
        "odd_plugins",
        "[jupyter_seed.sources]\nnumbername = odd_plugins:NumberName\n"
        "oddvalues = odd_plugins:OddValues\nraising = odd_plugins:Raising\n",
    )
    out = run_python(
        """
        import json, random, jupyter_seed
        report = jupyter_seed.seed_everything(5)
        draw = random.random()
        state = jupyter_seed.state()
        print(json.dumps({"report": str(report), "draw": draw, "strict": json.dumps(state, allow_nan=False),
                          "failed": report.failed}))
        """,
        env={"PYTHONPATH": str(tmp_path)},
    )
    result = json.loads(out.splitlines()[-1])
    state = json.loads(result["strict"])
    assert result["draw"] == __import__("random").Random(5).random()
    warnings = state["warnings"]
    assert any("'numbername' skipped" in w and "name must be a non-empty str" in w for w in warnings)
    for what in ("label", "version()", "read_seed()", "warnings()"):
        assert any(w.startswith(f"source 'oddvalues': {what} failed") for w in warnings), what
    odd = next(entry for entry in state["sources"] if entry["name"] == "oddvalues")
    assert odd["label"] == "oddvalues" and odd["version"] is None and odd["seeded_with"] is None
    assert odd["determinism"]["nan"] == "nan" and odd["determinism"]["3"].startswith("<object")
    assert any(w.startswith("source 'raising': version() failed") for w in warnings)
    assert list(result["failed"]) == ["raising"] and "\n" not in result["failed"]["raising"]
    names = [entry["name"] for entry in state["sources"]]
    assert "oddvalues" in names and "raising" in names and 5 not in names
    assert all("\n" not in w for w in warnings)
