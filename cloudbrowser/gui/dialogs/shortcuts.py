"""The keyboard shortcuts of the window, grouped by menu (Help → Keyboard shortcuts).

They are read from the window's actions when the dialog opens, menu by menu, so the list
is never out of date.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)


@dataclass(frozen=True)
class Shortcut:
    group: str  # the menu it is in ("" when it is in none)
    action: str
    keys: str


def _plain(text: str) -> str:
    """A menu text as read: without its mnemonic ampersand or trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _keys(action: QAction) -> str:
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action of the window with a shortcut: those of each menu under its name (in
    menu order, sub-menus included), then those in no menu, then the keys of one widget
    (QShortcuts that say what they do in their whatsThis)."""
    found: list[Shortcut] = []
    seen: set[QAction] = set()

    def walk(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, group)
            elif not action.isSeparator() and action not in seen and _keys(action):
                seen.add(action)
                found.append(Shortcut(group, _plain(action.text()), _keys(action)))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(top.text()))
    for action in window.findChildren(QAction):
        if action not in seen and _keys(action) and action.text():
            seen.add(action)
            found.append(Shortcut("", _plain(action.text()), _keys(action)))
    native = QKeySequence.SequenceFormat.NativeText
    for shortcut in window.findChildren(QShortcut):  # keys of one widget, named by it
        if shortcut.whatsThis() and not shortcut.key().isEmpty():
            found.append(Shortcut("", shortcut.whatsThis(), shortcut.key().toString(native)))
    return found


class ShortcutsDialog(QDialog):
    """The keyboard shortcuts of the window, grouped by menu."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.resize(480, 560)
        self.table = QTreeWidget()
        self.table.setColumnCount(2)
        self.table.setHeaderLabels([self.tr("Action"), self.tr("Shortcut")])
        self.table.setRootIsDecorated(False)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.header().setStretchLastSection(False)
        self.table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        group_item: QTreeWidgetItem | None = None
        group = None
        for shortcut in shortcuts(window):
            if shortcut.group != group or group_item is None:
                group = shortcut.group
                group_item = QTreeWidgetItem([group or self.tr("Elsewhere")])
                font = group_item.font(0)
                font.setBold(True)
                group_item.setFont(0, font)
                group_item.setFirstColumnSpanned(True)
                self.table.addTopLevelItem(group_item)
            group_item.addChild(QTreeWidgetItem([shortcut.action, shortcut.keys]))
        self.table.expandAll()
        self.table.setItemsExpandable(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
