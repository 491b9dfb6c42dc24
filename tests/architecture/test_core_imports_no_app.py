"""The core (`omniflow/`) imports no app, and `inbox` neither `agenttools` nor `inbound`.

Imports anywhere count, inside functions too (deferring an import to run time hides the
dependency from the interpreter, not from a reader). An app a lower one must know of registers
itself in its AppConfig.ready(): readiness checks of the worker's probe
(`omniflow.health.readiness_check_register`), metric collectors
(`omniflow.metrics.collector_register`), what an agent version keeps of its tools
(`inbox.services.agents.agent_tool_snapshots_register`); a rule's inbound trigger is reached
through the model its foreign key names.
"""

from tests.architecture.imports import APPS, imported_packages, imports_of, project_modules

# The URL root: mounting every app's URLs is its one job. Nothing else of the core may name
# an app (settings.py lists them as strings, which is no import).
CORE_MODULES_THAT_MAY_IMPORT_APPS = {"omniflow.urls"}


def modules_importing(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    """Return {module of `package`: the forbidden packages it imports} for every offender."""
    offenders = {}
    for name, path in sorted(project_modules(package).items()):
        if found := imported_packages(path) & forbidden:
            offenders[name] = found
    return offenders


def test_the_apps_looked_for_are_the_project_apps():
    assert set(APPS) == {
        "accounts",
        "agenttools",
        "apikeys",
        "inbound",
        "inbox",
        "webhooks",
        "workspaces",
    }


def test_an_app_imported_inside_a_function_is_seen():
    source = "def readyz(request):\n    from webhooks.operations import queue_state\n"

    assert "webhooks.operations" in imports_of(source, "omniflow.health")


def test_no_core_module_imports_an_app():
    offenders = modules_importing("omniflow", set(APPS))

    for allowed in CORE_MODULES_THAT_MAY_IMPORT_APPS:
        # An exception no longer needed is one to take out of the list.
        assert allowed in offenders, f"{allowed} imports no app any more"
        del offenders[allowed]
    assert offenders == {}


def test_the_inbox_imports_neither_agent_tools_nor_inbound():
    # Both build on the inbox (tool calls land on its traces, inbound rules act on its tickets).
    assert modules_importing("inbox", {"agenttools", "inbound"}) == {}
