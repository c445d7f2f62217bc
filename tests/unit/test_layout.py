"""The layout holds: a pure seeding core, no import cycles, no module over 400 lines."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "jupyter_seed"
CORE = PACKAGE / "seeding"
KERNEL_ONLY = ("IPython", "ipykernel", "comm", "jupyter_client", "traitlets", "zmq")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run: module level and inside functions, not under ``if TYPE_CHECKING``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if is_type_checking_block(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def every_import(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import, those under ``if TYPE_CHECKING`` too (a layer rule that counts type-only arrows)."""
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def imported_modules(name: str, path: Path, *, type_checking: bool = False) -> set[str]:
    """Absolute names of the modules ``name`` imports (``from p import sub`` counts ``p.sub``).

    ``type_checking``: count the imports under ``if TYPE_CHECKING`` as well.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return resolve_imports(name, path.name == "__init__.py", tree, type_checking=type_checking)


def resolve_imports(name: str, is_package: bool, tree: ast.AST, *, type_checking: bool) -> set[str]:
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in every_import(tree) if type_checking else runtime_imports(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        for alias in node.names:
            submodule = f"{origin}.{alias.name}"
            targets.add(submodule if submodule in MODULES else origin)
    return targets


def import_graph() -> dict[str, set[str]]:
    return {name: {t for t in imported_modules(name, path) if t in MODULES} for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import): Tarjan."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]] and cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_our_modules() -> None:
    assert cycles(import_graph()) == []


def test_seeding_core_imports_nothing_from_the_kernel_side() -> None:
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("jupyter_seed.seeding"):
            continue
        for target in imported_modules(name, path):
            top = target.split(".")[0]
            if top in KERNEL_ONLY or target.startswith(("jupyter_seed.kernel", "jupyter_seed.evidence", "jupyter_seed.views", "jupyter_seed.cli")):
                offenders.append(f"{name} -> {target}")
    assert offenders == []


def test_importing_every_core_module_loads_no_kernel_package() -> None:
    core = sorted(name for name in MODULES if name.startswith("jupyter_seed.seeding"))
    code = (
        "import importlib, json, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {KERNEL_ONLY!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_no_module_over_400_lines() -> None:
    long = {name: count for name, path in MODULES.items() if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


FRONT_DOORS = ("jupyter_seed.cli", "jupyter_seed.pytest_plugin")


def offending_imports(graph: dict[str, set[str]], source: str, forbidden: tuple[str, ...]) -> list[str]:
    """Every import from a module in package ``source`` into one of ``forbidden`` (names or packages)."""
    def inside(name: str, package: str) -> bool:
        return name == package or name.startswith(package + ".")

    return sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        if inside(name, source)
        for target in targets
        if any(inside(target, bad) for bad in forbidden)
    )


def test_the_rule_finder_sees_an_offending_import() -> None:
    graph = {"p.a.x": {"p.b.y"}, "p.b.y": set(), "p.c": {"p.a.x"}}
    assert offending_imports(graph, "p.a", ("p.b",)) == ["p.a.x -> p.b.y"]
    assert offending_imports(graph, "p.b", ("p.a",)) == [] and offending_imports(graph, "p.c", ("p.a",)) == ["p.c -> p.a.x"]


def test_checks_and_sweeps_never_import_each_other() -> None:
    graph = import_graph()
    checks, sweeps = "jupyter_seed.evidence.checks", "jupyter_seed.evidence.sweeps"
    assert offending_imports(graph, checks, (sweeps,)) + offending_imports(graph, sweeps, (checks,)) == []


def test_nothing_below_the_front_doors_imports_them() -> None:
    graph = import_graph()
    below = [name for name in graph if name not in FRONT_DOORS and name != "jupyter_seed"]
    offenders = [line for name in below for line in offending_imports({name: graph[name]}, name, FRONT_DOORS)]
    assert offenders == []


def test_seeding_imports_neither_ipython_nor_evidence() -> None:
    graph = {name: imported_modules(name, path) for name, path in MODULES.items()}
    assert offending_imports(graph, "jupyter_seed.seeding", ("IPython", "jupyter_seed.evidence")) == []


def test_the_timeout_setting_is_honoured(pytestconfig: object) -> None:
    # pyproject's `timeout` only means something when pytest-timeout is loaded; without it the
    # setting is silently ignored and a hung kernel test hangs CI.
    assert pytestconfig.pluginmanager.hasplugin("timeout")  # type: ignore[attr-defined]


VIEWS = "jupyter_seed.views"
VIEWS_MUST_NOT_IMPORT = ("jupyter_seed.evidence", "jupyter_seed.kernel")


def test_the_import_reader_counts_type_checking_imports_only_when_asked() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..evidence.sweeps.result import SweepResult\n"
    )
    name, result = "jupyter_seed.views.sweep_view", "jupyter_seed.evidence.sweeps.result"
    assert result in resolve_imports(name, False, tree, type_checking=True)
    assert result not in resolve_imports(name, False, tree, type_checking=False)


def test_views_import_nothing_from_evidence_or_the_kernel_not_even_for_types() -> None:
    # Views are the lower layer: evidence and the kernel call them. A TYPE_CHECKING import back
    # up is still an arrow (and a circle with the result that calls the view); views read
    # results through the Protocols of jupyter_seed.views.shapes instead.
    graph = {
        name: imported_modules(name, path, type_checking=True)
        for name, path in MODULES.items()
        if name == VIEWS or name.startswith(VIEWS + ".")
    }
    assert graph, "no view modules found"
    assert offending_imports(graph, VIEWS, VIEWS_MUST_NOT_IMPORT) == []
