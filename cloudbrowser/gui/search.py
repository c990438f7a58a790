"""Search: find files by name below the folder shown, streamed into the list as found.

Edit → "Search…" (Ctrl+Shift+F; Ctrl+F filters the folder already loaded) asks for a name.
The search is a place in the history (a ``SearchLocation``): the list shows the matches of
a recursive listing of the folder as each page arrives, named by their path below it, and
the bar under the list says "Search results for “x” in bucket/folder — n found", with
"Close search" (or Back) to return to the folder. Esc or Stop ends a search early; Refresh
runs it again. Results are ordinary rows: open, download and drag them as in a folder.

Case-insensitive; ``*`` and ``?`` are wildcards matched against the whole name; text with a
"/" is matched against the path below the folder (``core/prefix_scan.NameMatcher``).

Where the connection finds objects by their tags (``features.tag_search``: Azure's blob
index tags), the prompt says so and the text may hold ``tag:NAME=VALUE`` terms (also
``>``, ``>=``, ``<``, ``<=``; ``core/prefix_scan.parse_search``): the server finds the
tagged objects and the rest of the text is matched against their names. A term that is no
condition is refused before anything is sent, with the syntax to use.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QObject, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog, QPushButton, QStyle, QWidget

from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.prefix_scan import parse_search
from cloudbrowser.core.printable import printable
from cloudbrowser.gui.bucket_texts import texts_of
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location, SearchLocation
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.window_parts import Browsing, ListingBar, WindowMenus


class SearchActions(QObject):
    """The window's Search action, its prompt, and the search state in the bar under the list."""

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        browsing: Browsing,
        menus: WindowMenus,
        listing_bar: ListingBar,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.messages = messages
        self.browsing = browsing
        self.listing_bar = listing_bar
        self.parent_widget = parent
        self.locale = QLocale()
        self.model = browsing.list_model
        self.last_query = ""
        self.dialog: QInputDialog | None = None
        self.search_action = menus.new_action(
            self.tr("Search…"),
            QStyle.StandardPixmap.SP_FileDialogContentsView,
            [QKeySequence("Ctrl+Shift+F")],
            self.ask,
        )
        self.search_action.setStatusTip(self.tr("Find files by name in this folder and below"))
        menus.edit.addAction(self.search_action)

        self.close_button = QPushButton(self.tr("Close search"))
        self.close_button.setToolTip(self.tr("Back to the folder that was searched"))
        self.close_button.clicked.connect(self.close_search)
        self.close_button.hide()
        layout = listing_bar.bar.layout()
        if layout is not None:
            layout.addWidget(self.close_button)
        # Connected after the window's own status update, so the search's text wins.
        self.model.countsChanged.connect(self._update_bar)
        self.model.loadingChanged.connect(self._update_bar)
        self.model.listingFailed.connect(self._update_bar)

    @property
    def searching(self) -> SearchLocation | None:
        """The search shown in the list, if any."""
        location = self.model.location
        return location if isinstance(location, SearchLocation) else None

    @Slot()
    def ask(self) -> None:
        """Ask what to look for below the folder shown."""
        current = self.browsing.current
        if current is None or current.is_connection_root:
            connection = current.connection if current is not None else ""
            self.messages.info(texts_of(self.service, connection).open_to_search)
            return
        where = f"{current.bucket}/{current.prefix}"
        if self.dialog is not None:
            self.dialog.deleteLater()
        dialog = QInputDialog(self.parent_widget)
        dialog.setWindowTitle(self.tr("Search"))
        label = self.tr(
            "Find files in {} and its subfolders whose name contains:\n"
            "(* and ? are wildcards; text with a / is matched against the path)"
        ).format(where)
        if self.tag_search(current):
            label += "\n" + self.tr(
                "Find by tags with tag:NAME=VALUE (or >, >=, <, <=), e.g.\n"
                'tag:project=apollo tag:year>=2024 — quote spaces: tag:"cost center"=R1'
            )
        dialog.setLabelText(label)
        dialog.setTextValue(self.last_query)
        dialog.setOkButtonText(self.tr("Search"))
        dialog.textValueSelected.connect(self.search)
        self.dialog = dialog
        dialog.open()

    @Slot(str)
    def search(self, text: str) -> None:
        """Show the files below the current folder whose name matches ``text``."""
        current = self.browsing.current
        query = text.strip()
        if current is None or current.is_connection_root or not query:
            return
        self.last_query = query
        try:  # a tag term that is no condition: said now, not after a request
            parse_search(query, tag_search=self.tag_search(current))
        except CloudBrowserError as error:
            self.messages.major(error)
            return
        folder = current.folder() if isinstance(current, SearchLocation) else current
        self.browsing.navigate(
            SearchLocation(folder.connection, folder.bucket, folder.prefix, query=query)
        )

    def tag_search(self, location: Location) -> bool:
        """The connection of ``location`` finds objects by their tags."""
        try:
            return self.service.storage(location.connection).features.tag_search
        except CloudBrowserError:  # closed meanwhile: a plain name search
            return False

    @Slot()
    def close_search(self) -> None:
        """Back to the folder that was searched (Back, when that is where Back goes)."""
        current = self.browsing.current
        if not isinstance(current, SearchLocation):
            return
        folder = current.folder()
        if self.browsing.history.previous == folder:
            self.browsing.go_back()
        else:
            self.browsing.navigate(folder)

    @Slot()
    def _update_bar(self) -> None:
        search = self.searching
        self.close_button.setVisible(search is not None)
        if search is None:
            return
        locale = self.locale
        model = self.model
        found = locale.toString(model.counts()[1])
        looked_at = locale.toString(model.searched)
        where = f"{search.bucket}/{search.prefix}"
        if model.loading:
            text = self.tr("Searching for “{}” in {}… {} found in {} objects").format(
                search.query, where, found, looked_at
            )
        elif model.error is not None:
            text = self.tr("Search for “{}” in {} failed after {} objects: {}").format(
                search.query, where, looked_at, model.error.message
            )
        elif model.stopped:
            text = self.tr("Search for “{}” in {} stopped — {} found in {} objects").format(
                search.query, where, found, looked_at
            )
        else:
            text = self.tr("Search results for “{}” in {} — {} found").format(
                search.query, where, found
            )
        bar = self.listing_bar
        bar.label.setText(printable(text))  # the folder's name, the server's message
        bar.stop_button.setVisible(model.loading)
        bar.retry_button.setVisible(
            not model.loading and (model.stopped or model.error is not None)
        )
        bar.retry_button.setText(self.tr("Search again"))
        bar.bar.setVisible(True)
