"""Confirmations show no dated question/warning pictures where the desktop has none."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import message_icons
from cloudbrowser.gui.message_icons import ask, message_icon

Button = QMessageBox.StandardButton


def test_a_confirmation_has_the_themes_picture_or_none(qtbot: QtBot) -> None:
    for icon, name in (
        (QMessageBox.Icon.Question, "dialog-question"),
        (QMessageBox.Icon.Warning, "dialog-warning"),
    ):
        box = QMessageBox(message_icon(icon), "Delete", "Delete “a.txt”?")
        qtbot.addWidget(box)
        if QIcon.fromTheme(name).isNull():  # no icon theme (as on this test machine)
            assert box.icon() == QMessageBox.Icon.NoIcon and box.iconPixmap().isNull()
        else:
            assert box.icon() == icon
    assert message_icon(QMessageBox.Icon.Critical) == QMessageBox.Icon.Critical


@pytest.mark.parametrize("press", ["default", "escape", "discard"])
def test_asking_shows_the_themes_picture_or_none_and_returns_the_answer(
    qtbot: QtBot, press: str
) -> None:
    """gui's one way to ask (not QMessageBox.question, whose picture is Qt's own)."""
    seen: list[QMessageBox] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box)
        if press == "default":
            box.defaultButton().click()
        elif press == "escape":
            qtbot.keyClick(box, Qt.Key.Key_Escape)
        else:
            box.button(Button.Discard).click()

    QTimer.singleShot(0, answer)
    chosen = ask(  # imported before conftest's autouse stand-in replaces it
        None,
        "Unsaved changes",
        "Close <b>without</b> saving?",
        Button.Discard | Button.Cancel,
        Button.Cancel,
    )
    [box] = seen
    assert chosen == (Button.Discard if press == "discard" else Button.Cancel)
    assert box.textFormat() == Qt.TextFormat.PlainText  # a key's name is never markup
    if QIcon.fromTheme("dialog-question").isNull():
        assert box.icon() == QMessageBox.Icon.NoIcon and box.iconPixmap().isNull()
    else:
        assert box.icon() == QMessageBox.Icon.Question


def test_the_autouse_answer_replaces_the_question(qtbot: QtBot) -> None:
    """tests/gui/conftest.py answers Yes so that closing a busy window never blocks."""
    assert message_icons.ask(None, "Quit?", "Quit now?") == QMessageBox.StandardButton.Yes
