"""Confirmations without the dated "traffic light" pictures where the desktop has none.

Qt's own question and warning pictures (a blue "?" and a yellow triangle from the 2000s)
are what a message box shows on a desktop without an icon theme (a fresh Debian with no
desktop environment; Windows and macOS confirmations carry no such picture either). Where
the desktop's icon theme has its own (KDE, GNOME: ``dialog-question``…), Qt uses that and
so do we; elsewhere the box shows no picture, and its text and buttons say it all. The
app's style and palette stay the system's (tests/gui/test_palette.py): this only chooses
a box's icon.

:func:`ask` is the one way the window asks a yes/no question (``QMessageBox.question``
would show Qt's own picture); boxes with their own buttons use :func:`message_icon`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton

#: A box's picture → the icon theme's name for the same thing.
THEMED = {
    QMessageBox.Icon.Question: "dialog-question",
    QMessageBox.Icon.Warning: "dialog-warning",
    QMessageBox.Icon.Information: "dialog-information",
}


def message_icon(icon: QMessageBox.Icon) -> QMessageBox.Icon:
    """``icon`` where the desktop's theme draws it, else no picture."""
    name = THEMED.get(icon)
    if name is not None and QIcon.fromTheme(name).isNull():
        return QMessageBox.Icon.NoIcon
    return icon


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button = Button.Yes | Button.No,
    default: Button = Button.NoButton,
) -> Button:
    """Ask ``text`` and wait for the answer: the button chosen (Escape or closing the box
    is the No/Cancel one), as ``QMessageBox.question`` but with :func:`message_icon`'s
    picture. The text is shown as plain text (it may name keys, never markup)."""
    box = QMessageBox(message_icon(QMessageBox.Icon.Question), title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    box.exec()
    answer = box.standardButton(box.clickedButton())
    box.deleteLater()
    return answer
