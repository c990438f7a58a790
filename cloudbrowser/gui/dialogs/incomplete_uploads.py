"""IncompleteUploadsDialog: list a bucket's unfinished multipart uploads and abort them.

Unfinished uploads are invisible in a listing yet billed as storage. Uploads that the
transfer queue can still resume are shown as such and not selected by default, so a
cleanup never throws away a transfer the user means to finish.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.connections import Connection
from cloudbrowser.core.details import UnfinishedUpload
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.printable import printable
from cloudbrowser.core.storage import chunked_uploads_of
from cloudbrowser.gui import message_icons
from cloudbrowser.gui.bucket_texts import bucket_texts
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.messages import MessageSink, one_line
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

_UPLOAD = Qt.ItemDataRole.UserRole + 1


class IncompleteUploadsDialog(QDialog):
    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        connection: Connection,
        bucket: str,
        resumable: set[str],
        parent: QWidget | None = None,
    ) -> None:
        """``resumable``: upload ids the transfer queue holds (not selected by default)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Incomplete uploads in {bucket}").format(bucket=bucket))
        self.resize(720, 380)
        self.service, self.messages = service, messages
        self.connection, self.bucket = connection, bucket
        self.storage = connection.storage
        self.resumable = resumable
        self.status = QLabel(self.tr("Listing incomplete uploads…"))
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Key"), self.tr("Started"), self.tr("Note")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.abort_button = QPushButton(self.tr("Abort selected…"))
        self.abort_button.setEnabled(False)
        self.abort_button.clicked.connect(self.abort_selected)
        self.tree.itemSelectionChanged.connect(
            lambda: self.abort_button.setEnabled(bool(self.tree.selectedItems()))
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.abort_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.jobs: list[Job] = []
        self.reload()

    def reload(self) -> None:
        storage = self.storage
        bucket = self.bucket
        self.jobs.append(
            self.service.run(
                lambda _job: chunked_uploads_of(storage).list_unfinished_uploads(bucket),
                f"Listing incomplete uploads in {bucket}",
                succeeded=self._show,
                failed=self._failed,
            )
        )

    @Slot(object)
    def _show(self, uploads: list[UnfinishedUpload]) -> None:
        self.tree.clear()
        locale = QLocale()
        for upload in sorted(uploads, key=lambda u: (u.key, u.initiated)):
            started = format_time(upload.initiated, locale) if upload.initiated else ""
            mine = upload.session in self.resumable
            note = self.tr("in the Transfers panel: resume it there") if mine else ""
            item = QTreeWidgetItem([printable(upload.key), started, note])
            item.setData(0, _UPLOAD, upload)
            self.tree.addTopLevelItem(item)
            item.setSelected(not mine)
        count = len(uploads)
        self.status.setText(
            self.tr(
                "%Ln incomplete upload(s). Their parts use storage but are no object; "
                "aborting deletes the parts.",
                None,
                count,
            )
            if count
            else bucket_texts(self.storage.features.bucket_word).no_incomplete_uploads
        )

    @Slot(object)
    def _aborted(self, count: int) -> None:
        self.messages.info(self.tr("Aborted %Ln incomplete upload(s).", None, count))

    @Slot(object)
    def _failed(self, error: CloudBrowserError) -> None:
        self.status.setText(printable(one_line(error)))

    def abort_selected(self) -> None:
        uploads: list[UnfinishedUpload] = [i.data(0, _UPLOAD) for i in self.tree.selectedItems()]
        if not uploads:
            return
        answer = message_icons.ask(
            self,
            self.tr("Abort incomplete uploads"),
            self.tr(
                "Abort %Ln incomplete upload(s)? The parts already uploaded are "
                "deleted; this cannot be undone.",
                None,
                len(uploads),
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.abort(uploads)

    def abort(self, uploads: list[UnfinishedUpload]) -> None:
        storage = self.storage

        def work(_job: Job) -> int:
            for u in uploads:
                chunked_uploads_of(storage).abort_upload(u.bucket, u.key, u.session)
            return len(uploads)

        self.status.setText(self.tr("Aborting %Ln upload(s)…", None, len(uploads)))
        self.jobs.append(
            self.service.run(
                work,
                f"Aborting incomplete uploads in {self.bucket}",
                succeeded=self._aborted,
                failed=self._failed,
                finished=self.reload,
            )
        )
