"""The runtime package's imports go down its layers, never up, and never in a circle
(docs/architecture.md). Every import counts: at the top of a module, inside a function (a lazy
import is still a dependency, only a later one) and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import grimp
import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import social_crm

PACKAGE = "social_crm"
ROOT = Path(social_crm.__file__).parent

# bottom to top: a module may import its own layer and the layers below it, never one above
# (docs/architecture.md says what each layer holds)
LAYERS: tuple[tuple[str, ...], ...] = (
    ("settings", "redact", "query_results"),
    ("paths", "catalog"),
    ("warehouse",),
    (
        "load",
        "extract",
        "quality",
        "identity",
        "customer_value",
        "sentiment",
        "transform",
        "serve",
        "alerts",
    ),
    ("privacy",),
    ("orchestration",),
    ("doctor", "check_connections", "cli", "receive"),
)


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=False, cache_dir=None)


def component(module: str) -> str:
    """`social_crm.extract.crm` -> `extract`; the package's own `__init__` is `social_crm`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else PACKAGE


def layer_of(module: str) -> int | None:
    name = component(module)
    if name == PACKAGE:
        return 0  # the package's `__init__`: its version, nothing else
    for index, layer in enumerate(LAYERS):
        if name in layer:
            return index
    return None


def imports_of(module: str) -> list[tuple[str, int, str]]:
    """(imported module, line, source line) for each import `module` makes in the package."""
    found = []
    for imported in graph().find_modules_directly_imported_by(module):
        for detail in graph().get_import_details(importer=module, imported=imported):
            found.append((imported, detail["line_number"], detail["line_contents"]))
    return sorted(found)


def circles(graph_: grimp.ImportGraph) -> list[frozenset[str]]:
    """The sets of modules that import each other round a circle (each a strongly connected
    component of more than one module)."""
    edges = nx.DiGraph()
    for module in graph_.modules:
        edges.add_edges_from((module, i) for i in graph_.find_modules_directly_imported_by(module))
    return [frozenset(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]


def test_the_graph_holds_every_module_file():
    """A folder without `__init__.py` is a namespace package the graph (and a wheel) leaves
    out: its imports would escape the checks below."""
    on_disk = {
        ".".join((PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__")
        for path in ROOT.rglob("*.py")
    }
    assert sorted(on_disk - graph().modules) == []


def test_every_module_is_in_a_layer():
    unplaced = sorted(m for m in graph().modules if layer_of(m) is None)
    assert unplaced == [], "add the new package to LAYERS and docs/architecture.md"


def test_the_layers_name_each_package_once():
    names = [name for layer in LAYERS for name in layer]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", [PACKAGE, *(name for layer in LAYERS for name in layer)])
def test_no_import_reaches_a_higher_layer(name):
    upward = []
    for module in sorted(graph().modules):
        if component(module) != name:
            continue
        for imported, line, source in imports_of(module):
            if (layer_of(imported) or 0) > (layer_of(module) or 0):
                upward.append(f"{module}:{line}: {source} (-> {component(imported)})")
    assert not upward, "\n".join(upward)


def test_no_import_circle_between_modules():
    found = sorted(sorted(c) for c in circles(graph()))
    assert not found, "\n".join(" <-> ".join(c) for c in found)


def test_no_import_circle_between_packages():
    """Packages in one layer may import each other, one way: a circle between two packages is
    a layer that should be two, even when no two of their modules form a circle."""
    packages = grimp.ImportGraph()
    for module in graph().modules:
        packages.add_module(component(module))
        for imported in graph().find_modules_directly_imported_by(module):
            if component(imported) != component(module):
                packages.add_import(importer=component(module), imported=component(imported))
    found = sorted(sorted(c) for c in circles(packages))
    assert not found, "\n".join(" <-> ".join(c) for c in found)


def test_the_warehouse_package_only_names_its_modules():
    """Its logic lives in modules whose names say what they hold; `__init__` names them, so
    `warehouse.connect()` reads as it did."""
    tree = ast.parse((ROOT / "warehouse" / "__init__.py").read_text())
    logic = [
        f"line {node.lineno}: {type(node).__name__}"
        for node in tree.body[1:]
        if not isinstance(node, ast.Import | ast.ImportFrom)
        and not (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__")
    ]
    assert not logic, "\n".join(logic)


@given(st.sets(st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef")), max_size=12))
def test_a_circle_is_the_modules_that_reach_each_other(edges):
    made = grimp.ImportGraph()
    for importer, imported in edges:
        made.add_module(importer)
        made.add_module(imported)
        if importer != imported:
            made.add_import(importer=importer, imported=imported)
    found = circles(made)

    def reaches(a: str, b: str) -> bool:
        return made.find_shortest_chain(importer=a, imported=b) is not None

    for a in sorted(made.modules):
        for b in sorted(made.modules - {a}):
            together = any({a, b} <= circle for circle in found)
            assert together == (reaches(a, b) and reaches(b, a)), (a, b)
