"""The window's feature modules use what they are handed, through its public names.

import-linter keeps them from importing the main window (pyproject.toml); this reads them
with ``ast`` for the other half of the seam: no ``something._private`` on any object but
their own (``self``), and no parameter named or typed ``MainWindow``.
"""

from __future__ import annotations

import ast
from pathlib import Path

GUI = Path(__file__).resolve().parents[2] / "cloudbrowser" / "gui"
FEATURES = [
    "file_operations.py",
    "inspect_actions.py",
    "versions_actions.py",
    "folder_size.py",
    "search.py",
    "window_parts.py",
    "edit_files.py",
    "storage_class_actions.py",
    "sync_actions.py",
    "bucket_versioning.py",
]


def foreign_private_attributes(source: str) -> list[str]:
    """``x._name`` where ``x`` is not ``self`` (dunders allowed), as ``line: text``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            continue
        found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_feature_modules_reach_no_private_attribute_of_another_object() -> None:
    found = {
        name: foreign_private_attributes((GUI / name).read_text(encoding="utf-8"))
        for name in FEATURES
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_feature_modules_are_not_handed_the_window() -> None:
    for name in FEATURES:
        assert "MainWindow" not in (GUI / name).read_text(encoding="utf-8"), name


def test_the_scanner_sees_a_foreign_private_attribute() -> None:
    source = "def f(self, window):\n    self._mine()\n    window._action('x')\n    a.__class__\n"
    assert foreign_private_attributes(source) == ["3: window._action"]
