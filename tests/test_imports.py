"""The import structure of the package: no module imports itself back through others, and the contracts module
stands alone.

The graph is read from the source (``ast``), not from a running interpreter, so it also sees imports written inside
functions (the lazy imports that keep ``import mibench`` cheap): a cycle among those is still a cycle, only one that
breaks at the first call instead of at import time. Imports under ``if TYPE_CHECKING:`` never run and are left out.
An edge goes to the most specific module named: ``from mibench.estimators import _neighbors`` is an edge to
``mibench.estimators._neighbors``, ``from mibench.estimators import get_estimator`` one to ``mibench.estimators``
(the package's ``__init__``). Parent packages, which Python imports first, are not edges: every module would
otherwise be in a cycle with ``mibench/__init__.py``, whose functions import the subpackages lazily.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = "mibench"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved against ``module``)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph() -> dict[str, set[str]]:
    """module -> the mibench modules it imports (anywhere in its source)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            else:
                base = _resolve(node, name, path.name == "__init__.py")
                # ``from package import submodule`` imports the submodule; ``from module import name`` the module
                named = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            for target in named:
                # ``import mibench.a.b`` names mibench.a.b; fall back to the nearest module that exists
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.split(".")[0] == PACKAGE and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (iterative depth-first search, sorted order)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph.get(child, ()))))
    return None


def test_the_graph_sees_function_level_and_relative_imports() -> None:
    graph = import_graph()
    # mibench/__init__.py imports the estimators only inside get_estimator
    assert "mibench.estimators" in graph["mibench"]
    assert "mibench.interface" in graph["mibench.estimators.ksg"]
    assert "mibench.estimators._neighbors" in graph["mibench.estimators.ksg"]  # ``from mibench.estimators import``
    assert not any(target.startswith("numpy") for targets in graph.values() for target in targets)


def test_find_cycle_reports_the_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a2"}, "a2": set(), "b": {"c"}, "c": {"b"}}) == ["b", "c", "b"]


def test_no_import_cycle_among_mibench_modules() -> None:
    cycle = find_cycle(import_graph())
    found = " -> ".join(cycle or [])
    assert cycle is None, f"import cycle among mibench modules (imports inside functions count): {found}"


def _mibench_modules_after(statement: str) -> list[str]:
    code = (
        f"import json, sys\n{statement}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'mibench' or m.startswith('mibench.'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_interface_imports_no_other_mibench_module() -> None:
    """``mibench.interface`` needs only numpy and the standard library: importing it loads nothing of mibench
    beyond the package itself (whose ``__init__`` Python runs first) and the interface module."""
    package_only = set(_mibench_modules_after("import mibench"))
    with_interface = set(_mibench_modules_after("import mibench.interface"))
    assert with_interface - package_only == {"mibench.interface"}, sorted(with_interface - package_only)
