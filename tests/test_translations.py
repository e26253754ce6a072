"""Strings defined at import are lazy: they render in the language of whoever reads them."""

import ast
from pathlib import Path

from django.utils import translation

from agreements.services import DUPLICATE_BERITA_DAERAH, DUPLICATE_NUMBER
from workflows.selectors import TASK_ACTIONS

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ("agreements", "audit", "permissions", "workflows", "sepakat")
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def test_module_level_messages_follow_the_active_language():
    with translation.override("en"):
        assert str(DUPLICATE_NUMBER % {"number": 3, "year": 2024}) == (
            "Regulation number 3 of 2024 is already in use in this region.")
        assert str(DUPLICATE_BERITA_DAERAH % {"number": 3, "year": 2024}).startswith("Berita Daerah number 3 of 2024")
        assert str(TASK_ACTIONS["task.claimed"]) == "claimed"
    with translation.override("id"):
        assert str(DUPLICATE_NUMBER % {"number": 3, "year": 2024}).startswith("Nomor peraturan 3 tahun 2024")
        assert str(TASK_ACTIONS["task.claimed"]) == "diambil"


def _eager_calls_at_import(tree: ast.Module, names: set[str]):
    """Calls of the eager gettext names outside any function body (module and class level)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            yield node.lineno
        pending.extend(ast.iter_child_nodes(node))


def test_no_app_translates_eagerly_at_import():
    found = []
    for app in APPS:
        for path in (BASE_DIR / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            names = {alias.asname or alias.name for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
                     for alias in node.names if alias.name in EAGER}
            found += [f"{path.relative_to(BASE_DIR)}:{line}" for line in _eager_calls_at_import(tree, names)]
    assert not found, f"gettext at import (use gettext_lazy): {found}"
