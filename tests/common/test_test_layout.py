"""The suite's own layout: no module imports a conftest.py, and no plugin brings an autouse fixture.

pytest loads every conftest.py itself; a test module that imports one (its own folder's or another's)
gets a second copy of its fixtures and ties two folders together. Helpers several folders use live in
tests/fixtures/ (clients.py: api_client, client_for, portal_client), a folder's own helpers beside its
tests (tests/indexing/helpers.py, tests/stack/clients.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def conftest_imports(path: Path) -> list[str]:
    """`line: module` of every import in the file that names a conftest module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base, *(base + ("" if base.endswith(".") else ".") + alias.name for alias in node.names)]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if name.rsplit(".", 1)[-1] == "conftest"]
    return found


def autouse_fixtures(path: Path) -> list[str]:
    """Names of the module-level fixtures declared with autouse=True."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and any(
                        keyword.arg == "autouse" and getattr(keyword.value, "value", False) is True
                        for keyword in decorator.keywords):
                    found.append(node.name)
    return found


def test_no_module_of_the_suite_imports_a_conftest():
    # given every module of the suite
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 100

    # when their imports are read
    offending = [f"{path.relative_to(TESTS.parent)}:{hit}" for path in modules for hit in conftest_imports(path)]

    # then none of them names a conftest module
    assert offending == []


def plugin_modules() -> list[Path]:
    """The modules of the suite pytest loads as plugins: tests/conftest.py's pytest_plugins, pytest.ini's -p."""
    names = []
    for node in ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "pytest_plugins" for target in node.targets):
            names += ast.literal_eval(node.value)
    options = (TESTS.parent / "pytest.ini").read_text(encoding="utf-8").split()
    names += [name for option, name in zip(options, options[1:]) if option == "-p" and name.startswith("tests.")]
    return [TESTS.parent / (name.replace(".", "/") + ".py") for name in names]


def test_the_fixture_plugins_declare_no_autouse_fixture():
    # given the modules of the suite pytest loads as plugins
    plugins = plugin_modules()
    assert len(plugins) > 1 and all(path.exists() for path in plugins)

    # when their fixtures are read
    autouse = {str(path.relative_to(TESTS.parent)): autouse_fixtures(path) for path in plugins}

    # then none applies itself to every test of the suite (a folder imports such a fixture into its conftest.py)
    assert autouse == {name: [] for name in autouse}
