"""The package's import structure: no cycles, and no import from a lower layer to a higher one.

Every import counts, including those inside functions (imported on first use), except those
under ``if TYPE_CHECKING:``. The layers, lowest first:

1. the record schema and the plain types: records, version, document, errors, redact
2. what a page says: reading/ (values, readers, layout)
3. loading pages, the backend interface, output files: loading, backends, output
4. the checker
5. the rules backend, the pipeline, evaluation, and what is made from results: review, export
6. the model backend: llm/
7. the front ends: runlog, cli, the package itself
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "extractor"

LAYERS: list[set[str]] = [
    {"records", "version", "document", "errors", "redact"},
    {"reading", "reading.values", "reading.readers", "reading.layout"},
    {"loading", "backends", "output"},
    {"checker", "roles"},
    {"rules", "pipeline", "evaluation", "review", "export"},
    {"llm"},  # and every llm.* module
    {"runlog", "cli", "cli_options", "__init__", "__main__"},
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts
    return ".".join(parts)


def layer_of(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if name in layer or (name.split(".")[0] in layer and "." in name):
            return i
    raise AssertionError(f"module {name} is in no layer: add it to LAYERS in {__file__}")


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and (
                node.module == "extractor" or node.module.startswith("extractor.")
            ):
                target = node.module.removeprefix("extractor").lstrip(".")
            else:
                continue
            candidates = [f"{target}.{a.name}" if target else a.name for a in node.names]
            for c in candidates:
                found.add(c if c in GRAPH_NAMES else target)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("extractor."):
                    found.add(a.name.removeprefix("extractor."))
    found = {f if f else "__init__" for f in found}
    return {f for f in found if f in GRAPH_NAMES and f != name}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
GRAPH_NAMES = set(MODULES) | {"__init__"}
MODULES.setdefault("__init__", PACKAGE / "__init__.py")


def import_graph() -> dict[str, set[str]]:
    return {name: imports_of(path, name) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_module_is_in_a_layer() -> None:
    for name in MODULES:
        layer_of(name)


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_from_a_lower_layer_to_a_higher_one(name: str) -> None:
    graph = import_graph()
    mine = layer_of(name)
    upward = sorted(t for t in graph[name] if layer_of(t) > mine)
    assert not upward, f"{name} (layer {mine + 1}) imports higher layers: {upward}"


def test_the_checks_can_fail() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert imports_of(MODULES["rules"], "rules") >= {"backends", "reading.layout"}
