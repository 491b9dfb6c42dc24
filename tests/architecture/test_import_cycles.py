"""No import cycle between the project's modules: each can be read (and loaded) on its own.

Every import counts: at module level, under `if TYPE_CHECKING:` (a cycle a type checker sees
is one a reader walks too), and inside functions (deferring an import to run time hides a
cycle from the interpreter, not from a reader). Work queued for later goes by task name
(`omniflow.queueing.enqueue`), which imports nothing.
"""

from tests.architecture.imports import imports_of, module_imports, project_modules


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {target for target in module_imports(path) if target in modules} - {name}
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


def test_imports_inside_functions_count():
    source = "def later():\n    from .tasks import replay_job\n"
    assert "webhooks.tasks" in imports_of(source, "webhooks.replays")


def test_the_webhook_engine_modules_import_each_other_without_a_cycle():
    graph = import_graph()
    engine = {
        name: {target for target in targets if target.startswith("webhooks")}
        for name, targets in graph.items()
        if name.startswith("webhooks")
    }
    assert "webhooks.engine.claims" in engine and "webhooks.engine.storage.postgresql" in engine
    assert find_cycle(engine) is None


def test_no_module_of_the_project_imports_itself_through_others():
    assert find_cycle(import_graph()) is None
