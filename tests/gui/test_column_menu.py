"""The file list's columns, shown or hidden from its header's context menu (as Explorer's,
Finder's and Cyberduck's): Name cannot be hidden, and what is hidden stays hidden after a
restart (the header's saved state)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.column_menu import column_menu
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory

pytestmark = pytest.mark.gui


def titles(menu: QMenu) -> list[tuple[str, bool, bool]]:
    return [(a.text(), a.isChecked(), a.isEnabled()) for a in menu.actions()]


def test_a_hidden_column_stays_hidden_after_a_restart(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    window = MainWindow(make_service(), later=True)
    qtbot.addWidget(window)
    window.finish_building()
    header = window.view.horizontalHeader()
    menu = column_menu(header, Column.NAME)
    assert titles(menu) == [
        ("Name", True, False),
        ("Size", True, True),
        ("Modified", True, True),
        ("Storage class", True, True),
    ]
    menu.actions()[Column.STORAGE_CLASS].trigger()  # unchecked: hidden
    assert header.isSectionHidden(Column.STORAGE_CLASS)
    assert not header.isSectionHidden(Column.SIZE)
    assert titles(column_menu(header, Column.NAME))[Column.STORAGE_CLASS] == (
        "Storage class",
        False,
        True,
    )
    window.save_state()

    restored = MainWindow(make_service(), later=True)
    qtbot.addWidget(restored)
    restored.restore_window_state()
    restored.finish_building()
    header = restored.view.horizontalHeader()
    assert header.isSectionHidden(Column.STORAGE_CLASS)
    again = column_menu(header, Column.NAME)
    again.actions()[Column.STORAGE_CLASS].trigger()  # checked: shown again
    assert not header.isSectionHidden(Column.STORAGE_CLASS)


def test_right_click_on_the_header_opens_the_menu(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    window = MainWindow(make_service(), later=True)
    qtbot.addWidget(window)
    window.finish_building()
    window.show()
    header = window.view.horizontalHeader()
    header.customContextMenuRequested.emit(QPoint(5, 5))
    menu = header.findChild(QMenu, "columnMenu")
    assert menu is not None and menu.isVisible()
    assert menu.actions()[0].text() == "Name"
    menu.hide()
