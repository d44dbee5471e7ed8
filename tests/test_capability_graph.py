"""The capabilities (platform/<folder>/) import each other only through their services, never an
api (or pages) module, and never in a circle: a new import that breaks either fails here."""

from __future__ import annotations

import ast
from pathlib import Path

PLATFORM = Path(__file__).resolve().parent.parent / "platform"
API_MODULES = {"api", "views", "browser"}


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    capabilities = {p.name for p in PLATFORM.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    edges: dict[str, set[str]] = {c: set() for c in capabilities}
    api_imports = []
    for path in PLATFORM.rglob("*.py"):
        parts = path.relative_to(PLATFORM).parts
        if len(parts) < 2 or parts[0] not in capabilities:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kpi_platform.")):
                continue
            names = node.module.split(".")[1:]
            targets = [names] if len(names) > 1 else [[names[0], alias.name] for alias in node.names]
            for target in targets:
                if target[0] in capabilities and target[0] != parts[0]:
                    edges[parts[0]].add(target[0])
                    if len(target) > 1 and target[1] in API_MODULES:
                        api_imports.append(f"{'/'.join(parts)} imports {'.'.join(target)}")
    return edges, api_imports


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_capability_imports_another_capabilitys_api():
    _, api_imports = _graph()
    assert api_imports == [], "import the other capability's service instead"


def test_the_capabilities_import_each_other_without_a_cycle():
    edges, _ = _graph()
    cycle = _cycle(edges)
    assert cycle is None, f"capabilities in a circle: {' -> '.join(cycle)}"
