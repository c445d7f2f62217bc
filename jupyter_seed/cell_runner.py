"""Run a cell's source in the user namespace and return its last expression's value.

Cell magics cannot call ``shell.run_cell`` again (that would fire the pre-cell
hook and add history), so, as ``%%time`` does, we compile the body ourselves.
"""

from __future__ import annotations

import ast
from typing import Any


def run_cell_body(shell: Any, cell: str) -> Any:
    source = shell.transform_cell(cell)
    filename = shell.compile.cache(source, shell.execution_count)
    tree = shell.compile.ast_parse(source, filename=filename)
    tree = shell.transform_ast(tree)
    last_expression = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last_expression = ast.Expression(tree.body.pop().value)
    namespace = shell.user_ns
    exec(shell.compile(tree, filename, "exec"), shell.user_global_ns, namespace)  # noqa: S102 - the user's own cell
    if last_expression is None:
        return None
    return eval(shell.compile(last_expression, filename, "eval"), shell.user_global_ns, namespace)
