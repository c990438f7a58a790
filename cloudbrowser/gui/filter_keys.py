"""The filter box's keys, as in a file manager's search box (Explorer, Nautilus): Down or
Enter go to the rows it found, Escape clears it and, pressed again, goes back to the list.
Without them a keyboard user reached the rows found with three Tabs (past the tool bar and
the tree), and Escape did nothing."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QLineEdit


def attach_filter_keys(edit: QLineEdit, view: QAbstractItemView) -> None:
    """Give ``edit`` (the filter box of ``view``) its keys; made after the first paint."""
    keys = _FilterKeys(edit, view)
    for key, slot in (
        (Qt.Key.Key_Down, keys.to_list),
        (Qt.Key.Key_Escape, keys.escape),
    ):
        shortcut = QShortcut(QKeySequence(key), edit, slot)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    edit.returnPressed.connect(keys.to_list)


class _FilterKeys(QObject):
    def __init__(self, edit: QLineEdit, view: QAbstractItemView) -> None:
        super().__init__(edit)
        self.edit = edit
        self.view = view

    def to_list(self) -> None:
        """Focus the list; its first row becomes the current one if none is."""
        model = self.view.model()
        if not self.view.currentIndex().isValid() and model.rowCount() > 0:
            self.view.selectionModel().setCurrentIndex(
                model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def escape(self) -> None:
        if self.edit.text():
            self.edit.clear()
        else:
            self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
