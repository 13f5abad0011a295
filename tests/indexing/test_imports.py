"""The search port's modules import one another in one direction: no circle, at load time or in a function."""

from __future__ import annotations

from pathlib import Path

from tests.common.test_imports import ROOT, imported_modules

FORMAT_MODULES = ("pdf", "office", "odf", "eml", "markup", "text")


def _modules(package: str) -> dict[str, Path]:
    modules = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


def _import_graph(package: str) -> dict[str, set[str]]:
    """{module: the modules of `package` it imports} (a `from a.b import c` counts as a.b, or a.b.c if a module)."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _line, target in imported_modules(path):
            for candidate in (target, target.rpartition(".")[0]):
                if candidate in modules and candidate != name:
                    graph[name].add(candidate)
                    break
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle in `graph`, or [] when there is none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return []
        for target in sorted(graph[node]):
            found = visit(target, path + [node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


def test_indexing_has_no_import_circle():
    # given the import graph of indexing/, function-level imports included
    graph = _import_graph("indexing")

    # then no module reaches itself
    assert _cycle(graph) == []


def test_the_extract_format_modules_never_import_each_other():
    # given the modules that read one file family each
    graph = _import_graph("indexing")
    formats = {f"indexing.extract.{name}" for name in FORMAT_MODULES}

    # then each imports only the package's shared modules, never another format
    assert {name: sorted(graph[name] & formats) for name in sorted(formats) if graph[name] & formats} == {}
