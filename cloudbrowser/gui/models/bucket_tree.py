"""BucketTreeModel: connections → buckets → prefixes, each level fetched lazily on a worker.

Like QFileSystemModel, a node says it may have children until it has been fetched; the view
calls ``fetchMore`` when the user expands it. Results carry the key of the node they are for
and its generation, and are applied only if that node still exists at that generation (a
refresh or removal meanwhile makes them stale). No QModelIndex is ever kept across a thread
hop.

The prefix the file list shows is not listed a second time for the tree: while the list
lists it, its node *follows* that listing (:meth:`BucketTreeModel.follow`,
``gui/tree_follow.py`` feeds it the folders of each page), so a folder of 100,000 keys is
listed once, not once for the list and once for the tree.
"""

from __future__ import annotations

import itertools
from enum import Enum, auto
from typing import Any

from PySide6 import QtCore
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Slot

from cloudbrowser.core.entries import Bucket, Entry, ListPage
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.keys import leaf_name, remote_uri
from cloudbrowser.core.printable import printable
from cloudbrowser.gui import icons
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.messages import error_title
from cloudbrowser.gui.natural_sort import collator, name_key
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.qt_values import DISPLAY_ROLE, USER_ROLE
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Handlers, Job

AnyIndex = QModelIndex | QPersistentModelIndex

#: Role returning the node's :class:`Location`.
LocationRole = USER_ROLE + 10


class State(Enum):
    UNLOADED = auto()
    LOADING = auto()
    LOADED = auto()
    FAILED = auto()
    #: The children come from the file list's listing of the same prefix.
    FOLLOWING = auto()


class Node:
    """One row of the tree. ``row`` is its index in the parent's children (append-only)."""

    __slots__ = ("children", "error", "generation", "location", "parent", "row", "state")

    def __init__(self, location: Location, parent: Node | None, row: int) -> None:
        self.location = location
        self.parent = parent
        self.row = row
        self.children: list[Node] = []
        self.state = State.UNLOADED
        self.error: CloudBrowserError | None = None
        self.generation = 0

    @property
    def label(self) -> str:
        loc = self.location
        if loc.prefix:
            return leaf_name(loc.prefix) or "/"
        return loc.bucket or loc.connection


class BucketTreeModel(QAbstractItemModel):
    """The navigation tree. Connections are added with :meth:`add_connection`."""

    def __init__(self, service: StorageService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._roots: list[Node] = []
        self._nodes: dict[Location, Node] = {}
        #: job signals object → (location, generation) it was started for.
        self._requests: dict[QObject, tuple[Location, int]] = {}
        #: The tree's own listing running for a node, to cancel when the list takes over.
        self._jobs: dict[Location, Job] = {}
        #: A node following the list's listing → (its state before, the children listed).
        self._following: dict[Location, tuple[State, set[Location]]] = {}
        service.connectionRemoved.connect(self.remove_connection)

    # ── public API ──────────────────────────────────────────────────────────────────────

    def add_connection(self, conn_id: str) -> QModelIndex:
        location = Location(conn_id)
        row = len(self._roots)
        self.beginInsertRows(QModelIndex(), row, row)
        node = Node(location, None, row)
        self._roots.append(node)
        self._nodes[location] = node
        self.endInsertRows()
        return self.index(row, 0)

    @Slot(str)
    def remove_connection(self, conn_id: str) -> None:
        node = self._nodes.get(Location(conn_id))
        if node is None:
            return
        self.beginRemoveRows(QModelIndex(), node.row, node.row)
        self._roots.remove(node)
        for i, root in enumerate(self._roots):
            root.row = i
        self._forget(node)
        self.endRemoveRows()

    def index_for(self, location: Location) -> QModelIndex:
        """The index of a loaded node, or an invalid index if the tree has not got there."""
        node = self._nodes.get(location)
        return self.createIndex(node.row, 0, node) if node is not None else QModelIndex()

    def node_state(self, location: Location) -> State | None:
        node = self._nodes.get(location)
        return node.state if node is not None else None

    def refresh(self, index: AnyIndex) -> None:
        """Forget a node's children and fetch them again (unless the file list is listing
        them right now: see :meth:`follow`)."""
        node = self._node(index)
        if node is None or node.state == State.FOLLOWING:
            return
        if node.children:
            self.beginRemoveRows(self.createIndex(node.row, 0, node), 0, len(node.children) - 1)
            for child in node.children:
                self._forget(child)
            node.children = []
            self.endRemoveRows()
        self._stop_own_listing(node)
        node.state = State.UNLOADED
        node.error = None
        self.fetchMore(self.createIndex(node.row, 0, node))

    # ── children from the file list's listing ───────────────────────────────────────────

    def follow(self, location: Location) -> bool:
        """The file list is listing ``location`` now: take the node's children from that
        listing (:meth:`add_listed`, then :meth:`end_following`) rather than listing the
        prefix again; a listing of the tree's own for it is cancelled. Children shown
        before stay (expanded ones stay expanded) until the listing is complete. False if
        the node is not in the tree (yet)."""
        node = self._nodes.get(location)
        if node is None:
            return False
        if node.state != State.FOLLOWING:
            before = State.LOADED if node.state == State.LOADED else State.UNLOADED
            self._following[location] = (before, set())
            self._stop_own_listing(node)
            node.state = State.FOLLOWING
            node.error = None
            self._changed(node)
        return True

    def add_listed(self, location: Location, folders: list[Entry]) -> None:
        """Folders (or, at a connection, buckets as ``name/``) the list's listing of
        ``location`` found."""
        node = self._nodes.get(location)
        following = self._following.get(location)
        if node is None or following is None or not folders:
            return
        if location.is_connection_root:
            found = [Location(location.connection, f.key.rstrip("/")) for f in folders]
        else:
            found = [Location(location.connection, location.bucket, f.key) for f in folders]
        following[1].update(found)
        self._append(node, found)

    def end_following(
        self, location: Location, *, complete: bool, error: CloudBrowserError | None = None
    ) -> None:
        """The list's listing of ``location`` ended. Complete: the node is loaded, and
        children it did not list (deleted meanwhile) go. Failed: the node shows ``error``.
        Stopped or left: the node is as before (an unloaded node is listed by the tree
        when expanded)."""
        following = self._following.pop(location, None)
        node = self._nodes.get(location)
        if following is None or node is None or node.state != State.FOLLOWING:
            return
        before, listed = following
        if complete:
            self._prune(node, listed)
            node.state = State.LOADED
        elif error is not None:
            node.state = State.FAILED
            node.error = error
        else:
            node.state = before
        self._changed(node)

    def _prune(self, node: Node, keep: set[Location]) -> None:
        parent = self.createIndex(node.row, 0, node)
        for child in reversed(node.children):
            if child.location in keep:
                continue
            self.beginRemoveRows(parent, child.row, child.row)
            del node.children[child.row]
            for row, sibling in enumerate(node.children[child.row :], start=child.row):
                sibling.row = row
            self._forget(child)
            self.endRemoveRows()

    def _stop_own_listing(self, node: Node) -> None:
        """Cancel the tree's listing for ``node``; anything it still delivers is dropped."""
        node.generation += 1
        job = self._jobs.pop(node.location, None)
        if job is not None:
            job.cancel()

    # ── lazy loading ────────────────────────────────────────────────────────────────────

    def canFetchMore(self, parent: AnyIndex) -> bool:
        node = self._node(parent)
        return node is not None and node.state in (State.UNLOADED, State.FAILED)

    def fetchMore(self, parent: AnyIndex) -> None:
        node = self._node(parent)
        if node is None or node.state in (State.LOADING, State.LOADED, State.FOLLOWING):
            return
        loc = node.location
        handlers: Handlers = {"failed": self._on_failed, "finished": self._on_finished}
        if loc.is_connection_root:
            handlers["succeeded"] = self._on_buckets
            job = self._service.list_buckets(loc.connection, **handlers)
        else:
            handlers["progress"] = self._on_page
            handlers["succeeded"] = self._on_done
            job = self._service.list_prefix(loc.connection, loc.bucket, loc.prefix, **handlers)
        # Results are queued to this (the GUI) thread, so none is handled before this line.
        self._requests[job.signals] = (loc, node.generation)
        self._jobs[loc] = job
        node.state = State.LOADING
        node.error = None
        self._changed(node)

    def _target(self) -> Node | None:
        """The node the sending job was for, if it still exists at the same generation."""
        request = self._requests.get(self.sender())
        if request is None:
            return None
        location, generation = request
        node = self._nodes.get(location)
        return node if node is not None and node.generation == generation else None

    @Slot(object)
    def _on_buckets(self, buckets: list[Bucket]) -> None:
        node = self._target()
        if node is None:
            return
        conn = node.location.connection
        self._append(node, [Location(conn, b.name) for b in buckets])
        node.state = State.LOADED
        self._changed(node)

    @Slot(object)
    def _on_page(self, page: ListPage) -> None:
        node = self._target()
        if node is None:
            return
        loc = node.location
        self._append(node, [Location(loc.connection, loc.bucket, p.key) for p in page.prefixes])

    @Slot(object)
    def _on_done(self, _pages: int) -> None:
        node = self._target()
        if node is not None:
            node.state = State.LOADED
            self._changed(node)

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        node = self._target()
        if node is None:
            return
        node.state = State.FAILED
        node.error = error
        self._changed(node)

    @Slot()
    def _on_finished(self) -> None:
        request = self._requests.pop(self.sender(), None)
        if request is None:
            return
        job = self._jobs.get(request[0])
        if job is not None and job.signals is self.sender():
            del self._jobs[request[0]]

    def _append(self, node: Node, locations: list[Location]) -> None:
        """Add children, keeping them in natural order (as the file list): appended when
        they come after every child (the common case), else merged in with one layout
        change."""
        fresh = [Node(loc, node, -1) for loc in locations if loc not in self._nodes]
        if not fresh:
            return
        compare = collator().compare
        if any(compare(a.label, b.label) > 0 for a, b in itertools.pairwise(fresh)):
            fresh.sort(key=lambda n: name_key(n.label))
        children = node.children
        parent = self.createIndex(node.row, 0, node)
        for child in fresh:
            self._nodes[child.location] = child
        if not children or compare(fresh[0].label, children[-1].label) >= 0:
            start = len(children)
            self.beginInsertRows(parent, start, start + len(fresh) - 1)
            for offset, child in enumerate(fresh):
                child.row = start + offset
                children.append(child)
            self.endInsertRows()
            return
        self.layoutAboutToBeChanged.emit()
        merged = sorted(children + fresh, key=lambda n: name_key(n.label))
        for row, child in enumerate(merged):
            child.row = row
        node.children = merged
        # Expanded and selected children keep their state: their indexes follow them.
        before = {id(c) for c in children}
        old: list[QModelIndex] = []
        new: list[QModelIndex] = []
        for index in self.persistentIndexList():
            kept = self._node(index)
            if kept is not None and id(kept) in before:
                old.append(index)
                new.append(self.createIndex(kept.row, 0, kept))
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _forget(self, node: Node) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            self._nodes.pop(n.location, None)
            stack.extend(n.children)

    def _changed(self, node: Node) -> None:
        index = self.createIndex(node.row, 0, node)
        self.dataChanged.emit(index, index)

    def _node(self, index: AnyIndex) -> Node | None:
        if not index.isValid():
            return None
        node = index.internalPointer()
        return node if isinstance(node, Node) else None

    # ── QAbstractItemModel ──────────────────────────────────────────────────────────────

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        node = self._node(parent)
        children = self._roots if node is None else node.children
        if row >= len(children):
            return QModelIndex()
        return self.createIndex(row, 0, children[row])

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self._node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self._node(parent)
        return len(self._roots if node is None else node.children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        node = self._node(parent)
        if node is None:
            return not parent.isValid() and bool(self._roots)
        return node.state != State.LOADED or bool(node.children)

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        return QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> Any:
        if (
            section == 0
            and orientation == QtCore.Qt.Orientation.Horizontal
            and role == QtCore.Qt.ItemDataRole.DisplayRole
        ):
            return self.tr("Connections")
        return None

    def data(self, index: AnyIndex, role: int = DISPLAY_ROLE) -> Any:
        node = self._node(index)
        if node is None:
            return None
        loc = node.location
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            if node.state == State.FAILED and node.error is not None:
                return printable(f"{node.label} ({error_title(node.error).lower()})")
            return printable(node.label)
        if role == QtCore.Qt.ItemDataRole.DecorationRole:
            if node.state == State.FAILED:
                return icons.error_icon()
            if loc.is_connection_root:
                return icons.connection_icon()
            return icons.bucket_icon() if not loc.prefix else icons.folder_icon()
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            if node.error is not None:
                return printable(f"{node.error.message}\n{node.error.hint}".strip(), keep="\n")
            if node.state == State.LOADING:
                return self.tr("Loading…")
            scheme = uri_scheme(self._service, loc.connection)
            if not loc.bucket or not scheme:
                return printable(f"{loc.bucket}/{loc.prefix}" if loc.bucket else loc.connection)
            return printable(remote_uri(scheme, loc.bucket, loc.prefix))
        if role == LocationRole:
            return loc
        return None
