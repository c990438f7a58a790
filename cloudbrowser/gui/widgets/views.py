"""The file list and bucket tree views, able to take files dropped from the desktop.

A drop is only *received* here: the view says which local paths landed where, and the
window starts the upload (planned on a worker, so a drop of 10,000 files returns at once).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QTableView, QTreeView, QWidget

from cloudbrowser.gui.models.bucket_tree import LocationRole
from cloudbrowser.gui.models.object_list import EntryRole


def local_paths(mime: QMimeData | None) -> list[Path]:
    """The local files and folders in dragged or copied data (remote URLs are ignored)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _accept_files(event: QDragEnterEvent | QDragMoveEvent) -> None:
    if local_paths(event.mimeData()):
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
    else:
        event.ignore()


class ObjectView(QTableView):
    """The file list.

    Signals:
        filesDropped(list, object): local paths, and the folder ``Entry`` they were dropped
            on (None: dropped on the current folder itself).
    """

    filesDropped = Signal(list, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        _accept_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        _accept_files(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        index = self.indexAt(event.position().toPoint())
        entry = index.data(EntryRole) if index.isValid() else None
        folder = entry if entry is not None and entry.is_prefix else None
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.filesDropped.emit(paths, folder)


class BucketTreeView(QTreeView):
    """The bucket tree.

    Signals:
        filesDropped(list, object): local paths, and the ``Location`` (bucket or folder
            node) they were dropped on.
    """

    filesDropped = Signal(list, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)

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
        paths = local_paths(event.mimeData())
        index = self.indexAt(event.position().toPoint())
        location = index.data(LocationRole) if index.isValid() else None
        if not paths or location is None or location.is_connection_root:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.filesDropped.emit(paths, location)
