"""TransferListModel: one row per transfer (and per bulk operation), refreshed at 10 Hz.

Rows are the core's :class:`~cloudbrowser.core.transfers.Transfer` objects themselves; the
queue's workers change their fields and the model is told which ones changed (by the
controller's poll, on the GUI thread), so a busy transfer costs one ``dataChanged`` per
tick, never one per chunk. Speed is an exponential moving average per row.

A bulk operation on the server (copy, move, delete of many objects: ``core/operations.py``)
is one row too, with objects rather than bytes as its measure; pause and resume do not
apply to it, cancel does.
"""

from __future__ import annotations

import time
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QApplication, QStyle

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.operations import Operation, OpKind
from cloudbrowser.core.printable import printable
from cloudbrowser.core.transfers import Transfer

AnyIndex = QModelIndex | QPersistentModelIndex

#: The Transfer (or Operation) behind a row.
TransferRole = Qt.ItemDataRole.UserRole + 1
#: Progress in percent (int), for the progress bar delegate.
ProgressRole = Qt.ItemDataRole.UserRole + 2

#: Weight of the newest measurement in the speed average (per 0.1 s tick).
_SPEED_SMOOTHING = 0.3


class Column(IntEnum):
    NAME = 0
    DIRECTION = 1
    SIZE = 2
    PROGRESS = 3
    SPEED = 4
    ETA = 5
    STATE = 6


#: Marked for translation where they are defined; translated where they are shown.
_HEADERS = {
    Column.NAME: QT_TRANSLATE_NOOP("TransferListModel", "Name"),
    Column.DIRECTION: QT_TRANSLATE_NOOP("TransferListModel", "Direction"),
    Column.SIZE: QT_TRANSLATE_NOOP("TransferListModel", "Size"),
    Column.PROGRESS: QT_TRANSLATE_NOOP("TransferListModel", "Progress"),
    Column.SPEED: QT_TRANSLATE_NOOP("TransferListModel", "Speed"),
    Column.ETA: QT_TRANSLATE_NOOP("TransferListModel", "Time left"),
    Column.STATE: QT_TRANSLATE_NOOP("TransferListModel", "State"),
}


class TransferListModel(QAbstractTableModel):
    """The transfers the user sees, newest last."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Transfer | Operation] = []
        #: Row key (see _key) → row.
        self._row_of: dict[int, int] = {}
        #: Row key → (bytes, or objects for an operation, at the last tick, time of the
        #: last tick, per second)
        self._speed: dict[int, tuple[int, float, float]] = {}
        self._locale = QLocale()

    # ── changes ─────────────────────────────────────────────────────────────────────────

    def add(self, transfers: list[Transfer] | list[Operation]) -> None:
        fresh = [t for t in transfers if _key(t) not in self._row_of]
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for t in fresh:
            self._row_of[_key(t)] = len(self._rows)
            self._rows.append(t)
        self.endInsertRows()

    def refresh(self, changed: list[Transfer] | list[Operation]) -> None:
        """Repaint the rows of ``changed`` (adding any not yet shown) and update speeds."""
        self.add(changed)
        now = time.monotonic()
        rows: list[int] = []
        for t in changed:
            key = _key(t)
            row = self._row_of.get(key)
            if row is None:
                continue
            rows.append(row)
            done = _amount_done(t)
            last_done, last_time, speed = self._speed.get(key, (done, now, 0.0))
            if t.state is State.RUNNING and now > last_time:
                measured = max(0.0, (done - last_done) / (now - last_time))
                speed = measured if speed == 0.0 else speed + _SPEED_SMOOTHING * (measured - speed)
            else:
                speed = 0.0
            self._speed[key] = (done, now, speed)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(Column) - 1))

    def remove_where(self, keep: set[int]) -> None:
        """Keep only the transfers whose ids are in ``keep`` (and unfinished operations)."""
        self.beginResetModel()
        self._rows = [
            t
            for t in self._rows
            if (t.id in keep if isinstance(t, Transfer) else not t.state.finished)
        ]
        self._row_of = {_key(t): row for row, t in enumerate(self._rows)}
        self._speed = {k: s for k, s in self._speed.items() if k in self._row_of}
        self.endResetModel()

    # ── reading ─────────────────────────────────────────────────────────────────────────

    def transfers(self) -> list[Transfer]:
        return [t for t in self._rows if isinstance(t, Transfer)]

    def operations(self) -> list[Operation]:
        return [t for t in self._rows if isinstance(t, Operation)]

    def transfer(self, index: AnyIndex) -> Transfer | None:
        row = self._at(index)
        return row if isinstance(row, Transfer) else None

    def operation(self, index: AnyIndex) -> Operation | None:
        row = self._at(index)
        return row if isinstance(row, Operation) else None

    def _at(self, index: AnyIndex) -> Transfer | Operation | None:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        return self._rows[index.row()]

    def speed(self, transfer: Transfer | Operation) -> float:
        """Bytes (an operation: objects) per second."""
        return self._speed.get(_key(transfer), (0, 0.0, 0.0))[2]

    def total_speed(self) -> float:
        """Bytes per second of the transfers."""
        return sum(s for key, (_b, _t, s) in self._speed.items() if key > 0)

    # ── Qt model ────────────────────────────────────────────────────────────────────────

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

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

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._at(index)
        if isinstance(row, Operation):
            return self._operation_data(row, Column(index.column()), role)
        t = row
        if t is None:
            return None
        column = Column(index.column())
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
            pixmap = (
                QStyle.StandardPixmap.SP_ArrowUp
                if t.direction is Direction.UPLOAD
                else QStyle.StandardPixmap.SP_ArrowDown
            )
            return QApplication.style().standardIcon(pixmap)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            Column.SIZE,
            Column.SPEED,
            Column.ETA,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, t: Transfer, column: Column) -> str:
        if column == Column.NAME:
            return t.name
        if column == Column.DIRECTION:
            return (
                QCoreApplication.translate("TransferListModel", "Upload")
                if t.direction is Direction.UPLOAD
                else QCoreApplication.translate("TransferListModel", "Download")
            )
        if column == Column.SIZE:
            return self._locale.formattedDataSize(t.size)
        if column == Column.PROGRESS:
            return f"{_percent(t)} %"
        if column == Column.SPEED:
            speed = self.speed(t)
            if speed < 1:
                return ""
            return QCoreApplication.translate("TransferListModel", "{size}/s").format(
                size=self._locale.formattedDataSize(int(speed))
            )
        if column == Column.ETA:
            return self._eta(t)
        return state_text(t)

    def _eta(self, t: Transfer) -> str:
        speed = self.speed(t)
        if t.state is not State.RUNNING or speed < 1:
            return ""
        return format_duration((t.size - t.bytes_done) / speed)

    def _tooltip(self, t: Transfer) -> str:
        where = f"{t.bucket}/{t.key}"
        lines = [
            f"{where} → {t.local_path}"
            if t.direction is Direction.DOWNLOAD
            else f"{t.local_path} → {where}"
        ]
        if t.error is not None:
            lines += [t.error.message, t.error.hint]
        elif t.note:
            lines.append(t.note)
        return "\n".join(line for line in lines if line)

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
            }[op.kind]
            return QApplication.style().standardIcon(pixmap)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            Column.SIZE,
            Column.SPEED,
            Column.ETA,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def operation_tooltip(self, op: Operation) -> str:
        return str(self._operation_data(op, Column.NAME, Qt.ItemDataRole.ToolTipRole))

    def _operation_text(self, op: Operation, column: Column) -> str:
        p = op.progress()
        if column == Column.NAME:
            return op.title
        if column == Column.DIRECTION:
            return {
                OpKind.COPY: QCoreApplication.translate("TransferListModel", "Copy"),
                OpKind.MOVE: QCoreApplication.translate("TransferListModel", "Move"),
                OpKind.DELETE: QCoreApplication.translate("TransferListModel", "Delete"),
            }[op.kind]
        if column == Column.SIZE:
            # Objects are counted in the State column; bytes here, as for transfers.
            return self._locale.formattedDataSize(p.found_bytes) + ("" if p.counted else "…")
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
            speed = self.speed(op)
            if op.state is not State.RUNNING or speed < 1 or not p.counted:
                return ""
            return format_duration((p.found - p.done) / speed)
        return operation_state_text(op, self._locale)


def _key(row: Transfer | Operation) -> int:
    """A row's key: transfer ids are positive, operations get negative ones."""
    return row.id if isinstance(row, Transfer) else -row.id


def _amount_done(row: Transfer | Operation) -> int:
    return row.bytes_done if isinstance(row, Transfer) else row.progress().done


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
        }[op.kind]
        if p.counted:
            return QCoreApplication.translate(
                "TransferListModel", "{verb} {done} of {found}…"
            ).format(verb=verb, done=done, found=found)
        return QCoreApplication.translate(
            "TransferListModel", "{verb} {done} of {found} found so far…"
        ).format(verb=verb, done=done, found=found)
    if op.state is State.DONE:
        return QCoreApplication.translate("TransferListModel", "Done: {done} objects").format(
            done=done
        )
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
