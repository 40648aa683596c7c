"""Dependencies point one way: no package imports one that imports it back, the wire contract
imports nothing of ours, the portal never the load tests; and each package imports alone."""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("portal", "workers", "schemas", "loadtests")


def modules() -> Iterator[tuple[str, Path]]:
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports_of(path: Path, module: str) -> set[str]:
    """Every module of ours that ``path`` imports, wherever the import statement stands."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {name for name in found if name.split(".")[0] in OURS}


def unit(module: str, depth: int, known: set[str]) -> str:
    """The package a module stands for at ``depth`` (a module of a shallower package stands for itself)."""
    while module not in known:
        module = module.rpartition(".")[0]  # "portal.db.Transaction" is the module portal.db
    parts = module.split(".")
    return ".".join(parts[:depth])


def graph(depth: int) -> dict[str, set[str]]:
    found = dict(modules())
    known = set(found)
    edges: dict[str, set[str]] = {}
    for module, path in found.items():
        source = unit(module, depth, known)
        for imported in imports_of(path, module):
            target = unit(imported, depth, known)
            if target != source:
                edges.setdefault(source, set()).add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            component.append(node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_no_package_imports_one_that_imports_it_back(depth: int) -> None:
    assert cycles(graph(depth)) == []


def test_the_wire_contract_and_the_portal_import_only_what_is_below_them() -> None:
    edges = graph(1)
    assert edges.get("schemas", set()) == set()
    assert "loadtests" not in edges.get("portal", set())
    assert "loadtests" not in edges.get("workers", set())


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_each_package_imports_alone() -> None:
    """In a fresh interpreter per package: nothing works only because another was imported first."""
    packages = sorted({module for module, path in modules() if path.name == "__init__.py"})
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    failures = []
    for package in packages:
        members = [module for module, _ in modules() if module == package or module.startswith(package + ".")]
        # A __main__ runs its command when imported: it is what `python -m` runs, not a module to import.
        direct = [m for m in members if m.count(".") <= package.count(".") + 1 and not m.endswith(".__main__")]
        result = subprocess.run(
            [sys.executable, "-c", script, *direct], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if result.returncode:
            failures.append(f"{package}: {result.stderr.strip().splitlines()[-1]}")
    assert failures == []
