"""The file list and bucket tree views, able to take files dropped from the desktop and
objects dragged inside the window.

A drop is only *received* here: the view says which local paths (or which objects) landed
where, and the window starts the upload (planned on a worker, so a drop of 10,000 files
returns at once) or the move on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QMimeData, QModelIndex, QObject, QPersistentModelIndex, QSize, Signal
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QTableView,
    QTreeView,
    QWidget,
)

from cloudbrowser.gui.models.bucket_tree import LocationRole
from cloudbrowser.gui.models.object_list import EntryRole
from cloudbrowser.gui.qt_values import set_enum

if TYPE_CHECKING:  # a drag's modules come with the first drag, not before the first paint
    from PySide6.QtWidgets import QStyleOptionViewItem  # (annotations: its enums, ~1 ms)

    from cloudbrowser.gui.drag_out import RemoteFilesMime
    from cloudbrowser.gui.object_clipboard import ObjectSelection


class RowDelegate(QStyledItemDelegate):
    """Draws cells without the focus box of the current cell: a row is what is current
    and selected, as in a file manager, not a cell of a spreadsheet."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        # type(state) is QStyle.StateFlag, named so because this module is imported before
        # the window's first paint and QStyle builds its enums (~7 ms) on first use.
        state = option.state
        option.state = state & ~type(state).State_HasFocus


def list_row_height(widget: QWidget) -> int:
    """The height of a row of the window's lists (the file list, Versions…): one line of
    text and a little air, the same everywhere."""
    return widget.fontMetrics().height() + 6


class FixedRowHeight(QStyledItemDelegate):
    """Rows of a tree or list widget exactly as tall as the file list's."""

    def __init__(self, height: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._height = height

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), self._height)


def set_up_row_table(view: QTableView, row_height: int) -> None:
    """A table that reads like a file manager's list: whole rows selected (several with
    Shift/Ctrl), no focus box on a cell, no grid, no editing, fixed row heights (so only
    painted rows are asked for their data), no row numbers, long names cut in the middle."""
    view.setItemDelegate(RowDelegate(view))
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setTabKeyNavigation(False)
    # Long keys differ at their ends (a date, a number, an extension): keep both ends.
    set_enum(view, "textElideMode", "ElideMiddle")
    rows = view.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(row_height)
    view.horizontalHeader().setHighlightSections(False)


def local_paths(mime: QMimeData | None) -> list[Path]:
    """The local files and folders in dragged or copied data (remote URLs are ignored)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _accept_files(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
    """Accept a drag of local files from outside, or of objects from inside the window (a
    move; a copy with Ctrl). Our own drag's URLs are never read here: they are staged
    copies of the very objects being dragged, and reading them would download them."""
    from cloudbrowser.gui.drag_out import RemoteFilesMime

    mime = event.mimeData()
    if _dragged_objects(mime) is not None:
        copy = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
        event.setDropAction(
            QtCore.Qt.DropAction.CopyAction if copy else QtCore.Qt.DropAction.MoveAction
        )
        event.accept()
        return True
    if not isinstance(mime, RemoteFilesMime) and local_paths(mime):
        event.setDropAction(QtCore.Qt.DropAction.CopyAction)
        event.accept()
        return True
    event.ignore()
    return False


def _dragged_objects(mime: QMimeData | None) -> ObjectSelection | None:
    from cloudbrowser.gui.drag_out import RemoteFilesMime
    from cloudbrowser.gui.object_clipboard import selection_in

    if isinstance(mime, RemoteFilesMime):
        return mime.selection
    return selection_in(mime)


class ObjectView(QTableView):
    """The file list; selected objects and folders can be dragged out (see drag_out.py).

    Signals:
        filesDropped(list, object): local paths, and the folder ``Entry`` they were dropped
            on (None: dropped on the current folder itself).
        objectsDropped(object, object, bool): an ``ObjectSelection`` dragged inside the
            window, the folder ``Entry`` it was dropped on (None: the current folder), and
            whether to copy (Ctrl held) rather than move.
    """

    filesDropped = Signal(list, object)
    objectsDropped = Signal(object, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The viewport accepts drops with the view (QAbstractScrollArea passes it on).
        # Not viewport(): handed a plain QWidget, PySide builds every widget class of
        # QtWidgets to look for a subclass (~11 ms, before the window's first paint).
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        set_enum(self, "defaultDropAction", "CopyAction")  # (gui/qt_values.py)
        #: Set by the window: the data of a drag of the selection, or None (nothing to drag).
        self.drag_source: Callable[[], RemoteFilesMime | None] = lambda: None
        #: Called when a drag ends: its data, and whether it was dropped somewhere.
        self.drag_ended: Callable[[RemoteFilesMime, bool], object] = lambda _m, _d: None

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: QtCore.Qt.KeyboardModifier
    ) -> QModelIndex:
        """Keys move between rows, never across columns: Home and End go to the first and
        last row, Left and Right stay (a file list, not a spreadsheet)."""
        move = QAbstractItemView.CursorAction
        model, current = self.model(), self.currentIndex()
        rows = model.rowCount() if model is not None else 0
        if action == move.MoveHome:
            return model.index(0, 0) if rows else QModelIndex()
        if action == move.MoveEnd:
            return model.index(rows - 1, 0) if rows else QModelIndex()
        if action in (move.MoveLeft, move.MoveRight, move.MoveNext, move.MovePrevious):
            return current.siblingAtColumn(0) if current.isValid() else current
        index = super().moveCursor(action, modifiers)
        return index.siblingAtColumn(0) if index.isValid() else index

    def startDrag(self, _supported: QtCore.Qt.DropAction) -> None:
        mime = self.drag_source()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        from PySide6.QtWidgets import QStyle  # see RowDelegate: not at import

        drag.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon).pixmap(32))

        def left_window(target: QObject | None) -> None:
            # No target in this application: the drag is over another program's window.
            if target is None:
                mime.start()

        drag.targetChanged.connect(left_window)
        result = drag.exec(
            QtCore.Qt.DropAction.CopyAction | QtCore.Qt.DropAction.MoveAction,
            QtCore.Qt.DropAction.CopyAction,
        )
        self.drag_ended(mime, result != QtCore.Qt.DropAction.IgnoreAction)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        _accept_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        _accept_files(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not _accept_files(event):
            return
        index = self.indexAt(event.position().toPoint())
        entry = index.data(EntryRole) if index.isValid() else None
        folder = entry if entry is not None and entry.is_prefix else None
        objects = _dragged_objects(event.mimeData())
        if objects is not None:
            copy = event.dropAction() == QtCore.Qt.DropAction.CopyAction
            self.objectsDropped.emit(objects, folder, copy)
            return
        self.filesDropped.emit(local_paths(event.mimeData()), folder)


class BucketTreeView(QTreeView):
    """The bucket tree.

    Signals:
        filesDropped(list, object): local paths, and the ``Location`` (bucket or folder
            node) they were dropped on.
        objectsDropped(object, object, bool): an ``ObjectSelection`` dragged from the list,
            the ``Location`` it was dropped on, and whether to copy rather than move.
    """

    filesDropped = Signal(list, object)
    objectsDropped = Signal(object, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)  # the viewport too (see ObjectView)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        _accept_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        location = index.data(LocationRole) if index.isValid() else None
        if location is None or location.is_connection_root:
            event.ignore()  # files go into a bucket or folder, not onto a connection
            return
        _accept_files(event)

    def dropEvent(self, event: QDropEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        location = index.data(LocationRole) if index.isValid() else None
        if location is None or location.is_connection_root or not _accept_files(event):
            event.ignore()
            return
        objects = _dragged_objects(event.mimeData())
        if objects is not None:
            copy = event.dropAction() == QtCore.Qt.DropAction.CopyAction
            self.objectsDropped.emit(objects, location, copy)
            return
        self.filesDropped.emit(local_paths(event.mimeData()), location)
