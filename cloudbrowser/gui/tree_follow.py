"""The bucket tree follows the file list: where the list is, the tree is expanded to and
selected (after Ctrl+L, a double-click into a folder, Back, Forward, Up), as in every file
manager; and the tree's children of that folder are the folders of the list's own listing,
never a second listing of the same prefix.

Expanding is lazy: each folder above the current one is expanded in turn, which lists it
(once) if the tree has not yet; when its child appears, the next one is expanded, down to
the current folder, which is then selected. Until then the deepest folder above it that the
tree has is selected, so the tree never shows a place the list is not at.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, Slot
from PySide6.QtWidgets import QTreeView

from cloudbrowser.core.entries import Entry
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel, State
from cloudbrowser.gui.models.object_list import ObjectListModel
from cloudbrowser.gui.navigation import Location, SearchLocation


def _path_to(location: Location) -> list[Location]:
    """The connection, the bucket and every folder down to ``location``, in that order."""
    path: list[Location] = []
    at: Location | None = location
    while at is not None:
        path.append(at)
        at = at.parent()
    return path[::-1]


class TreeFollower(QObject):
    """Keeps ``tree`` (over ``tree_model``) on the location ``list_model`` shows."""

    def __init__(
        self,
        tree: QTreeView,
        tree_model: BucketTreeModel,
        list_model: ObjectListModel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tree = tree
        self._tree_model = tree_model
        self._list = list_model
        #: Where the tree is to be: the list's folder (a search's: the folder searched).
        self._target: Location | None = None
        #: The target's node is not expanded to yet: expand as its parents load.
        self._revealing = False
        #: The folder the list is listing, whose node takes its children from that listing.
        self._followed: Location | None = None
        #: The list lists a folder whose node the tree does not have yet: follow it once
        #: it appears.
        self._waiting: Location | None = None
        list_model.modelReset.connect(self._on_list_shown)
        list_model.foldersListed.connect(self._on_folders)
        list_model.loadingChanged.connect(self._on_loading)
        tree_model.rowsInserted.connect(self._on_tree_rows)
        tree_model.layoutChanged.connect(self._on_tree_rows)  # children merged in

    @Slot()
    def _on_list_shown(self) -> None:
        """The list cleared for a new (or the same) location; its listing starts now."""
        if self._followed is not None:  # a listing still running was cancelled
            self._tree_model.end_following(self._followed, complete=False)
            self._followed = None
        self._waiting = None
        location = self._list.location
        if location is None:
            self._target = None
            return
        if isinstance(location, SearchLocation):
            self._target = location.folder()  # search results are not the folder's children
        else:
            self._target = location
            if self._tree_model.follow(location):
                self._followed = location
            else:
                self._waiting = location
        self._revealing = True
        self._reveal()

    @Slot(list)
    def _on_folders(self, folders: list[Entry]) -> None:
        if self._followed is not None:
            self._tree_model.add_listed(self._followed, folders)

    @Slot(bool)
    def _on_loading(self, loading: bool) -> None:
        if not loading:
            self._end_following(complete=self._list.complete)

    @Slot()
    def _on_tree_rows(self) -> None:
        waiting = self._waiting
        if waiting is not None and self._tree_model.follow(waiting):
            # The node appeared after the list started: give it what was listed so far.
            self._waiting = None
            self._followed = waiting
            self._tree_model.add_listed(waiting, self._list.listed_folders())
            if not self._list.loading:
                self._end_following(complete=self._list.complete)
        if self._target is not None:
            self._reveal()

    def _end_following(self, *, complete: bool) -> None:
        if self._followed is not None:
            error = None if complete else self._list.error
            self._tree_model.end_following(self._followed, complete=complete, error=error)
            self._followed = None

    def _reveal(self) -> None:
        """Expand the tree down to the target as far as it is loaded; select the deepest
        node of the way (the target itself once it is there)."""
        target = self._target
        if target is None:
            return
        model, deepest = self._tree_model, QModelIndex()
        for location in _path_to(target):
            index = model.index_for(location)
            if not index.isValid():
                break
            deepest = index
            if not self._revealing:
                continue
            if location != target:
                self._tree.expand(index)  # lists it, if the tree has not yet
            else:
                if model.node_state(location) in (State.FOLLOWING, State.LOADED):
                    self._tree.expand(index)  # its children come from the list's listing
                self._revealing = False
        self._select(deepest)

    def _select(self, index: QModelIndex) -> None:
        if not index.isValid() or self._tree.currentIndex() == index:
            return
        selection = self._tree.selectionModel()
        # Selected, not navigated to: the list is there already.
        blocked = selection.blockSignals(True)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        selection.blockSignals(blocked)
        self._tree.viewport().update()
        self._tree.scrollTo(index)
