"""The package layering of testbed: no import cycle between its packages.

The MCL tools (testbed.mcl) read C and write C; the build layer (testbed.build) runs the
compilers and uses them. A cycle between packages would make either impossible to load,
test or reason about without the other."""

from __future__ import annotations

import ast
from pathlib import Path

import testbed

PACKAGE_DIR = Path(testbed.__file__).resolve().parent


def _unit(module: str) -> str:
    """The package a module belongs to (testbed.mcl.ti -> testbed.mcl); top-level modules
    of testbed (testbed.errors) are units of their own."""
    parts = module.split(".")
    if len(parts) >= 2 and (PACKAGE_DIR / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def package_graph() -> dict[str, set[str]]:
    """Package -> the packages its modules import (at any depth, including lazy imports)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
        module = ".".join(p for p in rel.parts if p != "__init__")
        src = _unit(module)
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith("testbed.") and _unit(name) != src:
                    graph.setdefault(src, set()).add(_unit(name))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        path.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_mcl_does_not_import_the_build_layer() -> None:
    graph = package_graph()
    assert "testbed.build" in graph and "testbed.mcl" in graph["testbed.build"]
    assert "testbed.build" not in graph.get("testbed.mcl", set())


def test_no_import_cycle_between_packages() -> None:
    assert _cycle(package_graph()) is None
