"""The window's toolbar: Connections, Back/Forward/Up/Refresh, then Upload, Download, New
folder and Delete with their names beside their icons (what people coming from Cyberduck,
S3 Browser or Explorer look for first), then the path bar and the filter.

The navigation buttons are icons only (low priority: their tooltips name them and their
keys); the file buttons carry short labels. Every icon comes from ``gui/icons.py``, one set
that looks the same in light and dark themes, and is set on the action itself, so menus
show the same pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QLineEdit, QToolBar

from cloudbrowser.gui import icons
from cloudbrowser.gui.widgets.path_bar import PathBar

if TYPE_CHECKING:
    from cloudbrowser.gui.widgets.main_window import MainWindow


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def build_toolbar(window: MainWindow) -> QToolBar:
    """The toolbar with the navigation, the path bar and the filter (``window.path_bar``,
    ``window.filter_edit``); file buttons are added with :func:`add_file_buttons`."""
    toolbar = QToolBar(_tr("Toolbar"), window)
    toolbar.setObjectName("navigation")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.setIconSize(QSize(22, 22))
    navigation: list[tuple[QAction, Callable[[], QIcon]]] = [
        (window.connections_action, icons.connections_icon),
        (window.back_action, icons.back_icon),
        (window.forward_action, icons.forward_icon),
        (window.up_action, icons.up_icon),
        (window.refresh_action, icons.refresh_icon),
    ]
    for action, icon in navigation:
        action.setIcon(icon())
        action.setPriority(QAction.Priority.LowPriority)  # an icon without its text
        toolbar.addAction(action)
        if action in (window.connections_action, window.refresh_action):
            toolbar.addSeparator()
    #: File buttons go before this separator, in the order they are added.
    window.file_buttons_end = toolbar.addSeparator()
    window.path_bar = PathBar()
    window.path_bar.navigateRequested.connect(window.navigate)
    window.path_bar.textEntered.connect(window.navigate_to_text)
    toolbar.addWidget(window.path_bar)
    window.filter_edit = QLineEdit()
    window.filter_edit.setPlaceholderText(_tr("Filter this folder (Ctrl+F)"))
    window.filter_edit.setClearButtonEnabled(True)
    window.filter_edit.setMaximumWidth(220)
    window.filter_edit.textChanged.connect(window._on_filter)
    toolbar.addWidget(window.filter_edit)
    window.addToolBar(toolbar)
    return toolbar


def add_file_buttons(window: MainWindow, buttons: list[tuple[QAction, str, QIcon]]) -> None:
    """Put (action, short label, icon) on the toolbar, after the ones added before."""
    toolbar = window.toolbar
    for action, label, icon in buttons:
        action.setIcon(icon)
        action.setIconText(label)
        toolbar.insertAction(window.file_buttons_end, action)
