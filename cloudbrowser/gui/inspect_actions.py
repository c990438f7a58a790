"""The main window's Properties, Share and Preview actions for the objects in the list.

* **Properties…** (Alt+Return; Edit menu, context menu): the PropertiesDialog.
* **Preview** (Space on the list; View menu, context menu): the PreviewDialog.
* **Share link…** (Ctrl+Shift+C; Edit menu, context menu): presigned links in the
  ShareDialog. Ctrl+Shift+C because Ctrl+C is the object copy and the shifted variant is
  the common "copy a link/path" gesture (Explorer's "Copy as path", browsers' dev tools).
* **Copy s3:// URI** (gs://, az://: the connection's scheme; Ctrl+Alt+C) and **Copy URL**:
  straight to the clipboard, one line per selected object, said in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.inspection import object_uri, object_url
from cloudbrowser.core.keys import parent_prefix
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.bucket_texts import texts_of
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.window_parts import Browsing, WindowMenus

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from cloudbrowser.core.storage import LinkGrant

    # The dialogs are imported where first opened: not before the window's first paint.
    from cloudbrowser.gui.dialogs.preview import PreviewDialog
    from cloudbrowser.gui.dialogs.properties import PropertiesDialog
    from cloudbrowser.gui.dialogs.share import ShareDialog


class InspectActions(QObject):
    """Creates the actions, puts them in the menus and owns the dialogs they open."""

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        transfers: TransferController,
        browsing: Browsing,
        menus: WindowMenus,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.messages = messages
        self.transfers = transfers
        self.browsing = browsing
        self.parent_widget = parent
        k = QKeySequence
        self.properties_action = menus.new_action(
            self.tr("Properties…"), None, [k("Alt+Return"), k("Alt+Enter")], self.show_properties
        )
        self.preview_action = menus.new_action(
            self.tr("Preview"), None, [k(Qt.Key.Key_Space)], self.preview
        )
        # Space previews only from the list: everywhere else it types a space.
        self.preview_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        browsing.view.addAction(self.preview_action)
        self.share_action = menus.new_action(
            self.tr("Share link…"), None, [k("Ctrl+Shift+C")], self.share
        )
        self.copy_uri_action = menus.new_action(
            self.tr("Copy s3:// URI"), None, [k("Ctrl+Alt+C")], self.copy_uris
        )
        self.copy_url_action = menus.new_action(self.tr("Copy URL"), None, [], self.copy_urls)
        #: Restore… for one archived object (Preview offers it): set by the window to the
        #: storage-class actions' ``restore_entries``.
        self.restore_entries: Callable[[Location, list[Entry]], object] | None = None
        #: The dialogs open now (non-modal: several may be open at once).
        self.dialogs: list[QWidget] = []
        #: The warning asked before a link that carries the connection's SAS granting
        #: more than reading is made, while it is open.
        self.grant_warning: QMessageBox | None = None

        edit = menus.edit
        edit.addSeparator()
        for action in (
            self.properties_action,
            self.share_action,
            self.copy_uri_action,
            self.copy_url_action,
        ):
            edit.addAction(action)
        menus.view.addAction(self.preview_action)
        menus.edit.aboutToShow.connect(self._name_actions)
        menus.context_sections.append(self.add_context_section)

    # ── the selection ───────────────────────────────────────────────────────────────────

    def _scheme(self) -> str:
        """The URI scheme of the connection shown (s3, gs, az); s3 when none is."""
        current = self.browsing.current
        return (uri_scheme(self.service, current.connection) if current else "") or "s3"

    def _name_actions(self) -> None:
        """Copy URI says the scheme it copies: a gs:// or az:// address is no s3:// URI."""
        self.copy_uri_action.setText(self.tr("Copy {scheme}:// URI").format(scheme=self._scheme()))

    def _where(self) -> tuple[Location, list[Entry]] | None:
        """Where the list is, and its selected rows, without deleted ones (View › Show
        deleted): those have no current object to inspect, share or preview."""
        current = self.browsing.current
        model = self.browsing.list_model
        entries = [e for e in self.browsing.selected_entries() if not model.is_deleted(e.key)]
        if current is None or not entries:
            return None
        return current, entries

    def _single(self, what: str) -> tuple[Location, Entry] | None:
        """The one selected row inside a bucket (a message in the status bar if none)."""
        where = self._where()
        if where is None or where[0].is_connection_root:
            current = self.browsing.current
            connection = current.connection if current is not None else ""
            self.messages.info(texts_of(self.service, connection).select_object.format(what=what))
            return None
        current, entries = where
        focused = self.browsing.focused_entry()
        entry = focused if focused in entries else entries[0]
        return current, entry

    def add_context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        current = self.browsing.current
        entries = [e for e in entries if not self.browsing.list_model.is_deleted(e.key)]
        if not entries or current is None:
            return False
        self._name_actions()
        if current.is_connection_root:
            menu.addAction(self.copy_uri_action)
            menu.addAction(self.copy_url_action)
            return True
        objects = [e for e in entries if not e.is_prefix]
        if len(entries) == 1 and objects:
            menu.addAction(self.preview_action)
        if len(entries) == 1:
            menu.addAction(self.properties_action)
        if objects:
            menu.addAction(self.share_action)
        menu.addAction(self.copy_uri_action)
        menu.addAction(self.copy_url_action)
        return True

    def _keep(self, dialog: QWidget) -> None:
        """Remember an open dialog and show it in front, with the keyboard (Esc, Space)."""
        self.dialogs.append(dialog)
        dialog.destroyed.connect(lambda _obj=None, d=dialog: self._forget(d))
        dialog.show()
        dialog.activateWindow()

    def _forget(self, dialog: QWidget) -> None:
        self.dialogs = [d for d in self.dialogs if d is not dialog]

    # ── properties ──────────────────────────────────────────────────────────────────────

    @Slot()
    def show_properties(self) -> PropertiesDialog | None:
        chosen = self._single(self.tr("properties"))
        if chosen is None:
            return None
        current, entry = chosen
        return self.open_properties(current, entry)

    def open_properties(self, current: Location, entry: Entry) -> PropertiesDialog:
        from cloudbrowser.gui.dialogs.properties import PropertiesDialog

        dialog = PropertiesDialog(
            self.service,
            self.messages,
            self.service.connection(current.connection),
            current.bucket,
            entry.key,
            is_prefix=entry.is_prefix,
            parent=self.parent_widget,
        )
        dialog.saved.connect(lambda _details, at=current: self._refresh_if_shown(at))
        dialog.finished.connect(lambda _result, d=dialog: None if d.saving else d.deleteLater())
        self._keep(dialog)
        return dialog

    def _refresh_if_shown(self, location: Location) -> None:
        """After a copy in place the row's time (and maybe class) changed: relist."""
        if self.browsing.current == location:
            self.browsing.refresh()

    # ── preview ─────────────────────────────────────────────────────────────────────────

    @Slot()
    def preview(self) -> PreviewDialog | None:
        chosen = self._single(self.tr("preview"))
        if chosen is None:
            return None
        current, entry = chosen
        if entry.is_prefix:
            self.messages.info(
                self.tr("{name} is a folder: press Enter to open it.").format(
                    name=entry.name(current.prefix)
                )
            )
            return None

        def download() -> None:
            self.transfers.download(
                current.connection, current.bucket, parent_prefix(entry.key), [entry]
            )

        from cloudbrowser.gui.dialogs.preview import PreviewDialog

        dialog = PreviewDialog(
            self.service,
            self.service.connection(current.connection),
            current.bucket,
            entry.key,
            download=download,
            show_properties=lambda: self.open_properties(current, entry),
            restore=(lambda: hook(current, [entry])) if (hook := self.restore_entries) else None,
            parent=self.parent_widget,
        )
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        return dialog

    # ── share and copy ──────────────────────────────────────────────────────────────────

    @Slot()
    def share(self) -> ShareDialog | None:
        """The Share dialog for the selected objects; None where there is none, or where a
        warning comes first (``grant_warning``: the link would carry the connection's
        credential and grant more than reading), which opens it only if confirmed."""
        where = self._where()
        objects = [e for e in where[1] if not e.is_prefix] if where else []
        if where is None or where[0].is_connection_root or not objects:
            self.messages.info(self.tr("Select one or more objects to share."))
            return None
        current = where[0]
        connection = self.service.connection(current.connection)
        features = connection.storage.features
        grant = features.link_grant
        if not features.share_links and grant is not None:
            # A SAS cannot sign another, and a link carrying one that cannot read is no
            # download link.
            self.messages.info(
                self.tr(
                    "This connection's SAS does not grant reading, and a SAS cannot sign "
                    "another: connect with the account key or Entra ID to share links."
                )
            )
            return None
        if not features.share_links:
            self.messages.info(self.tr("This connection's provider has no presigned links."))
            return None
        if connection.settings.anonymous:
            self.messages.info(
                self.tr(
                    "An anonymous connection cannot sign links: use Copy URL for a public object."
                )
            )
            return None
        if grant is not None and not grant.read_only:
            self._warn_of_grant(current, objects, grant)
            return None
        return self._open_share(current, objects, accepted=None)

    def _warn_of_grant(self, current: Location, objects: list[Entry], grant: LinkGrant) -> None:
        """Say exactly what a link carrying the connection's SAS would grant, Cancel the
        default; the links are made only once the user agrees to that very grant. The box
        is window-modal and answers through ``finished`` (no nested event loop)."""
        from PySide6.QtWidgets import QMessageBox

        from cloudbrowser.gui.link_grant import warning_text
        from cloudbrowser.gui.message_icons import message_icon

        box = QMessageBox(
            message_icon(QMessageBox.Icon.Warning),
            self.tr("Share this connection's SAS?"),
            warning_text(
                grant,
                self.service.connection(current.connection).storage.features.bucket_word,
                len(objects),
            ),
            parent=self.parent_widget,
        )
        box.setObjectName("grantWarning")
        box.setTextFormat(Qt.TextFormat.PlainText)
        share = box.addButton(self.tr("Share the SAS"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.grant_warning = box

        def answered(_result: int) -> None:
            confirmed = box.clickedButton() is share
            self.grant_warning = None
            box.deleteLater()
            if confirmed:
                self._open_share(current, objects, accepted=grant)

        box.finished.connect(answered)
        box.open()

    def _open_share(
        self, current: Location, objects: list[Entry], *, accepted: LinkGrant | None
    ) -> ShareDialog:
        from cloudbrowser.gui.dialogs.share import ShareDialog

        connection = self.service.connection(current.connection)
        tiers = connection.storage.features.archive_tiers
        dialog = ShareDialog(
            self.service,
            self.messages,
            connection,
            current.bucket,
            [e.key for e in objects],
            parent=self.parent_widget,
            archived=[e.key for e in objects if e.storage_class in tiers],
            accepted=accepted,
        )
        dialog.finished.connect(dialog.deleteLater)
        self._keep(dialog)
        return dialog

    def _addresses(self, url: bool) -> list[str]:
        where = self._where()
        if where is None:
            return []
        current, entries = where
        settings = self.service.connection(current.connection).settings
        lines = []
        for entry in entries:
            # At the bucket list the rows are buckets ("name/").
            bucket, key = (
                (entry.key.rstrip("/"), "")
                if current.is_connection_root
                else (current.bucket, entry.key)
            )
            lines.append(
                object_url(settings, bucket, key) if url else object_uri(settings, bucket, key)
            )
        return lines

    def _copy(self, lines: list[str], what: str) -> None:
        if not lines:
            self.messages.info(self.tr("Select something to copy its address."))
            return
        QGuiApplication.clipboard().setText("\n".join(lines))
        self.messages.info(
            self.tr("Copied {what}: {first}").format(what=what, first=lines[0])
            if len(lines) == 1
            else self.tr("Copied {n} {what}s, one per line").format(n=len(lines), what=what)
        )

    @Slot()
    def copy_uris(self) -> None:
        self._copy(
            self._addresses(url=False), self.tr("{scheme}:// URI").format(scheme=self._scheme())
        )

    @Slot()
    def copy_urls(self) -> None:
        self._copy(self._addresses(url=True), self.tr("URL"))
