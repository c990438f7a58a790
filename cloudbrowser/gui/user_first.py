"""The user comes first: each act on the window's lists and address bar (a key, a click,
the wheel, a drag) holds the engine's threads for a moment
(``core/give_way.py``: why, for how long, what was measured), so the list answers during a
2,000-file upload about as fast as without one.

Only the widgets the user works in are watched, not the whole application: a filter on the
application would be a call into Python for every event of every object (timers, paints),
each one a wait for the GIL while transfers run.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from cloudbrowser.core import give_way

#: What a user does, as opposed to what the window does by itself (paints, timers). The
#: pointer's moves without a button (hover) are left out: they come by the hundred.
_ACTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    }
)


class UserFirst(QObject):
    """Holds the engine (``give_way.hold``) at each act on ``widgets``, and on a scroll
    area's viewport, which receives its mouse and wheel events."""

    def __init__(self, widgets: Iterable[QWidget], parent: QObject | None = None) -> None:
        super().__init__(parent)
        for widget in widgets:
            widget.installEventFilter(self)
            if isinstance(widget, QAbstractScrollArea):
                widget.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTS:
            give_way.hold()
        return False
