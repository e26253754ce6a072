"""Our apps import in one direction: each only from the apps below it, never in a cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# From the ground floor up; an app may import only the apps before it in this list.
LAYERS = ["audit", "agreements", "permissions", "workflows", "notices", "auditing", "demo"]


def imports_of(app: str) -> dict[str, set[str]]:
    """{our app it imports: the modules doing so}, from every import statement, deferred ones included."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in LAYERS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_app_imports_only_the_apps_below_it():
    upward = {
        f"{app} -> {other}": sorted(modules)
        for app in LAYERS
        for other, modules in imports_of(app).items()
        if LAYERS.index(other) > LAYERS.index(app)
    }
    assert upward == {}


def test_the_app_graph_has_no_cycle():
    graph = {app: set(imports_of(app)) for app in LAYERS}
    done, path = set(), []

    def visit(app):
        assert app not in path, " -> ".join([*path[path.index(app):], app])
        if app in done:
            return
        path.append(app)
        for other in graph[app]:
            visit(other)
        path.pop()
        done.add(app)

    for app in LAYERS:
        visit(app)
