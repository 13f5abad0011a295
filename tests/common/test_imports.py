"""backend/common is the base every app builds on: it imports no other package of the project."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("backend", "indexing", "storage", "portal", "demo")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every import in the file, at module level or inside functions; `from a import b`
    gives both a and a.b (b may be a module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_backend_common_imports_only_itself_of_the_project():
    # given every module of backend/common
    modules = sorted((ROOT / "backend" / "common").rglob("*.py"))
    assert modules

    # when their imports are read
    outside = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in imported_modules(path)
        if name.split(".")[0] in PROJECT_PACKAGES and not (name == "backend.common" or name.startswith("backend.common."))
    ]

    # then none of them names another app or package of the project
    assert outside == []
