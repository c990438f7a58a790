"""Confirmations without the dated "traffic light" pictures where the desktop has none.

Qt's own question and warning pictures (a blue "?" and a yellow triangle from the 2000s)
are what a message box shows on a desktop without an icon theme (a fresh Debian with no
desktop environment; Windows and macOS confirmations carry no such picture either). Where
the desktop's icon theme has its own (KDE, GNOME: ``dialog-question``…), Qt uses that and
so do we; elsewhere the box shows no picture, and its text and buttons say it all. The
app's style and palette stay the system's (tests/gui/test_palette.py): this only chooses
a box's icon.
"""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMessageBox

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
