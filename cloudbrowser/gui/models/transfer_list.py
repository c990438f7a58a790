"""TransferListModel: the Transfers panel's rows, a batch under one expandable row.

Rows are the core's :class:`~cloudbrowser.core.transfers.Transfer` objects themselves; the
queue's workers change their fields and the model is told which ones changed (by the
controller's poll, on the GUI thread), so a busy transfer costs one ``dataChanged`` per
tick, never one per chunk.

A batch of several files (a folder dropped, a selection downloaded) is one top-level row,
a :class:`Group`, with the batch's totals (size, progress, speed, time left, how many are
done) and its files as children; a batch of one file is that file's row. Each row says
where the bytes go (source → destination, with the connection's name, so two files of one
name on two connections are told apart). Speeds are measured over a sliding window of the
bytes each run moved (``core/speed.py``): bytes a resumed transfer already had are not
speed. After the last byte a row says what happens then ("Finishing…", "Verifying…").

A bulk operation on the server (copy, move, delete of many objects: ``core/operations.py``)
is one row too, with objects rather than bytes as its measure; pause and resume do not
apply to it, cancel does.

Indexes: a top-level row's internal id is 0; a child's is its group's ``number``.
"""

from __future__ import annotations

import itertools
import operator
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractItemModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QApplication, QStyle

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.operations import Operation, OpKind
from cloudbrowser.core.printable import printable
from cloudbrowser.core.speed import SpeedMeter
from cloudbrowser.core.transfers import Stage, Transfer
from cloudbrowser.gui.dates import format_time_of_day
from cloudbrowser.gui.icons import download_icon, upload_icon
from cloudbrowser.gui.sizes import data_size

AnyIndex = QModelIndex | QPersistentModelIndex

#: The Transfer, Operation or Group behind a row.
TransferRole = Qt.ItemDataRole.UserRole + 1
#: Progress in percent (int), for the progress bar delegate.
ProgressRole = Qt.ItemDataRole.UserRole + 2


class Column(IntEnum):
    NAME = 0
    #: Where from, where to ("~/album → photos/in/ on prod").
    ROUTE = 1
    SIZE = 2
    PROGRESS = 3
    SPEED = 4
    ETA = 5
    STATE = 6


#: Marked for translation where they are defined; translated where they are shown.
_HEADERS = {
    Column.NAME: QT_TRANSLATE_NOOP("TransferListModel", "Name"),
    Column.ROUTE: QT_TRANSLATE_NOOP("TransferListModel", "From → to"),
    Column.SIZE: QT_TRANSLATE_NOOP("TransferListModel", "Size"),
    Column.PROGRESS: QT_TRANSLATE_NOOP("TransferListModel", "Progress"),
    Column.SPEED: QT_TRANSLATE_NOOP("TransferListModel", "Speed"),
    Column.ETA: QT_TRANSLATE_NOOP("TransferListModel", "Time left"),
    Column.STATE: QT_TRANSLATE_NOOP("TransferListModel", "State"),
}
_RIGHT_ALIGNED = (Column.SIZE, Column.SPEED, Column.ETA)
_group_numbers = itertools.count(1)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TransferListModel", text)


#: What one file adds to its group's totals: (state, size, bytes done, bytes moved, done,
#: unverified, active, failed, skipped); a plain tuple, cheap to build for thousands.
_Share = tuple[State, int, int, int, int, int, int, int, int]


def _share(t: Transfer) -> _Share:
    state = t.state
    if state is State.SKIPPED:  # counted as skipped alone (and in the bytes moved)
        return (state, 0, 0, t.bytes_moved, 0, 0, 0, 0, 1)
    if state is State.DONE:
        return (state, t.size, t.size, t.bytes_moved, 1, 0 if t.verified else 1, 0, 0, 0)
    active = 1 if state is State.QUEUED or state is State.RUNNING else 0
    failed = 1 if state is State.FAILED else 0
    return (state, t.size, t.bytes_done, t.bytes_moved, 0, 0, active, failed, 0)


#: Each field of a _Share, taken from many at once (``map`` and ``sum`` run in C).
_COLUMNS = [operator.itemgetter(i) for i in range(9)]


@dataclass(eq=False)
class Group:
    """A batch of several transfers: one expandable row with their totals."""

    batch: str
    transfers: list[Transfer]
    #: Its children's internal id (see the module's docstring).
    number: int = field(default_factory=lambda: next(_group_numbers))
    #: Transfer id → child row.
    row_of: dict[int, int] = field(default_factory=dict)
    #: Where the batch comes from and goes to: the common folder or prefix of its files.
    source: str = ""
    destination: str = ""
    name: str = ""
    # Totals: counted in full when files join, then kept up to date from the files that
    # changed (see Group.tally).
    size: int = 0
    bytes_done: int = 0
    bytes_moved: int = 0
    count: int = 0
    done: int = 0
    unverified: int = 0
    active: int = 0
    states: set[State] = field(default_factory=set)
    failed: int = 0
    skipped: int = 0

    #: Upload or download; None for a batch of both.
    direction: Direction | None = None
    #: Transfer id → what it adds to the totals as last counted (see _share).
    _shares: dict[int, _Share] = field(default_factory=dict, repr=False)
    #: How many files are in each state (``states`` is the states counted here).
    _state_counts: Counter[State] = field(default_factory=Counter, repr=False)
    #: The text every file's local path and every key begins with (None: no file yet).
    _path_prefix: str | None = field(default=None, repr=False)
    _key_prefix: str | None = field(default=None, repr=False)
    _directions: set[Direction] = field(default_factory=set, repr=False)

    def append(self, transfers: list[Transfer]) -> None:
        """Add files (a drop, or a streamed download's next page): the route and the
        totals take in the new files alone, never every file again (a 100,000-file batch
        cost the GUI thread ~0.2 s per page added)."""
        if not transfers:
            return
        for t in transfers:
            self.row_of[t.id] = len(self.transfers)
            self.transfers.append(t)
        # What the files' paths and keys share: the common prefix of all of them is that of
        # the files before and of the new files' first and last in text order.
        self._path_prefix = _shared(self._path_prefix, [str(t.local_path) for t in transfers])
        self._key_prefix = _shared(self._key_prefix, [t.key for t in transfers])
        self.source, self.destination, self.name = _group_route(
            self.transfers[0], self._path_prefix, self._key_prefix
        )
        self._directions.update(t.direction for t in transfers)
        self.direction = next(iter(self._directions)) if len(self._directions) == 1 else None
        self.tally(transfers)

    def tally(self, changed: Iterable[Transfer] | None = None) -> None:
        """Bring the totals up to date: with ``changed``, from those files alone (one
        poll costs what changed, not a pass over thousands of files on the GUI thread,
        issue 14); without, counted afresh from every file."""
        if changed is None:
            self._shares.clear()
            self._state_counts.clear()
            self.size = self.bytes_done = self.bytes_moved = self.done = 0
            self.unverified = self.active = self.failed = self.skipped = 0
            changed = self.transfers
        shares = self._shares
        gone: list[_Share] = []
        came: list[_Share] = []
        for t in changed:
            share = _share(t)
            old = shares.get(t.id)
            if old == share:
                continue
            shares[t.id] = share
            if old is not None:
                gone.append(old)
            came.append(share)
        # Summed column by column (in C): a drop of 100,000 files is counted in ~0.1 s.
        self._add(gone, -1)
        self._add(came, 1)
        self.count = len(self.transfers)
        self.states = {state for state, n in self._state_counts.items() if n > 0}

    def _add(self, shares: list[_Share], sign: int) -> None:
        if not shares:
            return
        states = map(_COLUMNS[0], shares)
        if sign > 0:
            self._state_counts.update(states)
        else:
            self._state_counts.subtract(states)
        size, done_bytes, moved, done, unverified, active, failed, skipped = (
            sign * sum(map(column, shares)) for column in _COLUMNS[1:]
        )
        self.size += size
        self.bytes_done += done_bytes
        self.bytes_moved += moved
        self.done += done
        self.unverified += unverified
        self.active += active
        self.failed += failed
        self.skipped += skipped

    @property
    def percent(self) -> int:
        counted = self.count - self.skipped
        if self.size:
            return int(100 * self.bytes_done / self.size)
        return int(100 * self.done / counted) if counted else 100


Row = Transfer | Operation | Group


class TransferListModel(QAbstractItemModel):
    """The transfers the user sees, newest last; a batch of several files is a group."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._top: list[Row] = []
        #: Row key (see _key) → top-level row.
        self._top_row: dict[int | str, int] = {}
        #: Group number → group.
        self._groups: dict[int, Group] = {}
        #: Batch → its group, or the one transfer shown alone so far.
        self._group_of_batch: dict[str, Group] = {}
        self._alone: dict[str, Transfer] = {}
        #: Transfer id → the group it is in.
        self._parent_of: dict[int, Group] = {}
        #: Row key → speed meter, for running rows only.
        self._meters: dict[int | str, SpeedMeter] = {}
        self._locale = QLocale()

    # ── changes ─────────────────────────────────────────────────────────────────────────

    def add(self, transfers: list[Transfer] | list[Operation]) -> None:
        """Show rows not shown yet: transfers of one batch together, under a group."""
        fresh: dict[str, list[Transfer]] = {}
        for row in transfers:
            if isinstance(row, Operation):
                if _key(row) not in self._top_row:
                    self._append_top([row])
            elif row.id not in self._parent_of and row.id not in self._top_row:
                fresh.setdefault(row.batch, []).append(row)
        for batch, items in fresh.items():
            self._add_batch(batch, items)

    def _add_batch(self, batch: str, items: list[Transfer]) -> None:
        group = self._group_of_batch.get(batch)
        if group is not None:
            parent = self.index(self._top_row[_key(group)], 0)
            first = len(group.transfers)
            self.beginInsertRows(parent, first, first + len(items) - 1)
            group.append(items)
            for t in items:
                self._parent_of[t.id] = group
            self.endInsertRows()
            self.dataChanged.emit(parent, parent.siblingAtColumn(len(Column) - 1))
            return
        alone = self._alone.pop(batch, None) if batch else None
        if alone is not None:
            self._remove_top(alone)
            items = [alone, *items]
        if not batch or len(items) == 1:
            if batch:
                self._alone[batch] = items[0]
            self._append_top(items)
            return
        group = Group(batch, [])
        group.append(items)
        for t in items:
            self._parent_of[t.id] = group
        self._groups[group.number] = group
        self._group_of_batch[batch] = group
        self._append_top([group])

    def _append_top(self, rows: Sequence[Row]) -> None:
        first = len(self._top)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for row in rows:
            self._top_row[_key(row)] = len(self._top)
            self._top.append(row)
        self.endInsertRows()

    def _remove_top(self, row: Row) -> None:
        """Take a top-level row out (a lone transfer joining its batch's new group)."""
        number = self._top_row.pop(_key(row))
        self.beginRemoveRows(QModelIndex(), number, number)
        del self._top[number]
        for later in self._top[number:]:
            self._top_row[_key(later)] -= 1
        self.endRemoveRows()

    def refresh(self, changed: list[Transfer] | list[Operation]) -> None:
        """Repaint the rows of ``changed`` (adding any not yet shown) and update speeds."""
        self.add(changed)
        now = time.monotonic()
        top_rows: list[int] = []
        groups: dict[int, tuple[Group, list[Transfer]]] = {}
        for row in changed:
            self._measure(row, now)
            group = self._parent_of.get(row.id) if isinstance(row, Transfer) else None
            if group is not None and isinstance(row, Transfer):
                groups.setdefault(group.number, (group, []))[1].append(row)
                continue
            number = self._top_row.get(_key(row))
            if number is not None:
                top_rows.append(number)
        last = len(Column) - 1
        for group, members in groups.values():
            group.tally(members)
            self._measure(group, now)
            parent = self.index(self._top_row[_key(group)], 0)
            top_rows.append(parent.row())
            rows = [group.row_of[t.id] for t in members]
            self.dataChanged.emit(
                self.index(min(rows), 0, parent), self.index(max(rows), last, parent)
            )
        if top_rows:
            self.dataChanged.emit(self.index(min(top_rows), 0), self.index(max(top_rows), last))

    def _measure(self, row: Row, now: float) -> None:
        """Feed the row's speed meter while it runs; forget it when it stops."""
        key = _key(row)
        if not _running(row):
            self._meters.pop(key, None)
            return
        meter = self._meters.get(key)
        if meter is None:
            meter = self._meters[key] = SpeedMeter()
        meter.sample(_amount_moved(row), now)

    def remove_where(self, keep: set[int]) -> None:
        """Keep only the transfers whose ids are in ``keep`` (and unfinished operations)."""
        self.beginResetModel()
        top: list[Row] = []
        for row in self._top:
            if isinstance(row, Group):
                kept = [t for t in row.transfers if t.id in keep]
                if kept:
                    row.transfers, row.row_of = [], {}
                    row.append(kept)
                    top.append(row)
                else:
                    del self._groups[row.number]
                    self._group_of_batch.pop(row.batch, None)
            elif isinstance(row, Transfer):
                if row.id in keep:
                    top.append(row)
                elif self._alone.get(row.batch) is row:
                    del self._alone[row.batch]
            elif not row.state.finished:
                top.append(row)
        self._top = top
        self._top_row = {_key(row): number for number, row in enumerate(top)}
        self._parent_of = {
            t.id: row for row in top if isinstance(row, Group) for t in row.transfers
        }
        shown = set(self._top_row) | set(self._parent_of)
        self._meters = {k: m for k, m in self._meters.items() if k in shown}
        self.endResetModel()

    # ── reading ─────────────────────────────────────────────────────────────────────────

    def transfers(self) -> list[Transfer]:
        """Every transfer shown, in the panel's order (a group's in its place)."""
        found: list[Transfer] = []
        for row in self._top:
            if isinstance(row, Transfer):
                found.append(row)
            elif isinstance(row, Group):
                found.extend(row.transfers)
        return found

    def states(self) -> set[State]:
        """The states of every transfer shown: from the groups' totals, so the panel's
        actions are updated each poll without a pass over every file."""
        found: set[State] = set()
        for row in self._top:
            if isinstance(row, Group):
                found |= row.states
            elif isinstance(row, Transfer):
                found.add(row.state)
        return found

    def operations(self) -> list[Operation]:
        return [row for row in self._top if isinstance(row, Operation)]

    def groups(self) -> list[Group]:
        return [row for row in self._top if isinstance(row, Group)]

    def transfer(self, index: AnyIndex) -> Transfer | None:
        row = self._at(index)
        return row if isinstance(row, Transfer) else None

    def operation(self, index: AnyIndex) -> Operation | None:
        row = self._at(index)
        return row if isinstance(row, Operation) else None

    def group(self, index: AnyIndex) -> Group | None:
        row = self._at(index)
        return row if isinstance(row, Group) else None

    def transfers_at(self, index: AnyIndex) -> list[Transfer]:
        """The transfers a row stands for: its own, or a group's files."""
        row = self._at(index)
        if isinstance(row, Group):
            return list(row.transfers)
        return [row] if isinstance(row, Transfer) else []

    def index_of(self, row: Row, column: int = 0) -> QModelIndex:
        """The index of a transfer (inside its group, if it is in one), group or operation."""
        if isinstance(row, Transfer) and row.id in self._parent_of:
            group = self._parent_of[row.id]
            parent = self.index(self._top_row[_key(group)], 0)
            return self.index(group.row_of[row.id], column, parent)
        number = self._top_row.get(_key(row))
        return QModelIndex() if number is None else self.index(number, column)

    def _at(self, index: AnyIndex) -> Row | None:
        if not index.isValid():
            return None
        number = index.internalId()
        rows: list[Row] | list[Transfer]
        if number:
            group = self._groups.get(number)
            if group is None:
                return None
            rows = group.transfers
        else:
            rows = self._top
        return rows[index.row()] if index.row() < len(rows) else None

    def speed(self, row: Row) -> float:
        """Bytes (an operation: objects) per second, over the last seconds."""
        meter = self._meters.get(_key(row))
        return meter.rate() if meter is not None else 0.0

    def total_speed(self) -> float:
        """Bytes per second of the transfers."""
        return sum(
            meter.rate() for key, meter in self._meters.items() if isinstance(key, int) and key > 0
        )

    # ── Qt model ────────────────────────────────────────────────────────────────────────

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(Column) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._top) else QModelIndex()
        group = self.group(parent)
        if group is None or row >= len(group.transfers):
            return QModelIndex()
        return self.createIndex(row, column, group.number)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or not index.internalId():
            return QModelIndex()
        group = self._groups.get(index.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(self._top_row[_key(group)], 0, 0)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._top)
        if parent.column() != 0:
            return 0
        group = self.group(parent)
        return len(group.transfers) if group is not None else 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(Column)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (
                QCoreApplication.translate("TransferListModel", str(_HEADERS[Column(section)]))
                if 0 <= section < len(Column)
                else None
            )
        return None

    def multiData(self, index: AnyIndex, span: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role a view asks for one cell, in one call: Qt's delegates ask for seven
        at once, and each call into Python from Qt must take the GIL, which a transfer
        thread may hold (up to the 5 ms switch interval, and a wait for a core after it):
        one entry per cell painted rather than seven (issue 14: window stall)."""
        # PySide6 iterates a span (its type stubs do not say so).
        roles = [span] if isinstance(span, QModelRoleData) else cast(Iterable[QModelRoleData], span)
        for role_data in roles:
            role_data.setData(self.data(index, role_data.role()))

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._at(index)
        if row is None:
            return None
        column = Column(index.column())
        if isinstance(row, Operation):
            return self._operation_data(row, column, role)
        if isinstance(row, Group):
            return self._group_data(row, column, role)
        t = row
        if role == Qt.ItemDataRole.DisplayRole:  # names and messages come from the server
            return printable(self._text(t, column))
        if role == TransferRole:
            return t
        if role == ProgressRole:
            return _percent(t)
        if role == Qt.ItemDataRole.ToolTipRole:
            return printable(self._tooltip(t), keep="\n")
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATE and unverified(t):
            # Arrived but unchecked is a warning, never a quiet success.
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            return direction_icon(t.direction)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, t: Transfer, column: Column) -> str:
        if column == Column.NAME:
            return t.name
        if column == Column.ROUTE:
            return route_text(t)
        if column == Column.SIZE:
            return data_size(self._locale, t.size)
        if column == Column.PROGRESS:
            return f"{_percent(t)} %"
        if column == Column.SPEED:
            return self._speed_text(self.speed(t)) if _moving(t) else ""
        if column == Column.ETA:
            return self._eta(t)
        return state_text(t)

    def _speed_text(self, speed: float) -> str:
        if speed < 1:
            return ""
        return _tr("{size}/s").format(size=data_size(self._locale, int(speed)))

    def _eta(self, t: Transfer) -> str:
        meter = self._meters.get(_key(t))
        if not _moving(t) or meter is None:
            return ""
        left = meter.seconds_left(t.size - t.bytes_done)
        return format_duration(left) if left is not None else ""

    def _tooltip(self, t: Transfer) -> str:
        lines = [route_text(t, full=True)]
        if t.error is not None:
            lines += [t.error.message, t.error.hint]
        elif t.note:
            lines.append(t.note)
        return "\n".join(line for line in lines if line)

    # ── groups ──────────────────────────────────────────────────────────────────────────

    def _group_data(self, group: Group, column: Column, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return printable(self._group_text(group, column))
        if role == TransferRole:
            return group
        if role == ProgressRole:
            return group.percent
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{group.source} → {group.destination}", group_state_text(group)]
            return printable("\n".join(lines), keep="\n")
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            return direction_icon(group.direction)
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column == Column.STATE
            and group.unverified
            and not group.active
        ):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _group_text(self, group: Group, column: Column) -> str:
        if column == Column.NAME:
            n = group.count
            # The count in a plain name: lupdate drops a translate() whose count is an expression.
            return QCoreApplication.translate(
                "TransferListModel", "%Ln file(s) from “{name}”", None, n
            ).format(name=group.name)
        if column == Column.ROUTE:
            return f"{group.source} → {group.destination}"
        if column == Column.SIZE:
            return data_size(self._locale, group.size)
        if column == Column.PROGRESS:
            return f"{group.percent} %"
        if column == Column.SPEED:
            return self._speed_text(self.speed(group)) if group.active else ""
        if column == Column.ETA:
            meter = self._meters.get(_key(group))
            if not group.active or meter is None:
                return ""
            left = meter.seconds_left(group.size - group.bytes_done)
            return format_duration(left) if left is not None else ""
        return group_state_text(group)

    # ── operations ──────────────────────────────────────────────────────────────────────

    def _operation_data(self, op: Operation, column: Column, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return printable(self._operation_text(op, column))
        if role == TransferRole:
            return op
        if role == ProgressRole:
            return _operation_percent(op)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [op.title, operation_state_text(op, self._locale)]
            lines += [f"{key}: {error.message}" for key, error in op.result.failed[:10]]
            if len(op.result.failed) > 10:
                lines.append(
                    QCoreApplication.translate("TransferListModel", "… and {n} more").format(
                        n=len(op.result.failed) - 10
                    )
                )
            return printable("\n".join(lines), keep="\n")
        if role == Qt.ItemDataRole.DecorationRole and column == Column.NAME:
            pixmap = {
                OpKind.COPY: QStyle.StandardPixmap.SP_FileDialogNewFolder,
                OpKind.MOVE: QStyle.StandardPixmap.SP_ArrowRight,
                OpKind.DELETE: QStyle.StandardPixmap.SP_TrashIcon,
                OpKind.STORAGE_CLASS: QStyle.StandardPixmap.SP_DriveHDIcon,
                OpKind.RESTORE: QStyle.StandardPixmap.SP_BrowserReload,
            }[op.kind]
            return QApplication.style().standardIcon(pixmap)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def operation_tooltip(self, op: Operation) -> str:
        return str(self._operation_data(op, Column.NAME, Qt.ItemDataRole.ToolTipRole))

    def _operation_text(self, op: Operation, column: Column) -> str:
        p = op.progress()
        if column == Column.NAME:
            return op.title
        if column == Column.ROUTE:
            return {
                OpKind.COPY: QCoreApplication.translate("TransferListModel", "Copy"),
                OpKind.MOVE: QCoreApplication.translate("TransferListModel", "Move"),
                OpKind.DELETE: QCoreApplication.translate("TransferListModel", "Delete"),
                OpKind.STORAGE_CLASS: QCoreApplication.translate(
                    "TransferListModel", "Change class"
                ),
                OpKind.RESTORE: QCoreApplication.translate("TransferListModel", "Restore"),
            }[op.kind]
        if column == Column.SIZE:
            # Objects are counted in the State column; bytes here, as for transfers.
            return data_size(self._locale, p.found_bytes) + ("" if p.counted else "…")
        if column == Column.PROGRESS:
            return f"{_operation_percent(op)} %"
        if column == Column.SPEED:
            speed = self.speed(op)
            if speed < 1:
                return ""
            return QCoreApplication.translate("TransferListModel", "{n} obj/s").format(
                n=self._locale.toString(int(speed))
            )
        if column == Column.ETA:
            meter = self._meters.get(_key(op))
            if op.state is not State.RUNNING or meter is None or not p.counted:
                return ""
            left = meter.seconds_left(p.found - p.done)
            return format_duration(left) if left is not None else ""
        return operation_state_text(op, self._locale)


def _key(row: Row) -> int | str:
    """A row's key: transfer ids are positive, operations get negative ones, groups are
    named by their batch."""
    if isinstance(row, Group):
        return f"batch:{row.batch}"
    return row.id if isinstance(row, Transfer) else -row.id


def _amount_moved(row: Row) -> int:
    """What a row's speed counts: bytes moved now (an operation: objects done)."""
    if isinstance(row, Operation):
        return row.progress().done
    return row.bytes_moved


def _running(row: Row) -> bool:
    """Whether the row has a speed now (a transfer past its last byte has none)."""
    if isinstance(row, Group):
        return bool(row.active)
    if isinstance(row, Transfer):
        return _moving(row)
    return row.state is State.RUNNING


def _moving(t: Transfer) -> bool:
    """Running and still moving bytes: after the last one there is no speed to show."""
    return t.state is State.RUNNING and t.stage is Stage.TRANSFERRING and t.bytes_done < t.size


def direction_icon(direction: Direction | None) -> Any:
    if direction is None:
        return None
    return upload_icon() if direction is Direction.UPLOAD else download_icon()


def _home_short(path: str) -> str:
    """``/home/ann/Pictures`` → ``~/Pictures``: the part of a path the user recognises."""
    home = str(Path.home())
    if path == home or path.startswith(home + os.sep):
        return "~" + path[len(home) :]
    return path


def remote_text(connection: str, bucket: str, key: str) -> str:
    """An object (or prefix) with the connection it is on: two files of one name on two
    connections read differently."""
    return _tr("{path} on {connection}").format(path=f"{bucket}/{key}", connection=connection)


def route_text(t: Transfer, *, full: bool = False) -> str:
    """Source → destination of one transfer (``full``: local paths as they are)."""
    local = str(t.local_path) if full else _home_short(str(t.local_path))
    remote = remote_text(t.connection, t.bucket, t.key)
    return f"{local} → {remote}" if t.direction is Direction.UPLOAD else f"{remote} → {local}"


def _shared(prefix: str | None, texts: list[str]) -> str:
    """The text that ``prefix`` (None: no text yet) and every one of ``texts`` begin with:
    in text order, the smallest and the largest share what all of them share."""
    ends = [min(texts), max(texts)] if prefix is None else [prefix, min(texts), max(texts)]
    return os.path.commonprefix(ends)  # noqa: RUF071 (text, not paths: cut back below)


def _folder_of(shared: str, first: Path) -> str:
    """The folder of files whose paths all begin with ``shared``: up to its last
    separator, like ``os.path.commonpath`` of their folders."""
    cut = shared.rfind(os.sep)
    if cut < 0:  # on other drives (Windows)
        return str(first.parent)
    return str(Path(shared[: cut + 1]))


def _group_route(first: Transfer, path_prefix: str, key_prefix: str) -> tuple[str, str, str]:
    """(source, destination, name) of a batch whose files' paths and keys begin with
    ``path_prefix`` and ``key_prefix``: the folder and the prefix its files share, and the
    name of the source's folder (the one dropped, or the prefix downloaded)."""
    folder = _folder_of(path_prefix, first.local_path)
    # Back to the last "/": keys are not local paths.
    prefix = key_prefix[: key_prefix.rfind("/") + 1]
    local = _home_short(folder)
    remote = remote_text(first.connection, first.bucket, prefix)
    if first.direction is Direction.UPLOAD:
        return local, remote, Path(folder).name or folder
    return remote, local, prefix.rstrip("/").rpartition("/")[2] or first.bucket


def group_state_text(group: Group) -> str:
    """What a batch is doing, or how it ended, in files."""
    n, done = group.count - group.skipped, group.done
    direction = group.direction
    if group.active:
        if direction is Direction.UPLOAD:
            text = _tr("Uploading: {done} of {n} done")
        elif direction is Direction.DOWNLOAD:
            text = _tr("Downloading: {done} of {n} done")
        else:
            text = _tr("Transferring: {done} of {n} done")
        return text.format(done=done, n=n)
    if group.failed:
        failed = group.failed
        return QCoreApplication.translate(
            "TransferListModel", "%Ln of {n} failed", None, failed
        ).format(n=n)
    if State.PAUSED in group.states:
        return _tr("Paused: {done} of {n} done").format(done=done, n=n)
    if State.CANCELLED in group.states:
        return _tr("Cancelled: {done} of {n} done").format(done=done, n=n)
    if group.unverified:
        unverified = group.unverified
        text = QCoreApplication.translate(
            "TransferListModel", "Done, %Ln NOT verified", None, unverified
        )
    else:
        text = _tr("Done, all verified") if done else _tr("Done")
    if group.skipped:
        skipped = group.skipped
        text += ", " + QCoreApplication.translate("TransferListModel", "%Ln skipped", None, skipped)
    return text


def _operation_percent(op: Operation) -> int:
    if op.state is State.DONE:
        return 100
    p = op.progress()
    return int(100 * p.done / p.found) if p.found else 0


def operation_state_text(op: Operation, locale: QLocale) -> str:
    """What an operation is doing or how it ended, in objects."""
    p = op.progress()
    done, found = locale.toString(p.done), locale.toString(p.found)
    if op.state is State.RUNNING:
        verb = {
            OpKind.COPY: QCoreApplication.translate("TransferListModel", "Copying"),
            OpKind.MOVE: QCoreApplication.translate("TransferListModel", "Moving"),
            OpKind.DELETE: QCoreApplication.translate("TransferListModel", "Deleting"),
            OpKind.STORAGE_CLASS: QCoreApplication.translate("TransferListModel", "Changing"),
            OpKind.RESTORE: QCoreApplication.translate("TransferListModel", "Restoring"),
        }[op.kind]
        if p.counted:
            return QCoreApplication.translate(
                "TransferListModel", "{verb} {done} of {found}…"
            ).format(verb=verb, done=done, found=found)
        return QCoreApplication.translate(
            "TransferListModel", "{verb} {done} of {found} found so far…"
        ).format(verb=verb, done=done, found=found)
    if op.state is State.DONE:
        objects = p.done
        return QCoreApplication.translate("TransferListModel", "Done: %Ln object(s)", None, objects)
    if op.state is State.CANCELLED:
        return QCoreApplication.translate(
            "TransferListModel", "Cancelled after {done} of {found}"
        ).format(done=done, found=found)
    if op.state is State.FAILED:
        return QCoreApplication.translate("TransferListModel", "{n} of {found} failed").format(
            n=locale.toString(len(op.result.failed)), found=found
        )
    return QCoreApplication.translate("TransferListModel", "Queued")


def _percent(t: Transfer) -> int:
    if t.state is State.DONE:
        return 100
    return int(100 * t.bytes_done / t.size) if t.size else 0


def unverified(t: Transfer) -> bool:
    """Done, but not checked against the server's checksum (``t.note`` says why)."""
    return t.state is State.DONE and not t.verified


def state_text(t: Transfer) -> str:
    """The State column: what is happening, and for a finished one whether it was verified."""
    if t.state is State.RUNNING and t.stage is Stage.FINISHING:
        return QCoreApplication.translate("TransferListModel", "Finishing…")
    if t.state is State.RUNNING and t.stage is Stage.VERIFYING:
        return QCoreApplication.translate("TransferListModel", "Verifying…")
    if t.state is State.RUNNING:
        return (
            QCoreApplication.translate("TransferListModel", "Uploading")
            if t.direction is Direction.UPLOAD
            else QCoreApplication.translate("TransferListModel", "Downloading")
        )
    if t.state is State.DONE:
        if t.verified:
            return QCoreApplication.translate("TransferListModel", "Done, verified")
        if t.note:
            return QCoreApplication.translate(
                "TransferListModel", "Done, NOT verified: {why}"
            ).format(why=t.note)
        return QCoreApplication.translate("TransferListModel", "Done, NOT verified")
    if t.state is State.FAILED:
        return (
            QCoreApplication.translate("TransferListModel", "Failed: {why}").format(
                why=t.error.message
            )
            if t.error
            else QCoreApplication.translate("TransferListModel", "Failed")
        )
    if t.state is State.SKIPPED:
        return (
            QCoreApplication.translate("TransferListModel", "Skipped: {why}").format(why=t.note)
            if t.note
            else QCoreApplication.translate("TransferListModel", "Skipped")
        )
    if t.state is State.QUEUED and t.retry_at and t.error is not None:
        # Failed for a passing reason: it says so, and when it goes on by itself (a time
        # of day: a countdown would repaint every waiting row every second).
        return QCoreApplication.translate(
            "TransferListModel", "Trying again at {time}: {why}"
        ).format(
            time=format_time_of_day(time.time() + t.retry_at - time.monotonic()),
            why=t.error.message,
        )
    if t.state is State.QUEUED and t.error is not None:
        # Failed for a passing reason while another file of its connection already waited
        # to be tried again: it goes on when that connection answers (core.transfers).
        return QCoreApplication.translate(
            "TransferListModel", "Waiting for “{connection}” to answer: {why}"
        ).format(connection=t.connection, why=t.error.message)
    if t.state is State.QUEUED and t.held:
        # Not tried yet: another file of its connection found it not answering.
        return QCoreApplication.translate(
            "TransferListModel", "Queued: waiting for “{connection}” to answer"
        ).format(connection=t.connection)
    if t.state is State.PAUSED and t.interrupted:
        # Not paused by the user: it continues by itself once its connection is open.
        return QCoreApplication.translate("TransferListModel", "Waiting for “{connection}”").format(
            connection=t.connection
        )
    return {
        State.QUEUED: QCoreApplication.translate("TransferListModel", "Queued"),
        State.PAUSED: QCoreApplication.translate("TransferListModel", "Paused"),
        State.CANCELLED: QCoreApplication.translate("TransferListModel", "Cancelled"),
    }.get(t.state, t.state.value)


def format_duration(seconds: float) -> str:
    """``75`` → ``1 min 15 s``; a rough figure, as users read an ETA."""
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return QCoreApplication.translate("TransferListModel", "{s} s").format(s=seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return QCoreApplication.translate("TransferListModel", "{m} min {s} s").format(
            m=minutes, s=seconds
        )
    hours, minutes = divmod(minutes, 60)
    return QCoreApplication.translate("TransferListModel", "{h} h {m} min").format(
        h=hours, m=minutes
    )
