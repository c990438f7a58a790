"""BucketTreeModel: connections → buckets → prefixes, each level fetched lazily on a worker.

Like QFileSystemModel, a node says it may have children until it has been fetched; the view
calls ``fetchMore`` when the user expands it. Results carry the key of the node they are for
and its generation, and are applied only if that node still exists at that generation (a
refresh or removal meanwhile makes them stale). No QModelIndex is ever kept across a thread
hop.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Slot

from cloudbrowser.core.entries import Bucket, ListPage
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.keys import leaf_name, remote_uri
from cloudbrowser.core.printable import printable
from cloudbrowser.gui import icons
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.messages import error_title
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Handlers

AnyIndex = QModelIndex | QPersistentModelIndex

#: Role returning the node's :class:`Location`.
LocationRole = Qt.ItemDataRole.UserRole + 10


class State(Enum):
    UNLOADED = auto()
    LOADING = auto()
    LOADED = auto()
    FAILED = auto()


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
        """Forget a node's children and fetch them again."""
        node = self._node(index)
        if node is None:
            return
        if node.children:
            self.beginRemoveRows(self.createIndex(node.row, 0, node), 0, len(node.children) - 1)
            for child in node.children:
                self._forget(child)
            node.children = []
            self.endRemoveRows()
        node.generation += 1
        node.state = State.UNLOADED
        node.error = None
        self.fetchMore(self.createIndex(node.row, 0, node))

    # ── lazy loading ────────────────────────────────────────────────────────────────────

    def canFetchMore(self, parent: AnyIndex) -> bool:
        node = self._node(parent)
        return node is not None and node.state in (State.UNLOADED, State.FAILED)

    def fetchMore(self, parent: AnyIndex) -> None:
        node = self._node(parent)
        if node is None or node.state in (State.LOADING, State.LOADED):
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
        self._requests.pop(self.sender(), None)

    def _append(self, node: Node, locations: list[Location]) -> None:
        fresh = [loc for loc in locations if loc not in self._nodes]
        if not fresh:
            return
        start = len(node.children)
        self.beginInsertRows(self.createIndex(node.row, 0, node), start, start + len(fresh) - 1)
        for offset, loc in enumerate(fresh):
            child = Node(loc, node, start + offset)
            node.children.append(child)
            self._nodes[loc] = child
        self.endInsertRows()

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

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            section == 0
            and orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return self.tr("Buckets")
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None:
            return None
        loc = node.location
        if role == Qt.ItemDataRole.DisplayRole:
            if node.state == State.FAILED and node.error is not None:
                return printable(f"{node.label} ({error_title(node.error).lower()})")
            return printable(node.label)
        if role == Qt.ItemDataRole.DecorationRole:
            if node.state == State.FAILED:
                return icons.error_icon()
            if loc.is_connection_root:
                return icons.connection_icon()
            return icons.bucket_icon() if not loc.prefix else icons.folder_icon()
        if role == Qt.ItemDataRole.ToolTipRole:
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
