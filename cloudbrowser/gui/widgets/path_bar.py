"""PathBar: breadcrumbs of the current location that turn into a text field (Ctrl+L)."""

from __future__ import annotations

import contextlib

from PySide6 import QtCore
from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from cloudbrowser.core.keys import prefix_parts
from cloudbrowser.core.printable import printable
from cloudbrowser.gui.navigation import Location


class _LocationEdit(QLineEdit):
    """A line edit that gives up (Escape) or commits (Enter)."""

    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)


class PathBar(QStackedWidget):
    """Shows ``connection › bucket › a › b`` as buttons; each button goes there.

    Signals:
        navigateRequested(object): a Location to go to (a crumb was clicked).
        textEntered(str): the user typed ``bucket/prefix/`` and pressed Enter.
    """

    navigateRequested = Signal(object)
    textEntered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._location: Location | None = None
        self._crumbs = QWidget()
        self._crumb_layout = QHBoxLayout(self._crumbs)
        self._crumb_layout.setContentsMargins(2, 0, 2, 0)
        self._crumb_layout.setSpacing(0)
        self.edit = _LocationEdit()
        self.edit.setPlaceholderText(self.tr("bucket/folder/ — Enter to go, Esc to cancel"))
        self.edit.setClearButtonEnabled(True)
        self.edit.returnPressed.connect(self._commit)
        self.edit.cancelled.connect(self._give_up)
        #: Where the keyboard was before Ctrl+L: it goes back there on Escape.
        self._focus_before: QWidget | None = None
        self.addWidget(self._crumbs)
        self.addWidget(self.edit)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.edit.sizeHint().height() + 4)

    def set_location(self, location: Location) -> None:
        self._location = location
        while self._crumb_layout.count():
            item = self._crumb_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        crumbs: list[tuple[str, Location]] = [(location.connection, Location(location.connection))]
        if location.bucket:
            crumbs.append((location.bucket, Location(location.connection, location.bucket)))
            for name, prefix in prefix_parts(location.prefix):
                crumbs.append((name or "/", Location(location.connection, location.bucket, prefix)))
        for i, (label, target) in enumerate(crumbs):
            if i:
                sep = QToolButton()
                sep.setText("›")
                sep.setAutoRaise(True)
                sep.setEnabled(False)
                self._crumb_layout.addWidget(sep)
            button = QToolButton()
            button.setText(printable(label))  # a key's segment: shown escaped
            button.setAutoRaise(True)
            button.setToolTip(
                self.tr("Go to {place}").format(place=target.text() or target.connection)
            )
            button.clicked.connect(lambda _=False, t=target: self.navigateRequested.emit(t))
            if i == len(crumbs) - 1:
                font = button.font()
                font.setBold(True)
                button.setFont(font)
            self._crumb_layout.addWidget(button)
        self._crumb_layout.addStretch(1)
        if self.currentWidget() is self.edit:
            self.edit.setText(location.text())

    def start_editing(self) -> None:
        """Ctrl+L: type a location."""
        if self.currentWidget() is not self.edit:
            self._focus_before = QApplication.focusWidget()
        self.edit.setText(self._location.text() if self._location else "")
        self.setCurrentWidget(self.edit)
        self.edit.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def show_crumbs(self) -> None:
        self.setCurrentWidget(self._crumbs)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.start_editing()

    def _give_up(self) -> None:
        """Escape: the crumbs again, and the keyboard where it was (not on a crumb)."""
        before, self._focus_before = self._focus_before, None
        self.show_crumbs()
        if before is not None:
            with contextlib.suppress(RuntimeError):  # deleted meanwhile
                before.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def _commit(self) -> None:
        text = self.edit.text()
        self.show_crumbs()
        self.textEntered.emit(text)
