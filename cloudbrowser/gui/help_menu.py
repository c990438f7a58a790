"""The Help menu: keyboard shortcuts, where the log is, and About.

The shortcuts are read from the window's actions when the dialog opens, menu by menu, so
the list is never out of date: a feature module that adds an action with a shortcut to a
menu (or to the window) appears in it without being named here (gui/dialogs/shortcuts.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, qVersion
from PySide6.QtGui import QAction, QKeySequence

from cloudbrowser import __version__
from cloudbrowser.core.logs import log_path

# The dialogs (and the Qt classes only they name) are imported when opened: the menu is
# built before the window's first paint.
if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from cloudbrowser.gui.dialogs.shortcuts import ShortcutsDialog
    from cloudbrowser.gui.widgets.main_window import MainWindow

#: What the app is built on, and under which licence (shown in About).
LICENCES: list[tuple[str, str]] = [
    ("Qt 6 / PySide6", "LGPL-3.0"),
    ("boto3, botocore, s3transfer", "Apache-2.0"),
    ("keyring", "MIT"),
    ("platformdirs", "MIT"),
    ("moto (--demo)", "Apache-2.0"),
    ("Python", "PSF-2.0"),
]


class HelpMenu(QObject):
    """Adds Help (last in the menu bar) to ``window``; its dialogs are made when opened."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu = window.menuBar().addMenu(self.tr("&Help"))
        self.shortcuts_action = self._add(
            self.tr("Keyboard shortcuts"), QKeySequence("Ctrl+F1"), self.show_shortcuts
        )
        self.log_action = self._add(self.tr("Show log folder"), None, self.show_log_folder)
        self.menu.addSeparator()
        self.about_action = self._add(self.tr("About cloudbrowser"), None, self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.dialog: ShortcutsDialog | None = None

    def _add(self, text: str, key: QKeySequence | None, slot: object) -> QAction:
        action = QAction(text, self.window)
        if key is not None:
            action.setShortcuts([key])  # (not setShortcut: its Qt.Key overload, gui/qt_values.py)
        action.triggered.connect(slot)
        self.window.addAction(action)
        self.menu.addAction(action)
        return action

    def show_shortcuts(self) -> ShortcutsDialog:
        from cloudbrowser.gui.dialogs.shortcuts import ShortcutsDialog

        # Made anew each time: actions added since are in it.
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = ShortcutsDialog(self.window)
        self.dialog.open()
        return self.dialog

    def show_log_folder(self) -> None:
        """Open the folder of the log in the file manager, and say where it is."""
        from PySide6.QtCore import QUrl

        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.window.messages.info(self.tr("The log is {path}").format(path=str(path)))
        # The window's way to open a place (a test replaces it).
        self.window.transfers.opener(QUrl.fromLocalFile(str(path.parent)))

    def show_about(self) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self.window)
        box.setWindowTitle(self.tr("About cloudbrowser"))
        box.setTextFormat(QtCore.Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.setIconPixmap(self.window.windowIcon().pixmap(64, 64))
        box.open()
        return box

    def about_text(self) -> str:
        """Rich text: the version, what it runs on, and the licences."""
        from platform import python_version  # here: the menu is built before the first paint

        rows = "".join(
            f"<tr><td>{name}</td><td>&nbsp;{licence}</td></tr>" for name, licence in LICENCES
        )
        runs_on = self.tr("Python {python}, Qt {qt}, PySide6 {pyside}").format(
            python=python_version(), qt=qVersion(), pyside=pyside_version
        )
        return (
            f"<h3>cloudbrowser {__version__}</h3>"
            f"<p>{self.tr('A file manager for S3 and S3-compatible object storage.')}</p>"
            f"<p>{runs_on}</p>"
            f"<p>{self.tr('cloudbrowser is free software under the MIT licence. It uses:')}</p>"
            f"<table>{rows}</table>"
        )
