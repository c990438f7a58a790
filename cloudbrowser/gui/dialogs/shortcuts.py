"""The keyboard shortcuts of the window, grouped by menu (Help → Keyboard shortcuts)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from cloudbrowser.gui.help_menu import shortcuts


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
