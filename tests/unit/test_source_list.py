"""Built-in adapters are declared, then imported only when their library is."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakes import FakeSource

from jupyter_seed.seeding.source_list import SourceList
from jupyter_seed.seeding.sources import BUILTIN, builtin_sources


@pytest.mark.parametrize("declaration", BUILTIN, ids=lambda d: d.name)
def test_each_declaration_matches_its_adapter(declaration) -> None:
    adapter = declaration.create()
    assert (adapter.name, adapter.module, adapter.has_global_state) == (
        declaration.name,
        declaration.module,
        declaration.has_global_state,
    )


def test_builtin_order_is_the_declared_order() -> None:
    assert [source.name for source in builtin_sources()] == [d.name for d in BUILTIN]


def test_given_sources_are_used_as_they_are() -> None:
    given = [FakeSource("a"), FakeSource("b")]
    sources = SourceList(given)
    assert sources.all() is given
    assert [name for name, _ in sources.live_calls()] == ["a", "b"]


def test_seeding_imports_only_the_adapters_of_loaded_libraries() -> None:
    code = (
        "import sys, random, jupyter_seed\n"
        "report = jupyter_seed.seed_everything(5)\n"
        "adapters = sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('jupyter_seed.seeding.sources.'))\n"
        "print(adapters)\n"
        "print(list(report.seeded))\n"
    )
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert lines[0] == "['base', 'hashseed_source', 'random_source']"
    assert lines[1] == "['random', 'pythonhashseed']"


def test_status_lists_every_builtin_source_without_importing_a_library() -> None:
    code = (
        "import sys, jupyter_seed\n"
        "jupyter_seed.seed_everything(5)\n"
        "names = [s['name'] for s in jupyter_seed.state()['sources']]\n"
        "print(names)\n"
        "print(sorted(m for m in ('numpy', 'torch', 'tensorflow', 'jax', 'keras', 'polars', 'cupy') if m in sys.modules))\n"
    )
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert lines[0] == repr([d.name for d in BUILTIN])
    assert lines[1] == "[]"


def test_load_and_seed_import_only_what_they_use() -> None:
    """`%load_ext` + `%seed N` leave out the comm, the status view, the evidence and unused adapters."""
    code = (
        "import json, sys, random\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'jupyter_seed')\n"
        "ip.run_line_magic('seed', '3407 --quiet')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('jupyter_seed'))))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = set(json.loads(run.stdout.strip().splitlines()[-1]))
    for unused in (
        "jupyter_seed.kernel.comm",
        "jupyter_seed.kernel.protocol",
        "jupyter_seed.kernel.risks",
        "jupyter_seed.views.status",
        "jupyter_seed.evidence",
        "jupyter_seed.seeding.sources.torch_source",
        "jupyter_seed.seeding.sources.tensorflow_source",
        "jupyter_seed.seeding.snapshots",
        "jupyter_seed.seeding.workers",
        "jupyter_seed.seeding.checkpoint",
    ):
        assert unused not in imported
    assert "jupyter_seed.seeding.sources.random_source" in imported
