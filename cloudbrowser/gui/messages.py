"""One place where failures reach the user, exactly once (qutebrowser's message bridge idea).

Minor failures (one object's properties could not be read) go to the status bar; major ones
(a bug, something the user must act on now) open a dialog with the details and a button to
copy them. Listing failures are not routed here: the list shows them inline, where they
happened.
"""

from __future__ import annotations

import logging

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication, QStatusBar, QWidget

from cloudbrowser.core import local_state
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.printable import printable

log = logging.getLogger(__name__)

#: How long a minor message stays in the status bar.
STATUS_MS = 10_000


def error_title(error: CloudBrowserError) -> str:
    """``error.title`` in the user's language. The GUI's error classes mark their titles
    with ``QT_TRANSLATE_NOOP("CloudBrowserError", …)``: class attributes exist before any
    translator is installed, so they are translated here, where they are shown. (core's
    titles stay English unless a translation lists them in that context too.)"""
    return QCoreApplication.translate("CloudBrowserError", error.title)


def one_line(error: CloudBrowserError) -> str:
    """An error where only one line fits (the status bar, a label): its message and hint.
    The title is a heading (a dialog's title, a panel's bold line), never a prefix: the
    message already says what happened, so "title: message" would say it twice ("Cannot
    reach the server: Cannot connect to the server.")."""
    return f"{error.message} {error.hint}".strip()


class MessageSink(QObject):
    #: A moved-aside damaged file (from any thread; shown on the GUI thread).
    _damaged = Signal(object)

    def __init__(self, window: QWidget, status_bar: QStatusBar) -> None:
        super().__init__(window)
        self._window = window
        self._status = status_bar
        self._damaged.connect(self.major)
        #: Details of the last message, for tests and for "copy details".
        self.last: CloudBrowserError | None = None

    def report_damaged_files(self) -> None:
        """Show each damaged local file that was moved aside (connections, the journal),
        once: those found before now at once, later ones when they are found. The notice
        may come from a worker: the signal carries it to the GUI thread."""
        local_state.set_reporter(self._damaged.emit)
        self.destroyed.connect(_stop_reporting)

    def info(self, text: str) -> None:
        self._status.showMessage(printable(text), STATUS_MS)

    def minor(self, error: CloudBrowserError) -> None:
        self.last = error
        log.warning("%s: %s (%s)", error.title, error.message, error.detail)
        self._status.showMessage(printable(one_line(error)), STATUS_MS)

    def major(self, error: CloudBrowserError) -> None:
        self.last = error
        log.error("%s: %s (%s)", error.title, error.message, error.detail)
        from PySide6.QtWidgets import QMessageBox  # not before the first paint: its enums

        title = error_title(error)
        # Messages name keys and quote the server: shown escaped, and never as rich text
        # (Qt would render a key like "<img src=…>" as HTML).
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, printable(error.message), parent=self._window
        )
        box.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        box.setInformativeText(printable(error.hint))
        if error.detail:
            box.setDetailedText(printable(error.detail, keep="\n"))
            copy = box.addButton(self.tr("Copy details"), QMessageBox.ButtonRole.ActionRole)
            copy.clicked.disconnect()  # keep the box open after copying
            copy.clicked.connect(
                lambda: QApplication.clipboard().setText(
                    f"{title}\n{error.message}\n{error.hint}\n{error.detail}"
                )
            )
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()


def _stop_reporting() -> None:
    """The window is gone: keep later notices for the next reporter."""
    local_state.set_reporter(None)
