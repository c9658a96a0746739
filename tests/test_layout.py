"""The package's layout shows its architecture: no import cycle between modules or between
subpackages (lazy imports inside functions count too), and only ``flows/prefect/`` imports
Prefect."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from .conftest import ROOT

FLOWS = ROOT / "flows"


def _modules() -> dict[str, Path]:
    found = {}
    for path in FLOWS.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = _modules()
    by_module: dict[str, set[str]] = defaultdict(set)
    by_package: dict[str, set[str]] = defaultdict(set)

    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

    for name, path in modules.items():
        for target in _imports(path):
            if target in modules and target != name:
                by_module[name].add(target)
                if package(target) != package(name):
                    by_package[package(name)].add(package(target))
    return by_module, by_package


def test_no_module_imports_itself_through_others() -> None:
    by_module, _ = _graphs()
    assert _cycles(by_module) == []


def test_no_subpackage_imports_itself_through_others() -> None:
    """Each stage imports only the stages before it and the shared top-level modules."""
    _, by_package = _graphs()
    assert _cycles(by_package) == []


def test_only_the_prefect_subpackage_imports_prefect() -> None:
    outside = sorted(
        str(path.relative_to(ROOT))
        for name, path in _modules().items()
        if not name.startswith("flows.prefect")
        and any(t == "prefect" or t.startswith("prefect.") for t in _imports(path))
    )
    assert outside == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
