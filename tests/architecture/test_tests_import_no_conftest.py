"""No test module imports from a conftest: shared helpers live in `tests/support/`.

A conftest.py holds fixtures (and may call the helpers); pytest loads it as a plugin, and a
module that imports it too runs it twice under two names. A conftest may import another's
fixtures, by name, to offer them in its own directory: nothing else.
"""

import ast
from pathlib import Path

from tests.architecture.imports import ROOT, imported_from

TESTS = ROOT / "tests"


def _is_fixture(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in ("pytest.fixture", "fixture"):
            return True
    return False


def fixtures_of(path: Path) -> set[str]:
    """Return the names of the fixtures a conftest defines."""
    return {node.name for node in ast.parse(path.read_text()).body if _is_fixture(node)}


def conftest_imports(path: Path, root: Path = ROOT) -> set[str]:
    """Return `module.name` for each name the file imports from a conftest (fixtures aside, in
    a conftest), wherever the import stands."""
    parts = path.relative_to(root).with_suffix("").parts
    package = ".".join(parts if path.name == "__init__.py" else parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[-1] == "conftest"}
        if not isinstance(node, ast.ImportFrom):
            continue
        base = imported_from(node, package)
        if base.split(".")[-1] != "conftest":
            continue
        source = root.joinpath(*base.split(".")).with_suffix(".py")
        allowed = fixtures_of(source) if path.name == "conftest.py" else set()
        found |= {f"{base}.{a.name}" for a in node.names if a.name not in allowed}
    return found


def test_a_helper_imported_from_a_conftest_is_seen(tmp_path):
    (tmp_path / "tests" / "inbound").mkdir(parents=True)
    (tmp_path / "tests" / "inbound" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef member():\n    pass\n\ndef post_json():\n    pass\n"
    )
    test_module = tmp_path / "tests" / "inbound" / "test_x.py"
    test_module.write_text("def test():\n    from .conftest import post_json\n")
    conftest = tmp_path / "tests" / "security" / "conftest.py"
    conftest.parent.mkdir()
    conftest.write_text("from tests.inbound.conftest import member, post_json\n")

    assert conftest_imports(test_module, tmp_path) == {"tests.inbound.conftest.post_json"}
    assert conftest_imports(conftest, tmp_path) == {"tests.inbound.conftest.post_json"}


def test_no_test_module_imports_from_a_conftest():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := conftest_imports(path))
    }

    assert offenders == {}
