"""The window's two toolbars, as in Explorer or Cyberduck.

The first holds what people coming from Cyberduck, S3 Browser or Explorer look for first,
each with its name beside its icon: Connections, Upload, Download, New folder, Delete.
The second is the way around: Back, Forward, Up and Refresh (icons, named by their
tooltips and keys), the path bar, whose room a deep folder needs, and the filter. Every
icon comes from ``gui/icons.py``, one set that looks the same in light and dark themes,
and is set on the action itself, so menus show the same pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QLineEdit, QToolBar

from cloudbrowser.gui import icons
from cloudbrowser.gui.qt_values import set_enum
from cloudbrowser.gui.widgets.path_bar import PathBar

if TYPE_CHECKING:
    from cloudbrowser.gui.widgets.main_window import MainWindow


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def build_toolbar(window: MainWindow) -> QToolBar:
    """Both toolbars; returns the first (the file buttons, added with
    :func:`add_file_buttons`). Sets ``window.path_bar`` and ``window.filter_edit``."""
    actions = QToolBar(_tr("Toolbar"), window)
    actions.setObjectName("actions")
    actions.setMovable(False)
    set_enum(actions, "toolButtonStyle", "ToolButtonTextBesideIcon")  # (gui/qt_values.py)
    actions.setIconSize(QSize(22, 22))
    window.connections_action.setIcon(icons.connections_icon())
    actions.addAction(window.connections_action)
    actions.addSeparator()
    #: File buttons go before this (hidden) marker, in the order they are added.
    window.file_buttons_end = actions.addSeparator()
    window.file_buttons_end.setVisible(False)
    window.addToolBar(actions)
    window.addToolBarBreak()

    location = QToolBar(_tr("Location"), window)
    location.setObjectName("navigation")
    location.setMovable(False)
    location.setIconSize(QSize(20, 20))
    navigation: list[tuple[QAction, Callable[[], QIcon]]] = [
        (window.back_action, icons.back_icon),
        (window.forward_action, icons.forward_icon),
        (window.up_action, icons.up_icon),
        (window.refresh_action, icons.refresh_icon),
    ]
    for action, icon in navigation:
        action.setIcon(icon())
        location.addAction(action)
    window.path_bar = PathBar()
    window.path_bar.navigateRequested.connect(window.navigate)
    window.path_bar.textEntered.connect(window.navigate_to_text)
    window.path_bar.textEntered.connect(window.focus_list)  # as after Nautilus's Ctrl+L
    location.addWidget(window.path_bar)
    window.filter_edit = QLineEdit()
    window.filter_edit.setPlaceholderText(_tr("Filter this folder (Ctrl+F)"))
    window.filter_edit.setClearButtonEnabled(True)
    window.filter_edit.setMinimumWidth(180)
    window.filter_edit.setMaximumWidth(240)
    window.filter_edit.textChanged.connect(window._on_filter)
    location.addWidget(window.filter_edit)
    window.addToolBar(location)
    window.location_bar = location
    return actions
