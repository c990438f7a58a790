"""Confirmations show no dated question/warning pictures where the desktop has none."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.message_icons import message_icon


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
