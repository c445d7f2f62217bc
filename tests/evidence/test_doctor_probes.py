"""The doctor's probes wrap entropy and clock calls during a diagnostic run only, and put everything back."""

from __future__ import annotations

import builtins
import os
import random
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

from jupyter_seed.evidence.checks.probes import Probes


def test_probes_record_cell_calls_replace_them_and_restore_everything(shell: Any, tmp_path: Path) -> None:
    import numpy as np

    originals = (os.urandom, random.Random, time.time, builtins.id, warnings.showwarning, np.random.default_rng)
    values = []
    for run in range(2):
        probes = Probes(str(tmp_path / f"log{run}.jsonl"), replace=True)
        probes.install(shell)
        try:
            result = shell.run_cell(
                "import os, uuid, random, numpy as np\n"
                "values = (os.urandom(4), str(uuid.uuid4()), random.Random().random(), np.random.default_rng().random())"
            )
            assert result.error_in_exec is None
            values.append(shell.user_ns["values"])
        finally:
            probes.uninstall()
        kinds = [(e["kind"], e["line"]) for e in probes.events()]
        assert kinds == [
            ("os.urandom()", 2),
            ("uuid.uuid4()", 2),
            ("random.Random()", 2),
            ("numpy.random.default_rng()", 2),
        ], kinds
    assert values[0] == values[1]  # the stand-ins repeat: that is the experiment
    assert (os.urandom, random.Random, time.time, builtins.id, warnings.showwarning, np.random.default_rng) == originals
    assert os.urandom(8) != os.urandom(8) and uuid.uuid4() != uuid.uuid4()


def test_probes_ignore_calls_that_are_not_the_users(shell: Any, tmp_path: Path) -> None:
    import tempfile

    probes = Probes(str(tmp_path / "log.jsonl"), replace=True)
    probes.install(shell)
    try:
        first, second = os.urandom(8), os.urandom(8)  # this test module is not a cell
        tempfile.mkstemp(dir=tmp_path)
    finally:
        probes.uninstall()
    assert first != second and probes.events() == []
    assert "jupyter_seed.evidence.checks.probes" in sys.modules
