"""The parts of the main window its feature modules are handed (and nothing more).

The feature modules (file operations, inspect, versions, folder size, search) act on the
place the window shows and put their actions in its menus. Each is given what it uses:
the service, the message sink, the transfer controller, a parent widget for its dialogs,
and these small records: :class:`Browsing` (the place shown, its selection, moving
between places), :class:`WindowMenus` (where actions go, and the window's own actions
they sit beside) and :class:`ListingBar` (the bar under the list). None of them imports
the main window, which builds these records and the modules once (import-linter keeps it
so: see pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QToolBar, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel
from cloudbrowser.gui.models.object_list import EntryRole, ObjectListModel
from cloudbrowser.gui.navigation import History, Location
from cloudbrowser.gui.widgets.views import BucketTreeView, ObjectView

if TYPE_CHECKING:  # QStyle builds its enums on first use: not before the first paint
    from PySide6.QtWidgets import QStyle

#: Adds a feature's section to the list's context menu for the selection; True if it added
#: anything (the window then puts a separator after it).
ContextSection = Callable[[QMenu, list[Entry]], bool]
#: Adds a feature's items to the tree's context menu of a bucket or folder; True if it
#: added anything.
TreeSection = Callable[[QMenu, Location], bool]


def make_action(
    owner: QWidget,
    text: str,
    icon: QStyle.StandardPixmap | None,
    keys: list[QKeySequence],
    slot: object,
) -> QAction:
    """An action of ``owner`` (its shortcuts work anywhere in it) with ``text`` (already
    translated), an optional standard icon, shortcuts (the first shown in the tool tip) and
    the slot it triggers."""
    action = QAction(text, owner)
    if icon is not None:
        action.setIcon(owner.style().standardIcon(icon))
    unique: list[QKeySequence] = []
    for key in keys:  # StandardKey.Back is Alt+Left on some platforms: no duplicates
        if not key.isEmpty() and key not in unique:
            unique.append(key)
    action.setShortcuts(unique)
    shortcut_text = unique[0].toString(QKeySequence.SequenceFormat.NativeText) if unique else ""
    action.setToolTip(f"{text} ({shortcut_text})" if shortcut_text else text)
    action.triggered.connect(slot)
    owner.addAction(action)
    return action


@dataclass(frozen=True)
class WindowMenus:
    """Where a feature puts its actions, and the window's own actions it arranges them by."""

    #: The window: actions belong to it, so their shortcuts work anywhere in it.
    owner: QWidget
    file: QMenu
    edit: QMenu
    view: QMenu
    #: The navigation tool bar (None in a window without one).
    toolbar: QToolBar | None
    #: The list's context menu, one section per feature (added to in order).
    context_sections: list[ContextSection]
    paste: QAction
    filter: QAction
    refresh: QAction
    upload_files: QAction
    close_connection: QAction
    #: Where file buttons go: the tool bar and the marker they go before (None: nowhere).
    file_buttons: tuple[QToolBar, QAction] | None = None
    #: Download, which Edit goes beside in the File menu (None: at its end).
    download: QAction | None = None
    #: The tree's context menu of a bucket or folder, one section per feature.
    tree_sections: list[TreeSection] = field(default_factory=list)

    def add_file_buttons(self, buttons: list[tuple[QAction, str, QIcon]]) -> None:
        """Put (action, short label, icon) with the window's file buttons, if it has any."""
        if self.file_buttons is not None:
            add_file_buttons(*self.file_buttons, buttons)

    def new_action(
        self,
        text: str,
        icon: QStyle.StandardPixmap | None,
        keys: list[QKeySequence],
        slot: object,
    ) -> QAction:
        """An action of the window (see :func:`make_action`); placed by the caller."""
        return make_action(self.owner, text, icon, keys, slot)


@dataclass(frozen=True)
class Browsing:
    """The place the window shows, what is selected there, and moving between places."""

    history: History
    list_model: ObjectListModel
    tree_model: BucketTreeModel
    view: ObjectView
    tree: BucketTreeView
    #: Go to a place (remembered in the history).
    navigate: Callable[[Location], None]
    #: List the place shown again.
    refresh: Callable[[], None]
    go_back: Callable[[], None]

    @property
    def current(self) -> Location | None:
        return self.history.current

    def selected_entries(self) -> list[Entry]:
        """The selected rows of the list, in row order."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        found = [self.list_model.data(self.list_model.index(r, 0), EntryRole) for r in rows]
        return [e for e in found if e is not None]

    def focused_entry(self) -> Entry | None:
        """The row with the keyboard focus (the current index), if any."""
        entry: Entry | None = self.list_model.data(self.view.currentIndex(), EntryRole)
        return entry

    def refresh_location(self, location: Location) -> None:
        """List ``location`` again where it is shown: the file list and the tree."""
        if self.history.current == location:
            self.refresh()
        node = self.tree_model.index_for(location)
        if node.isValid() and not self.tree_model.canFetchMore(node):
            self.tree_model.refresh(node)


@dataclass(frozen=True)
class ListingBar:
    """The bar under the list: what the listing is doing, with Stop and Retry buttons."""

    bar: QWidget
    label: QLabel
    stop_button: QPushButton
    retry_button: QPushButton


def add_file_buttons(
    toolbar: QToolBar, end: QAction, buttons: list[tuple[QAction, str, QIcon]]
) -> None:
    """Put (action, short label, icon) on ``toolbar`` before ``end`` (the marker
    :func:`build_toolbar` leaves), after the ones added before."""
    for action, label, icon in buttons:
        action.setIcon(icon)
        action.setIconText(label)
        toolbar.insertAction(end, action)
