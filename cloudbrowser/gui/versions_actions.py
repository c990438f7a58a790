"""The window's version features: Versions…, View › Show deleted, and Undelete.

All on demand (docs/architecture.md §3): nothing here lists versions until the user asks.

* **Versions…** (Edit menu, context menu of one file; Ctrl+Shift+H, "H" for history:
  Ctrl+I is left to Properties, the "Get Info" of other file managers) opens the
  :class:`~cloudbrowser.gui.dialogs.versions.VersionsDialog` for the selected object.
* **Show deleted** (View menu, per window, off by default; Ctrl+Alt+H, a neighbour of the
  history key) also lists the objects below the folder whose latest version is a delete
  marker, and those only the bucket's soft delete still keeps (GCS, Azure), greyed and marked
  "Deleted".
* **Undelete** (context menu and Edit menu, for selected deleted objects) removes their
  delete markers, so the version before comes back, or restores the soft-deleted version
  deleted last; the list is then listed again. **Cancel undelete** (Edit menu) stops
  waiting at once; the server may still finish the object under way, and how it ends is
  said then (core/interrupt.interruptible_late), as for a cancelled copy. What
  was done or failed before the cancel is said too.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import CloudBrowserError, StorageError
from cloudbrowser.core.interrupt import Abandoned, interruptible_late
from cloudbrowser.core.keys import leaf_name, parent_prefix
from cloudbrowser.core.printable import printable
from cloudbrowser.core.versions import undelete
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.window_parts import Browsing, WindowMenus
from cloudbrowser.gui.workers import Job

if TYPE_CHECKING:
    from cloudbrowser.gui.dialogs.versions import VersionsDialog


class UndeleteFailures(CloudBrowserError):
    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Some objects were not undeleted"))


class VersionActions(QObject):
    """Creates the version actions and puts them in the window's menus."""

    #: (folder, key, None or the error): how an undelete that a cancel left running
    #: ended, from the thread it ended on.
    _undeleted_late = Signal(object, object, object)

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
        self.versions_action = menus.new_action(
            self.tr("Versions…"), None, [k("Ctrl+Shift+H")], self.show_versions
        )
        self.undelete_action = menus.new_action(
            self.tr("Undelete"), None, [], self.undelete_selection
        )
        self.cancel_undelete_action = menus.new_action(
            self.tr("Cancel undelete"), None, [], self.cancel_undelete
        )
        self.cancel_undelete_action.setEnabled(False)
        self.show_deleted_action = menus.new_action(
            self.tr("Show deleted"), None, [k("Ctrl+Alt+H")], self._on_show_deleted
        )
        self.show_deleted_action.setCheckable(True)
        self.show_deleted_action.setToolTip(
            self.tr("Also list the deleted objects kept by versions or soft delete (Ctrl+Alt+H)")
        )
        menus.edit.addSeparator()
        menus.edit.addAction(self.versions_action)
        menus.edit.addAction(self.undelete_action)
        menus.edit.addAction(self.cancel_undelete_action)
        menus.view.addAction(self.show_deleted_action)
        menus.context_sections.append(self._context_section)
        browsing.list_model.loadingChanged.connect(self._on_loading)
        #: One dialog per window, made on first use and kept: a listing job may still
        #: report to it after it is closed.
        self._dialog: VersionsDialog | None = None
        self._undelete_job: Job | None = None
        self._undeleted_late.connect(self._on_undeleted_late)

    # ── context menu ────────────────────────────────────────────────────────────────────

    def _context_section(self, menu: QMenu, entries: list[Entry]) -> bool:
        current = self.browsing.current
        if current is None or current.is_connection_root or not entries:
            return False
        files = [e for e in entries if not e.is_prefix]
        added = False
        if any(self.browsing.list_model.is_deleted(e.key) for e in files):
            menu.addAction(self.undelete_action)
            added = True
        if len(entries) == 1 and files:
            menu.addAction(self.versions_action)
            added = True
        return added

    # ── Versions… ───────────────────────────────────────────────────────────────────────

    def dialog(self) -> VersionsDialog:
        if self._dialog is None:
            from cloudbrowser.gui.dialogs.versions import VersionsDialog  # on first use

            self._dialog = VersionsDialog(
                self.service, self.messages, self.transfers, self.parent_widget
            )
            self._dialog.changed.connect(self._on_changed)
        return self._dialog

    @Slot()
    def show_versions(self) -> VersionsDialog | None:
        current = self.browsing.current
        files = [e for e in self.browsing.selected_entries() if not e.is_prefix]
        if current is None or current.is_connection_root or len(files) != 1:
            self.messages.info(self.tr("Select one file to see its versions."))
            return None
        dialog = self.dialog()
        dialog.show_object(
            self.service.connection(current.connection), current.bucket, files[0].key
        )
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @Slot(str, str, str)
    def _on_changed(self, connection_id: str, bucket: str, key: str) -> None:
        """A version was restored or deleted: the list of its folder shows it anew."""
        current = self.browsing.current
        if current is not None and (current.connection, current.bucket, current.prefix) == (
            connection_id,
            bucket,
            parent_prefix(key),
        ):
            self.browsing.refresh()

    # ── Show deleted ────────────────────────────────────────────────────────────────────

    @Slot()
    def _on_show_deleted(self) -> None:
        on = self.show_deleted_action.isChecked()
        self.browsing.list_model.set_show_deleted(on)
        if on:
            self.messages.info(
                self.tr(
                    "Showing deleted objects too (buckets with versioning or soft delete only)."
                )
            )

    @Slot(bool)
    def _on_loading(self, loading: bool) -> None:
        """A listing ended: if its deleted objects could not be listed, say why (once)."""
        error = self.browsing.list_model.deleted_error
        if not loading and error is not None:
            self.messages.minor(error)

    # ── Undelete ────────────────────────────────────────────────────────────────────────

    @Slot()
    def undelete_selection(self) -> Job | None:
        browsing, messages = self.browsing, self.messages
        current = browsing.current
        model = browsing.list_model
        deleted = [
            e for e in browsing.selected_entries() if not e.is_prefix and model.is_deleted(e.key)
        ]
        if current is None or current.is_connection_root or not deleted:
            messages.info(
                self.tr("Select deleted objects to undelete (View › Show deleted lists them).")
            )
            return None
        if self._undelete_job is not None:
            messages.info(self.tr("An undelete is still running."))
            return None
        storage = self.service.storage(current.connection)
        bucket = current.bucket
        keys = [e.key for e in deleted]
        #: Undeleted so far, what failed, and the key whose undelete a cancel left
        #: running (""): a cancelled job's result is not delivered, so ``finished`` says.
        done: list[int] = [0]
        failed: list[tuple[str, CloudBrowserError]] = []
        left: list[str] = [""]

        def late(key: str, _value: object, error: CloudBrowserError | None) -> None:
            self._undeleted_late.emit(current, key, error)

        def work(job: Job) -> None:
            stop = job.cancel_event
            for n, key in enumerate(keys, 1):
                if job.cancelled:
                    break
                try:
                    # A cancel stops waiting at once; the request goes on, and how it
                    # ends is still said (_on_undeleted_late).
                    interruptible_late(
                        partial(undelete, storage, bucket, key, stop),
                        stop,
                        partial(late, key),
                        f"The undelete of “{key}”",
                    )
                    done[0] += 1
                except Abandoned:
                    left[0] = key
                    raise
                except StorageError as error:
                    failed.append((key, error))
                job.report(n)

        def progress(n: int) -> None:
            messages.info(self.tr("Undeleting… {n} of {total}").format(n=n, total=len(keys)))

        def say_failed(hint: str) -> None:
            messages.major(
                UndeleteFailures(
                    self.tr(
                        "{failed} of %Ln object(s) could not be undeleted.", None, len(keys)
                    ).format(failed=len(failed)),
                    hint=hint,
                    detail="\n".join(f"{key}: {error.message}" for key, error in failed),
                )
            )

        def succeeded(_result: None) -> None:
            if failed:
                say_failed(self.tr("The details say which and why; the others are back."))
            else:
                messages.info(self.tr("Undeleted %Ln object(s).", None, done[0]))
            if browsing.current == current:
                browsing.refresh()

        def finished() -> None:
            job = self._undelete_job
            self._undelete_job = None
            self.cancel_undelete_action.setEnabled(False)
            if job is None or not job.cancelled:
                return
            text = self.tr("Undelete cancelled: %Ln object(s) undeleted.", None, done[0])
            if left[0]:
                text += " " + self.tr(
                    "The server may still undelete “{name}”, under way: it is said when it ends."
                ).format(name=printable(leaf_name(left[0])))
            messages.info(text)
            if failed:
                say_failed(self.tr("The details say which and why."))
            if (done[0] or failed) and browsing.current == current:
                browsing.refresh()

        self._undelete_job = self.service.run(
            work,
            f"Undeleting objects in {bucket} ({len(keys)})",
            progress=progress,
            succeeded=succeeded,
            failed=messages.major,
            finished=finished,
        )
        self.cancel_undelete_action.setEnabled(True)
        return self._undelete_job

    @Slot()
    def cancel_undelete(self) -> None:
        """Stop the undelete running: at once, and the objects not started stay deleted;
        the one under way is said when it ends."""
        if self._undelete_job is not None:
            self._undelete_job.cancel()

    def _on_undeleted_late(
        self, current: Location, key: str, error: CloudBrowserError | None
    ) -> None:
        """An undelete under way at the cancel has ended: done after all, or failed
        (said as any failure is). Its folder is listed again either way: a failure may
        have removed some of its delete markers."""
        name = printable(leaf_name(key))
        if error is None:
            self.messages.info(
                self.tr(
                    "“{name}” was undeleted all the same: the server completed the "
                    "undelete under way when it was cancelled."
                ).format(name=name)
            )
        else:
            self.messages.major(
                UndeleteFailures(
                    self.tr(
                        "The undelete of “{name}”, under way when it was cancelled, failed: {error}"
                    ).format(name=name, error=error.message),
                    hint=error.hint,
                    detail=error.detail,
                )
            )
        if self.browsing.current == current:
            self.browsing.refresh()
