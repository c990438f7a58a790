"""ObjectListModel: the rows of one location, streamed in page by page.

Rows are kept in two blocks, folders then files, each a list of plain tuples with the
fields of ``Entry`` (the garbage collector does not track those: see ``core/entries.py``).
The model sorts and filters itself (like QFileSystemModel) rather than leaving it to a
QSortFilterProxyModel: a proxy over a Python model pays a Python ``data()`` call per
comparison when sorting (seconds for 50,000 rows) and per row when filtering (270 ms for
50,000 rows, measured), while sorting or filtering the row lists in Python is a few
milliseconds. ``_all_folders``/``_all_files`` hold every loaded row, sorted;
``_folders``/``_files`` are what the view shows: the same lists when no filter is set.

Listing pages arrive in the server's key order, which *is* the default sort (name,
ascending), so in that order every page is a plain append with ``beginInsertRows``; under
another sort a page is merged with one layout change.

With "Show deleted" on, a second listing follows the first: the keys whose latest version
is a delete marker or that only soft delete keeps (``core/versions.iter_deleted``; and
folders holding nothing else) are merged in as ordinary rows whose
keys are also in ``_deleted``; they are drawn greyed and italic, marked "Deleted".
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from PySide6 import QtCore
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Signal,
    Slot,
)

from cloudbrowser.core.entries import Bucket, Entry, ListPage
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.keys import remote_uri
from cloudbrowser.core.printable import printable
from cloudbrowser.gui import icons
from cloudbrowser.gui.addresses import storage_class_word, uri_scheme
from cloudbrowser.gui.dates import time_formatter
from cloudbrowser.gui.natural_sort import collator, name_key
from cloudbrowser.gui.navigation import Location, SearchLocation
from cloudbrowser.gui.qt_values import (
    DECORATION_ROLE,
    DISPLAY_ROLE,
    TEXT_ALIGNMENT_ROLE,
    TOOL_TIP_ROLE,
    USER_ROLE,
)
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.workers import Handlers, Job

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    SIZE = 1
    MODIFIED = 2
    STORAGE_CLASS = 3


#: Marked for translation where they are defined; translated where they are shown.
_HEADERS = {
    Column.NAME: QT_TRANSLATE_NOOP("ObjectListModel", "Name"),
    Column.SIZE: QT_TRANSLATE_NOOP("ObjectListModel", "Size"),
    Column.MODIFIED: QT_TRANSLATE_NOOP("ObjectListModel", "Modified"),
    Column.STORAGE_CLASS: QT_TRANSLATE_NOOP("ObjectListModel", "Storage class"),
}
#: The storage class column where the provider calls them access tiers (Azure).
_ACCESS_TIER = QT_TRANSLATE_NOOP("ObjectListModel", "Access tier")

#: Role returning the row's ``Entry``.
EntryRole = USER_ROLE + 1
#: Role returning True for folders (and buckets in the bucket list).
IsFolderRole = USER_ROLE + 2
#: The roles :meth:`ObjectListModel.data` answers for a row that is not deleted (as
#: values: naming ``Qt`` here would build its enums before the first paint).
_ROLES = frozenset(
    {DISPLAY_ROLE, DECORATION_ROLE, TOOL_TIP_ROLE, TEXT_ALIGNMENT_ROLE, EntryRole, IsFolderRole}
)

#: A stored row: the fields of Entry in a plain tuple (see :func:`_row_of`), its ETag and
#: MD5 as 16 bytes where they are an MD5.
Row = tuple[str, int, float, str | bytes, str, bool, str | bytes, str, str]
#: Positions of Entry's fields in a Row (checked against Entry below).
_KEY: Final = 0
_SIZE: Final = 1
_MODIFIED: Final = 2
_ETAG: Final = 3
_STORAGE_CLASS: Final = 4
_MD5: Final = 6
assert Entry._fields[:7] == (
    "key", "size", "modified", "etag", "storage_class", "is_prefix", "md5"
)  # fmt: skip


def _row_of(entry: Entry) -> Row:
    """An entry as the model keeps it: a plain tuple (untracked by the garbage collector,
    see ``Entry``), with an ETag or MD5 that is 32 lower-case hex digits kept as its 16
    bytes. A listed row's largest field is that string, 96 bytes of memory against 64 for
    the bytes: a 100k-row folder keeps 3.2 MB less (S3's row has one, shared by its
    ``etag`` and ``md5``)."""
    etag, md5 = entry.etag, entry.md5
    packed_etag = _packed(etag)
    packed_md5 = packed_etag if md5 is etag else _packed(md5)
    if packed_etag is etag and packed_md5 is md5:
        return tuple(entry)  # type: ignore[return-value]
    key, size, modified, _, storage_class, is_prefix, _, crc32c, restore = entry
    return (key, size, modified, packed_etag, storage_class, is_prefix, packed_md5, crc32c, restore)


def _entry_of(row: Row) -> Entry:
    """The Entry a row was made of (:func:`_row_of`)."""
    etag, md5 = row[_ETAG], row[_MD5]
    if isinstance(etag, str) and isinstance(md5, str):
        return Entry._make(row)
    etag_text = etag.hex() if isinstance(etag, bytes) else etag
    md5_text = etag_text if md5 is etag else md5.hex() if isinstance(md5, bytes) else md5
    return Entry._make(row)._replace(etag=etag_text, md5=md5_text)


def _packed(text: str) -> str | bytes:
    """``text`` as 16 bytes where it is an MD5 in lower-case hex (it unpacks to the same
    text), else ``text`` itself."""
    if len(text) != 32:
        return text
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        return text
    return digest if digest.hex() == text else text


@dataclass(frozen=True, slots=True)
class FolderSize:
    """A folder's size computed on request (``gui/folder_size.py``), or a count going on."""

    objects: int
    bytes: int
    counting: bool = False


#: What a computed folder size is kept by: (connection, bucket, prefix); a bucket is
#: (connection, bucket, "").
SizeKey = tuple[str, str, str]


def _name_key(row: Row) -> Any:
    return name_key(row[_KEY])


#: Names sort naturally (bin-2 before bin-10); ties of the other columns are broken by the
#: plain key, as a natural key per row would cost a collator call per row per page.
_SORT_KEYS: dict[Column, Callable[[Row], Any]] = {
    Column.NAME: _name_key,
    Column.SIZE: operator.itemgetter(_SIZE, _KEY),
    Column.MODIFIED: operator.itemgetter(_MODIFIED, _KEY),
    Column.STORAGE_CLASS: operator.itemgetter(_STORAGE_CLASS, _KEY),
}


class ObjectListModel(QAbstractTableModel):
    """The contents of one location: the buckets of a connection, or a prefix of a bucket.

    Signals:
        loadingChanged(bool): a listing started (True) or ended for any reason (False).
        countsChanged(): rows were added or cleared (see :meth:`counts`).
        listingFailed(object): the listing of the current location failed with this
            CloudBrowserError; rows already shown stay.
        foldersListed(list): the folders (buckets at a connection, as ``name/``) of a
            page of the current location's listing, as ``Entry``s: what the bucket tree
            shows of the location without listing it again.
    """

    loadingChanged = Signal(bool)
    countsChanged = Signal()
    listingFailed = Signal(object)
    foldersListed = Signal(list)
    #: The row of the key asked for with want(), as soon as a page lists it.
    wantedListed = Signal(int)

    def __init__(self, service: StorageService, parent: Any = None) -> None:
        super().__init__(parent)
        self._service = service
        self._locale = QLocale()
        # The window's one date format (gui/dates.py), worked out once per model.
        self._format_time = time_formatter(self._locale)
        self._all_folders: list[Row] = []
        self._all_files: list[Row] = []
        self._folders = self._all_folders
        self._files = self._all_files
        #: Case-folded filter text; "" shows every row.
        self._filter = ""
        #: Where the shown name starts in a key (the length of the listed prefix).
        self._name_start = 0
        self._total_bytes = 0
        self._location: Location | None = None
        #: What the shown connection's provider calls a storage class (the column's title).
        self._class_word = "storage class"
        self._job: Job | None = None
        self._sort_column = Column.NAME
        self._descending = False
        #: The listing ended because the user pressed Stop: what is shown is partial.
        self.stopped = False
        #: Folder sizes computed on request, shown in folder rows until that folder (or one
        #: above it) is refreshed; filled by ``gui/folder_size.py``.
        self.folder_sizes: dict[SizeKey, FolderSize] = {}
        #: A search (the location is a SearchLocation): keys looked at so far.
        self.searched = 0
        self.error: CloudBrowserError | None = None
        #: Also list deleted objects after the listing ("Show deleted" in the View menu).
        self.show_deleted = False
        #: Keys of the deleted rows shown, and how many are (folders, files).
        self._deleted: set[str] = set()
        self._deleted_counts = [0, 0]
        #: The listing running now is to be followed by the deleted objects' one.
        self._deleted_next = False
        #: Why the deleted objects could not be listed (the rows listed stay complete).
        self.deleted_error: CloudBrowserError | None = None
        #: The key whose row is to be said as soon as it is listed (want()).
        self._wanted: str | None = None

    # ── public API ──────────────────────────────────────────────────────────────────────

    @property
    def location(self) -> Location | None:
        return self._location

    @property
    def loading(self) -> bool:
        return self._job is not None

    def counts(self) -> tuple[int, int, int]:
        """(folders, files, total bytes of the files) loaded so far, filtered or not;
        deleted rows are not counted."""
        folders, files = self._deleted_counts
        return len(self._all_folders) - folders, len(self._all_files) - files, self._total_bytes

    @property
    def complete(self) -> bool:
        """Every row of the location is loaded: the listing ended, not stopped or failed."""
        return self._job is None and not self.stopped and self.error is None

    def listed_folders(self) -> list[Entry]:
        """The folders (buckets) listed so far, in the list's order; deleted ones left out."""
        return [_entry_of(r) for r in self._all_folders if r[_KEY] not in self._deleted]

    def is_deleted(self, key: str) -> bool:
        """The row of ``key`` is a deleted object (or a folder of only deleted ones)."""
        return key in self._deleted

    def set_show_deleted(self, on: bool) -> None:
        """Also list the deleted objects of the location (listed again when it changes)."""
        if on != self.show_deleted:
            self.show_deleted = on
            self.refresh()

    def set_filter(self, text: str) -> None:
        """Show only rows whose name contains ``text`` (case-insensitive); "" shows all."""
        needle = text.casefold()
        if needle != self._filter:
            self._filter = needle
            self._relayout(lambda: None, resort=False)
            self.countsChanged.emit()

    def show(self, location: Location) -> None:
        """Clear the rows and start listing ``location``; any listing in progress is
        cancelled and whatever it still delivers is dropped. Showing the same place again
        is a refresh: the folder sizes computed below it are forgotten."""
        self._cancel_job()
        self._wanted = None
        if location == self._location:
            self.forget_sizes(location.connection, location.bucket, location.prefix)
        self.beginResetModel()
        self._reset_rows()
        self._location = location
        word = storage_class_word(self._service, location.connection)
        if word != self._class_word:
            self._class_word = word
            column = int(Column.STORAGE_CLASS)
            self.headerDataChanged.emit(QtCore.Qt.Orientation.Horizontal, column, column)
        self._name_start = len(location.prefix) if location.bucket else 0
        self.stopped = False
        self.error = None
        self.searched = 0
        # Deleted objects are listed for a folder, not among a search's results.
        self._deleted_next = (
            self.show_deleted and bool(location.bucket) and not isinstance(location, SearchLocation)
        )
        self.deleted_error = None
        self.endResetModel()
        self.countsChanged.emit()
        handlers: Handlers = {"failed": self._on_failed, "finished": self._on_finished}
        if isinstance(location, SearchLocation):
            handlers["progress"] = self._on_matches
            job = self._start_search(location, handlers)
        elif location.is_connection_root:
            handlers["succeeded"] = self._on_buckets
            job = self._service.list_buckets(location.connection, **handlers)
        else:
            handlers["progress"] = self._on_page
            job = self._service.list_prefix(
                location.connection, location.bucket, location.prefix, **handlers
            )
        self._job = job
        self.loadingChanged.emit(True)

    def want(self, key: str) -> None:
        """Say ``key``'s row (wantedListed) once the listing shown has it: the row to put
        the cursor on after a refresh, a new folder, the folder just left. Forgotten by
        the next show()."""
        self._wanted = key

    def _say_wanted(self, listed: list[Entry]) -> None:
        """One look over the page for the wanted key, one pass over the rows when found."""
        wanted = self._wanted
        if wanted is None or not any(entry.key == wanted for entry in listed):
            return
        self._wanted = None
        rows = itertools.chain(self._folders, self._files)
        row = next((n for n, r in enumerate(rows) if r[_KEY] == wanted), -1)
        if row >= 0:  # else filtered out
            self.wantedListed.emit(row)

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
        self._reset_rows()
        self._location = None
        self.error = None
        self.endResetModel()
        self.countsChanged.emit()

    def _reset_rows(self) -> None:
        self._all_folders, self._all_files, self._total_bytes = [], [], 0
        self._deleted, self._deleted_counts = set(), [0, 0]
        # The same lists when unfiltered, their own (empty) lists when a filter is set.
        self._folders, self._files = (
            self._visible(self._all_folders),
            self._visible(self._all_files),
        )

    def rows_size(self, first: int, last: int) -> int:
        """The bytes of the files among rows ``first`` to ``last`` (a folder's are not
        listed): a slice summed, so that Ctrl+A over a million rows stays quick."""
        nf = len(self._folders)
        start, stop = max(first, nf) - nf, last + 1 - nf
        return sum(row[_SIZE] for row in self._files[start:stop]) if stop > start else 0

    def entry(self, row: int) -> Entry:
        return _entry_of(self._row(row))

    def _row(self, row: int) -> Row:
        nf = len(self._folders)
        return self._folders[row] if row < nf else self._files[row - nf]

    # ── search results (a SearchLocation) ───────────────────────────────────────────────

    def _start_search(self, location: SearchLocation, handlers: Handlers) -> Job:
        """List ``location.prefix`` recursively, reporting (matches, keys looked at) a page
        at a time; only the matches are kept. With ``tag:`` terms (where the storage finds
        objects by tags) the server finds the tagged objects instead of a listing."""
        from cloudbrowser.core.prefix_scan import (
            NameMatcher,
            parse_search,
            search_prefix,
            search_tagged,
        )

        storage = self._service.storage(location.connection)
        tag_search = storage.features.tag_search

        def work(job: Job) -> int:
            query = parse_search(location.query, tag_search=tag_search)
            pages = (
                search_tagged(storage, location.bucket, location.prefix, query, job.cancel_event)
                if query.tags
                else search_prefix(
                    storage,
                    location.bucket,
                    location.prefix,
                    NameMatcher(query.text),
                    job.cancel_event,
                )
            )
            found = 0
            for found_on_page in pages:
                found += len(found_on_page[0])
                job.report(found_on_page)
            return found

        return self._service.run(work, f"Searching {location.bucket}/{location.prefix}", **handlers)

    @Slot(object)
    def _on_matches(self, found: tuple[list[Entry], int]) -> None:
        if not self._is_current():
            return
        matches, looked_at = found
        self.searched += looked_at
        if matches:
            self._add([], matches)
        else:
            self.countsChanged.emit()

    # ── computed folder sizes ───────────────────────────────────────────────────────────

    def size_key(self, entry: Entry) -> SizeKey | None:
        """Where the computed size of a folder (or bucket) row is kept; None for files."""
        loc = self._location
        if loc is None or not entry.is_prefix:
            return None
        if loc.is_connection_root:
            return (loc.connection, entry.key.rstrip("/"), "")
        return (loc.connection, loc.bucket, entry.key)

    def folder_size(self, entry: Entry) -> FolderSize | None:
        key = self.size_key(entry)
        return self.folder_sizes.get(key) if key is not None else None

    def folder_sizes_changed(self, *, resort: bool = False) -> None:
        """Repaint the folder rows' sizes (``folder_sizes`` changed); ``resort`` when a
        final size arrived and the list is sorted by size."""
        if resort and self._sort_column == Column.SIZE:
            self._relayout(lambda: None)
        if self._folders:
            self.dataChanged.emit(
                self.index(0, Column.SIZE),
                self.index(len(self._folders) - 1, Column.SIZE),
                [QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole],
            )

    def forget_sizes(self, connection: str, bucket: str, prefix: str) -> None:
        """Drop the computed sizes of ``bucket/prefix`` and every folder below it (all
        buckets of the connection when ``bucket`` is "")."""
        stale = [
            k
            for k in self.folder_sizes
            if k[0] == connection
            and (not bucket or (k[1] == bucket and k[2].startswith(prefix)))
            and not self.folder_sizes[k].counting
        ]
        for k in stale:
            del self.folder_sizes[k]
        if stale:
            self.folder_sizes_changed()

    def _folder_sort_key(self) -> Callable[[Row], Any]:
        if self._sort_column != Column.SIZE or not self.folder_sizes:
            return _SORT_KEYS[Column.NAME]

        def by_size(row: Row) -> tuple[int, str]:
            size = self.folder_size(_entry_of(row))
            return (size.bytes if size is not None and not size.counting else -1, row[_KEY])

        return by_size

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
        if page.prefixes:
            self.foldersListed.emit(page.prefixes)
        self._say_wanted(page.prefixes)
        self._say_wanted(page.objects)

    @Slot(object)
    def _on_buckets(self, buckets: list[Bucket]) -> None:
        if not self._is_current():
            return
        folders = [Entry(key=f"{b.name}/", modified=b.created, is_prefix=True) for b in buckets]
        self._add(folders, [])
        self.foldersListed.emit(folders)
        self._say_wanted(folders)

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
        if self._deleted_next and self.error is None:
            self._deleted_next = False
            self._job = self._list_deleted()
            return
        self._job = None
        self.loadingChanged.emit(False)
        self.countsChanged.emit()

    def _list_deleted(self) -> Job:
        """Start listing the location's deleted objects (the listing goes on: Stop works)."""
        location = self._location
        assert location is not None
        storage = self._service.storage(location.connection)
        bucket, prefix = location.bucket, location.prefix

        # Here, not at the top: core.versions brings core.storage, and this module is
        # imported before the window's first paint.
        from cloudbrowser.core.versions import iter_deleted

        def work(job: Job) -> None:
            for page in iter_deleted(storage, bucket, prefix, job.cancel_event):
                job.report(page)

        return self._service.run(
            work,
            f"Listing deleted objects in {bucket}/{prefix}",
            progress=self._on_deleted_page,
            failed=self._on_deleted_failed,
            finished=self._on_finished,
        )

    @Slot(object)
    def _on_deleted_page(self, page: ListPage) -> None:
        if not self._is_current():
            return
        shown = {row[_KEY] for row in self._all_folders}
        folders = [p for p in page.prefixes if p.key not in shown and p.key not in self._deleted]
        files = [e for e in page.objects if e.key not in self._deleted]
        if not folders and not files:
            return
        self._deleted.update(e.key for e in folders + files)
        self._deleted_counts[0] += len(folders)
        self._deleted_counts[1] += len(files)
        rows: tuple[list[Row], list[Row]] = (
            [_row_of(e) for e in folders],
            [_row_of(e) for e in files],
        )
        self._relayout(lambda: self._extend(*rows))
        self.countsChanged.emit()

    @Slot(object)
    def _on_deleted_failed(self, error: CloudBrowserError) -> None:
        """Not a listing failure: every current row is there, only deleted ones are not
        (a server without versions, a key that may not list them)."""
        if self._is_current():
            self.deleted_error = error

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _add(self, entries_folders: list[Entry], entries_files: list[Entry]) -> None:
        if not entries_folders and not entries_files:
            return
        self._total_bytes += sum(e.size for e in entries_files)
        folders = [_row_of(e) for e in entries_folders]
        files = [_row_of(e) for e in entries_files]
        if self._sort_column == Column.NAME and not self._descending:
            _put_in_order(folders)
            _put_in_order(files)
            if not (_follows(self._all_folders, folders) and _follows(self._all_files, files)):
                # The server's order is not the natural one here (bin-10 before bin-2):
                # merge the page in, a collator call per row of the page, not per row.
                self._relayout(lambda: self._merge(folders, files), resort=False)
                self.countsChanged.emit()
                return
            # The page comes after every row shown: append in place.
            shown_folders, shown_files = self._visible(folders), self._visible(files)
            if self._filter:  # the shown lists are filtered copies: keep every row too
                self._all_folders.extend(folders)
                self._all_files.extend(files)
            if shown_folders:
                start = len(self._folders)
                self.beginInsertRows(QModelIndex(), start, start + len(shown_folders) - 1)
                self._folders.extend(shown_folders)
                self.endInsertRows()
            if shown_files:
                start = len(self._folders) + len(self._files)
                self.beginInsertRows(QModelIndex(), start, start + len(shown_files) - 1)
                self._files.extend(shown_files)
                self.endInsertRows()
        else:
            self._relayout(lambda: self._extend(folders, files))
        self.countsChanged.emit()

    def _merge(self, folders: list[Row], files: list[Row]) -> None:
        self._all_folders = _merged(self._all_folders, folders)
        self._all_files = _merged(self._all_files, files)

    def _extend(self, folders: list[Row], files: list[Row]) -> None:
        self._all_folders.extend(folders)
        self._all_files.extend(files)

    def _visible(self, rows: list[Row]) -> list[Row]:
        """The rows that pass the filter (``rows`` itself when there is none)."""
        needle = self._filter
        if not needle:
            return rows
        start = self._name_start
        return [r for r in rows if needle in r[_KEY][start:].casefold()]

    # ── sorting ─────────────────────────────────────────────────────────────────────────

    def sort(self, column: int, order: QtCore.Qt.SortOrder | None = None) -> None:
        """Sort folders and files separately (folders stay first in either direction)."""
        if column < 0 or column >= len(Column):
            return
        self._sort_column = Column(column)
        self._descending = order == QtCore.Qt.SortOrder.DescendingOrder
        self._relayout(lambda: None)

    def _relayout(self, change: Callable[[], object], *, resort: bool = True) -> None:
        """Apply ``change`` to the full lists, re-sort and re-filter, keeping persistent
        indexes (selection, current row) on their rows; rows filtered out lose theirs."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        moved = [(index, self._row(index.row()), index.column()) for index in persistent]
        change()
        if resort:
            descending = self._descending
            self._all_folders.sort(key=self._folder_sort_key(), reverse=descending)
            self._all_files.sort(key=_SORT_KEYS[self._sort_column], reverse=descending)
        self._folders = self._visible(self._all_folders)
        self._files = self._visible(self._all_files)
        if moved:
            rows = {id(e): r for r, e in enumerate(self._folders + self._files)}
            self.changePersistentIndexList(
                [m[0] for m in moved],
                [
                    self.index(rows[id(m[1])], m[2]) if id(m[1]) in rows else QModelIndex()
                    for m in moved
                ],
            )
        self.layoutChanged.emit()

    # ── QAbstractItemModel ──────────────────────────────────────────────────────────────

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._folders) + len(self._files)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        if self._deleted and self._row(index.row())[_KEY] in self._deleted:
            # Nothing to drag out: a deleted object has no current bytes.
            return (
                QtCore.Qt.ItemFlag.ItemIsEnabled
                | QtCore.Qt.ItemFlag.ItemIsSelectable
                | QtCore.Qt.ItemFlag.ItemNeverHasChildren
            )
        return (
            QtCore.Qt.ItemFlag.ItemIsEnabled
            | QtCore.Qt.ItemFlag.ItemIsSelectable
            | QtCore.Qt.ItemFlag.ItemNeverHasChildren
            # Dragged out to the desktop as downloads (the window decides what may go).
            | QtCore.Qt.ItemFlag.ItemIsDragEnabled
        )

    def header_text(self, column: Column) -> str:
        """A column's title, translated, in the words of the provider shown."""
        if column == Column.STORAGE_CLASS and self._class_word == "access tier":
            return self.tr(str(_ACCESS_TIER))
        return self.tr(str(_HEADERS[column]))

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> Any:
        if orientation == QtCore.Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == QtCore.Qt.ItemDataRole.DisplayRole:
                return self.header_text(Column(section))
            if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and section == Column.SIZE:
                return int(
                    QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                )
        return None

    def data(self, index: AnyIndex, role: int = DISPLAY_ROLE) -> Any:
        # A paint asks every cell for seven roles; most are none of ours (a deleted row's
        # font and colour are): answered before the row is looked up.
        if role not in _ROLES and not self._deleted:
            return None
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        entry = self.entry(index.row())
        column = index.column()
        if self._deleted and entry.key in self._deleted:
            deleted = self._deleted_data(entry, column, role)
            if deleted is not None:
                return deleted
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            if column == Column.NAME:  # a key may hold control or bidi characters
                return printable(self.display_name(entry))
            if column == Column.SIZE:
                if entry.is_prefix:
                    return self._folder_size_text(entry)
                return data_size(self._locale, entry.size)
            if column == Column.MODIFIED:
                if not entry.modified:
                    return ""
                return self._format_time(entry.modified)
            if column == Column.STORAGE_CLASS:
                if entry.restore:  # "Archive (rehydrating to Hot…)"
                    # (with the first archived object: core.details is not compiled at start)
                    from cloudbrowser.gui.class_status import class_status

                    return class_status(entry.storage_class, entry.restore, self._locale)
                return entry.storage_class
            return None
        if role == QtCore.Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            if entry.is_prefix:
                root = self._location is None or self._location.is_connection_root
                return icons.bucket_icon() if root else icons.folder_icon()
            return icons.file_icon(entry.key)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and column == Column.NAME:
            loc = self._location
            bucket = loc.bucket if loc is not None and loc.bucket else ""
            scheme = uri_scheme(self._service, loc.connection) if loc is not None else ""
            if not scheme:
                return printable(f"{bucket}/{entry.key}" if bucket else entry.key)
            uri = (
                remote_uri(scheme, bucket, entry.key)
                if bucket
                else remote_uri(scheme, entry.key, None)
            )
            return printable(uri)
        if (
            role == QtCore.Qt.ItemDataRole.ToolTipRole
            and column == Column.SIZE
            and not entry.is_prefix
        ):
            return self.tr("{n} bytes").format(n=self._locale.toString(entry.size))
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and column == Column.SIZE:
            return self._folder_size_tip(entry)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column == Column.SIZE:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == EntryRole:
            return entry
        if role == IsFolderRole:
            return entry.is_prefix
        return None

    def _folder_size_text(self, entry: Entry) -> str:
        size = self.folder_size(entry)
        if size is None:
            return ""
        if size.counting:  # the size so far, growing (the objects are in the tooltip)
            if not size.objects:
                return self.tr("counting…")
            return self.tr("{}…").format(data_size(self._locale, size.bytes))
        return data_size(self._locale, size.bytes)

    def _folder_size_tip(self, entry: Entry) -> str | None:
        size = self.folder_size(entry)
        if size is None:
            return None
        objects = self._locale.toString(size.objects)
        if size.counting:
            return self.tr("Counting: {} objects so far ({})").format(
                objects, data_size(self._locale, size.bytes)
            )
        return self.tr("{} objects, {} bytes, subfolders included").format(
            objects, self._locale.toString(size.bytes)
        )

    def _deleted_data(self, entry: Entry, column: int, role: int) -> Any:
        """What a deleted row shows differently (None: as any row)."""
        if role == QtCore.Qt.ItemDataRole.DisplayRole and column == Column.STORAGE_CLASS:
            return self.tr("Deleted")
        # (QFont and QPalette with the first deleted row: their enums are not built at start)
        from PySide6.QtGui import QFont, QGuiApplication, QPalette

        if role == QtCore.Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == QtCore.Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            if entry.is_prefix:
                return self.tr("A folder of deleted objects only: open it to undelete them.")
            when = self._format_time(entry.modified)
            size = data_size(self._locale, entry.size)
            # (A delete marker on top, or only the bucket's soft delete keeps it.)
            return self.tr(
                "Deleted {when}. Undelete brings back its last version ({size}); Versions… "
                "lists them all."
            ).format(when=when, size=size)
        return None


def _put_in_order(page: list[Row]) -> None:
    """Sort a page naturally, unless it already is (the common case: a check is one
    comparison per row, a sort a collator key per row)."""
    compare = collator().compare
    if any(compare(a[_KEY], b[_KEY]) > 0 for a, b in itertools.pairwise(page)):
        page.sort(key=_name_key)


def _follows(rows: list[Row], page: list[Row]) -> bool:
    """``page`` (in natural order) sorts after every row of ``rows`` (in natural order)."""
    return not rows or not page or collator().compare(page[0][_KEY], rows[-1][_KEY]) >= 0


def _merged(rows: list[Row], page: list[Row]) -> list[Row]:
    """``rows`` and ``page``, both in natural order, merged. Each row of the page is placed
    by a galloping search from where the one before went (insertion points only move
    forward), one collator comparison per step: ``rows`` is never keyed whole."""
    if not page:
        return rows
    compare = collator().compare
    out: list[Row] = []
    start = 0
    n = len(rows)
    for row in page:
        key = row[_KEY]
        # Gallop: find a bound hi with rows[hi] after key, doubling the step.
        lo, step = start, 1
        hi = lo
        while hi < n and compare(rows[hi][_KEY], key) <= 0:
            lo = hi + 1
            hi = lo + step
            step *= 2
        hi = min(hi, n)
        while lo < hi:  # then the first row after key in rows[lo:hi]
            mid = (lo + hi) // 2
            if compare(key, rows[mid][_KEY]) < 0:
                hi = mid
            else:
                lo = mid + 1
        out.extend(rows[start:lo])
        out.append(row)
        start = lo
    out.extend(rows[start:])
    return out
