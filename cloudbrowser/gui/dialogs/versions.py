"""VersionsDialog: the versions and delete markers of one object, and what to do with them.

Opened on demand (Edit › Versions…, or the list's context menu) and listed on a worker: a
versioned bucket can hold many versions, so they are never part of a normal listing
(docs/architecture.md §3). A bucket that never had versioning turned on says so instead of
showing an empty list, unless it keeps deleted objects for a while (GCS's and Azure's soft
delete): then the soft-deleted versions are listed, which only a restore brings back (they cannot be
downloaded or deleted), and the status says how long the bucket keeps them. Restoring
copies the chosen version over the current one on the server (a soft-deleted one is
restored by the server's own call); deleting a version is permanent; both ask first.
Downloads go through the window's transfer queue, so they are journalled, resumable and
verified like any other. A change that Refresh (or showing another object) cancels stops
being waited for at once; the server may still make it, and how it ends is said then
(core/interrupt.interruptible_late), as for a cancelled copy.

Signals:
    changed(str, str, str): (connection, bucket, key) was changed on the server (a version
        restored or deleted): a list showing it should be refreshed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QLocale, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.connections import Connection
from cloudbrowser.core.details import Version
from cloudbrowser.core.errors import CloudBrowserError, StorageError
from cloudbrowser.core.inspection import object_uri
from cloudbrowser.core.interrupt import interruptible_late
from cloudbrowser.core.keys import leaf_name
from cloudbrowser.core.printable import printable
from cloudbrowser.core.storage import Storage, versions_of
from cloudbrowser.core.transfer_plan import version_file_name
from cloudbrowser.core.versions import object_versions, restore, soft_delete_retention
from cloudbrowser.gui import message_icons
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.transfer_controller import TransferController
from cloudbrowser.gui.widgets.views import FixedRowHeight, list_row_height
from cloudbrowser.gui.workers import Job

#: Item role holding the row's ``Version``.
VersionRole = Qt.ItemDataRole.UserRole + 1
#: CopyObject copies at most this much in one request (S3's limit).


class Col:
    MODIFIED, SIZE, STATE, ETAG, VERSION_ID = range(5)


#: Asks a yes/no question: (title, text) → yes. Replaced in tests.
Confirm = Callable[[str, str], bool]


class VersionChangeFailed(CloudBrowserError):
    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "A version change failed"))


class VersionsDialog(QDialog):
    changed = Signal(str, str, str)
    #: ((connection, bucket, key), what it said done, None or the error): how a change
    #: that a cancel left running ended, from the thread it ended on.
    _changed_late = Signal(object, object, object)

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        transfers: TransferController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("versionsDialog")
        self.resize(820, 400)
        self.service, self.messages, self.transfers = service, messages, transfers
        self.connection_id = self.bucket = self.key = ""
        #: The storage of the object shown (None until one is).
        self.storage: Storage | None = None
        #: The job whose results are shown; results of any other are dropped.
        self._job: Job | None = None
        self.versions: list[Version] = []
        #: The bucket's versioning state once loaded ("" never enabled; None: unknown).
        self.versioning: str | None = None
        #: How long the bucket keeps soft-deleted objects, seconds (0: it keeps none).
        self.retention = 0
        self.confirm: Confirm = self._ask
        self._locale = QLocale()
        self._changed_late.connect(self._on_changed_late)

        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # "working", no percentage
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(
            [
                self.tr("Modified"),
                self.tr("Size"),
                self.tr("State"),
                self.tr("ETag"),
                self.tr("Version ID"),
            ]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        # As tall as the file list's rows: the same kind of list, the same rhythm.
        self.tree.setItemDelegate(FixedRowHeight(list_row_height(self.tree), self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(Col.VERSION_ID, QHeaderView.ResizeMode.Stretch)
        for column, width in ((Col.MODIFIED, 150), (Col.SIZE, 90), (Col.STATE, 140)):
            header.resizeSection(column, width)
        header.resizeSection(Col.ETAG, 200)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemActivated.connect(lambda *_: self.download())
        # Del on the list deletes the selected version (after asking, like the button).
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_version)

        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setToolTip(
            self.tr("Download this version to the download folder, its date in the name")
        )
        self.download_button.clicked.connect(self.download)
        self.save_button = QPushButton(self.tr("Save as…"))
        self.save_button.clicked.connect(self.save_as)
        self.restore_button = QPushButton(self.tr("Restore…"))
        self.restore_button.setToolTip(
            self.tr("Make this version the current one again (copied over it on the server)")
        )
        self.restore_button.clicked.connect(self.restore)
        self.delete_button = QPushButton(self.tr("Delete version…"))
        self.delete_button.setToolTip(self.tr("Delete this version for good"))
        self.delete_button.clicked.connect(self.delete_version)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.reload)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in (
            self.download_button,
            self.save_button,
            self.restore_button,
            self.delete_button,
            self.refresh_button,
        ):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self._update_buttons()

    # ── loading ─────────────────────────────────────────────────────────────────────────

    def show_object(self, connection: Connection, bucket: str, key: str) -> None:
        """List the versions of ``bucket/key`` (a new object replaces the one shown)."""
        self.connection_id, self.bucket, self.key = connection.id, bucket, key
        self.storage = connection.storage
        # GCS names versions by generation number (features.version_word).
        self.tree.headerItem().setText(
            Col.VERSION_ID,
            self.tr("Generation")
            if connection.storage.features.version_word == "generation"
            else self.tr("Version ID"),
        )
        self.setWindowTitle(self.tr("Versions of {name}").format(name=printable(leaf_name(key))))
        self.title.setText(printable(object_uri(connection.settings, bucket, key)))
        self.reload()

    @Slot()
    def reload(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self.tree.clear()
        self.versions = []
        self.versioning = None
        storage = self.storage
        if storage is None:
            return
        bucket, key = self.bucket, self.key

        def work(job: Job) -> tuple[str, int, list[Version]]:
            state = versions_of(storage).bucket_versioning(bucket)
            retention = soft_delete_retention(storage, bucket)
            if not state and not retention:  # only the current object, no history
                return state, retention, []
            found = object_versions(storage, bucket, key, job.cancel_event, retention=retention)
            return state, retention, found

        self._set_busy(self.tr("Loading the versions…"))
        self._job = self.service.run(
            work,
            f"Listing the versions of {bucket}/{key}",
            succeeded=self._loaded,
            failed=self._failed,
            finished=self._finished,
        )

    def _is_current(self) -> bool:
        return self._job is not None and self.sender() is self._job.signals

    @Slot(object)
    def _loaded(self, result: tuple[str, int, list[Version]]) -> None:
        if not self._is_current():
            return
        state, self.retention, versions = result
        self.versioning, self.versions = state, versions
        if not state and not self.retention:
            self.status.setText(
                self.tr(
                    "“{bucket}” has no versioning: its objects have only their current "
                    "version, so there is no history to show."
                ).format(bucket=self.bucket)
            )
            self.tree.hide()
            return
        self.tree.show()
        for version in versions:
            self.tree.addTopLevelItem(self._item(version))
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        soft = sum(v.soft_deleted for v in versions)
        count = sum(not v.delete_marker for v in versions) - soft
        markers = len(versions) - count - soft
        text = self.tr("%Ln version(s)", None, count)
        if markers:
            text += self.tr(", %Ln delete marker(s)", None, markers)
        if soft:
            text += self.tr(", %Ln soft-deleted", None, soft)
        live = any(v.is_latest and not v.delete_marker for v in versions)
        if versions and not live:
            text += self.tr(". The object is deleted: restore a version to bring it back.")
        if state == "Suspended":
            text += self.tr(". Versioning is suspended: new writes replace the current version.")
        if not state:
            text += self.tr(". Versioning is off")
        if self.retention:
            text += self.tr(
                ". Deleted and replaced versions are kept for {time} (soft delete)"
            ).format(time=self._duration(self.retention))
        self.status.setText(text + ("" if text.endswith(".") else "."))

    def _duration(self, seconds: int) -> str:
        """A soft delete retention as a person says it: "7 days", "36 hours"."""
        if seconds % 86400 == 0:
            return self.tr("%Ln day(s)", None, seconds // 86400)
        if seconds % 3600 == 0:
            return self.tr("%Ln hour(s)", None, seconds // 3600)
        return self.tr("%Ln second(s)", None, seconds)

    def _item(self, v: Version) -> QTreeWidgetItem:
        when = format_time(v.modified, self._locale, seconds=True)
        marks = []
        if v.is_latest:
            marks.append(self.tr("latest"))
        if v.delete_marker:
            marks.append(self.tr("delete marker"))
        if v.soft_deleted and v.kept_until:
            marks.append(
                self.tr("soft-deleted, kept until {when}").format(
                    when=format_time(v.kept_until, self._locale)
                )
            )
        elif v.soft_deleted:
            marks.append(self.tr("soft-deleted"))
        size = "" if v.delete_marker else data_size(self._locale, v.size)
        item = QTreeWidgetItem([when, size, ", ".join(marks), v.etag, v.version_id])
        item.setData(0, VersionRole, v)
        item.setTextAlignment(Col.SIZE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if v.delete_marker or v.soft_deleted:
            font = item.font(0)
            font.setItalic(True)
            for column in range(self.tree.columnCount()):
                item.setFont(column, font)
        if v.is_latest:
            font = item.font(Col.STATE)
            font.setBold(True)
            item.setFont(Col.STATE, font)
        return item

    @Slot(object)
    def _failed(self, error: CloudBrowserError) -> None:
        if not self._is_current():
            return
        self.tree.hide()
        self.status.setText(printable(f"{error.message} {error.hint}".strip()))

    @Slot()
    def _finished(self) -> None:
        if not self._is_current():
            return
        self._job = None
        self.busy.hide()
        self._update_buttons()

    def _set_busy(self, text: str) -> None:
        self.status.setText(text)
        self.busy.show()
        self._update_buttons()

    @property
    def loading(self) -> bool:
        return self._job is not None

    # ── the selected version ────────────────────────────────────────────────────────────

    def selected(self) -> Version | None:
        items = self.tree.selectedItems()
        return items[0].data(0, VersionRole) if items else None

    def select(self, version_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, VersionRole).version_id == version_id:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(version_id)

    @Slot()
    def _update_buttons(self) -> None:
        v = self.selected()
        idle = self._job is None
        # A soft-deleted version can only be restored: its bytes cannot be read, and it
        # cannot be deleted before the bucket's retention ends.
        soft = v is not None and v.soft_deleted
        has_data = idle and v is not None and not v.delete_marker and not soft
        self.download_button.setEnabled(has_data)
        self.save_button.setEnabled(has_data)
        self.restore_button.setEnabled(
            idle and v is not None and (soft or (has_data and not v.is_latest))
        )
        self.delete_button.setEnabled(idle and v is not None and not soft)
        self.refresh_button.setEnabled(bool(self.connection_id))

    # ── actions ─────────────────────────────────────────────────────────────────────────

    @Slot()
    def download(self) -> None:
        """Into the download folder as ``name (version <date>).ext``."""
        v = self.selected()
        if v is None or v.delete_marker or v.soft_deleted or self._job is not None:
            return
        target = self.transfers.settings.download_path / version_file_name(v.key, v.modified)
        self._download_to(v, target)

    @Slot()
    def save_as(self) -> None:
        v = self.selected()
        if v is None or v.delete_marker or v.soft_deleted:
            return
        suggested = self.transfers.settings.download_path / version_file_name(v.key, v.modified)
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Save this version as"), str(suggested))
        if name:
            self._download_to(v, Path(name))

    def _download_to(self, v: Version, target: Path) -> None:
        self.transfers.download_version(self.connection_id, self.bucket, v, target)
        self.messages.info(
            self.tr("Downloading the version of {when} to {path}").format(
                when=self._when(v), path=target
            )
        )

    @Slot()
    def restore(self) -> None:
        v = self.selected()
        storage = self.storage
        if storage is None or v is None or v.delete_marker or v.is_latest or self._job is not None:
            return
        largest = storage.features.limits.max_server_copy
        if v.size > largest and not v.soft_deleted:
            self.messages.major(
                StorageError(
                    self.tr(
                        "Versions over {size} cannot be restored by a copy on the server."
                    ).format(size=data_size(self._locale, largest)),
                    hint=self.tr("Download this version, then upload it over the current one."),
                )
            )
            return
        deleted = not any(x.is_latest and not x.delete_marker for x in self.versions)
        if v.soft_deleted:
            question = self.tr(
                "Restore the soft-deleted version of {when} ({size}) of “{name}”? It becomes "
                "the current version."
            )
        elif deleted:
            question = self.tr(
                "Bring “{name}” back as its version of {when} ({size})? The versions before "
                "it stay in the history."
            )
        else:
            question = self.tr(
                "Restore the version of {when} ({size}) of “{name}”? It becomes the current "
                "version; the versions before it stay in the history."
            )
        question = question.format(
            when=self._when(v),
            size=data_size(self._locale, v.size),
            name=leaf_name(v.key),
        )
        if not self.confirm(self.tr("Restore version"), question):
            return
        bucket, key = self.bucket, v.key
        self._run(
            lambda stop: restore(storage, bucket, v, stop),
            self.tr("Restoring the version…"),
            self.tr("Restored the version of {when} of “{name}”.").format(
                when=self._when(v), name=leaf_name(key)
            ),
        )

    @Slot()
    def delete_version(self) -> None:
        v = self.selected()
        if v is None or v.soft_deleted or self._job is not None:
            return
        what = (
            self.tr("the delete marker of {when}")
            if v.delete_marker
            else self.tr("the version of {when}")
        ).format(when=self._when(v))
        consequence = ""
        if v.is_latest and v.delete_marker:
            consequence = self.tr(" The object comes back as its previous version.")
        elif v.is_latest:
            consequence = self.tr(" The version before it becomes the current one.")
        question = self.tr(
            "Permanently delete {what} of “{name}”? This cannot be undone.{consequence}"
        ).format(what=what, name=leaf_name(v.key), consequence=consequence)
        if not self.confirm(self.tr("Delete version permanently"), question):
            return
        storage = self.storage
        if storage is None:
            return
        bucket, key, version_id = self.bucket, v.key, v.version_id
        self._run(
            lambda _stop: versions_of(storage).delete_version(bucket, key, version_id),
            self.tr("Deleting the version…"),
            self.tr("Deleted {what} of “{name}” permanently.").format(
                what=what, name=leaf_name(key)
            ),
        )

    def _run(self, change: Callable[[threading.Event], object], doing: str, done: str) -> None:
        """Make a change on the server (``change(stop)``, one request, or rounds that
        ``stop`` ends between); then say so, list again and tell the window. A cancel
        (Refresh, another object) stops waiting for it at once; how the request left
        running ends is said then (:meth:`_on_changed_late`)."""
        where = (self.connection_id, self.bucket, self.key)

        def work(job: Job) -> object:
            stop = job.cancel_event
            return interruptible_late(
                partial(change, stop),
                stop,
                lambda _value, error: self._changed_late.emit(where, done, error),
                f"“{where[2]}”: {doing}",
            )

        def succeeded(_result: object) -> None:
            self.messages.info(done)
            self.changed.emit(*where)

        def failed(error: CloudBrowserError) -> None:
            self.messages.major(error)

        def finished() -> None:
            if self._job is job:
                self._job = None
            # Not over a change started since (a cancelled one ends after Refresh).
            if (self.connection_id, self.bucket, self.key) == where and not self.changing:
                self.reload()

        self._set_busy(doing)
        self._job = job = self.service.run(
            work, doing, succeeded=succeeded, failed=failed, finished=finished
        )

    @property
    def changing(self) -> bool:
        """A change (a restore, a delete) is running: a listing's job is not."""
        return self._job is not None and self.versioning is not None

    def _on_changed_late(
        self, where: tuple[str, str, str], done: str, error: CloudBrowserError | None
    ) -> None:
        """A change under way at a cancel has ended: made after all (said, and the
        lists showing the object are listed again) or failed (said as any failure is)."""
        if error is None:
            self.messages.info(
                self.tr("{done} The server completed it after it was cancelled.").format(done=done)
            )
        else:
            self.messages.major(
                VersionChangeFailed(
                    self.tr(
                        "“{name}”: the change under way when it was cancelled failed: {error}"
                    ).format(name=printable(leaf_name(where[2])), error=error.message),
                    hint=error.hint,
                    detail=error.detail,
                )
            )
        self.changed.emit(*where)
        if (self.connection_id, self.bucket, self.key) == where and not self.changing:
            self.reload()

    def _when(self, v: Version) -> str:
        return format_time(v.modified, self._locale, seconds=True)

    def _ask(self, title: str, text: str) -> bool:
        answer = message_icons.ask(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def done(self, result: int) -> None:
        """Closing stops a listing still running (its result would be dropped anyway)."""
        if self._job is not None and self.versioning is None:
            self._job.cancel()
        super().done(result)
