"""FileOperations: new folder, rename, cut/copy/paste, drag inside the window, delete, and
new/delete bucket — the window side of ``core/operations.py``.

Everything that touches the server runs on a worker: the checks before (does the new name
exist? how many objects would a delete remove?) and the operation itself, which appears as
one row in the Transfers panel with its progress in objects, and can be cancelled there.
Anything destructive asks first, with the object count and size counted on a worker
(cancellable); deleting a non-empty bucket asks to type its name. When an operation ends,
the folders it changed are listed again, and a failure names every key that failed.

The questions are attributes (``ask_text``, ``confirm``, ``ask_conflict``,
``ask_bucket_name``), so tests answer them without a modal dialog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QEventLoop,
    QLocale,
    QMimeData,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QStyle,
    QWidget,
)

from cloudbrowser.core import bucket_removal
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import (
    AlreadyExists,
    CloudBrowserError,
    ConfigError,
    NoVersioning,
    StorageError,
)
from cloudbrowser.core.folders import FolderNotKept, exists_at, make_folder
from cloudbrowser.core.keys import leaf_name, parent_prefix
from cloudbrowser.core.operations import Operation, OpItem, OpKind, SourceObject, Tally, tally
from cloudbrowser.core.printable import printable
from cloudbrowser.core.storage import versions_of
from cloudbrowser.core.versions import DeletedKept, deleted_kept
from cloudbrowser.gui import icons
from cloudbrowser.gui.addresses import uri_scheme
from cloudbrowser.gui.bucket_texts import bucket_texts, texts_of
from cloudbrowser.gui.message_icons import message_icon
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.models.bucket_tree import LocationRole
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.object_clipboard import ObjectSelection, selection_in
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

POLL_MS = 100
#: S3's bucket naming rules (the common subset every provider accepts).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class OperationFailures(CloudBrowserError):
    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Some objects failed"))


class FileOperations(QObject):
    """The object operations of a main window (its actions, menus and context section)."""

    #: (operation, its changed locations, source, None or the error): how a copy that a
    #: cancel left running ended (Operation.on_late), from the thread it ended on.
    _copy_ended_late = Signal(object, object, object, object)

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
        self.menus = menus
        self.parent_widget = parent
        self.locale = QLocale()
        #: Running operations → the folders to list again when each ends.
        self._running: dict[Operation, list[Location]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        #: Open "counting…" progress dialog, kept so tests can cancel it.
        self.counting: QProgressDialog | None = None
        self._copy_ended_late.connect(self._on_copy_ended_late)

        #: (title, label, text, how many of its first characters to select) → the text
        #: typed, or None to cancel.
        self.ask_text: Callable[[str, str, str, int], str | None] = self._ask_text
        self.confirm: Callable[[str, str, str], bool] = self._confirm
        self.ask_conflict: Callable[[list[str], str], str | None] = self._ask_conflict
        #: (bucket, title, question) → the name typed, or None to cancel.
        self.ask_bucket_name: Callable[[str, str, str], str | None] = self._ask_bucket_name
        #: (title, default region, regions, storage classes to offer) → (name, region), or
        #: None to cancel.
        self.ask_new_bucket: Callable[[str, str, list[str], list[str]], tuple[str, str] | None] = (
            self._ask_new_bucket
        )

        self._build_actions()
        menus.context_sections.append(self._context_section)
        browsing.view.objectsDropped.connect(self._on_list_drop)
        browsing.tree.objectsDropped.connect(self._on_tree_drop)
        browsing.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        browsing.tree.customContextMenuRequested.connect(self._tree_context_menu)
        # Del on the tree deletes its folder or bucket, as in Explorer (the list's Del is
        # delete_action's, which acts on the list's selection).
        tree_delete = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete), browsing.tree, self._delete_tree_node
        )
        tree_delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        tree_delete.setWhatsThis(
            QCoreApplication.translate("FileOperations", "Delete folder or bucket (in the tree)")
        )
        tree_rename = QShortcut(QKeySequence("F2"), browsing.tree, self._rename_tree_node)
        tree_rename.setContext(Qt.ShortcutContext.WidgetShortcut)
        tree_rename.setWhatsThis(
            QCoreApplication.translate("FileOperations", "Rename folder (in the tree)")
        )

    # ── construction ────────────────────────────────────────────────────────────────────

    def _build_actions(self) -> None:
        menus = self.menus
        sp = QStyle.StandardPixmap
        k = QKeySequence
        self.new_folder_action = menus.new_action(
            QCoreApplication.translate("FileOperations", "New folder…"),
            sp.SP_FileDialogNewFolder,
            [k("Ctrl+Shift+N")],
            self.new_folder,
        )
        self.rename_action = menus.new_action(
            QCoreApplication.translate("FileOperations", "Rename…"), None, [k("F2")], self.rename
        )
        self.cut_action = menus.new_action(
            QCoreApplication.translate("FileOperations", "Cut"),
            None,
            [k(k.StandardKey.Cut)],
            self.cut,
        )
        self.copy_action = menus.new_action(
            QCoreApplication.translate("FileOperations", "Copy"),
            None,
            [k(k.StandardKey.Copy)],
            self.copy,
        )
        self.delete_action = menus.new_action(
            QCoreApplication.translate("FileOperations", "Delete…"),
            sp.SP_TrashIcon,
            [k(k.StandardKey.Delete)],
            self.delete_selection,
        )
        # Del belongs to the list (and tree): in the Transfers panel it cancels transfers.
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        menus.owner.removeAction(self.delete_action)
        self.browsing.view.addAction(self.delete_action)
        # F2 too: in the tree it renames the tree's folder (_rename_tree_node).
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        menus.owner.removeAction(self.rename_action)
        self.browsing.view.addAction(self.rename_action)
        # Named again as the current connection's provider names a bucket, as the menu opens.
        texts = bucket_texts("bucket")
        self.new_bucket_action = menus.new_action(texts.new_action, None, [], self.new_bucket)
        self.delete_bucket_action = menus.new_action(
            texts.delete_action, None, [], self.delete_current_bucket
        )
        # Paste (Ctrl+V) is the window's: objects copied here, else files from the desktop.
        menus.paste.setText(QCoreApplication.translate("FileOperations", "Paste"))

        edit = menus.edit
        edit.clear()
        for action in (
            self.cut_action,
            self.copy_action,
            menus.paste,
            None,
            self.new_folder_action,
            self.rename_action,
            self.delete_action,
            None,
            menus.filter,
        ):
            if action is None:
                edit.addSeparator()
            else:
                edit.addAction(action)
        # On the toolbar after Upload and Download: the commonest two.
        menus.add_file_buttons(
            [
                (
                    self.new_folder_action,
                    QCoreApplication.translate("FileOperations", "New folder"),
                    icons.new_folder_icon(),
                ),
                (
                    self.delete_action,
                    QCoreApplication.translate("FileOperations", "Delete"),
                    icons.delete_icon(),
                ),
            ],
        )
        file_menu = menus.file
        anchor = menus.upload_files
        file_menu.insertAction(anchor, self.new_bucket_action)
        file_menu.insertAction(anchor, self.delete_bucket_action)
        file_menu.insertSeparator(anchor)
        # Named as the current connection's provider names a bucket (Azure: container).
        file_menu.aboutToShow.connect(self._name_bucket_actions)

    def _name_bucket_actions(self) -> None:
        current = self.browsing.current
        connection_id = current.connection if current is not None else ""
        texts = texts_of(self.service, connection_id)
        self.new_bucket_action.setText(texts.new_action)
        self.delete_bucket_action.setText(texts.delete_action)

    def _context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        at_root = self._current_root()
        if entries and not self._live(entries):
            return False  # deleted rows (View, Show deleted) offer Undelete, not these
        if entries:
            if not at_root:
                menu.addAction(self.cut_action)
                menu.addAction(self.copy_action)
            menu.addAction(self.menus.paste)
            menu.addSeparator()
            if not at_root:
                menu.addAction(self.rename_action)
            menu.addAction(self.delete_action)
        else:
            menu.addAction(self.menus.paste)
        menu.addAction(self.new_bucket_action if at_root else self.new_folder_action)
        return True

    def _objects(self, n: int) -> str:
        number = self.locale.toString(n)
        return (
            QCoreApplication.translate("FileOperations", "1 object")
            if n == 1
            else QCoreApplication.translate("FileOperations", "{n} objects").format(n=number)
        )

    def _tree_context_menu(self, pos: QPoint) -> None:
        """Right-click on a connection, bucket or folder of the tree: what applies to it."""
        index = self.browsing.tree.indexAt(pos)
        location = index.data(LocationRole) if index.isValid() else None
        if not isinstance(location, Location):
            return
        menu = QMenu(self.parent_widget)
        if location.is_connection_root:
            menu.addAction(
                texts_of(self.service, location.connection).new_action,
                partial(self.new_bucket, location.connection),
            )
            menu.addSeparator()
            menu.addAction(self.menus.close_connection)
        else:
            menu.addAction(
                QCoreApplication.translate("FileOperations", "New folder…"),
                partial(self.new_folder, location),
            )
            paste = menu.addAction(
                QCoreApplication.translate("FileOperations", "Paste"),
                partial(self.paste_objects, location),
            )
            paste.setEnabled(selection_in(QApplication.clipboard().mimeData()) is not None)
            menu.addSeparator()
            if location.prefix:
                menu.addAction(
                    QCoreApplication.translate("FileOperations", "Delete folder…"),
                    partial(self.delete_folder, location),
                )
            else:
                menu.addAction(
                    texts_of(self.service, location.connection).delete_action,
                    partial(self.delete_bucket, location.connection, location.bucket),
                )
            for add_section in self.menus.tree_sections:  # other features' (Synchronize…)
                menu.addSeparator()
                add_section(menu, location)
        menu.addSeparator()
        menu.addAction(
            QCoreApplication.translate("FileOperations", "Refresh"),
            partial(self._refresh_node, index),
        )
        menu.popup(self.browsing.tree.viewport().mapToGlobal(pos))

    def _delete_tree_node(self) -> None:
        location = self.browsing.tree.currentIndex().data(LocationRole)
        if not isinstance(location, Location) or location.is_connection_root:
            return  # a connection is closed, not deleted (its context menu)
        if location.prefix:
            self.delete_folder(location)
        else:
            self.delete_bucket(location.connection, location.bucket)

    def _refresh_node(self, index: QModelIndex) -> None:
        tree = self.browsing.tree_model
        if index.isValid():
            tree.refresh(index)

    def _live(self, entries: list[Entry]) -> list[Entry]:
        """``entries`` without the deleted rows View › Show deleted adds."""
        return [e for e in entries if not self.browsing.list_model.is_deleted(e.key)]

    def _selection(self) -> list[Entry]:
        """The selected entries that can be renamed, copied or deleted."""
        entries = self.browsing.selected_entries()
        live = self._live(entries)
        if len(live) < len(entries):
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations", "Deleted items are left out: Undelete them first."
                )
            )
        return live

    def _current_root(self) -> bool:
        current = self.browsing.current
        return current is not None and current.is_connection_root

    # ── new folder, rename ──────────────────────────────────────────────────────────────

    def new_folder(self, where: Location | None = None) -> None:
        """A folder in ``where`` (default: the folder shown)."""
        current = where or self.browsing.current
        if current is None:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Connect to a server first.")
            )
            return
        if current.is_connection_root:
            self.new_bucket(current.connection)
            return
        name = self.ask_text(
            QCoreApplication.translate("FileOperations", "New folder"),
            QCoreApplication.translate("FileOperations", "Folder name:"),
            QCoreApplication.translate("FileOperations", "New folder"),
            len(QCoreApplication.translate("FileOperations", "New folder")),
        )
        if name is None:
            return
        error = _name_problem(name)
        if error:
            self.messages.major(
                ConfigError(
                    error, hint=QCoreApplication.translate("FileOperations", "Choose another name.")
                )
            )
            return
        prefix = current.prefix + name + "/"
        storage = self.service.storage(current.connection)

        def work(_job: Job) -> None:
            # A file of that name counts too: some servers would replace it (core/folders).
            if exists_at(storage, current.bucket, prefix) or exists_at(
                storage, current.bucket, prefix.rstrip("/")
            ):
                raise AlreadyExists(
                    QCoreApplication.translate(
                        "FileOperations", "“{name}” already exists here."
                    ).format(name=name),
                    hint=QCoreApplication.translate("FileOperations", "Choose another name."),
                )
            try:
                make_folder(storage, current.bucket, prefix)
            except FolderNotKept as error:
                raise StorageError(
                    QCoreApplication.translate(
                        "FileOperations", "This server does not keep empty folders."
                    ),
                    hint=QCoreApplication.translate(
                        "FileOperations",
                        "Upload files into the new folder's path instead (drop a folder).",
                    ),
                ) from error

        def created(_result: object) -> None:
            self._changed(
                [current],
                QCoreApplication.translate("FileOperations", "Folder “{n}” created.").format(
                    n=name
                ),
            )
            if self.browsing.current == current:
                self.browsing.list_model.want(prefix)  # the cursor on it, as in Explorer

        self.service.run(
            work,
            f"Creating the folder {current.bucket}/{prefix}",
            succeeded=created,
            failed=self.messages.major,
        )

    def rename(self) -> None:
        current = self.browsing.current
        entries = self._selection()
        if current is None or not entries:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Select a file or folder to rename.")
            )
            return
        if current.is_connection_root:
            texts = texts_of(self.service, current.connection)
            self.messages.minor(ConfigError(texts.cannot_rename, hint=texts.rename_hint))
            return
        if len(entries) > 1:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Select one item to rename.")
            )
            return
        self._rename(current, entries[0])

    def _rename_tree_node(self) -> None:
        """F2 in the tree renames the tree's folder, as in Explorer (not the list's
        selection, which the user is not looking at)."""
        node = self.browsing.tree.currentIndex().data(LocationRole)
        if not isinstance(node, Location) or node.is_connection_root:
            return
        parent = node.parent()
        if not node.prefix or parent is None:
            texts = texts_of(self.service, node.connection)
            self.messages.minor(ConfigError(texts.cannot_rename, hint=texts.rename_hint))
            return
        self._rename(parent, Entry(key=node.prefix, is_prefix=True), folder=node)

    def _rename(self, current: Location, entry: Entry, *, folder: Location | None = None) -> None:
        """Rename ``entry`` of the folder ``current``; ``folder``: the tree's folder renamed,
        where the list goes along if it shows that folder or one below it."""
        old = leaf_name(entry.key)
        new = self.ask_text(
            QCoreApplication.translate("FileOperations", "Rename"),
            QCoreApplication.translate("FileOperations", "New name:"),
            old,
            _name_part(old, folder=entry.is_prefix),
        )
        if new is None or new == old:
            return
        error = _name_problem(new)
        if error:
            self.messages.major(
                ConfigError(
                    error, hint=QCoreApplication.translate("FileOperations", "Choose another name.")
                )
            )
            return
        # In the entry's own folder: a search result lives below the folder shown.
        target = parent_prefix(entry.key) + new + ("/" if entry.is_prefix else "")
        storage = self.service.storage(current.connection)
        # The new name was found free (check, below): the move only creates it.
        only_create = _only_create(
            entry, renamed=True, free=True, checked=storage.features.conditional_puts
        )
        item = OpItem(entry.key, target, entry.size, entry.etag, entry.md5, only_create)
        title = QCoreApplication.translate("FileOperations", "Rename “{old}” to “{new}”").format(
            old=old, new=new
        )

        def check(_job: Job) -> None:
            if exists_at(storage, current.bucket, target):
                raise AlreadyExists(
                    QCoreApplication.translate(
                        "FileOperations", "“{name}” already exists here."
                    ).format(name=new),
                    hint=QCoreApplication.translate(
                        "FileOperations", "Choose another name, or delete the other one first."
                    ),
                )

        operation = Operation(storage, OpKind.MOVE, current.bucket, [item], title=title)

        def follow() -> None:
            shown = self.browsing.current
            if folder is None or shown is None or type(shown) is not Location:
                return
            if (shown.connection, shown.bucket) != (folder.connection, folder.bucket):
                return
            if shown.prefix.startswith(folder.prefix):
                moved = target + shown.prefix[len(folder.prefix) :]
                self.browsing.navigate(Location(shown.connection, shown.bucket, moved))

        self.service.run(
            check,
            f"Checking {current.bucket}/{target}",
            succeeded=lambda _r: self.start(operation, [current], then=follow, cursor_to=target),
            failed=self.messages.major,
        )

    # ── cut, copy, paste, drop ──────────────────────────────────────────────────────────

    def copy(self) -> None:
        self._to_clipboard(cut=False)

    def cut(self) -> None:
        self._to_clipboard(cut=True)

    def _to_clipboard(self, *, cut: bool) -> None:
        current = self.browsing.current
        entries = self._selection()
        if current is None or current.is_connection_root or not entries:
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations", "Select files or folders in a bucket to copy."
                )
            )
            return
        selection = ObjectSelection(
            current.connection,
            current.bucket,
            current.prefix,
            tuple(entries),
            cut,
            uri_scheme(self.service, current.connection),
        )
        mime = QMimeData()
        selection.put_into(mime)
        QApplication.clipboard().setMimeData(mime)
        n = len(entries)
        text = QCoreApplication.translate(
            "FileOperations", "%Ln item(s) cut: paste where they should go (Ctrl+V).", None, n
        )
        if not cut:
            text = QCoreApplication.translate(
                "FileOperations", "%Ln item(s) copied: paste in another folder (Ctrl+V).", None, n
            )
        self.messages.info(text)

    def paste_objects(self, into: Location | None = None) -> bool:
        """Paste objects cut or copied in cloudbrowser into ``into`` (default: the folder
        shown); False when the clipboard holds none (the window then pastes files from the
        desktop)."""
        selection = selection_in(QApplication.clipboard().mimeData())
        if selection is None:
            return False
        current = into or self.browsing.current
        if current is None or current.is_connection_root:
            self.messages.minor(
                ConfigError(
                    QCoreApplication.translate(
                        "FileOperations", "Open a bucket or folder to paste into."
                    ),
                    hint=QCoreApplication.translate(
                        "FileOperations", "Objects are pasted into the folder shown."
                    ),
                )
            )
            return True
        self.transfer(selection, current, copy=not selection.cut, from_clipboard=True)
        return True

    def _on_list_drop(self, selection: ObjectSelection, folder: Entry | None, copy: bool) -> None:
        current = self.browsing.current
        if current is None or current.is_connection_root:
            return
        target = current.child(folder.key) if folder is not None else current
        self.transfer(selection, target, copy=copy)

    def _on_tree_drop(self, selection: ObjectSelection, target: Location, copy: bool) -> None:
        self.transfer(selection, target, copy=copy)

    def transfer(
        self,
        selection: ObjectSelection,
        target: Location,
        *,
        copy: bool,
        from_clipboard: bool = False,
    ) -> None:
        """Copy or move ``selection`` into the folder ``target`` (on its server; streamed
        between connections), asking first what to do with names that exist there."""
        if not self.service.has_connection(selection.connection):
            self.messages.minor(
                ConfigError(
                    QCoreApplication.translate(
                        "FileOperations", "The connection of the copied objects is closed."
                    )
                )
            )
            return
        same_connection = selection.connection == target.connection
        moving = not copy
        source_folder = Location(selection.connection, selection.bucket, selection.prefix)

        def at_home(e: Entry) -> bool:
            """Already in the target folder (a search result may live below the folder
            it was found from, so each entry's own folder counts, not the selection's)."""
            return (
                same_connection
                and selection.bucket == target.bucket
                and parent_prefix(e.key) == target.prefix
            )

        entries = list(selection.entries)
        if moving:
            entries = [e for e in entries if not at_home(e)]
            if not entries:
                if from_clipboard:  # (a drop back where it came from needs no word)
                    self.messages.info(
                        QCoreApplication.translate(
                            "FileOperations", "The items are already in this folder."
                        )
                    )
                return
        source_storage = self.service.storage(selection.connection)
        target_storage = self.service.storage(target.connection)

        def check(_job: Job) -> tuple[list[str], dict[str, str]]:
            """Names that exist in the target (to ask about), and a free name for each item
            that would land on an existing one; a copy into its own folder always gets
            one, without a question."""
            existing: list[str] = []
            free: dict[str, str] = {}
            taken: set[str] = set()
            for e in entries:
                name = leaf_name(e.key)
                if not at_home(e):
                    if not exists_at(target_storage, target.bucket, _target_key(target, e)):
                        continue
                    existing.append(name)
                candidate = _free_name(name, taken)
                while exists_at(target_storage, target.bucket, _target_key(target, e, candidate)):
                    candidate = _free_name(name, taken)
                free[e.key] = candidate
            return existing, free

        def go(checked: tuple[list[str], dict[str, str]]) -> None:
            nonlocal entries
            existing, free = checked
            renames = {e.key: free[e.key] for e in entries if at_home(e)}
            if existing:
                choice = self.ask_conflict(existing, target.text())
                if choice is None:
                    return
                if choice == "skip":
                    entries = [e for e in entries if at_home(e) or leaf_name(e.key) not in existing]
                elif choice == "keep":
                    renames = free
            if not entries:
                self.messages.info(
                    QCoreApplication.translate(
                        "FileOperations", "Nothing to do: every item was skipped."
                    )
                )
                return
            # Names found free (a "keep both" name, or one nothing had) are only created:
            # what someone makes there meanwhile is never written over (the item fails
            # instead). Where the server checks that itself it costs nothing; elsewhere
            # a "keep both" object is looked at right before its copy, as an upload's is.
            checks = target_storage.features.conditional_puts
            items = [
                OpItem(
                    e.key,
                    _target_key(target, e, renames.get(e.key)),
                    e.size,
                    e.etag,
                    e.md5,
                    create_only=_only_create(
                        e,
                        renamed=e.key in renames,
                        free=leaf_name(e.key) not in existing,
                        checked=checks,
                    ),
                )
                for e in entries
            ]
            kind = OpKind.MOVE if moving else OpKind.COPY
            what = (
                f"“{leaf_name(entries[0].key)}”"
                if len(entries) == 1
                else QCoreApplication.translate("FileOperations", "{n} items").format(
                    n=self.locale.toString(len(entries))
                )
            )
            verb = (
                QCoreApplication.translate("FileOperations", "Move {what} to {where}")
                if moving
                else QCoreApplication.translate("FileOperations", "Copy {what} to {where}")
            )
            title = verb.format(what=what, where=f"{target.bucket}/{target.prefix}")
            operation = Operation(
                source_storage,
                kind,
                selection.bucket,
                items,
                dest_backend=None if same_connection else target_storage,
                dest_bucket=target.bucket,
                title=title,
            )
            if moving and from_clipboard:
                QApplication.clipboard().clear()  # a cut is pasted once
            self.start(operation, [source_folder, target])

        self.service.run(
            check,
            f"Checking names in {target.text()}",
            succeeded=go,
            failed=self.messages.major,
        )

    # ── delete ──────────────────────────────────────────────────────────────────────────

    def delete_selection(self) -> None:
        current = self.browsing.current
        entries = self._selection()
        if current is None or not entries:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Select files or folders to delete.")
            )
            return
        if current.is_connection_root:
            if len(entries) > 1:  # not the first alone, the others silently left
                self.messages.info(texts_of(self.service, current.connection).one_at_a_time)
                return
            self.delete_bucket(current.connection, entries[0].key.rstrip("/"))
            return
        items = [OpItem(e.key, size=e.size, etag=e.etag) for e in entries]
        what = (
            f"“{leaf_name(entries[0].key)}”"
            if len(entries) == 1
            else QCoreApplication.translate("FileOperations", "{n} items").format(
                n=self.locale.toString(len(entries))
            )
        )
        show_count = any(e.is_prefix for e in entries) or len(entries) > 1
        self._confirm_and_delete(current, items, what, show_count=show_count)

    def delete_folder(self, location: Location) -> None:
        """Delete the folder ``location`` (from the tree), after the counted question."""
        parent = location.parent()
        if parent is None or not location.prefix:
            return
        what = f"“{leaf_name(location.prefix)}”"
        self._confirm_and_delete(parent, [OpItem(location.prefix)], what, show_count=True)

    def _confirm_and_delete(
        self, folder: Location, items: list[OpItem], what: str, *, show_count: bool
    ) -> None:
        """Count ``items`` (in ``folder``) and find what the bucket keeps of deleted
        objects, ask with both, then delete them."""
        where = f"{folder.bucket}/{folder.prefix}"
        storage = self.service.storage(folder.connection)

        def survey(_job: Job) -> DeletedKept:
            return deleted_kept(storage, folder.bucket)

        def surveyed(kept: DeletedKept) -> None:
            self._count(folder, items, lambda counted: ask(counted, kept))

        def ask(counted: Tally, kept: DeletedKept) -> None:
            text = QCoreApplication.translate(
                "FileOperations", "Delete {what} from {where}?"
            ).format(what=printable(what), where=printable(where))
            if show_count:
                text += "\n\n" + QCoreApplication.translate(
                    "FileOperations", "That is {n} ({size})."
                ).format(
                    n=self._objects(counted.objects),
                    size=data_size(self.locale, counted.bytes),
                )
            text += "\n\n" + self._undo_text(kept, folder.connection)
            if not self.confirm(
                QCoreApplication.translate("FileOperations", "Delete"),
                text,
                QCoreApplication.translate("FileOperations", "Delete"),
            ):
                return
            title = QCoreApplication.translate(
                "FileOperations", "Delete {what} from {where}"
            ).format(what=what, where=where)
            operation = Operation(
                storage, OpKind.DELETE, folder.bucket, items, title=title, expected=counted
            )
            current = self.browsing.current
            shown = current.prefix if current is not None else ""
            inside = current is not None and (current.connection, current.bucket) == (
                folder.connection,
                folder.bucket,
            )
            if inside and any(i.is_prefix and shown.startswith(i.source) for i in items):
                self.browsing.navigate(folder)  # not left showing what is being deleted
            self.start(operation, [folder])

        self.service.run(
            survey,
            f"Reading what {folder.bucket} keeps of deleted objects",
            succeeded=surveyed,
            failed=lambda _error: surveyed(DeletedKept()),  # (deleted_kept never raises)
        )

    def _undo_text(self, kept: DeletedKept, connection: str) -> str:
        """What the delete question says of undoing it: Undelete where the bucket (Azure:
        the account) keeps deleted objects (versions, soft delete), else that it cannot be
        undone."""
        if kept.versions:
            return texts_of(self.service, connection).keeps_versions
        if kept.soft_delete_seconds > 0:
            days = max(1, round(kept.soft_delete_seconds / 86400))
            return texts_of(self.service, connection).keeps_deleted.format(
                days=self.locale.toString(days)
            )
        return QCoreApplication.translate("FileOperations", "This cannot be undone.")

    def _count(
        self, location: Location, items: list[OpItem], then: Callable[[Tally], None]
    ) -> None:
        """Count what ``items`` hold on a worker, with a cancellable progress dialog when it
        takes a moment; then call ``then`` with the count."""
        if not any(i.is_prefix for i in items):
            then(Tally(len(items), sum(max(i.size, 0) for i in items)))
            return
        storage = self.service.storage(location.connection)
        dialog = QProgressDialog(
            QCoreApplication.translate("FileOperations", "Counting objects…"),
            QCoreApplication.translate("FileOperations", "Cancel"),
            0,
            0,
            self.parent_widget,
        )
        dialog.setWindowTitle(QCoreApplication.translate("FileOperations", "Delete"))
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self.counting = dialog

        def work(job: Job) -> Tally:
            return tally(storage, location.bucket, items, job.cancel_event, job.report)

        def progress(t: Tally) -> None:
            dialog.setLabelText(
                QCoreApplication.translate("FileOperations", "Counting objects… {n} so far").format(
                    n=self.locale.toString(t.objects)
                )
            )

        def done(t: Tally) -> None:
            close()
            then(t)

        def close() -> None:
            dialog.reset()
            dialog.deleteLater()
            if self.counting is dialog:
                self.counting = None

        def failed(error: CloudBrowserError) -> None:
            close()
            self.messages.major(error)

        job = self.service.run(
            work,
            f"Counting {location.bucket}/{location.prefix}",
            progress=progress,
            succeeded=done,
            failed=failed,
        )
        dialog.canceled.connect(job.cancel)
        dialog.canceled.connect(close)

    # ── buckets ─────────────────────────────────────────────────────────────────────────

    def new_bucket(self, connection_id: str = "") -> None:
        current = self.browsing.current
        connection_id = connection_id or (current.connection if current is not None else "")
        if not connection_id:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Connect to a server first.")
            )
            return
        connection = self.service.connection(connection_id)
        region = connection.settings.region or ""
        # Regions (locations) are offered where the provider has them (AWS, Wasabi, GCS…),
        # with GCS's storage classes; elsewhere the server decides (Azure: the account's
        # region) and the question is just the name.
        features = connection.storage.features
        regions, classes = list(features.bucket_locations), list(features.bucket_classes)
        texts = bucket_texts(features.bucket_word)
        answer = self.ask_new_bucket(texts.new_title, region, regions, classes)
        if answer is None:
            return
        name, region = answer
        name = name.strip()
        if not _BUCKET_NAME.fullmatch(name) or ".." in name:
            self.messages.major(
                ConfigError(
                    QCoreApplication.translate(
                        "FileOperations", "“{name}” is not a valid bucket name."
                    ).format(name=name),
                    hint=QCoreApplication.translate(
                        "FileOperations",
                        "Use 3 to 63 lower case letters, digits, dots and hyphens, starting "
                        "and ending with a letter or digit.",
                    ),
                )
            )
            return
        storage = connection.storage
        self.service.run(
            lambda _job: storage.create_bucket(name, region),
            f"Creating the bucket {name}",
            succeeded=lambda _r: self._bucket_list_changed(
                connection_id,
                texts.created.format(n=name),
            ),
            failed=self.messages.major,
        )

    def delete_current_bucket(self) -> None:
        current = self.browsing.current
        if current is None:
            self.messages.info(
                QCoreApplication.translate("FileOperations", "Connect to a server first.")
            )
            return
        if current.is_connection_root:
            entries = self.browsing.selected_entries()
            if not entries:
                self.messages.info(texts_of(self.service, current.connection).select_to_delete)
                return
            self.delete_bucket(current.connection, entries[0].key.rstrip("/"))
        else:
            self.delete_bucket(current.connection, current.bucket)

    def delete_bucket(self, connection_id: str, bucket: str) -> None:
        """Delete a bucket: an empty one after a plain confirmation, one with objects only
        once its name is typed (its objects are deleted first, shown in the panel; in a
        versioned bucket every old version and delete marker too)."""
        location = Location(connection_id, bucket)
        storage = self.service.storage(connection_id)
        texts = texts_of(self.service, connection_id)

        def survey(_job: Job) -> tuple[bool, int]:
            """Versioning, and the unfinished uploads a bucket's listing never shows."""
            try:
                versioned = bool(versions_of(storage).bucket_versioning(bucket))
            except NoVersioning:
                versioned = False
            return versioned, len(bucket_removal.unfinished_uploads(storage, bucket))

        def ask(found: tuple[bool, int], counted: Tally) -> None:
            versioned, uploads = found
            if counted.objects == 0 and not versioned and not uploads:
                text = texts.delete_empty.format(b=printable(bucket))
                if self.confirm(texts.delete_title, text, texts.delete_title):
                    self._remove_bucket(connection_id, bucket)
                return
            text = texts.holds.format(
                b=printable(bucket),
                n=self._objects(counted.objects),
                size=data_size(self.locale, counted.bytes),
            )
            if versioned:
                text += " " + QCoreApplication.translate(
                    "FileOperations",
                    "Versioning is on: every old version and delete marker is deleted too.",
                )
            if uploads:
                text += " " + QCoreApplication.translate(
                    "FileOperations", "%Ln unfinished upload(s) are aborted too.", None, uploads
                )
            typed = self.ask_bucket_name(
                bucket, texts.delete_title, text + "\n\n" + texts.type_name
            )
            if typed is None:
                return
            if typed.strip() != bucket:
                self.messages.info(
                    QCoreApplication.translate(
                        "FileOperations", "The name did not match: nothing was deleted."
                    )
                )
                return
            title = texts.emptying.format(b=bucket)
            operation = Operation(
                storage,
                OpKind.DELETE,
                bucket,
                [OpItem("")],
                title=title,
                all_versions=versioned,
                # Versions are not what was counted: the count then runs with the deletes.
                expected=None if versioned else counted,
            )
            self.start(
                operation, [location], then=partial(self._remove_bucket, connection_id, bucket)
            )

        self.service.run(
            survey,
            f"Reading the versioning and unfinished uploads of {bucket}",
            succeeded=lambda found: self._count(location, [OpItem("")], partial(ask, found)),
            failed=self.messages.major,
        )

    def _remove_bucket(self, connection_id: str, bucket: str) -> None:
        storage = self.service.storage(connection_id)
        current = self.browsing.current
        if current is not None and (current.connection, current.bucket) == (connection_id, bucket):
            self.browsing.navigate(Location(connection_id))

        def remove(_job: Job) -> None:
            # The user agreed to delete the bucket: its unfinished uploads go with it. Then
            # it is deleted only if nothing is left: some servers would delete whatever is.
            bucket_removal.abort_uploads(storage, bucket)
            bucket_removal.remove_bucket(storage, bucket)

        self.service.run(
            remove,
            f"Deleting the bucket {bucket}",
            succeeded=lambda _r: self._bucket_list_changed(
                connection_id,
                texts_of(self.service, connection_id).deleted.format(b=bucket),
            ),
            failed=self.messages.major,
        )

    def _bucket_list_changed(self, connection_id: str, message: str) -> None:
        self.messages.info(message)
        self._refresh(Location(connection_id))

    # ── running ─────────────────────────────────────────────────────────────────────────

    def start(
        self,
        operation: Operation,
        changed: list[Location],
        *,
        then: Callable[[], object] | None = None,
        cursor_to: str = "",
        finished: Callable[[], object] | None = None,
    ) -> None:
        """Run ``operation`` on a worker, shown in the Transfers panel; list ``changed``
        again when it ends, and call ``then`` if it succeeded; the key ``cursor_to`` then
        gets the list's cursor, where its folder is shown (a renamed row). ``finished`` is
        called last, once, however it ended (done, failed or cancelled)."""
        self._running[operation] = changed
        # A plain copy's request that a cancel stopped waiting for still ends, maybe
        # after the operation: how is said then, never lost on its thread.
        operation.on_late = partial(self._copy_ended_late.emit, operation, changed)
        model = self.transfers.model
        model.add([operation])
        job = Job(lambda _job: operation.run(), description=operation.title)
        # Cancelling the job (closing the window) or the operation (the panel) is one.
        job.cancel_event = operation.cancel_event
        self.service.runner.start(
            job,
            failed=self.messages.major,
            finished=lambda: self._ended(operation, then, cursor_to, finished),
        )
        self._timer.start()

    def poll(self) -> None:
        running = list(self._running)
        self.transfers.model.refresh(running)
        if not running:
            self._timer.stop()

    def _ended(
        self,
        operation: Operation,
        then: Callable[[], object] | None,
        cursor_to: str,
        finished: Callable[[], object] | None,
    ) -> None:
        changed = self._running.pop(operation, [])
        self.transfers.model.refresh([operation])
        result = operation.result
        locale = self.locale
        # Counts in plain names: lupdate drops a translate() whose count is an expression.
        failed, done = len(result.failed), result.done
        if result.failed:
            shown = result.failed[:200]
            detail = "\n".join(f"{key}: {error.message}" for key, error in shown)
            if len(result.failed) > len(shown):
                detail += "\n" + QCoreApplication.translate(
                    "FileOperations", "… and {n} more"
                ).format(n=len(result.failed) - len(shown))
            self.messages.major(
                OperationFailures(
                    QCoreApplication.translate(
                        "FileOperations",
                        "{title}: %Ln object(s) failed; {done} done.",
                        None,
                        failed,
                    ).format(title=operation.title, done=locale.toString(done)),
                    hint=QCoreApplication.translate(
                        "FileOperations",
                        "The details name each object and why. Nothing else was lost.",
                    ),
                    detail=detail,
                )
            )
        elif result.cancelled and (left := operation.left_running):
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations",
                    "{title}: cancelled ({done} done). The server may still copy "
                    "%Ln object(s) already under way: each is reported when it ends.",
                    None,
                    left,
                ).format(title=operation.title, done=locale.toString(done))
            )
        elif result.cancelled:
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations",
                    "{title}: cancelled after %Ln object(s); the rest is unchanged.",
                    None,
                    done,
                ).format(title=operation.title)
            )
        elif operation.state.finished:
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations", "{title}: done (%Ln object(s)).", None, done
                ).format(title=operation.title)
            )
            if then is not None:
                then()
        self._changed(changed, "")
        if cursor_to and operation.state.finished and not result.failed and not result.cancelled:
            self.browsing.list_model.want(cursor_to)
        if finished is not None:
            finished()

    def _on_copy_ended_late(
        self,
        operation: Operation,
        changed: list[Location],
        source: SourceObject,
        error: CloudBrowserError | None,
    ) -> None:
        """A copy under way when its operation was cancelled has ended: made after all
        (its destination is listed again) or failed (said, as any failure is)."""
        self.transfers.model.refresh([operation])
        name = printable(source.key)
        if error is None:
            self.messages.info(
                QCoreApplication.translate(
                    "FileOperations",
                    "{title}: “{name}” was copied all the same: the server completed the "
                    "copy that was under way when the operation was cancelled.",
                ).format(title=operation.title, name=name)
            )
            self._changed(changed, "")
            return
        self.messages.major(
            OperationFailures(
                QCoreApplication.translate(
                    "FileOperations",
                    "{title}: the copy of “{name}”, under way when the operation was "
                    "cancelled, failed: {error}",
                ).format(title=operation.title, name=name, error=error.message),
                hint=error.hint,
                detail=error.detail,
            )
        )
        self._changed(changed, "")

    def _changed(self, locations: list[Location], message: str) -> None:
        if message:
            self.messages.info(message)
        for location in locations:
            self._refresh(location)

    def _refresh(self, location: Location) -> None:
        """List ``location`` again where it is shown: the file list and the tree."""
        self.browsing.refresh_location(location)

    def cancel_all(self) -> None:
        for operation in self._running:
            operation.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    # ── questions (replaced in tests) ───────────────────────────────────────────────────

    def _ask_text(self, title: str, label: str, text: str, selected: int) -> str | None:
        """A line of text, its first ``selected`` characters selected to be typed over."""
        dialog = QInputDialog(self.parent_widget)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.setModal(True)
        # Selected once shown: showing the dialog selects all of its line edit.
        dialog.show()
        edit = dialog.findChild(QLineEdit)
        if edit is not None:
            edit.setSelection(0, selected)
        waiting = QEventLoop()
        dialog.finished.connect(waiting.quit)
        waiting.exec()
        ok = dialog.result() == QDialog.DialogCode.Accepted
        value = dialog.textValue()
        dialog.deleteLater()
        return value if ok else None

    def _confirm(self, title: str, text: str, ok: str) -> bool:
        # The question names keys: shown escaped, as plain text (never as HTML); its own
        # paragraphs ("\n\n") stay paragraphs, where they read as a literal "\n\n". The
        # names in it were escaped where it was written (a key's own line breaks too).
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Warning),
            title,
            "\n\n".join(printable(part) for part in text.split("\n\n")),
            parent=self.parent_widget,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes = box.addButton(ok, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        chosen = box.clickedButton() is yes
        box.deleteLater()
        return chosen

    def _ask_conflict(self, names: list[str], where: str) -> str | None:
        """ "replace", "keep" (both, the new one renamed) or "skip"; None cancels."""
        shown = ", ".join(f"“{n}”" for n in names[:5]) + (" …" if len(names) > 5 else "")
        count = len(names)
        box = QMessageBox(
            message_icon(QMessageBox.Icon.Question),
            QCoreApplication.translate("FileOperations", "Items already exist"),
            QCoreApplication.translate(
                "FileOperations", "%Ln item(s) already exist in {where}: {names}", None, count
            ).format(where=printable(where or "/"), names=printable(shown)),
            parent=self.parent_widget,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        replace = box.addButton(
            QCoreApplication.translate("FileOperations", "Replace"),
            QMessageBox.ButtonRole.DestructiveRole,
        )
        keep = box.addButton(
            QCoreApplication.translate("FileOperations", "Keep both"),
            QMessageBox.ButtonRole.AcceptRole,
        )
        skip = box.addButton(
            QCoreApplication.translate("FileOperations", "Skip"), QMessageBox.ButtonRole.ActionRole
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        answers: dict[object, str] = {replace: "replace", keep: "keep", skip: "skip"}
        return answers.get(clicked)

    def _ask_new_bucket(
        self, title: str, region: str, regions: list[str], classes: list[str]
    ) -> tuple[str, str] | None:
        """(name, region) as typed; region is "LOCATION/CLASS" when a class is chosen."""
        dialog = QDialog(self.parent_widget)
        dialog.setWindowTitle(title)
        form = QFormLayout(dialog)
        name = QLineEdit()
        name.setPlaceholderText(
            QCoreApplication.translate(
                "FileOperations", "lower case letters, digits, dots and hyphens"
            )
        )
        form.addRow(QCoreApplication.translate("FileOperations", "&Name:"), name)
        where = QComboBox()
        where.setEditable(True)  # a region newer than this list can be typed
        where.addItems(regions)
        where.setCurrentText(region or (regions[0] if regions else ""))
        if regions and classes:  # GCS calls them locations
            form.addRow(QCoreApplication.translate("FileOperations", "&Location:"), where)
        elif regions:
            form.addRow(QCoreApplication.translate("FileOperations", "&Region:"), where)
        storage_class = QComboBox()
        storage_class.addItems(classes)
        if classes:
            form.addRow(
                QCoreApplication.translate("FileOperations", "Default storage &class:"),
                storage_class,
            )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            QCoreApplication.translate("FileOperations", "Create")
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        place = where.currentText().strip() if regions else ""
        if classes and storage_class.currentText():
            place = f"{place}/{storage_class.currentText()}"
        answer = (name.text(), place)
        dialog.deleteLater()
        return answer if ok else None

    def _ask_bucket_name(self, bucket: str, title: str, text: str) -> str | None:
        del bucket  # the answer to check, never offered: typing it is the confirmation
        name, ok = QInputDialog.getText(self.parent_widget, title, text)
        return name if ok else None


# ── helpers ─────────────────────────────────────────────────────────────────────────────


def _name_part(name: str, *, folder: bool) -> int:
    """How much of ``name`` a rename selects: a file's name without its extension, as
    Finder and Explorer do; all of a folder's name, a dot file's, or one without a dot."""
    dot = name.rfind(".")
    return dot if dot > 0 and not folder else len(name)


def _name_problem(name: str) -> str:
    """Why ``name`` cannot be a file or folder name here ("" if it can)."""
    if not name.strip():
        return QCoreApplication.translate("FileOperations", "The name is empty.")
    if "/" in name:
        return QCoreApplication.translate("FileOperations", "A name cannot contain “/”.")
    if name in (".", ".."):
        return QCoreApplication.translate(
            "FileOperations", "“{name}” is not a usable name."
        ).format(name=name)
    if len(name.encode()) > 1024:
        return QCoreApplication.translate(
            "FileOperations", "The name is too long (S3 keys have at most 1,024 bytes)."
        )
    return ""


def _target_key(target: Location, entry: Entry, name: str | None = None) -> str:
    leaf = name or leaf_name(entry.key)
    return target.prefix + leaf + ("/" if entry.is_prefix else "")


def _only_create(entry: Entry, *, renamed: bool, free: bool, checked: bool) -> bool:
    """Whether a copy or move of ``entry`` may only create its target: a name found free
    where the server refuses a create-only write itself (``checked``: no cost), and a
    name this app chose (``renamed``) everywhere, but for a folder, whose every key would
    need a look of its own where the server does not check."""
    if not (renamed or free):
        return False  # the user chose to replace what is there
    return checked or (renamed and not entry.is_prefix)


def _free_name(name: str, taken: set[str]) -> str:
    """``report.pdf`` → ``report copy.pdf``, ``report copy 2.pdf``, … not in ``taken``
    (which it joins, so several copies get distinct names)."""
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no extension (or a dot file)
        stem, dot, suffix = name, "", ""
    n = 1
    while True:
        candidate = f"{stem} copy{'' if n == 1 else f' {n}'}{dot}{suffix}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        n += 1
