"""Change storage class… (Azure: Change access tier…) and Restore… for a selection of
objects and folders: Edit menu and context menu.

Folders stand for every object below them (the engine's prefix walk); the work is an
:class:`~cloudbrowser.core.operations.Operation` run by FileOperations, so it shows in the
Transfers panel with its progress and can be cancelled there, and a failure names each
object. The questions are attributes (``ask_class``, ``ask_restore``) so tests answer
them without a modal dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QDialog, QMenu, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.keys import leaf_name
from cloudbrowser.core.operations import Operation, OpItem, OpKind, RestoreRequest
from cloudbrowser.core.storage import StorageClasses, StorageClassOffer
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.window_parts import Browsing, WindowMenus

if TYPE_CHECKING:
    from cloudbrowser.gui.file_operations import FileOperations


class StorageClassActions(QObject):
    """The class-change and restore actions of a main window."""

    def __init__(
        self,
        file_ops: FileOperations,
        service: StorageService,
        messages: MessageSink,
        browsing: Browsing,
        menus: WindowMenus,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.file_ops = file_ops
        self.service = service
        self.messages = messages
        self.browsing = browsing
        self.parent_widget = parent
        self.change_action = menus.new_action(
            self.tr("Change storage class…"), None, [], self.change_class
        )
        self.restore_action = menus.new_action(self.tr("Restore…"), None, [], self.restore)
        menus.edit.addSeparator()
        menus.edit.addAction(self.change_action)
        menus.edit.addAction(self.restore_action)
        menus.edit.aboutToShow.connect(self._name_actions)
        menus.context_sections.append(self._context_section)
        #: (offer, title, what) → the class chosen, or None to cancel.
        self.ask_class: Callable[[StorageClassOffer, str, str], str | None] = self._ask_class
        #: (offer, what) → how to restore, or None to cancel.
        self.ask_restore: Callable[[StorageClassOffer, str], RestoreRequest | None] = (
            self._ask_restore
        )

    # ── what applies here ───────────────────────────────────────────────────────────────

    def _classes(self) -> tuple[Location, StorageClasses] | None:
        """The folder shown and its connection's classes, when it has classes to choose.
        (``storage_class_offer`` is plain data in every backend: no request, no SDK load
        on this thread.)"""
        current = self.browsing.current
        if current is None or current.is_connection_root or not current.bucket:
            return None
        try:
            storage = self.service.storage(current.connection)
        except CloudBrowserError:
            return None
        if not storage.features.storage_classes or not isinstance(storage, StorageClasses):
            return None
        return current, storage

    def _name_actions(self) -> None:
        """The provider's word: "storage class" (S3, GCS) or "access tier" (Azure)."""
        found = self._classes()
        current = self.browsing.current
        word = "storage class"
        if found is not None and current is not None:
            word = self.service.storage(current.connection).features.storage_class_word
        if word == "access tier":
            self.change_action.setText(self.tr("Change access tier…"))
        else:
            self.change_action.setText(self.tr("Change storage class…"))
        enabled = found is not None
        self.change_action.setEnabled(enabled)
        self.restore_action.setEnabled(
            enabled and bool(found and found[1].storage_class_offer().archive)
        )

    def _context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        if not entries or self._classes() is None:
            return False
        self._name_actions()
        menu.addAction(self.change_action)
        if self.restore_action.isEnabled():
            menu.addAction(self.restore_action)
        return True

    def _what(self, entries: list[Entry]) -> str:
        if len(entries) == 1:
            name = leaf_name(entries[0].key)
            if entries[0].is_prefix:
                return self.tr("The folder “{name}” and everything in it").format(name=name)
            return f"“{name}”"
        return self.tr("{n} selected items (folders with everything in them)").format(
            n=len(entries)
        )

    # ── the actions ─────────────────────────────────────────────────────────────────────

    def change_class(self) -> None:
        found = self._classes()
        entries = self.browsing.selected_entries()
        if found is None or not entries:
            self.messages.info(self.tr("Select objects or folders to change."))
            return
        location, storage = found
        offer = storage.storage_class_offer()
        title = self.change_action.text().rstrip("…")
        chosen = self.ask_class(offer, title, self._what(entries))
        if not chosen:
            return
        items = [OpItem(e.key, size=e.size, etag=e.etag) for e in entries]
        operation = Operation(
            self.service.storage(location.connection),
            OpKind.STORAGE_CLASS,
            location.bucket,
            items,
            title=self.tr("{what} → {cls}").format(what=self._what(entries), cls=chosen),
            storage_class=chosen,
        )
        self.file_ops.start(operation, [location])

    def restore(self) -> None:
        found = self._classes()
        entries = self.browsing.selected_entries()
        if found is None or not entries:
            self.messages.info(self.tr("Select archived objects or folders to restore."))
            return
        self.restore_entries(found[0], entries)

    def restore_entries(self, location: Location, entries: list[Entry]) -> None:
        """Ask how, then restore the archived objects of ``entries`` (in ``location``)."""
        storage = self.service.storage(location.connection)
        if not isinstance(storage, StorageClasses):
            return
        offer = storage.storage_class_offer()
        request = self.ask_restore(offer, self._what(entries))
        if request is None:
            return
        items = [OpItem(e.key, size=e.size, etag=e.etag) for e in entries]
        operation = Operation(
            self.service.storage(location.connection),
            OpKind.RESTORE,
            location.bucket,
            items,
            title=self.tr("Restore {what}").format(what=self._what(entries)),
            restore=request,
        )
        self.file_ops.start(operation, [location], then=lambda: self._restored(operation))

    def _restored(self, operation: Operation) -> None:
        """Say how many restores were asked for and how many objects were not archived."""
        result = operation.result
        # Counts in plain names: lupdate drops a translate() whose count is an expression.
        asked, passed = result.done - result.passed, result.passed
        text = QCoreApplication.translate(
            "StorageClassActions", "Restore asked for %Ln object(s).", None, asked
        )
        if passed:
            text += " " + QCoreApplication.translate(
                "StorageClassActions", "%Ln object(s) not archived, passed over.", None, passed
            )
        text += " " + self.tr(
            "It takes hours: the Storage class column and Properties show when it is done."
        )
        self.messages.info(text)

    # ── questions (replaced in tests) ───────────────────────────────────────────────────

    def _ask_class(self, offer: StorageClassOffer, title: str, what: str) -> str | None:
        from cloudbrowser.gui.dialogs.storage_class import StorageClassDialog

        dialog = StorageClassDialog(offer, title, what, self.parent_widget)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _ask_restore(self, offer: StorageClassOffer, what: str) -> RestoreRequest | None:
        from cloudbrowser.gui.dialogs.storage_class import RestoreDialog

        dialog = RestoreDialog(offer, what, self.parent_widget)
        return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None
