"""TransferPanel: the list of transfers with pause, resume, cancel, retry and clear.

A tree: a batch of several files is one row that expands into its files. Actions apply to
the selected rows (a batch's row: to all its files); "Pause all" and "Resume all" to
every transfer. Double-click opens a finished download, or shows why a transfer failed
(on a batch's row it expands the batch). A new transfer scrolls into view.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QUrl,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.journal import Direction, State
from cloudbrowser.core.keys import usable_name
from cloudbrowser.core.operations import Operation
from cloudbrowser.core.transfers import Transfer
from cloudbrowser.gui.models.transfer_list import Column, ProgressRole
from cloudbrowser.gui.transfer_controller import TransferController

AnyIndex = QModelIndex | QPersistentModelIndex


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress column as a progress bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data(ProgressRole) or 0)
        bar.text = f"{bar.progress} %"
        bar.textVisible = True
        # Qt 6 reads the orientation from the state: without this the bar fills upwards.
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class RouteDelegate(QStyledItemDelegate):
    """The From → to column, elided on the left: where the bytes go stays readable when
    the whole route does not fit (the tooltip has all of it)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class TransferTree(QTreeView):
    """The panel's view: whole rows, several selectable, uniform heights (only painted rows
    are asked for data, whatever the number of transfers), long paths elided in the middle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setAllColumnsShowFocus(True)
        self.header().setHighlightSections(False)
        self.header().setStretchLastSection(False)

    def dataChanged(
        self,
        top_left: AnyIndex,
        bottom_right: AnyIndex,
        roles: Sequence[int] = (),
    ) -> None:
        """Files of a collapsed batch are not shown: nothing of theirs to repaint. Qt
        would still work out each changed cell's rectangle (up to ~200 cells a poll),
        three calls into Python each, every one waiting for the GIL the transfer
        threads hold: the poll after a drop took 30-70 ms for 3 ms of work (issue 14).
        What is shown when the batch is expanded is asked for then."""
        parent = top_left.parent()
        if parent.isValid() and not self.isExpanded(parent):
            return
        super().dataChanged(top_left, bottom_right, list(roles))

    def selectRow(self, row: int, parent: QModelIndex | None = None) -> None:
        """Add top-level row ``row`` (or a child of ``parent``) to the selection."""
        model = self.model()
        index = model.index(row, 0, parent or QModelIndex())
        self.select(index)

    def select(self, index: QModelIndex) -> None:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().select(index, flags)


class TransferPanel(QWidget):
    def __init__(self, controller: TransferController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model = controller.model

        self.view = TransferTree()
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(self.view))
        self.view.setItemDelegateForColumn(Column.ROUTE, RouteDelegate(self.view))
        self.view.setAccessibleName(self.tr("Transfers"))
        header = self.view.header()
        header.setSectionResizeMode(Column.ROUTE, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (Column.NAME, 240),
            (Column.SIZE, 80),
            (Column.PROGRESS, 130),
            (Column.SPEED, 90),
            (Column.ETA, 80),
            (Column.STATE, 200),
        ):
            header.resizeSection(column, width)
        # A new batch scrolls into view, as a file manager shows a copy it starts.
        self.model.rowsInserted.connect(self._scroll_to_new)
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        sp = QStyle.StandardPixmap
        self.pause_action = self._action(self.tr("Pause"), sp.SP_MediaPause, self.pause_selected)
        self.resume_action = self._action(self.tr("Resume"), sp.SP_MediaPlay, self.resume_selected)
        self.retry_action = self._action(
            self.tr("Retry"), sp.SP_BrowserReload, self.resume_selected
        )
        self.cancel_action = self._action(
            self.tr("Cancel"), sp.SP_DialogCancelButton, self.cancel_selected
        )
        self.cancel_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_action = self._action(self.tr("Open"), sp.SP_FileIcon, self.open_selected)
        self.show_action = self._action(
            self.tr("Show in folder"), sp.SP_DirOpenIcon, self.show_in_folder
        )
        self.details_action = self._action(
            self.tr("Details…"), sp.SP_MessageBoxInformation, self.details
        )
        self.save_as_action = self._action(
            self.tr("Save as…"), sp.SP_DialogSaveButton, self.save_as_selected
        )
        self.save_as_action.setToolTip(
            self.tr("Download the object again, under a name of your choice")
        )
        #: Asks where to save a download (a suggested path in, None if cancelled); tests
        #: replace it.
        self.choose_save_path: Callable[[Path], Path | None] = self._ask_save_path
        self.pause_all_action = self._action(self.tr("Pause all"), None, self.pause_all)
        self.resume_all_action = self._action(self.tr("Resume all"), None, self.resume_all)
        self.clear_action = self._action(
            self.tr("Clear finished"), sp.SP_DialogResetButton, controller.clear_finished
        )

        toolbar = QToolBar()
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (
            self.pause_action,
            self.resume_action,
            self.retry_action,
            self.cancel_action,
        ):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.show_action)
        toolbar.addAction(self.clear_action)
        toolbar.addSeparator()
        toolbar.addAction(self.pause_all_action)
        toolbar.addAction(self.resume_all_action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.view, 1)

        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.dataChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsInserted.connect(self._update_actions)
        self._update_actions()

    def _action(self, text: str, icon: QStyle.StandardPixmap | None, slot: object) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # ── selection ───────────────────────────────────────────────────────────────────────

    def _selected_indexes(self) -> list[QModelIndex]:
        return self.view.selectionModel().selectedRows()

    def selected(self) -> list[Transfer]:
        """The transfers of the selected rows (a batch's row: all its files), once each."""
        found: dict[int, Transfer] = {}
        for index in self._selected_indexes():
            for t in self.model.transfers_at(index):
                found.setdefault(t.id, t)
        return list(found.values())

    def selected_operations(self) -> list[Operation]:
        found = [self.model.operation(i) for i in self._selected_indexes()]
        return [op for op in found if op is not None]

    def select(self, transfer: Transfer) -> None:
        """Select the row of ``transfer`` (expanding its batch), e.g. from a message."""
        index = self.model.index_of(transfer)
        if index.parent().isValid():
            self.view.expand(index.parent())
        self.view.select(index)
        self.view.scrollTo(index)

    @Slot(QModelIndex, int, int)
    def _scroll_to_new(self, parent: QModelIndex, _first: int, last: int) -> None:
        if not parent.isValid():
            self.view.scrollTo(self.model.index(last, 0))

    def _ids(self, states: tuple[State, ...], transfers: list[Transfer] | None = None) -> list[int]:
        chosen = self.selected() if transfers is None else transfers
        return [t.id for t in chosen if t.state in states]

    @Slot()
    def _update_actions(self) -> None:
        selected = self.selected()
        states = {t.state for t in selected}
        everything = self.model.states()
        self.pause_action.setEnabled(bool(states & {State.QUEUED, State.RUNNING}))
        self.resume_action.setEnabled(State.PAUSED in states)
        self.retry_action.setEnabled(
            bool(states & {State.FAILED, State.CANCELLED}) or any(map(_waits, selected))
        )
        operations = self.selected_operations()
        self.cancel_action.setEnabled(
            bool(states & {State.QUEUED, State.RUNNING, State.PAUSED, State.FAILED})
            or any(not op.state.finished for op in operations)
        )
        downloaded = [t for t in selected if t.direction is Direction.DOWNLOAD]
        self.open_action.setEnabled(any(t.state is State.DONE for t in downloaded))
        self.show_action.setEnabled(bool(selected))
        self.details_action.setEnabled(len(selected) + len(operations) == 1)
        self.save_as_action.setEnabled(self._failed_download() is not None)
        self.pause_all_action.setEnabled(bool(everything & {State.QUEUED, State.RUNNING}))
        self.resume_all_action.setEnabled(bool(everything & {State.PAUSED, State.FAILED}))
        self.clear_action.setEnabled(
            any(s.finished for s in everything)
            or any(op.state.finished for op in self.model.operations())
        )

    # ── actions ─────────────────────────────────────────────────────────────────────────

    def pause_selected(self) -> None:
        self.controller.pause(self._ids((State.QUEUED, State.RUNNING)))

    def resume_selected(self) -> None:
        # One waiting to be tried again by itself is tried now.
        waiting = [t.id for t in self.selected() if _waits(t)]
        self.controller.resume(self._ids((State.PAUSED, State.FAILED, State.CANCELLED)) + waiting)

    def cancel_selected(self) -> None:
        states = (State.QUEUED, State.RUNNING, State.PAUSED, State.FAILED)
        self.controller.cancel(self._ids(states))
        for op in self.selected_operations():
            op.cancel()  # it stops after the requests in flight; its row then says so

    def pause_all(self) -> None:
        self.controller.pause(self._ids((State.QUEUED, State.RUNNING), self.model.transfers()))

    def resume_all(self) -> None:
        self.controller.resume(self._ids((State.PAUSED, State.FAILED), self.model.transfers()))

    def open_selected(self) -> None:
        for t in self.selected():
            if t.direction is Direction.DOWNLOAD and t.state is State.DONE:
                self.controller.opener(QUrl.fromLocalFile(str(t.local_path)))

    def _failed_download(self) -> Transfer | None:
        """The one selected transfer, if it is a download that failed."""
        selected = self.selected()
        if len(selected) != 1 or self.selected_operations():
            return None
        t = selected[0]
        failed = t.direction is Direction.DOWNLOAD and t.state is State.FAILED
        return t if failed else None

    def save_as_selected(self) -> None:
        """Offer a cleaned-up name for a failed download, then download it there."""
        t = self._failed_download()
        if t is None:
            return
        suggested = t.local_path.parent / usable_name(t.local_path.name)
        path = self.choose_save_path(suggested)
        if path is not None:
            self.controller.save_as(t, path)

    def _ask_save_path(self, suggested: Path) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("Save as"), str(suggested))
        return Path(chosen) if chosen else None

    def show_in_folder(self) -> None:
        """Open the folder of each selected file; a batch's: the one folder they share."""
        folders: set[Path] = set()
        for index in self._selected_indexes():
            transfers = self.model.transfers_at(index)
            if len(transfers) > 1:
                parents = {str(t.local_path.parent) for t in transfers}
                try:
                    folders.add(Path(os.path.commonpath(parents)))
                except ValueError:  # different drives (Windows)
                    folders.update(Path(p) for p in parents)
            else:
                folders.update(t.local_path.parent for t in transfers)
        for folder in sorted(folders):
            self.controller.opener(QUrl.fromLocalFile(str(folder)))

    def details(self) -> None:
        selected = self.selected()
        if len(selected) == 1:
            self._show_details(selected[0])
        operations = self.selected_operations()
        if len(operations) == 1:
            self._show_operation(operations[0])

    def _show_operation(self, op: Operation) -> None:
        text = self.model.operation_tooltip(op)
        self.controller.messages.info(text.replace("\n", " · "))

    def _show_details(self, t: Transfer) -> None:
        if t.error is not None:
            self.controller.messages.major(t.error)
        else:
            text = self.model.index_of(t).data(Qt.ItemDataRole.ToolTipRole)
            self.controller.messages.info(str(text).replace("\n", " · "))

    @Slot(QModelIndex)
    def _on_double_click(self, index: QModelIndex) -> None:
        if self.model.group(index) is not None:
            return  # the view expands or collapses it
        op = self.model.operation(index)
        if op is not None:
            self.details()
            return
        t = self.model.transfer(index)
        if t is None:
            return
        if t.direction is Direction.DOWNLOAD and t.state is State.DONE:
            self.controller.opener(QUrl.fromLocalFile(str(t.local_path)))
        else:
            self._show_details(t)

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        self._update_actions()
        menu = QMenu(self)
        for action in (
            self.pause_action,
            self.resume_action,
            self.retry_action,
            self.cancel_action,
            None,
            self.open_action,
            self.show_action,
            self.details_action,
            self.save_as_action,
            None,
            self.clear_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.view.viewport().mapToGlobal(pos))


def _waits(t: Transfer) -> bool:
    """Failed for a passing reason, it waits to be tried again by itself."""
    return t.state is State.QUEUED and bool(t.retry_at)
