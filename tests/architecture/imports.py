"""Read the project's imports with `ast`: every import, wherever it stands in a module."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every top-level package of the project, the core (`omniflow`) and its apps.
PACKAGES = sorted(
    p.parent.name
    for p in ROOT.glob("*/__init__.py")
    if p.parent.name not in {"tests", "bench", "scripts"}
)
APPS = sorted(set(PACKAGES) - {"omniflow"})


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_from(node: ast.ImportFrom, package: str) -> str:
    """Return the absolute name of the module a `from … import` in `package` reads from."""
    base = node.module or ""
    if not node.level:
        return base
    anchor = package.split(".")
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, base] if base else anchor)


def imports_of(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Return every module `source` (the text of `module`) imports, wherever the import is.

    At module level, under `if TYPE_CHECKING:` and inside functions alike: deferring an import
    to run time hides a dependency from the interpreter, not from a reader.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = imported_from(node, package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_modules(*packages: str) -> dict[str, Path]:
    """Return {dotted name: path} of the modules of these packages (all if none), no migrations."""
    return {
        module_name(path): path
        for package in packages or PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def module_imports(path: Path) -> set[str]:
    """Return every module the file at `path` imports (see `imports_of`)."""
    return imports_of(path.read_text(), module_name(path), is_package=path.name == "__init__.py")


def imported_packages(path: Path) -> set[str]:
    """Return the top-level packages the file at `path` imports."""
    return {target.split(".")[0] for target in module_imports(path) if target}
