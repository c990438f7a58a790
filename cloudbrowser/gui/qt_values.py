"""Qt enum values for what the window's first frame sets up, without naming ``Qt``.

PySide builds a Python enum class for each of the ``Qt`` namespace's 93 enums when ``Qt``
is first named, or when a value of one of them first reaches Python (~16 ms, a tenth of
start-up). Nothing before the window's first paint does (``tests/gui/test_startup.py``):
the modules on that path name it as ``QtCore.Qt`` inside code that runs later, item roles
are spelled as their values here (``tests/gui/test_qt_values.py`` checks them against
Qt), and widgets' enum settings go through Qt's property system by key name
(:func:`set_enum`), which Qt converts in C++.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

#: ``Qt.ItemDataRole``'s values.
DISPLAY_ROLE = 0x0000
DECORATION_ROLE = 0x0001
TOOL_TIP_ROLE = 0x0003
TEXT_ALIGNMENT_ROLE = 0x0007
USER_ROLE = 0x0100
#: ``Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter``.
ALIGN_RIGHT_VCENTER = 0x0002 | 0x0080


def set_enum(target: QObject, prop: str, keys: str) -> None:
    """Set the enum (or flags: ``"AlignLeft|AlignVCenter"``) property ``prop`` of
    ``target`` by its key name, e.g. ``set_enum(view, "contextMenuPolicy",
    "CustomContextMenu")`` for ``view.setContextMenuPolicy(Qt.…CustomContextMenu)``."""
    if not target.setProperty(prop, keys):
        raise ValueError(f"{type(target).__name__}.{prop} has no key {keys!r}")
