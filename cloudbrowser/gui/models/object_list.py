"""ObjectListModel: the rows of one location, streamed in page by page.

Rows are kept in two blocks, folders then files, each a list of compact ``Entry`` objects.
The model sorts itself (like QFileSystemModel) rather than leaving it to a proxy: a Python
model behind QSortFilterProxyModel pays a Python ``data()`` call per comparison, seconds
for 50,000 rows, while sorting the lists with a key is milliseconds. Filtering is left to
:class:`ListingFilterProxy`, which only looks at each row once.

Listing pages arrive in the server's key order, which *is* the default sort (name,
ascending), so in that order every page is a plain append with ``beginInsertRows``; under
another sort a page is merged with one layout change.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)

from cloudbrowser.core.entries import Bucket, Entry, ListPage
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.gui import icons
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    SIZE = 1
    MODIFIED = 2
    STORAGE_CLASS = 3


_HEADERS = {
    Column.NAME: "Name",
    Column.SIZE: "Size",
    Column.MODIFIED: "Modified",
    Column.STORAGE_CLASS: "Storage class",
}

#: Role returning the row's ``Entry``.
EntryRole = Qt.ItemDataRole.UserRole + 1
#: Role returning True for folders (and buckets in the bucket list).
IsFolderRole = Qt.ItemDataRole.UserRole + 2

_SORT_KEYS: dict[Column, Callable[[Entry], Any]] = {
    Column.NAME: operator.attrgetter("key"),
    Column.SIZE: operator.attrgetter("size", "key"),
    Column.MODIFIED: operator.attrgetter("modified", "key"),
    Column.STORAGE_CLASS: operator.attrgetter("storage_class", "key"),
}


class ObjectListModel(QAbstractTableModel):
    """The contents of one location: the buckets of a connection, or a prefix of a bucket.

    Signals:
        loadingChanged(bool): a listing started (True) or ended for any reason (False).
        countsChanged(): rows were added or cleared (see :meth:`counts`).
        listingFailed(object): the listing of the current location failed with this
            CloudBrowserError; rows already shown stay.
    """

    loadingChanged = Signal(bool)
    countsChanged = Signal()
    listingFailed = Signal(object)

    def __init__(self, service: StorageService, parent: Any = None) -> None:
        super().__init__(parent)
        self._service = service
        self._locale = QLocale()
        # The "C" locale (no LANG set) has no real short format: fall back to ISO order.
        self._date_format: str | QLocale.FormatType = (
            "yyyy-MM-dd HH:mm"
            if self._locale.language() == QLocale.Language.C
            else QLocale.FormatType.ShortFormat
        )
        self._folders: list[Entry] = []
        self._files: list[Entry] = []
        self._total_bytes = 0
        self._location: Location | None = None
        self._job: Job | None = None
        self._sort_column = Column.NAME
        self._sort_order = Qt.SortOrder.AscendingOrder
        #: The listing ended because the user pressed Stop: what is shown is partial.
        self.stopped = False
        self.error: CloudBrowserError | None = None

    # ── public API ──────────────────────────────────────────────────────────────────────

    @property
    def location(self) -> Location | None:
        return self._location

    @property
    def loading(self) -> bool:
        return self._job is not None

    def counts(self) -> tuple[int, int, int]:
        """(folders, files, total bytes of the files) loaded so far."""
        return len(self._folders), len(self._files), self._total_bytes

    def show(self, location: Location) -> None:
        """Clear the rows and start listing ``location``; any listing in progress is
        cancelled and whatever it still delivers is dropped."""
        self._cancel_job()
        self.beginResetModel()
        self._folders, self._files, self._total_bytes = [], [], 0
        self._location = location
        self.stopped = False
        self.error = None
        self.endResetModel()
        self.countsChanged.emit()
        if location.is_connection_root:
            job = self._service.list_buckets(location.connection)
            job.signals.succeeded.connect(self._on_buckets)
        else:
            job = self._service.list_prefix(location.connection, location.bucket, location.prefix)
            job.signals.progress.connect(self._on_page)
        job.signals.failed.connect(self._on_failed)
        job.signals.finished.connect(self._on_finished)
        self._job = job
        self.loadingChanged.emit(True)

    def refresh(self) -> None:
        if self._location is not None:
            self.show(self._location)

    def stop(self) -> None:
        """Stop loading; the rows loaded so far stay and are marked partial."""
        if self._job is not None:
            self._cancel_job()
            self.stopped = True
            self.loadingChanged.emit(False)
            self.countsChanged.emit()

    def clear(self) -> None:
        self._cancel_job()
        self.beginResetModel()
        self._folders, self._files, self._total_bytes = [], [], 0
        self._location = None
        self.error = None
        self.endResetModel()
        self.countsChanged.emit()

    def entry(self, row: int) -> Entry:
        nf = len(self._folders)
        return self._folders[row] if row < nf else self._files[row - nf]

    def display_name(self, entry: Entry) -> str:
        loc = self._location
        if loc is None or loc.is_connection_root:
            return entry.key.rstrip("/")
        return entry.name(loc.prefix) or "/"

    # ── listing results (queued from the worker) ────────────────────────────────────────

    def _is_current(self) -> bool:
        """Drop results of a listing that is no longer the current one."""
        return self._job is not None and self.sender() is self._job.signals

    @Slot(object)
    def _on_page(self, page: ListPage) -> None:
        if not self._is_current():
            return
        self._add(page.prefixes, page.objects)

    @Slot(object)
    def _on_buckets(self, buckets: list[Bucket]) -> None:
        if not self._is_current():
            return
        self._add(
            [Entry(key=f"{b.name}/", modified=b.created, is_prefix=True) for b in buckets], []
        )

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        if not self._is_current():
            return
        self.error = error
        self.listingFailed.emit(error)

    @Slot()
    def _on_finished(self) -> None:
        if not self._is_current():
            return
        self._job = None
        self.loadingChanged.emit(False)
        self.countsChanged.emit()

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _add(self, folders: list[Entry], files: list[Entry]) -> None:
        if not folders and not files:
            return
        self._total_bytes += sum(e.size for e in files)
        if self._sort_column == Column.NAME and self._sort_order == Qt.SortOrder.AscendingOrder:
            # The server's order is the displayed order: append in place.
            if folders:
                start = len(self._folders)
                self.beginInsertRows(QModelIndex(), start, start + len(folders) - 1)
                self._folders.extend(folders)
                self.endInsertRows()
            if files:
                start = len(self._folders) + len(self._files)
                self.beginInsertRows(QModelIndex(), start, start + len(files) - 1)
                self._files.extend(files)
                self.endInsertRows()
        else:
            self._relayout(lambda: self._extend(folders, files))
        self.countsChanged.emit()

    def _extend(self, folders: list[Entry], files: list[Entry]) -> None:
        self._folders.extend(folders)
        self._files.extend(files)

    # ── sorting ─────────────────────────────────────────────────────────────────────────

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort folders and files separately (folders stay first in either direction)."""
        if column < 0 or column >= len(Column):
            return
        self._sort_column, self._sort_order = Column(column), order
        self._relayout(lambda: None)

    def _relayout(self, change: Callable[[], object]) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        moved = [(index, self.entry(index.row()), index.column()) for index in persistent]
        change()
        key = _SORT_KEYS[self._sort_column]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        self._folders.sort(key=_SORT_KEYS[Column.NAME], reverse=descending)
        self._files.sort(key=key, reverse=descending)
        if moved:
            rows = {id(e): r for r, e in enumerate(self._folders + self._files)}
            self.changePersistentIndexList(
                [m[0] for m in moved],
                [self.index(rows[id(m[1])], m[2]) for m in moved],
            )
        self.layoutChanged.emit()

    # ── QAbstractItemModel ──────────────────────────────────────────────────────────────

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._folders) + len(self._files)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return _HEADERS[Column(section)]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.SIZE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        entry = self.entry(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.NAME:
                return self.display_name(entry)
            if column == Column.SIZE:
                return "" if entry.is_prefix else self._locale.formattedDataSize(entry.size)
            if column == Column.MODIFIED:
                if not entry.modified:
                    return ""
                when = QDateTime.fromSecsSinceEpoch(int(entry.modified))
                return self._locale.toString(when, self._date_format)
            if column == Column.STORAGE_CLASS:
                return entry.storage_class
            return None
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            if entry.is_prefix:
                root = self._location is None or self._location.is_connection_root
                return icons.bucket_icon() if root else icons.folder_icon()
            return icons.file_icon(entry.key)
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.NAME:
            loc = self._location
            bucket = loc.bucket if loc is not None and loc.bucket else ""
            return f"s3://{bucket}/{entry.key}" if bucket else f"s3://{entry.key}"
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.SIZE and not entry.is_prefix:
            return f"{self._locale.toString(entry.size)} bytes"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == EntryRole:
            return entry
        if role == IsFolderRole:
            return entry.is_prefix
        return None


class ListingFilterProxy(QSortFilterProxyModel):
    """Filters rows by a case-insensitive substring of the name; sorting goes to the source.

    With ``sortColumn() == -1`` the proxy keeps the source's order, which the source sorts
    itself (see ObjectListModel).
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(Column.NAME)
        self.setRecursiveFilteringEnabled(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)
