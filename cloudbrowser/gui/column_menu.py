"""Which columns the file list shows, chosen from its header's context menu, as file
managers choose them (Explorer's and Finder's header menus, Cyberduck's View › Columns).

The name column is always shown. What is hidden is part of the header's state, which the
window saves at exit and restores at start (``window/columns``): a column hidden stays
hidden. A column's title is the model's (a provider's own word where it has one).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QHeaderView, QMenu

from cloudbrowser.gui.qt_values import set_enum


def column_menu(header: QHeaderView, always_shown: int) -> QMenu:
    """A menu of the header's columns, each checked when shown; unchecking hides it.
    ``always_shown`` is listed but cannot be hidden."""
    menu = QMenu(header)
    menu.setObjectName("columnMenu")
    model = header.model()
    for column in range(header.count()):
        title = str(model.headerData(column, header.orientation()) or "")
        action = menu.addAction(title)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(column))
        action.setEnabled(column != always_shown)
        action.toggled.connect(partial(_show, header, column))
    return menu


def _show(header: QHeaderView, column: int, shown: bool) -> None:
    header.setSectionHidden(column, not shown)


def attach_column_menu(header: QHeaderView, always_shown: int) -> None:
    """Right-click on ``header`` opens :func:`column_menu`."""
    set_enum(header, "contextMenuPolicy", "CustomContextMenu")

    def open_menu(pos: QPoint) -> None:
        menu = column_menu(header, always_shown)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(header.mapToGlobal(pos))

    header.customContextMenuRequested.connect(open_menu)
