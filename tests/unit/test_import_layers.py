"""The packages of evalledger import each other in one direction only.

The graph is read from the source with ``ast``: one node per package (``evalledger.agents``)
or top-level module (``evalledger.uow``), one edge per import executed when a module loads
(module-level ``import``/``from``; imports inside functions and under ``TYPE_CHECKING`` run
later or never, so they cannot form an import-time cycle). A cycle means neither side can be
understood, tested or loaded without the other; the test names the cycle it finds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import evalledger

ROOT = Path(evalledger.__file__).parent

#: Shared mechanisms, not domains (``evalledger.domains`` lists the same packages).
CORE = {"api", "cli", "db", "operations", "schema", "sdk", "stats"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _imported(path: Path, module: str) -> Iterator[str]:
    """The evalledger modules ``path`` imports when it loads."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, name] if name else base)
            yield name


def _unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def import_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        for name in _imported(path, module):
            if name.split(".")[0] == "evalledger" and _unit(name) != _unit(module):
                edges.setdefault(_unit(module), set()).add(_unit(name))
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path ``[a, b, ..., a]``, or None if it is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def _domains() -> set[str]:
    return {
        f"evalledger.{path.name}"
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and path.name not in CORE
    }


def test_find_cycle_reports_a_cycle_and_accepts_a_dag() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}}) is None


def test_the_package_import_graph_has_no_cycle() -> None:
    edges = import_graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_core_imports_no_domain() -> None:
    edges = import_graph()
    domains = _domains()
    assert "evalledger.agents" in domains and "evalledger.operations" not in domains
    for core in ("evalledger.operations", "evalledger.schema", "evalledger.db", "evalledger.uow"):
        assert not edges.get(core, set()) & domains, (core, sorted(edges[core] & domains))
