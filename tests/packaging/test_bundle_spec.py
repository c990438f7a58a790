"""The PyInstaller spec (packaging/cloudbrowser.spec) leaves out nothing the app imports.

The frozen build's smoke test finds a missing module too, but only in ``packaging/build``,
after the whole suite; this finds it in a second, naming the module and the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def spec_excludes() -> set[str]:
    """The names in the spec's ``excludes = [...]`` list."""
    tree = ast.parse((ROOT / "packaging" / "cloudbrowser.spec").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "excludes" for t in node.targets
        ):
            assert isinstance(node.value, ast.List)
            return {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    raise AssertionError("the spec has no excludes list")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (and each of its parent packages)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {".".join(name.split(".")[:i]) for name in names for i in range(1, name.count(".") + 2)}


def test_the_bundle_excludes_no_module_the_app_imports() -> None:
    excludes = spec_excludes()
    assert "PySide6.QtQml" in excludes, "the spec was not read"
    wrong = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "cloudbrowser").rglob("*.py")
        for module in imported_modules(path) & excludes
    )
    assert not wrong, f"imported by the app but excluded from the bundle: {wrong}"
