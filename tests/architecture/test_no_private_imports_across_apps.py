"""No module imports an underscore-prefixed name from another package of the project.

A leading underscore says "this app's own business": a name another app needs is part of the
owner's public surface and is named so (or is registered with the owner, as rule fields and
operators are with `omniflow.conditions`). Imports anywhere count, inside functions too.
"""

import ast

from tests.architecture.imports import PACKAGES, imported_from, module_name, project_modules


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Return the underscore-prefixed names (or modules) `source` imports from other packages."""
    own = module.split(".")[0]
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = imported_from(node, package)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            if parts[0] in PACKAGES and parts[0] != own and any(map(_private, parts[1:])):
                found.add(target)
    return found


def test_a_private_name_imported_from_another_app_is_seen_even_inside_a_function():
    source = "def f():\n    from inbox.services.routing import _holds, rule_matches\n"

    assert private_imports(source, "inbound.rules") == {"inbox.services.routing._holds"}
    assert private_imports(source, "inbox.other") == set(), "an app's own privates are its own"
    assert private_imports("from ._x import y\n", "inbound.rules") == set()
    assert private_imports("import webhooks._engine\n", "inbound.rules") == {"webhooks._engine"}


def test_no_module_imports_a_private_name_of_another_package():
    offenders = {
        module_name(path): found
        for path in project_modules().values()
        if (
            found := private_imports(
                path.read_text(), module_name(path), is_package=path.name == "__init__.py"
            )
        )
    }

    assert offenders == {}
