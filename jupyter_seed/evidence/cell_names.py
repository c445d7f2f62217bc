"""What a cell's top level assigns, reads and calls: static analysis for the run harness."""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class CellNames:
    """Names a cell's top level assigns and reads, in execution order."""

    assigned: frozenset[str]
    read: frozenset[str]
    read_before_assigned: frozenset[str]
    calls: tuple[str, ...]
    """Dotted names of every call, with the number of positional/keyword arguments: ``time.time/0``."""
    ends_with_expression: bool = False
    """The cell's last statement is an expression (its value is the cell's result)."""


class _NameVisitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.assigned: set[str] = set()
        self.read: set[str] = set()
        self.read_first: set[str] = set()
        self.calls: list[str] = []

    def _load(self, name: str) -> None:
        self.read.add(name)
        if name not in self.assigned:
            self.read_first.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        else:
            self.assigned.add(node.id)

    # Evaluation order: the value before the targets.
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.assigned.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        # The body runs later (when called), in its own scope: only what is evaluated now counts.
        for decorator in node.decorator_list:
            self.visit(decorator)
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                self.visit(base)
        else:
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(default)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Global):
                    self.assigned.update(inner.names)
                elif isinstance(inner, ast.Call):
                    self._record_call(inner)
        self.assigned.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition  # type: ignore[assignment]

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        # Its loop variables are local to it (Python 3): reading them is not reading the namespace.
        local = {
            inner.id
            for generator in node.generators
            for inner in ast.walk(generator.target)
            if isinstance(inner, ast.Name)
        }
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and inner.id not in local:
                self._load(inner.id)
            elif isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                self.assigned.add(inner.target.id)  # a walrus inside binds in the enclosing scope
            elif isinstance(inner, ast.Call):
                self._record_call(inner)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for inner in ast.walk(node.body):
            if isinstance(inner, ast.Call):
                self._record_call(inner)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.assigned.add(node.name)
        for statement in node.body:
            self.visit(statement)

    def visit_Call(self, node: ast.Call) -> None:
        self._record_call(node)
        self.generic_visit(node)

    def _record_call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name:
            self.calls.append(f"{name}/{len(node.args) + len(node.keywords)}")


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # e.g. datetime.now().isoformat()
        inner = _dotted(node.func)
        return ".".join([inner or "?"] + list(reversed(parts)))
    return None


def analyze_cell(source: str) -> CellNames:
    """Parse plain Python (already through IPython's transforms) and list its names."""
    visitor = _NameVisitor()
    body = ast.parse(source).body
    for statement in body:
        visitor.visit(statement)
    return CellNames(
        frozenset(visitor.assigned),
        frozenset(visitor.read),
        frozenset(visitor.read_first & visitor.assigned),
        tuple(visitor.calls),
        bool(body) and isinstance(body[-1], ast.Expr),
    )
