"""Help: keyboard shortcuts read from the window's actions, the log folder, About."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from cloudbrowser import __version__
from cloudbrowser.core.logs import log_path
from cloudbrowser.gui.dialogs.shortcuts import Shortcut, shortcuts
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


@pytest.fixture
def window(qtbot: QtBot, make_service: ServiceFactory) -> MainWindow:
    service: StorageService = make_service()
    window = MainWindow(service)
    qtbot.addWidget(window)
    return window


def native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def test_help_is_the_last_menu(window: MainWindow) -> None:
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-1] == "&Help"
    items = [a.text() for a in window.help.menu.actions() if not a.isSeparator()]
    assert items == ["Keyboard shortcuts", "Show log folder", "About cloudbrowser"]


def test_shortcuts_dialog_lists_the_actions_of_every_menu(window: MainWindow, qtbot: QtBot) -> None:
    found = shortcuts(window)
    assert Shortcut("Go", "Back", native("Alt+Left")) in found
    assert Shortcut("Go", "Go to location", native("Ctrl+L")) in found
    assert Shortcut("File", "Upload files", native("Ctrl+U")) in found
    assert Shortcut("File", "Edit", native("F4")) in found
    assert Shortcut("File", "Synchronize", native("Ctrl+S")) in found
    assert Shortcut("", "Up (in the list)", native("Backspace")) in found
    # Every shortcut of every action in a menu is listed, once.
    in_menus = {
        a
        for top in window.menuBar().actions()
        for a in top.menu().actions()
        if not a.shortcut().isEmpty()
    }
    assert len([s for s in found if s.group]) == len(in_menus)

    # Not a hand-written list: an action added later is in the next dialog.
    extra = QAction("Frobnicate…", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.edit_menu.addAction(extra)
    dialog = window.help.show_shortcuts()
    qtbot.waitExposed(dialog)
    table = dialog.table
    groups = {
        table.topLevelItem(g).text(0): [
            (table.topLevelItem(g).child(i).text(0), table.topLevelItem(g).child(i).text(1))
            for i in range(table.topLevelItem(g).childCount())
        ]
        for g in range(table.topLevelItemCount())
    }
    assert ("Frobnicate", native("Ctrl+Alt+J")) in groups["Edit"]
    assert ("Keyboard shortcuts", native("Ctrl+F1")) in groups["Help"]
    dialog.close()


def test_show_log_folder_opens_it_and_says_where(window: MainWindow) -> None:
    opened: list[QUrl] = []
    window.transfers.opener = opened.append
    window.help.log_action.trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [log_path().parent]
    assert str(log_path()) in window.statusBar().currentMessage()


def test_about_names_the_version_and_the_licences(window: MainWindow, qtbot: QtBot) -> None:
    box = window.help.show_about()
    qtbot.waitExposed(box)
    text = box.text()
    assert __version__ in text
    for needle in ("LGPL-3.0", "PySide6", "Apache-2.0", "boto3", "MIT"):
        assert needle in text
    box.close()
