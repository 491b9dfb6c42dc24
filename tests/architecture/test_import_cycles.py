"""No import cycle between the project's modules: each can be read (and loaded) on its own.

Module-level imports, those under `if TYPE_CHECKING:` included (a cycle a type checker sees is
one a reader walks too). An import inside a function runs when the function does, which is
how a module defers what it needs at run time (e.g. a task queued after commit).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(
    p.parent.name
    for p in ROOT.glob("*/__init__.py")
    if p.parent.name not in {"tests", "bench", "scripts"}
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        for child in [node, *(ast.walk(node) if isinstance(node, ast.Try | ast.If) else [])]:
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    return {
        name: {target for target in _top_level_imports(path, name) if target in modules} - {name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_webhook_engine_modules_import_each_other_without_a_cycle():
    graph = import_graph()
    engine = {
        name: {target for target in targets if target.startswith("webhooks")}
        for name, targets in graph.items()
        if name.startswith("webhooks")
    }
    assert "webhooks.claims" in engine and "webhooks.storage" in engine
    assert find_cycle(engine) is None


def test_no_module_of_the_project_imports_itself_through_others():
    assert find_cycle(import_graph()) is None
