"""The status bar's overall transfer progress, drawn without stalling the window.

Two costs made it the longest stall of a big drop (issue 14, 183 ms): ``QProgressBar.setValue``
repaints the bar *synchronously* whenever its text or a pixel changes (and a synchronous
repaint of a status-bar child paints and flushes the window's backing store), and the
queue's 10 Hz poll changed it on nearly every tick. Here the value is set with updates
off and the repaint only *scheduled* (``update()``, merged into the next paint of the
window), and the bar, its label and the title change at most ``UPDATES_PER_SECOND`` times a
second while transfers run; the first and the last state are always shown at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported before the first paint, when no bar is shown yet)
    from PySide6.QtWidgets import QProgressBar

#: How often the status bar's progress may change while transfers run.
UPDATES_PER_SECOND = 2.0


class Throttle:
    """Lets something happen at most ``per_second`` times a second; the first at once."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / per_second
        self._clock = clock
        self._next = -math.inf

    def ready(self) -> bool:
        """Whether it may happen now (and if so, the next time is a full interval later)."""
        now = self._clock()
        if now < self._next:
            return False
        self._next = now + self._interval
        return True

    def reset(self) -> None:
        """The next :meth:`ready` is True (a new run of transfers shows its start at once)."""
        self._next = -math.inf


def set_value_later(bar: QProgressBar, value: int) -> None:
    """Set ``bar``'s value with its repaint scheduled, not done now (see the module's text)."""
    if bar.value() == value:
        return
    bar.setUpdatesEnabled(False)  # setValue's own repaint() then does nothing
    try:
        bar.setValue(value)
    finally:
        bar.setUpdatesEnabled(True)  # which calls update(): painted with the next frame
