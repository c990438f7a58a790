"""Uncaught exceptions (bugs), on any thread: logged, then shown in a dialog, never lost.

A desktop app has no console: an exception that only reaches stderr is a silent failure.
:class:`CrashReporter` replaces ``sys.excepthook`` (the GUI thread, PySide6's slots
included) and ``threading.excepthook`` (every other Python thread). Each report is written
to the log (redacted, see ``core/logs.py``) and then shown by ``CrashDialog`` (in
``gui/dialogs/crash.py``, imported with the first report, not before the first paint) with the
details to copy and the path of the log file to attach. Jobs on the worker pool do not get
here: they turn their exceptions into one ``failed`` signal for the message sink
(``gui/workers.py``).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QObject, Signal, Slot

from cloudbrowser import __version__
from cloudbrowser.core.logs import redact

if TYPE_CHECKING:  # the dialog's module comes with the first report, not at start
    from PySide6.QtWidgets import QWidget

    from cloudbrowser.gui.dialogs.crash import CrashDialog

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe(exc_info: ExcInfo, thread_name: str) -> str:
    """The copyable report: version, platform, thread and the redacted traceback."""
    text = "".join(traceback.format_exception(*exc_info))
    header = (
        f"cloudbrowser {__version__} on Python {sys.version.split()[0]} ({sys.platform})"
        f"{', frozen' if getattr(sys, 'frozen', False) else ''}\n"
        f"thread: {thread_name}\n\n"
    )
    return redact(header + text)


class CrashReporter(QObject):
    """Installs the hooks; shows each report in one dialog on the GUI thread.

    Create it on the GUI thread. ``parent_widget`` gives the dialog's parent (the window,
    once there is one).

    Signals:
        reported(str): a report's redacted text, on the GUI thread (queued, so the dialog
            opens from the event loop, never from inside a half-unwound slot).
    """

    reported = Signal(str)

    def __init__(
        self,
        log_file: Path | None,
        parent_widget: Callable[[], QWidget | None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self._parent_widget = parent_widget
        self.dialog: CrashDialog | None = None
        self._previous: tuple[object, object] | None = None
        # Connected with the first report, not here: naming Qt's connection types builds
        # the Qt namespace's enums (~16 ms, gui/qt_values.py) before the window is up.
        self._connected = False
        self._connect_lock = threading.Lock()

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous  # type: ignore[assignment]
            self._previous = None

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)  # Ctrl+C in a terminal: no dialog
            return
        self.report((exc_type, exc, tb), threading.current_thread().name)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return  # a thread that exits on purpose, as threading's own hook ignores it
        exc = args.exc_value if args.exc_value is not None else args.exc_type()
        name = args.thread.name if args.thread is not None else "unknown thread"
        self.report((args.exc_type, exc, args.exc_traceback), name)

    def report(self, exc_info: ExcInfo, thread_name: str) -> None:
        """Log the exception, then hand the dialog to the GUI thread. Any thread."""
        log.critical("uncaught exception in thread %s", thread_name, exc_info=exc_info)
        with self._connect_lock:
            if not self._connected:
                # Queued, also on the GUI thread: the dialog opens from the event loop.
                self.reported.connect(self._show, QtCore.Qt.ConnectionType.QueuedConnection)
                self._connected = True
        self.reported.emit(describe(exc_info, thread_name))

    @Slot(str)
    def _show(self, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_report(details)
            return
        from cloudbrowser.gui.dialogs.crash import CrashDialog

        self.dialog = CrashDialog(details, self.log_file, self._parent_widget())
        self.dialog.open()
