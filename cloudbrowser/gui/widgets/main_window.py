"""MainWindow: the bucket tree beside the file list, a path bar, history and a status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError, ConfigError
from cloudbrowser.core.keys import leaf_name, parse_location, split_scheme
from cloudbrowser.core.printable import printable
from cloudbrowser.gui import icons
from cloudbrowser.gui.addresses import bucket_word
from cloudbrowser.gui.help_menu import HelpMenu
from cloudbrowser.gui.messages import MessageSink, error_title, one_line
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel, LocationRole
from cloudbrowser.gui.models.object_list import (
    Column,
    EntryRole,
    ObjectListModel,
)
from cloudbrowser.gui.navigation import History, Location
from cloudbrowser.gui.qt_values import ALIGN_RIGHT_VCENTER, TEXT_ALIGNMENT_ROLE, set_enum
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.settings import open_settings
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.status_progress import UPDATES_PER_SECOND, Throttle, set_value_later
from cloudbrowser.gui.toolbar import build_toolbar
from cloudbrowser.gui.tree_follow import TreeFollower
from cloudbrowser.gui.widgets.path_bar import PathBar
from cloudbrowser.gui.widgets.views import (
    BucketTreeView,
    ObjectView,
    list_row_height,
    local_paths,
    set_up_row_table,
)
from cloudbrowser.gui.window_parts import (
    Browsing,
    ListingBar,
    WindowMenus,
    add_file_buttons,
    make_action,
)

# Dialogs, the dock and message boxes are imported where first used, not before the first
# paint: PySide builds a Qt class's Python enums when the class is first named (~0.2-1 ms
# each, QStyle ~7 ms).
if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QStyle

    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.folders import EmptyFolder
    from cloudbrowser.core.transfers import Activity, Transfer
    from cloudbrowser.gui.bucket_texts import BucketTexts
    from cloudbrowser.gui.connector import Connector, OpenRequest
    from cloudbrowser.gui.dialogs.connections import ConnectionsDialog
    from cloudbrowser.gui.drag_out import RemoteFilesMime
    from cloudbrowser.gui.edit_files import EditFiles
    from cloudbrowser.gui.file_operations import FileOperations
    from cloudbrowser.gui.folder_size import FolderSizeActions
    from cloudbrowser.gui.inspect_actions import InspectActions
    from cloudbrowser.gui.prompts import MfaPrompter
    from cloudbrowser.gui.search import SearchActions
    from cloudbrowser.gui.sync_actions import SyncActions
    from cloudbrowser.gui.transfer_controller import TransferController
    from cloudbrowser.gui.user_first import UserFirst
    from cloudbrowser.gui.versions_actions import VersionActions
    from cloudbrowser.gui.widgets.transfer_panel import TransferPanel

AnyIndex = QModelIndex | QPersistentModelIndex

#: Enter on this many selected files asks first, as Windows Explorer does: each file opens
#: a program.
OPEN_MANY_ASKS = 15
#: The QSettings key of the local folder the upload pickers last took from.
_LAST_UPLOAD_FOLDER = "session/lastUploadFolder"


@dataclass(frozen=True)
class ConnectionRequest:
    """A connection to open, and where to go in it (``bucket/prefix/`` text, may be "").

    ``source`` names a saved connection or AWS profile (``saved:…``/``aws:…``, see
    ``gui/connector.py``) so that it can be reopened at the next start; "" for one given
    on the command line.
    """

    settings: ConnectionSettings
    credentials: Credentials | None = None
    location_text: str = ""
    source: str = ""


class EmptyTreePanel(QWidget):
    """Shown instead of the bucket tree while no connection is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.label = label = QLabel(self.tr("No connection is open."))
        set_enum(label, "alignment", "AlignCenter")  # (gui/qt_values.py)
        label.setWordWrap(True)
        self.add_button = QPushButton(self.tr("Add connection…"))
        self.open_button = QPushButton(self.tr("Connections…"))
        layout.addWidget(label)
        for button in (self.add_button, self.open_button):
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(button)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addStretch(2)

    def show_opening(self, text: str) -> None:
        """A connection is on its way (the demo server starting): say so, not "No
        connection is open", and offer no other until it has come or failed."""
        self.label.setText(text)
        self.add_button.hide()
        self.open_button.hide()

    def show_none(self) -> None:
        self.label.setText(self.tr("No connection is open."))
        self.add_button.show()
        self.open_button.show()


class ErrorPanel(QWidget):
    """Shown instead of the list when a location cannot be listed: what, why, what next."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        from PySide6.QtWidgets import QStyle  # made on the first failed listing, not at start

        self.icon = QLabel()
        self.icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(48, 48)
        )
        self.icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.message = QLabel()
        self.hint = QLabel()
        self.detail = QLabel()
        self.detail.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setStyleSheet("color: palette(placeholder-text);")
        for label in (self.message, self.hint, self.detail):
            label.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # a key is never markup
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.retry = QPushButton(self.tr("Retry"))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.retry)
        row.addStretch(1)
        for widget in (self.icon, self.title, self.message, self.hint, self.detail):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addStretch(2)

    def show_error(self, error: CloudBrowserError) -> None:
        self.title.setText(error_title(error))
        # Messages name keys and quote the server: control and bidi characters escaped.
        self.message.setText(printable(error.message))
        self.hint.setText(printable(error.hint))
        self.detail.setText(printable(error.detail, keep="\n"))
        self.detail.setVisible(bool(error.detail))


class MainWindow(QMainWindow):
    """The browser window. It owns the models; every storage call goes through ``service``."""

    # Made by gui/toolbar.py.
    toolbar: QToolBar
    location_bar: QToolBar
    path_bar: PathBar
    filter_edit: QLineEdit
    file_buttons_end: QAction

    # Built by finish_building(): the parts the first frame does not show.
    mfa_prompter: MfaPrompter
    connector: Connector
    transfers: TransferController
    transfer_panel: TransferPanel
    transfer_dock: QDockWidget
    transfers_action: QAction
    file_ops: FileOperations
    versions: VersionActions
    inspect: InspectActions
    edits: EditFiles
    folder_size: FolderSizeActions
    search: SearchActions
    sync: SyncActions
    user_first: UserFirst

    def __init__(
        self, service: StorageService, parent: QWidget | None = None, *, later: bool = False
    ) -> None:
        """The window; with ``later``, only what its first frame shows (the views, tool
        bar, menu bar and status bar): the caller runs :meth:`finish_building` after the
        first paint (gui/app.py), so that start-up does not import and build the transfer
        queue, the connector and the feature modules before the user sees a window."""
        super().__init__(parent)
        self.service = service
        self.history = History()
        self.qlocale = QLocale()
        self.setObjectName("mainWindow")
        self.setWindowTitle("cloudbrowser")
        self.resize(1100, 680)

        self.tree_model = BucketTreeModel(service, self)
        self.list_model = ObjectListModel(service, self)
        #: Connection id → the source it was opened from (saved:…/aws:…), for restoring.
        self._sources: dict[str, str] = {}
        self._connections_dialog: ConnectionsDialog | None = None
        #: Adders of the list's context menu sections: (menu, selection) → added anything.
        self.context_menu_sections: list[Callable[[QMenu, list[Entry]], bool]] = []
        #: The list's column widths and sort came from the last exit (restore_window_state).
        self._columns_restored = False
        #: A place typed without a final "/": it may name an object (_on_typed_listed).
        self._typed: Location | None = None

        self._build_views()
        self._build_actions()
        self._build_toolbar()
        self.messages = MessageSink(self, self.statusBar())
        self._selection_label = QLabel()
        # Apart from the counts beside it, which say the same kind of thing of all rows.
        self._selection_label.setContentsMargins(
            0, 0, self.fontMetrics().horizontalAdvance("MM"), 0
        )
        self.statusBar().addPermanentWidget(self._selection_label)
        self._counts_label = QLabel()
        self.statusBar().addPermanentWidget(self._counts_label)
        self._title = "cloudbrowser"
        #: Overall transfer progress shown in the title, -1 when idle.
        self._transfer_percent = -1
        #: How often the status bar's progress changes while transfers run (status_progress).
        self.transfer_status_throttle = Throttle(UPDATES_PER_SECOND)
        self._build_transfer_actions()
        self._build_menus()

        #: What the feature modules are handed (window_parts): never the window itself.
        self.browsing = Browsing(
            self.history,
            self.list_model,
            self.tree_model,
            self.view,
            self.tree,
            navigate=self.navigate,
            refresh=self.refresh,
            go_back=self.go_back,
        )
        self._menus = WindowMenus(
            self,
            self.file_menu,
            self.edit_menu,
            self.view_menu,
            toolbar=self.findChild(QToolBar, "navigation"),
            context_sections=self.context_menu_sections,
            paste=self.paste_files_action,
            filter=self.filter_action,
            refresh=self.refresh_action,
            upload_files=self.upload_files_action,
            close_connection=self.close_connection_action,
            file_buttons=(self.toolbar, self.file_buttons_end),
            download=self.download_action,
        )
        self.list_model.countsChanged.connect(self._update_status)
        self.list_model.loadingChanged.connect(self._update_status)
        self.list_model.listingFailed.connect(self._on_listing_failed)
        self.list_model.modelReset.connect(self._show_list)
        self.list_model.wantedListed.connect(self._put_cursor_on)
        self.list_model.loadingChanged.connect(self._on_typed_listed)
        self.service.connectionRemoved.connect(self._on_connection_removed)
        self._update_nav_actions()
        self._update_status()
        self._update_left_pane()
        self.help = HelpMenu(self)  # Help ends the menu bar: the features add no menus
        self.built = False
        if not later:
            self.finish_building()

    def finish_building(self) -> None:
        """The MFA prompter, the connector, the transfers (queue, panel, dock) and the
        feature modules (file operations, versions, inspect, folder size, search), each in
        its menus, the tool bar and the list's context menu. Once; the window's first frame
        needs none of them."""
        if self.built:
            return
        self.built = True
        self._attach_list_model()
        from cloudbrowser.gui.bucket_versioning import BucketVersioning
        from cloudbrowser.gui.connector import Connector
        from cloudbrowser.gui.edit_files import EditFiles  # Edit: upload back on each save
        from cloudbrowser.gui.file_operations import FileOperations
        from cloudbrowser.gui.filter_keys import attach_filter_keys
        from cloudbrowser.gui.folder_size import FolderSizeActions
        from cloudbrowser.gui.inspect_actions import InspectActions  # Properties, Share, Preview
        from cloudbrowser.gui.prompts import MfaPrompter  # connections open after this
        from cloudbrowser.gui.search import SearchActions
        from cloudbrowser.gui.storage_class_actions import StorageClassActions
        from cloudbrowser.gui.sync_actions import SyncActions
        from cloudbrowser.gui.transfer_controller import TransferController
        from cloudbrowser.gui.versions_actions import VersionActions

        attach_filter_keys(self.filter_edit, self.view)
        from cloudbrowser.gui.column_menu import attach_column_menu

        attach_column_menu(self.view.horizontalHeader(), always_shown=Column.NAME)
        self.mfa_prompter = MfaPrompter(self)
        if self.service.mfa_prompter is None:
            self.service.mfa_prompter = self.mfa_prompter
        self.connector = Connector(self.service, self)
        self.connector.ready.connect(self._open_resolved)
        self.connector.failed.connect(self.messages.major)
        self.transfers = TransferController(self.service, self.messages, self)
        self._build_transfer_ui()
        from cloudbrowser.gui.user_first import UserFirst

        # The engine's threads give way while the user acts on these (gui/user_first.py).
        self.user_first = UserFirst(
            [self.view, self.tree, self.transfer_panel.view, self.path_bar.edit], self
        )
        parts = (self.service, self.messages, self.transfers, self.browsing, self._menus, self)
        self.file_ops = FileOperations(*parts)
        self.storage_classes = StorageClassActions(
            self.file_ops, self.service, self.messages, self.browsing, self._menus, self
        )
        self.sync = SyncActions(
            self.file_ops,
            self.service,
            self.messages,
            self.transfers,
            self.browsing,
            self._menus,
            self,
        )
        self.versions = VersionActions(*parts)
        self.bucket_versioning = BucketVersioning(
            self.file_ops, self.service, self.messages, self.browsing, self._menus, self
        )
        self.inspect = InspectActions(*parts)
        self.inspect.restore_entries = self.storage_classes.restore_entries
        self.edits = EditFiles(
            self.service,
            self.messages,
            self.transfers,
            self.browsing,
            self._menus,
            self.statusBar(),
            self,
        )
        self.folder_size = FolderSizeActions(
            self.service, self.messages, self.browsing, self._menus, self.statusBar(), self
        )
        listing_bar = ListingBar(
            self.loading_bar, self.loading_label, self.stop_button, self.retry_button
        )
        self.search = SearchActions(
            self.service, self.messages, self.browsing, self._menus, listing_bar, self
        )

    # ── construction ────────────────────────────────────────────────────────────────────

    def _attach_list_model(self) -> None:
        """The list's own model in place of the first frame's (see _build_views), sorted
        as the restored column state says, else by name; the header keeps its sections."""
        header = self.view.horizontalHeader()
        if self._columns_restored:
            column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        else:
            column, order = Column.NAME, QtCore.Qt.SortOrder.AscendingOrder
        self.view.setModel(self.list_model)
        self._first_frame_model.deleteLater()
        # A new model, a new selection model: its changes are said in the status bar.
        self.view.selectionModel().selectionChanged.connect(self._update_selection)
        self.list_model.modelReset.connect(self._update_selection)
        self.list_model.layoutChanged.connect(self._update_selection)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(column, order)

    def _build_views(self) -> None:
        self.tree = BucketTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setExpandsOnDoubleClick(True)
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.tree.setAccessibleName(self.tr("Connections"))
        self.tree.filesDropped.connect(self._on_tree_drop)

        # A QTableView, not a QTreeView: a tree view re-lays out every row (a Python flags()
        # call each) whenever rows are inserted, O(n²) over a streamed listing; a table
        # view with fixed row heights touches only the rows it paints.
        self.view = ObjectView()
        # Its first model answers the header from C++; the list's model comes just after
        # the first frame (_attach_list_model): Qt asks a Python model's headerData with a
        # Qt.Orientation, whose conversion builds the Qt namespace's enums (~16 ms).
        self._first_frame_model = first_frame_model = QStandardItemModel(0, len(Column), self)
        first_frame_model.setHorizontalHeaderLabels(
            [self.list_model.header_text(column) for column in Column]
        )
        size_header = first_frame_model.horizontalHeaderItem(Column.SIZE)
        size_header.setData(ALIGN_RIGHT_VCENTER, TEXT_ALIGNMENT_ROLE)  # as headerData()
        self.view.setModel(first_frame_model)
        # A current index set (none: there are no rows) keeps the view's first focus-in
        # from asking the Python moveCursor() for the first row with Qt's key modifiers.
        self.view.setCurrentIndex(QModelIndex())
        # The tree expands to and selects where the list is, its folders fed by the list.
        self.tree_follower = TreeFollower(self.tree, self.tree_model, self.list_model, self)
        set_up_row_table(self.view, list_row_height(self))
        self.view.setAccessibleName(self.tr("Objects"))
        header = self.view.horizontalHeader()
        set_enum(header, "defaultAlignment", "AlignLeft|AlignVCenter")
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (Column.SIZE, 100),
            (Column.MODIFIED, 150),
            (Column.STORAGE_CLASS, 120),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.view.activated.connect(self._on_activated)
        self.view.filesDropped.connect(self._on_list_drop)
        self.view.drag_source = self.drag_out_selection
        self.view.drag_ended = self._on_drag_ended
        set_enum(self.view, "contextMenuPolicy", "CustomContextMenu")
        self.view.customContextMenuRequested.connect(self._list_context_menu)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self._error_panel: ErrorPanel | None = None  # made when a listing first fails

        # "n loaded… Stop" while a listing streams in; the partial/failed state after.
        self.loading_bar = QWidget()
        bar = QHBoxLayout(self.loading_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        self.loading_label = QLabel()
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop loading this folder (Esc); what is loaded stays"))
        self.stop_button.clicked.connect(self.stop_loading)
        self.retry_button = QPushButton(self.tr("Load all"))
        self.retry_button.clicked.connect(self.refresh)
        bar.addWidget(self.loading_label, 1)
        bar.addWidget(self.stop_button)
        bar.addWidget(self.retry_button)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.stack, 1)
        right_layout.addWidget(self.loading_bar)

        self.empty_tree = EmptyTreePanel()
        self.empty_tree.add_button.clicked.connect(self.add_connection_dialog)
        self.empty_tree.open_button.clicked.connect(self.show_connections)
        self.left_stack = QStackedWidget()
        self.left_stack.addWidget(self.empty_tree)
        self.left_stack.addWidget(self.tree)
        self.tree_model.rowsInserted.connect(self._update_left_pane)
        self.tree_model.rowsRemoved.connect(self._update_left_pane)

        self.splitter = QSplitter()  # horizontal
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.left_stack)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 820])
        self.setCentralWidget(self.splitter)

    @property
    def error_panel(self) -> ErrorPanel:
        """Shown instead of the list when it cannot be listed (made on first use)."""
        if self._error_panel is None:
            self._error_panel = ErrorPanel()
            self._error_panel.retry.clicked.connect(self.refresh)
            self.stack.addWidget(self._error_panel)
        return self._error_panel

    def _action(
        self, text: str, icon: QStyle.StandardPixmap | None, keys: list[QKeySequence], slot: object
    ) -> QAction:
        return make_action(self, text, icon, keys, slot)

    def _build_actions(self) -> None:
        # No style icons here: these actions get the painted ones of gui/icons.py from the
        # tool bar (build_toolbar, add_file_buttons), and QStyle, which builds its enums
        # (~7 ms) on first use, stays out of the start.
        k = QKeySequence
        self.back_action = self._action(
            self.tr("Back"), None, [k("Alt+Left"), k(k.StandardKey.Back)], self.go_back
        )
        self.forward_action = self._action(
            self.tr("Forward"),
            None,
            [k("Alt+Right"), k(k.StandardKey.Forward)],
            self.go_forward,
        )
        self.up_action = self._action(self.tr("Up"), None, [k("Alt+Up")], self.go_up)
        self.refresh_action = self._action(
            self.tr("Refresh"),
            None,
            [k("F5"), k(k.StandardKey.Refresh)],
            self.refresh,
        )
        self.location_action = self._action(
            self.tr("Go to location…"), None, [k("Ctrl+L")], self.path_bar_edit
        )
        self.filter_action = self._action(self.tr("Filter"), None, [k("Ctrl+F")], self.focus_filter)
        self.quit_action = self._action(self.tr("Quit"), None, [k(k.StandardKey.Quit)], self.close)
        self.connections_action = self._action(
            self.tr("Connections…"), None, [k("Ctrl+Shift+O")], self.show_connections
        )
        self.close_connection_action = self._action(
            self.tr("Close connection"), None, [k("Ctrl+Shift+W")], self.close_current_connection
        )
        # Backspace goes up only from the list: in text fields it must delete characters.
        up_key = QShortcut(k("Backspace"), self.view, self.go_up)
        set_enum(up_key, "context", "WidgetShortcut")
        up_key.setWhatsThis(self.tr("Up (in the list)"))  # named in the shortcuts dialog
        stop_key = QShortcut(k("Escape"), self.view, self.stop_loading)
        set_enum(stop_key, "context", "WidgetShortcut")
        stop_key.setWhatsThis(self.tr("Stop loading (in the list)"))

    def _build_toolbar(self) -> None:
        self.toolbar = build_toolbar(self)

    # ── navigation ──────────────────────────────────────────────────────────────────────

    def add_connection(self, conn_id: str, *, show: bool = True) -> None:
        """Put a registered connection in the tree and (optionally) open its bucket list."""
        index = self.tree_model.add_connection(conn_id)
        self.tree.expand(index)
        if show:
            self.navigate(Location(conn_id))

    @Slot(object)
    def open_connection(self, request: ConnectionRequest) -> None:
        """Register a connection, show it in the tree and go to its start location."""
        conn = self.service.add_connection(request.settings, request.credentials)
        if request.source:
            self._sources[conn.id] = request.source
        self.add_connection(conn.id, show=False)
        self.messages.info(
            self.tr("Connected to {endpoint}").format(endpoint=request.settings.display_endpoint)
            + self._sas_expiry_note(request)
        )
        location = Location(conn.id)
        if request.location_text:
            try:
                location = Location(conn.id, *parse_location(request.location_text))
            except CloudBrowserError as error:
                self.messages.minor(error)
        self.navigate(location)

    def _sas_expiry_note(self, request: ConnectionRequest) -> str:
        """ " ⚠ Its SAS expires on …" for a SAS connection that ends within a week (as the
        connection dialog warns when it is typed): said when it opens, not found out when
        every request is refused."""
        if request.settings.auth != "sas" or request.credentials is None:
            return ""
        from datetime import UTC, datetime  # only a SAS connection pays for them

        from cloudbrowser.core.backends.azure import addresses
        from cloudbrowser.gui.dates import format_time

        try:
            sas = addresses.parse_sas(request.credentials.secret_access_key)
        except ConfigError:  # expired or unreadable: the first request says which
            return ""
        if sas.expires is None or sas.expires - datetime.now(UTC) >= addresses.EXPIRY_WARNING:
            return ""
        return " " + self.tr("⚠ Its shared access signature expires on {date}.").format(
            date=format_time(sas.expires.timestamp())
        )

    @Slot(object)
    def _open_resolved(self, request: OpenRequest) -> None:
        self.open_connection(
            ConnectionRequest(
                request.settings, request.credentials, request.location_text, request.source
            )
        )

    # ── connections ─────────────────────────────────────────────────────────────────────

    def connections_dialog(self) -> ConnectionsDialog:
        """The connection manager (one per window, made on first use)."""
        if self._connections_dialog is None:
            from cloudbrowser.gui.dialogs.connections import ConnectionsDialog

            dialog = ConnectionsDialog(self.connector, self)
            dialog.openRequested.connect(self._open_resolved)
            self._connections_dialog = dialog
        return self._connections_dialog

    @Slot()
    def show_connections(self) -> ConnectionsDialog:
        dialog = self.connections_dialog()
        if not dialog.isVisible():
            dialog.refresh()
        dialog.open()
        return dialog

    @Slot()
    def add_connection_dialog(self) -> ConnectionsDialog:
        dialog = self.show_connections()
        dialog.add_new()
        return dialog

    @Slot()
    def close_current_connection(self) -> None:
        current = self.history.current
        if current is not None:
            self._sources.pop(current.connection, None)
            self.service.remove_connection(current.connection)

    def _update_left_pane(self) -> None:
        has_roots = self.tree_model.rowCount() > 0
        self.left_stack.setCurrentWidget(self.tree if has_roots else self.empty_tree)
        self.close_connection_action.setEnabled(has_roots)

    # ── saved state (window/ and session/ in the settings file) ─────────────────────────

    def restore_window_state(self) -> None:
        """Geometry, splitter and column widths as they were at the last exit."""
        settings = open_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        columns = settings.value("window/columns")
        if isinstance(columns, QByteArray):
            self._columns_restored = self.view.horizontalHeader().restoreState(columns)
        # Tool bars, and the Transfers panel's place and size: kept by Qt for the panel,
        # which is made after the first paint (restoreDockWidget in _build_transfer_ui).
        docks = settings.value("window/state")
        if isinstance(docks, QByteArray):
            self.restoreState(docks)

    def restore_session(self, location_text: str = "") -> bool:
        """Reopen the last connection at its last location; False if there is none."""
        from cloudbrowser.core.sources import SAVED  # with the saved connections: not at start

        settings = open_settings()
        source = str(settings.value("session/connection", "") or "")
        if not source:
            return False
        if source.startswith(SAVED) and not self._is_saved(source.removeprefix(SAVED)):
            # Deleted or renamed since: start as on a first run, without an error.
            settings.remove("session")
            return False
        location = location_text or str(settings.value("session/location", "") or "")
        self.connector.open_source(source, location)
        return True

    def _is_saved(self, name: str) -> bool:
        try:
            return any(p.name == name for p in self.connector.store.load())
        except CloudBrowserError:
            return True  # a damaged file: let the connector report it

    def save_state(self) -> None:
        settings = open_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.setValue("window/columns", self.view.horizontalHeader().saveState())
        settings.setValue("window/state", self.saveState())
        self._save_session(settings)
        settings.sync()

    def _save_session(self, settings: QSettings) -> None:
        current = self.history.current
        source = self._sources.get(current.connection, "") if current else ""
        if current is None or not source:
            return  # a command-line connection is not reopened (its secret is not stored)
        settings.setValue("session/connection", source)
        settings.setValue("session/location", current.text())

    @Slot(object)
    def navigate(self, location: Location) -> None:
        """Go to ``location`` and remember it in the history."""
        self.history.push(location)
        self._show(location)

    def _show(self, location: Location) -> None:
        # The row the cursor goes back to once listed, as a desktop file manager does:
        # after a refresh, the current row; after Up or Back, the folder just left.
        shown = self.list_model.location
        if location == shown:
            current: Entry | None = self.list_model.data(self.view.currentIndex(), EntryRole)
            wanted = current.key if current is not None else None
        else:
            wanted = location.child_toward(shown) if shown is not None else None
        self.filter_edit.clear()
        self.list_model.show(location)
        if wanted is not None:
            self.list_model.want(wanted)
        self.path_bar.set_location(location)
        self._title = printable(f"{location.text() or location.connection} — cloudbrowser")
        self._update_title()
        self._update_nav_actions()

    @Slot(str)
    def navigate_to_text(self, text: str) -> None:
        current = self.history.current
        if current is None:
            return
        if not split_scheme(text.strip())[1].strip("/"):  # "", "/", "s3://": the buckets
            self.navigate(Location(current.connection))
            return
        try:
            bucket, prefix = parse_location(text)
        except CloudBrowserError as error:
            self.messages.minor(error)
            return
        location = Location(current.connection, bucket, prefix)
        self.navigate(location)
        if prefix and not text.rstrip().endswith("/"):
            self._typed = location

    @Slot(bool)
    def _on_typed_listed(self, loading: bool) -> None:
        """A typed (pasted) ``bucket/folder/file`` lists as an empty folder "file/": if
        an object has that name, show it in its folder instead, as Explorer does with a
        file's path. Asked only then, so a new folder's path stays, to upload into."""
        typed = self._typed
        if loading or typed is None:
            return
        self._typed = None
        model = self.list_model
        if model.location != typed or model.rowCount() or model.error or model.stopped:
            return
        key = typed.prefix[:-1]
        self.service.head_object(
            typed.connection,
            typed.bucket,
            key,
            succeeded=lambda _info: self._show_typed_object(typed, key),
            failed=lambda _error: None,  # none: the empty folder it looked like stays
        )

    def _show_typed_object(self, typed: Location, key: str) -> None:
        parent = typed.parent()
        if parent is None or self.history.current != typed:
            return  # the user has gone elsewhere meanwhile
        self.history.replace_current(parent)  # Back skips the folder that was not one
        self._show(parent)
        self.list_model.want(key)

    def go_back(self) -> None:
        location = self.history.back()
        if location is not None:
            self._show(location)

    def go_forward(self) -> None:
        location = self.history.forward()
        if location is not None:
            self._show(location)

    def go_up(self) -> None:
        current = self.history.current
        parent = current.parent() if current else None
        if parent is not None:
            self.navigate(parent)

    def refresh(self) -> None:
        if self.history.current is not None:
            self._show(self.history.current)

    def stop_loading(self) -> None:
        self.list_model.stop()

    def path_bar_edit(self) -> None:
        self.path_bar.start_editing()

    @Slot()
    def focus_list(self) -> None:
        self.view.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        """Enter or double-click: open a folder or bucket; download (and open) a file. Enter
        on one of several selected files opens all the selected files, as a desktop's file
        manager does (a double-click selects its row first, so it opens that one)."""
        entry: Entry = self.list_model.data(index, EntryRole)
        current = self.history.current
        if entry is None or current is None:
            return
        if entry.is_prefix:
            self.navigate(current.child(entry.key))
            return
        selected = self.selected_entries()
        chosen = [entry]
        if entry in selected:
            chosen = [e for e in selected if not e.is_prefix]
        chosen = self._downloadable(chosen)
        if not chosen:
            return
        open_after = self.transfers.settings.open_after_download
        if open_after and len(chosen) >= OPEN_MANY_ASKS and not self._open_many(len(chosen)):
            return
        self.transfers.download(
            current.connection, current.bucket, current.prefix, chosen, open_after=open_after
        )

    @Slot()
    def open_selection(self) -> None:
        """Open what is selected, as Enter does on it: the folder (or bucket) is shown, the
        selected files are downloaded and opened."""
        index = self.view.currentIndex()
        selection = self.view.selectionModel()
        if not (index.isValid() and selection.isRowSelected(index.row(), index.parent())):
            rows = selection.selectedRows()
            if not rows:
                return
            index = rows[0]
        self._on_activated(index)

    def _open_many(self, count: int) -> bool:
        """Whether the user wants ``count`` files opened at once (each in its program)."""
        from PySide6.QtWidgets import QMessageBox

        from cloudbrowser.gui.message_icons import ask

        answer = ask(
            self,
            self.tr("Open files"),
            self.tr("Open %Ln file(s)? Each is downloaded and opened in its program.", None, count),
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Open

    @Slot(int)
    def _put_cursor_on(self, row: int) -> None:
        """The row the list asked for (ObjectListModel.want) becomes the current, selected
        one, unless the user has put the cursor somewhere already."""
        if self.view.currentIndex().isValid():
            return
        index = self.list_model.index(row, Column.NAME)
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        location = current.data(LocationRole) if current.isValid() else None
        if isinstance(location, Location) and location != self.history.current:
            self.navigate(location)

    @Slot(str)
    def _on_connection_removed(self, conn_id: str) -> None:
        self.history.forget_connection(conn_id)
        if self.history.current is None:
            self.list_model.clear()
        else:
            self._show(self.history.current)

    def _update_nav_actions(self) -> None:
        current = self.history.current
        self.back_action.setEnabled(self.history.can_go_back())
        self.forward_action.setEnabled(self.history.can_go_forward())
        self.up_action.setEnabled(current is not None and current.parent() is not None)
        self.refresh_action.setEnabled(current is not None)

    # ── transfers ───────────────────────────────────────────────────────────────────────

    def _build_transfer_ui(self) -> None:
        from PySide6.QtWidgets import QDockWidget, QProgressBar

        from cloudbrowser.gui.widgets.transfer_panel import TransferPanel

        self.transfer_panel = TransferPanel(self.transfers)
        self.transfer_dock = QDockWidget(self.tr("Transfers"), self)
        self.transfer_dock.setObjectName("transfers")
        self.transfer_dock.setWidget(self.transfer_panel)
        self.transfer_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        # Where and as large as at the last exit (restore_window_state), else at the bottom.
        if not self.restoreDockWidget(self.transfer_dock):
            self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.transfer_dock)
        self.transfer_dock.hide()  # until the first transfer
        self.transfers.model.rowsInserted.connect(self._show_transfers)

        self._transfer_label = QLabel()
        self._transfer_bar = QProgressBar()
        self._transfer_bar.setRange(0, 100)
        self._transfer_bar.setMaximumWidth(160)
        self._transfer_bar.setTextVisible(True)
        for widget in (self._transfer_label, self._transfer_bar):
            widget.hide()
            self.statusBar().addPermanentWidget(widget)
        self.transfers.activityChanged.connect(self._on_transfer_activity)
        self.transfers.batchFinished.connect(self._on_batch_finished)
        self.transfers.foldersMade.connect(self._on_folders_made)
        self.transfers_action = self.transfer_dock.toggleViewAction()
        # (not setShortcut: PySide tries its Qt.Key overload, gui/qt_values.py)
        self.transfers_action.setShortcuts([QKeySequence("Ctrl+T")])
        self.view_menu.addAction(self.transfers_action)

    def _build_transfer_actions(self) -> None:
        k = QKeySequence  # Upload's and Download's icons: add_file_buttons, below
        self.upload_files_action = self._action(
            self.tr("Upload files…"), None, [k("Ctrl+U")], self.upload_files
        )
        self.upload_folder_action = self._action(
            self.tr("Upload folder…"), None, [k("Ctrl+Shift+U")], self.upload_folder
        )
        # The context menu's first, bold item, as a desktop file manager's: what Enter and a
        # double-click do (no shortcut of its own: Enter is the view's).
        self.open_action = self._action(self.tr("Open"), None, [], self.open_selection)
        self.download_action = self._action(
            self.tr("Download"), None, [k("Ctrl+D")], self.download_selection
        )
        self.download_to_action = self._action(
            self.tr("Download to…"), None, [k("Ctrl+Shift+D")], self.download_selection_to
        )
        self.paste_files_action = self._action(
            self.tr("Paste files"), None, [k(k.StandardKey.Paste)], self.paste_files
        )
        self.settings_action = self._action(
            self.tr("Settings…"),
            None,
            [k(k.StandardKey.Preferences), k("Ctrl+,")],
            self.edit_settings,
        )
        self.cleanup_action = self._action(
            self.tr("Clean up incomplete uploads…"), None, [], self.clean_up_incomplete_uploads
        )
        add_file_buttons(
            self.toolbar,
            self.file_buttons_end,
            [
                (self.upload_files_action, self.tr("Upload"), icons.upload_icon()),
                (self.download_action, self.tr("Download"), icons.download_icon()),
            ],
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu(self.tr("&File"))
        for action in (
            self.connections_action,
            self.close_connection_action,
            None,
            self.upload_files_action,
            self.upload_folder_action,
            self.download_action,
            self.download_to_action,
            None,
            self.cleanup_action,
            None,
            self.settings_action,
            None,
            self.quit_action,
        ):
            if action is None:
                file_menu.addSeparator()
            else:
                file_menu.addAction(action)
        file_menu.aboutToShow.connect(self._offer_cleanup)
        self.edit_menu = edit_menu = bar.addMenu(self.tr("&Edit"))
        edit_menu.addAction(self.paste_files_action)
        edit_menu.addAction(self.filter_action)
        self.go_menu = go_menu = bar.addMenu(self.tr("&Go"))
        for action in (
            self.back_action,
            self.forward_action,
            self.up_action,
            self.refresh_action,
            self.location_action,
        ):
            go_menu.addAction(action)
        # Its first item, Transfers, comes with the dock (finish_building).
        self.view_menu = bar.addMenu(self.tr("&View"))

    def _show_transfers(self) -> None:
        self.transfer_dock.show()

    def _upload_target(self, folder: Entry | None = None) -> Location | None:
        """Where uploads go: a folder row, else the folder shown; None (with a message) at
        the bucket list, where there is no folder to upload into."""
        current = self.history.current
        if current is None:
            self.messages.info(self.tr("Connect to a server first."))
            return None
        if folder is not None:
            return current.child(folder.key)
        if current.is_connection_root:
            texts = self._bucket_texts()
            self.messages.minor(ConfigError(texts.open_to_upload, hint=texts.drop_hint))
            return None
        return current

    def upload_paths(self, paths: list[Path], target: Location) -> None:
        if paths:
            self.transfers.upload(target.connection, target.bucket, target.prefix, paths)

    @Slot(list, object)
    def _on_list_drop(self, paths: list[Path], folder: Entry | None) -> None:
        target = self._upload_target(folder)
        if target is not None:
            self.upload_paths(paths, target)

    @Slot(list, object)
    def _on_tree_drop(self, paths: list[Path], location: Location) -> None:
        self.upload_paths(paths, location)

    def upload_files(self) -> None:
        target = self._upload_target()
        if target is None:
            return
        from PySide6.QtWidgets import QFileDialog

        names, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Upload to {place}").format(place=target.text()), self._upload_start()
        )
        if names:
            self._remember_upload_folder(Path(names[0]).parent)
        self.upload_paths([Path(n) for n in names], target)

    def upload_folder(self) -> None:
        target = self._upload_target()
        if target is None:
            return
        from PySide6.QtWidgets import QFileDialog

        name = QFileDialog.getExistingDirectory(
            self,
            self.tr("Upload a folder to {place}").format(place=target.text()),
            self._upload_start(),
        )
        if name:
            # Its parent: the next pick shows it among its siblings.
            self._remember_upload_folder(Path(name).parent)
            self.upload_paths([Path(name)], target)

    def _upload_start(self) -> str:
        """Where the upload pickers open: the folder picked from last time (across runs),
        else the home folder. Qt's own dialog opened in the working directory, which for
        an app started from a menu is anywhere."""
        from PySide6.QtCore import QStandardPaths

        from cloudbrowser.gui.settings import open_settings

        last = str(open_settings().value(_LAST_UPLOAD_FOLDER) or "")
        if last and Path(last).is_dir():
            return last
        home = QStandardPaths.StandardLocation.HomeLocation
        return QStandardPaths.writableLocation(home)

    def _remember_upload_folder(self, folder: Path) -> None:
        from cloudbrowser.gui.settings import open_settings

        open_settings().setValue(_LAST_UPLOAD_FOLDER, str(folder))

    def paste_files(self) -> None:
        """Paste objects copied or cut here (a copy or move on the server), else files
        copied in the system's file manager (an upload)."""
        if self.file_ops.paste_objects():
            return
        paths = local_paths(QApplication.clipboard().mimeData())
        if not paths:
            self.messages.info(self.tr("The clipboard holds no files to upload."))
            return
        target = self._upload_target()
        if target is not None:
            self.upload_paths(paths, target)

    def selected_entries(self) -> list[Entry]:
        return self.browsing.selected_entries()

    def _bucket_texts(self) -> BucketTexts:
        """What the window says of a bucket, in the current connection's provider's words."""
        from cloudbrowser.gui.bucket_texts import texts_of

        current = self.history.current
        return texts_of(self.service, current.connection if current else "")

    def download_selection(self, destination: Path | None = None) -> None:
        current = self.history.current
        entries = self.selected_entries()
        if current is None or current.is_connection_root or not entries:
            self.messages.info(self._bucket_texts().select_to_download)
            return
        entries = self._downloadable(entries)
        if entries:
            self.transfers.download(
                current.connection, current.bucket, current.prefix, entries, destination
            )

    def _downloadable(self, entries: list[Entry]) -> list[Entry]:
        """``entries`` without deleted ones (View › Show deleted), saying why they are left."""
        deleted = [e for e in entries if self.list_model.is_deleted(e.key)]
        if deleted:
            self.messages.info(
                self.tr(
                    "“{name}” is deleted: Undelete it first, or download an older version "
                    "from Versions…"
                ).format(name=leaf_name(deleted[0].key))
                if len(deleted) == 1
                else self.tr("{n} deleted items are not downloaded: Undelete them first.").format(
                    n=len(deleted)
                )
            )
        return [e for e in entries if e not in deleted]

    def drag_out_selection(self) -> RemoteFilesMime | None:
        """The data of a drag of the selection to the desktop; its download starts now."""
        current = self.history.current
        entries = [e for e in self.selected_entries() if not self.list_model.is_deleted(e.key)]
        if current is None or current.is_connection_root or not entries:
            return None
        return self.transfers.start_drag_out(
            current.connection, current.bucket, current.prefix, entries
        )

    def _on_drag_ended(self, mime: RemoteFilesMime, dropped: bool) -> None:
        self.transfers.end_drag_out(mime, dropped)

    def download_selection_to(self) -> None:
        if not self.selected_entries():
            self.messages.info(self._bucket_texts().select_to_download)
            return
        from PySide6.QtWidgets import QFileDialog

        start = str(self.transfers.settings.download_path)
        folder = QFileDialog.getExistingDirectory(self, self.tr("Download to"), start)
        if folder:
            self.download_selection(Path(folder))

    def _offer_cleanup(self) -> bool:
        """Whether the place shown can have incomplete uploads to list (not GCS, which
        keeps no list of them: the action only said so); also shows or hides the action."""
        from cloudbrowser.gui.addresses import connection_features

        current = self.history.current
        features = (
            None if current is None else connection_features(self.service, current.connection)
        )
        offered = features is None or features.unfinished_uploads
        self.cleanup_action.setVisible(offered)
        return offered

    def clean_up_incomplete_uploads(self) -> None:
        current = self.history.current
        if current is None or current.is_connection_root:
            self.messages.info(self._bucket_texts().open_to_clean_up)
            return
        from cloudbrowser.gui.dialogs.incomplete_uploads import IncompleteUploadsDialog

        resumable = {t.session for t in self.transfers.queue.transfers() if t.session}
        # Kept (not deleted on close): its listing job may still report to it.
        self.cleanup_dialog = IncompleteUploadsDialog(
            self.service,
            self.messages,
            self.service.connection(current.connection),
            current.bucket,
            resumable,
            self,
        )
        self.cleanup_dialog.open()

    def edit_settings(self) -> None:
        from PySide6.QtWidgets import QDialog

        from cloudbrowser.gui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.transfers.settings, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.transfers.apply_settings(dialog.settings())
        dialog.deleteLater()

    @Slot(QPoint)
    def _list_context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        entries = self.selected_entries()
        if any(not self.list_model.is_deleted(e.key) for e in entries):
            menu.addAction(self.open_action)
            menu.setDefaultAction(self.open_action)
            menu.addAction(self.download_action)
            menu.addAction(self.download_to_action)
            menu.addSeparator()
        # Each feature module adds its own section (then a separator) for the selection.
        for add_section in self.context_menu_sections:
            if add_section(menu, entries):
                menu.addSeparator()
        menu.addAction(self.upload_files_action)
        menu.addAction(self.upload_folder_action)
        menu.addSeparator()
        if self._offer_cleanup():
            menu.addAction(self.cleanup_action)
        menu.addAction(self.refresh_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    @Slot(object)
    def _on_transfer_activity(self, activity: Activity) -> None:
        """Overall progress in the status bar and the window title while transfers run."""
        busy = activity.busy
        due = self.transfer_status_throttle.ready()
        if busy and not due and not self._transfer_bar.isHidden():
            return  # shown a moment ago: see gui/status_progress.py
        if not busy:
            self.transfer_status_throttle.reset()
        self._transfer_label.setVisible(busy)
        self._transfer_bar.setVisible(busy)
        if busy:
            percent = (
                int(100 * activity.bytes_done / activity.bytes_total) if activity.bytes_total else 0
            )
            set_value_later(self._transfer_bar, percent)
            speed = self.transfers.model.total_speed()
            text = self.tr("%Ln transfer(s)", None, activity.running + activity.queued)
            if speed >= 1:
                size = data_size(self.qlocale, int(speed))
                text += " · " + self.tr("{size}/s").format(size=size)
            if activity.waiting_for:
                # Its files wait while one of them is tried again (core.transfers._Outage).
                names = ", ".join(f"“{name}”" for name in sorted(activity.waiting_for))
                text += " · " + self.tr("waiting for {connections} to answer").format(
                    connections=names
                )
            self._transfer_label.setText(text)
            self._transfer_percent = percent
        else:
            self._transfer_percent = -1
        self._update_title()

    @Slot(str, object)
    def _on_batch_finished(self, _batch: str, transfers: list[Transfer]) -> None:
        """Uploads into the folder shown (or below it) appear without pressing F5."""
        from cloudbrowser.core.journal import Direction, State

        current = self.history.current
        if current is None or current.is_connection_root:
            return
        landed = any(
            t.direction is Direction.UPLOAD
            and t.state is State.DONE
            and (t.connection, t.bucket) == (current.connection, current.bucket)
            and t.key.startswith(current.prefix)
            for t in transfers
        )
        if landed:
            self._refresh_landed(current)

    def _on_folders_made(self, folders: list[EmptyFolder]) -> None:
        """Empty folders an upload made in the folder shown appear at once, as files do."""
        current = self.history.current
        if current is None or current.is_connection_root:
            return
        if any(
            (f.connection, f.bucket) == (current.connection, current.bucket)
            and f.prefix.startswith(current.prefix)
            for f in folders
        ):
            self._refresh_landed(current)

    def _refresh_landed(self, current: Location) -> None:
        self.refresh()
        node = self.tree_model.index_for(current)
        if node.isValid() and not self.tree_model.canFetchMore(node):
            self.tree_model.refresh(node)

    def _update_title(self) -> None:
        percent = self._transfer_percent
        self.setWindowTitle(f"{percent}% · {self._title}" if percent >= 0 else self._title)

    # ── state display ───────────────────────────────────────────────────────────────────

    def _on_filter(self, text: str) -> None:
        self.list_model.set_filter(text)
        self._update_counts()

    def _show_list(self) -> None:
        self.stack.setCurrentWidget(self.view)

    @Slot(object)
    def _on_listing_failed(self, error: CloudBrowserError) -> None:
        if self.list_model.rowCount() == 0:
            self.error_panel.show_error(error)
            self.stack.setCurrentWidget(self.error_panel)
        self.statusBar().showMessage(printable(one_line(error)))
        self._update_status()

    def _update_counts(self) -> None:
        if self.list_model.error is not None and not self.list_model.rowCount():
            # Nothing listed: "0 buckets" would say the account has none.
            self._counts_label.clear()
            return
        folders, files, size = self.list_model.counts()
        current = self.history.current
        at_root = current is not None and current.is_connection_root
        # Counts the Qt way (each language its plural forms), buckets named as the
        # provider names them (Azure's containers).
        if not at_root:
            parts = [self.tr("%Ln folder(s)", None, folders)]
        elif current is not None and bucket_word(self.service, current.connection) == "container":
            parts = [self.tr("%Ln container(s)", None, folders)]
        else:
            parts = [self.tr("%Ln bucket(s)", None, folders)]
        if not at_root:
            parts.append(self.tr("%Ln object(s)", None, files))
            parts.append(data_size(self.qlocale, size))
        shown = self.list_model.rowCount()
        if self.filter_edit.text():
            parts.append(self.tr("{n} shown").format(n=self.qlocale.toString(shown)))
        self._counts_label.setText(", ".join(parts))

    @Slot()
    def _update_selection(self) -> None:
        """How many rows are selected and their files' bytes, as Explorer says it."""
        rows = bytes_ = 0
        selection = self.view.selectionModel().selection()
        for block in (selection.at(i) for i in range(selection.size())):
            rows += block.bottom() - block.top() + 1
            bytes_ += self.list_model.rows_size(block.top(), block.bottom())
        if not rows:
            self._selection_label.clear()
            return
        text = self.tr("%Ln item(s) selected", None, rows)
        if bytes_:
            text += ", " + data_size(self.qlocale, bytes_)
        self._selection_label.setText(text)

    def _update_status(self) -> None:
        """The bar under the list (streaming progress with Stop, or why the list is partial)
        and the counts in the status bar."""
        model = self.list_model
        loaded = self.qlocale.toString(sum(model.counts()[:2]))
        if model.loading:
            self._show_bar(self.tr("{n} loaded…").format(n=loaded), stop=True)
        elif model.error is not None and model.rowCount():
            self._show_bar(
                self.tr("Listing failed after {n} rows: {why}").format(
                    n=loaded, why=model.error.message
                ),
                self.tr("Retry"),
            )
        elif model.stopped:
            self._show_bar(
                self.tr("Stopped after {n} rows: the list is incomplete.").format(n=loaded),
                self.tr("Load all"),
            )
        else:
            self.loading_bar.setVisible(False)
        self._update_counts()

    def _show_bar(self, text: str, retry: str = "", *, stop: bool = False) -> None:
        self.loading_label.setText(text)
        self.stop_button.setVisible(stop)
        self.retry_button.setText(retry)
        self.retry_button.setVisible(bool(retry))
        self.loading_bar.setVisible(True)

    # ── lifetime ────────────────────────────────────────────────────────────────────────

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.built:  # closed before its first frame: nothing of the rest runs yet
            self.save_state()
            super().closeEvent(event)
            return
        from PySide6.QtWidgets import QMessageBox

        from cloudbrowser.gui import message_icons

        activity = self.transfers.queue.activity()
        if activity.busy and self.transfers.settings.confirm_quit:
            answer = message_icons.ask(
                self,
                self.tr("Transfers in progress"),
                self.tr(
                    "%Ln transfer(s) are not finished. Quit now "
                    "and continue them the next time cloudbrowser starts?",
                    None,
                    activity.running + activity.queued,
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        # A save of an edited file not yet queued (gui/edit_files.py) is not in the journal:
        # nothing continues it later, so this is asked whatever the setting says.
        unsent = self.edits.unsent
        if unsent:
            answer = message_icons.ask(
                self,
                self.tr("Edited files not uploaded"),
                self.tr(
                    "Not uploaded yet: the changes to %Ln edited file(s). Nothing uploads "
                    "them later. Quit anyway? The files stay in {folder}.",
                    None,
                    unsent,
                ).format(folder=self.edits.folder),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if self.file_ops.busy:
            answer = message_icons.ask(
                self,
                self.tr("Operations in progress"),
                self.tr(
                    "Copies, moves or deletes on the server are not finished. Stop them now? "
                    "What is done stays done; a move never loses an object."
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.file_ops.cancel_all()
        self.edits.stop()
        # A synchronization still running ends now, saying where it stopped.
        self.sync.stop()
        self.save_state()
        # Release a worker waiting for an MFA code, then cancel, don't wait: the bounded
        # wait for the workers happens once, at exit (app.py).
        self.mfa_prompter.close()
        self.list_model.stop()
        self.service.runner.cancel_all()
        super().closeEvent(event)
