"""Guards against a broken Qt binding build.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every call of a void
method (``setObjectName``, ``update``, ``processEvents``...), so a long session aborts with
"Fatal Python error: none_dealloc". pyproject.toml excludes it; this fails if a release
with the same bug is ever installed.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot


def test_void_calls_keep_none_alive(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    obj = QObject()
    app = QApplication.instance()
    assert app is not None
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("x")
        widget.update()
        app.processEvents()
    # Other threads may hold or drop a few references meanwhile; a leak is ~3,000.
    assert sys.getrefcount(None) - before > -500
