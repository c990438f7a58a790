"""PropertiesDialog: everything S3 knows about one object, and editing what S3 lets change.

The properties are read on a worker (one HEAD, plus GetObjectTagging where the provider
has tags) while the dialog shows a loading state. Content type, cache control, storage
class and user metadata can only change by copying the object onto itself; tags change
on their own (PutObjectTagging). A save runs on a worker too: its failure goes to the
message sink and the dialog stays open with the user's edits, ready to try again.

A folder (prefix) row has no properties of its own: the dialog names it and fetches
nothing.
"""

from __future__ import annotations

import html
import mimetypes
from dataclasses import dataclass

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.backends.s3.presets import preset
from cloudbrowser.core.connections import Connection
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.errors import CloudBrowserError, StorageError
from cloudbrowser.core.inspection import (
    MAX_TAGS,
    PropertyEdits,
    SavePlan,
    object_uri,
    object_url,
    plan_save,
    storage_classes,
    validate,
)
from cloudbrowser.core.interrupt import stoppable
from cloudbrowser.core.printable import printable
from cloudbrowser.core.storage import StorageClasses, properties_of
from cloudbrowser.gui import message_icons
from cloudbrowser.gui.bucket_texts import bucket_texts
from cloudbrowser.gui.class_status import class_status
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.messages import MessageSink, error_title
from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.workers import Job

#: Offered in the content-type box (any other may be typed).
COMMON_TYPES = (
    "application/octet-stream",
    "text/plain",
    "text/html",
    "text/css",
    "text/csv",
    "text/markdown",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "video/mp4",
    "audio/mpeg",
)


@dataclass(frozen=True)
class Loaded:
    """What the dialog shows: the object's details and its tags (None: not available)."""

    details: ObjectDetails
    tags: dict[str, str] | None
    #: Why there are no tags to show ("" when there are).
    tags_note: str = ""


def _selectable(text: str) -> QLabel:
    """A label for a key, a name or an address: as plain text, control characters escaped."""
    label = QLabel(printable(text))
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class PairTable(QWidget):
    """Editable name/value rows with Add and Remove (user metadata, tags).

    Signals:
        changed(): a row was added, removed or edited.
    """

    changed = Signal()

    def __init__(self, name: str, value: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([name, value])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().resizeSection(0, 200)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        self.add_button = QPushButton(self.tr("Add"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def set_pairs(self, pairs: dict[str, str]) -> None:
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, value in pairs.items():
            self._append(name, value)
        self.table.blockSignals(blocked)

    def _append(self, name: str, value: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(value))
        return row

    @Slot()
    def add_row(self, name: str = "", value: str = "") -> None:
        row = self._append(name, value)
        self.table.setCurrentCell(row, 0)
        item = self.table.item(row, 0)
        if not name and item is not None:
            self.table.editItem(item)
        self.changed.emit()

    @Slot()
    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.changed.emit()

    def pairs(self) -> tuple[tuple[str, str], ...]:
        result = []
        for row in range(self.table.rowCount()):
            name, value = self.table.item(row, 0), self.table.item(row, 1)
            result.append((name.text().strip() if name else "", value.text() if value else ""))
        return tuple(result)

    def set_editable(self, editable: bool) -> None:
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable)


class PropertiesDialog(QDialog):
    """Properties of one object (or the note for a folder).

    Signals:
        saved(object): the object's new ObjectDetails after a successful save.
    """

    saved = Signal(object)

    def __init__(
        self,
        service: StorageService,
        messages: MessageSink,
        connection: Connection,
        bucket: str,
        key: str,
        *,
        is_prefix: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.messages = service, messages
        self.connection, self.bucket, self.key = connection, bucket, key
        self.storage = connection.storage
        self.settings = connection.settings
        self.can_tag = self.storage.features.tags
        self.qlocale = QLocale()
        self.loaded: Loaded | None = None
        self.job: Job | None = None
        self.saving = False
        name = key.rstrip("/").rsplit("/", 1)[-1] or bucket
        self.setWindowTitle(self.tr("Properties of {name}").format(name=printable(name)))
        self.resize(620, 560)

        self.stack = QStackedWidget()
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            self.tr("Save"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)
        self.save_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {status_colour(False)};")
        self.problems.hide()
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)

        if is_prefix:
            self.save_button.hide()
            self.stack.addWidget(self._folder_page())
            return
        self.loading = self._loading_page()
        self.error_page = self._error_page()
        self.tabs = self._tabs()
        for page in (self.loading, self.error_page, self.tabs):
            self.stack.addWidget(page)
        self.load()

    def _bucket_label(self) -> str:
        return bucket_texts(self.storage.features.bucket_word).label

    def _uri_label(self) -> str:
        # "S3 URI" is what the AWS console calls it; gs:// and az:// addresses are URIs.
        return self.tr("S3 URI:") if self.storage.features.uri_scheme == "s3" else self.tr("URI:")

    def _class_label(self) -> str:
        # What the provider calls it (features.storage_class_word): Azure's "access tier".
        if self.storage.features.storage_class_word == "access tier":
            return self.tr("Access tier:")
        return self.tr("Storage class:")

    def _version_label(self) -> str:
        # GCS names an object's versions by generation number (features.version_word).
        if self.storage.features.version_word == "generation":
            return self.tr("Generation:")
        return self.tr("Version ID:")

    # ── pages ───────────────────────────────────────────────────────────────────────────

    def _folder_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(self.tr("Folder:"), _selectable(self.key))
        form.addRow(self._bucket_label(), _selectable(self.bucket))
        form.addRow(
            self._uri_label(), _selectable(object_uri(self.settings, self.bucket, self.key))
        )
        form.addRow(self.tr("URL:"), _selectable(object_url(self.settings, self.bucket, self.key)))
        note = QLabel(
            self.tr(
                "A folder is a key prefix that objects share, not an object: it has no size, "
                "metadata or tags of its own. Open it to see the properties of its objects."
            )
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    def _loading_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        label = QLabel(self.tr("Reading the properties…"))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar = QProgressBar()
        bar.setRange(0, 0)
        layout.addWidget(label)
        layout.addWidget(bar)
        layout.addStretch(2)
        return page

    def _error_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        retry = QPushButton(self.tr("Retry"))
        retry.clicked.connect(self.load)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(retry)
        row.addStretch(1)
        layout.addWidget(self.error_label)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        general = QWidget()
        self.general_form = QFormLayout(general)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(general)
        tabs.addTab(scroll, self.tr("General"))

        meta = QWidget()
        meta_layout = QVBoxLayout(meta)
        form = QFormLayout()
        self.content_type = QComboBox()
        self.content_type.setEditable(True)
        self.content_type.addItems(COMMON_TYPES)
        self.content_type.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        guess = QPushButton(self.tr("From name"))
        guess.setToolTip(self.tr("Set the content type that matches the file name's extension"))
        guess.clicked.connect(self.guess_content_type)
        self.guess_button = guess
        type_row = QHBoxLayout()
        type_row.addWidget(self.content_type, 1)
        type_row.addWidget(guess)
        form.addRow(self.tr("Content type:"), type_row)
        self.cache_control = QLineEdit()
        self.cache_control.setPlaceholderText(self.tr("e.g. max-age=3600, public"))
        form.addRow(self.tr("Cache control:"), self.cache_control)
        self.storage_class = QComboBox()
        form.addRow(self._class_label(), self.storage_class)
        meta_layout.addLayout(form)
        meta_layout.addWidget(QLabel(self._metadata_label()))
        self.metadata = PairTable(self.tr("Name"), self.tr("Value"))
        meta_layout.addWidget(self.metadata, 1)
        self.copy_note = QLabel()
        self.copy_note.setWordWrap(True)
        meta_layout.addWidget(self.copy_note)
        tabs.addTab(meta, self.tr("Metadata"))

        tag_page = QWidget()
        tag_layout = QVBoxLayout(tag_page)
        self.tags_note = QLabel()
        self.tags_note.setWordWrap(True)
        self.tags = PairTable(self.tr("Key"), self.tr("Value"))
        tag_layout.addWidget(self.tags_note)
        tag_layout.addWidget(self.tags, 1)
        tabs.addTab(tag_page, self.tr("Tags"))

        self.content_type.currentTextChanged.connect(self._on_edited)
        self.cache_control.textChanged.connect(self._on_edited)
        self.storage_class.currentTextChanged.connect(self._on_edited)
        self.metadata.changed.connect(self._on_edited)
        self.tags.changed.connect(self._on_edited)
        return tabs

    # ── loading ─────────────────────────────────────────────────────────────────────────

    @Slot()
    def load(self) -> None:
        self.stack.setCurrentWidget(self.loading)
        self.save_button.setEnabled(False)
        storage = self.storage
        bucket, key, can_tag = self.bucket, self.key, self.can_tag
        provider = preset(self.settings.provider).label if self.settings.provider else ""
        if self.storage.features.uri_scheme == "gs":
            # A native GCS connection has no provider preset to choose: it has no tags.
            no_tags = self.tr("Google Cloud Storage has no object tags: use user metadata.")
        elif provider and provider != preset("other").label:
            no_tags = self.tr("{provider} does not support object tags.").format(provider=provider)
        else:
            no_tags = self.tr(
                "Tags are off for this connection: its provider is not known to support "
                "them. Choose the provider in the connection's settings to use tags."
            )

        unreadable = self.tr("The tags could not be read: {error}")

        def work(_job: Job) -> Loaded:
            details = properties_of(storage).object_details(bucket, key)
            if not can_tag:
                return Loaded(details, None, no_tags)
            try:
                return Loaded(details, properties_of(storage).get_tags(bucket, key))
            except StorageError as error:
                # Often a key allowed s3:GetObject but not s3:GetObjectTagging: the other
                # properties are still worth showing (and editing).
                return Loaded(details, None, unreadable.format(error=error.message))

        self.job = self.service.run(
            work,
            f"Reading the properties of {bucket}/{key}",
            succeeded=self._on_loaded,
            failed=self._on_load_failed,
        )

    @Slot(object)
    def _on_load_failed(self, error: CloudBrowserError) -> None:
        # Shown here, where it happened (like a listing's failure), not in the status bar.
        # Rich text for the bold title: the message (which names the key) is escaped twice,
        # its control characters made visible and its markup made text.
        text = f"<b>{error_title(error)}</b><br>{html.escape(printable(error.message))}"
        if error.hint:
            text += f"<br>{html.escape(printable(error.hint))}"
        self.error_label.setText(text)
        self.stack.setCurrentWidget(self.error_page)

    @Slot(object)
    def _on_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        d = loaded.details
        self._fill_general(d, loaded.tags)
        for widget in (self.content_type, self.cache_control, self.storage_class):
            widget.blockSignals(True)
        self.content_type.setCurrentText(d.content_type)
        self.cache_control.setText(d.cache_control)
        self.storage_class.clear()
        offer = (
            self.storage.storage_class_offer() if isinstance(self.storage, StorageClasses) else None
        )
        self.storage_class.addItems(list(storage_classes(self.settings, d.storage_class, offer)))
        self.storage_class.setCurrentText(d.storage_class)
        for widget in (self.content_type, self.cache_control, self.storage_class):
            widget.blockSignals(False)
        self.metadata.set_pairs(d.metadata)
        if loaded.tags is None:
            self.tags_note.setText(loaded.tags_note)
            self.tags.set_pairs({})
            self.tags.setEnabled(False)
        else:
            self.tags.set_pairs(loaded.tags)
            self.tags.setEnabled(True)
            self.tags_note.setText(
                self.tr("Tags change without copying the object (at most {n} per object).").format(
                    n=MAX_TAGS
                )
            )
        blocked = self._copy_blocker(d)
        for editor in (self.content_type, self.cache_control, self.guess_button):
            editor.setEnabled(not blocked)
        self.storage_class.setEnabled(not blocked and self.storage_class.count() > 1)
        self.metadata.set_editable(not blocked)
        self.copy_note.setText(blocked or self._copy_text())
        self.copy_note.setStyleSheet(f"color: {status_colour(False)};" if blocked else "")
        self.stack.setCurrentWidget(self.tabs)
        self._on_edited()

    def _metadata_label(self) -> str:
        scheme = self.storage.features.uri_scheme
        if scheme == "gs":
            return self.tr("User metadata (sent as x-goog-meta-<name>):")
        if scheme == "az":
            return self.tr("User metadata (sent as x-ms-meta-<name>):")
        return self.tr("User metadata (sent as x-amz-meta-<name>):")

    def _copy_text(self) -> str:
        scheme = self.storage.features.uri_scheme
        if scheme == "gs":
            # GcsBackend.replace_metadata: a metadata patch; a class change is a rewrite.
            return self.tr(
                "Saving changes these in place, without a copy; a new storage class "
                "rewrites the object on the server (a versioned bucket keeps the old "
                "version)."
            )
        if scheme == "az":
            return self.tr("Saving changes these in place, without a copy of the blob.")
        return self.tr(
            "S3 cannot edit these in place: saving copies the object onto itself with the "
            "new values. Its modified time changes and a versioned bucket keeps the old "
            "version."
        )

    def _copy_blocker(self, d: ObjectDetails) -> str:
        """Why the metadata of ``d`` cannot be changed by a copy in place ("" if it can)."""
        if d.size > self.storage.features.limits.max_server_copy:
            return self.tr(
                "This object is larger than 5 GiB: S3's CopyObject, which rewrites metadata, "
                "cannot copy it in place. Its tags can still be changed."
            )
        if d.sse_customer_algorithm:
            return self.tr(
                "This object is encrypted with a customer-provided key (SSE-C): it cannot be "
                "copied in place without that key."
            )
        if d.is_archived(self.storage.features.archive_tiers):
            return self.tr(
                "This object is archived ({cls}): restore it before changing its metadata."
            ).format(cls=d.storage_class)
        return ""

    def _fill_general(self, d: ObjectDetails, tags: dict[str, str] | None) -> None:
        form = self.general_form
        while form.rowCount():
            form.removeRow(0)
        loc = self.qlocale
        size = data_size(loc, d.size)
        if d.size >= 1024:
            size += " " + self.tr("({n} bytes)").format(n=loc.toString(d.size))
        modified = format_time(d.modified, loc, seconds=True) if d.modified else "—"
        encryption = {
            "": self.tr("None reported"),
            "AES256": self.tr("SSE-S3 (AES-256, keys managed by the server)"),
            "aws:kms": self.tr("SSE-KMS"),
            "aws:kms:dsse": self.tr("DSSE-KMS (dual-layer)"),
        }.get(d.server_side_encryption, d.server_side_encryption)
        if d.sse_customer_algorithm:
            encryption = self.tr("SSE-C (customer-provided key, {alg})").format(
                alg=d.sse_customer_algorithm
            )
        rows: list[tuple[str, str]] = [
            (self.tr("Name:"), d.key.rsplit("/", 1)[-1]),
            (self.tr("Key:"), d.key),
            (self._bucket_label(), d.bucket),
            (self._uri_label(), object_uri(self.settings, d.bucket, d.key)),
            (self.tr("URL:"), object_url(self.settings, d.bucket, d.key)),
            (self.tr("Size:"), size),
            (self.tr("Modified:"), modified),
            (self.tr("ETag:"), d.etag),
            (self._class_label(), class_status(d.storage_class, d.restore, loc)),
            (self.tr("Content type:"), d.content_type or "—"),
            (self.tr("Cache control:"), d.cache_control or "—"),
            (self.tr("Encryption:"), encryption),
        ]
        optional = [
            (self.tr("KMS key:"), d.sse_kms_key_id),
            (self.tr("Content disposition:"), d.content_disposition),
            (self.tr("Content encoding:"), d.content_encoding),
            (self.tr("Content language:"), d.content_language),
            (self.tr("Expires:"), d.expires),
            (self.tr("Website redirect:"), d.website_redirect),
            (self.tr("Restore:"), d.restore),
            (self.tr("Object lock:"), d.object_lock_mode),
            (self.tr("Legal hold:"), d.object_lock_legal_hold),
            (self.tr("Replication:"), d.replication_status),
        ]
        rows += [(label, value) for label, value in optional if value]
        rows.append((self._version_label(), d.version_id or "—"))
        if d.object_lock_retain_until:
            until = format_time(d.object_lock_retain_until, loc, seconds=True)
            rows.append((self.tr("Retain until:"), until))
        meta = "\n".join(f"{k}: {v}" for k, v in d.metadata.items())
        rows.append((self.tr("User metadata:"), meta or "—"))
        if tags is not None:
            rows.append((self.tr("Tags:"), "\n".join(f"{k} = {v}" for k, v in tags.items()) or "—"))
        for label, value in rows:
            form.addRow(label, _selectable(value))

    # ── editing ─────────────────────────────────────────────────────────────────────────

    def edits(self) -> PropertyEdits:
        return PropertyEdits(
            content_type=self.content_type.currentText(),
            cache_control=self.cache_control.text(),
            storage_class=self.storage_class.currentText(),
            metadata=self.metadata.pairs(),
            tags=self.tags.pairs() if self.loaded and self.loaded.tags is not None else None,
        )

    def plan(self) -> SavePlan | None:
        if self.loaded is None:
            return None
        return plan_save(self.loaded.details, self.loaded.tags, self.edits())

    @Slot()
    def _on_edited(self) -> None:
        if self.loaded is None:
            return
        problems = validate(self.edits(), self.storage.features.uri_scheme)
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        plan = self.plan()
        self.save_button.setEnabled(
            not problems and plan is not None and not plan.empty and not self.saving
        )
        details = self.loaded.details
        wanted = self.storage_class.currentText()
        if wanted in self.storage.features.archive_tiers and wanted != details.storage_class:
            self.copy_note.setText(
                self.tr(
                    "{cls} is an archive tier: once moved there, the object cannot be read, "
                    "previewed or downloaded until it is restored, which takes hours."
                ).format(cls=wanted)
            )
            self.copy_note.setStyleSheet(f"color: {status_colour(False)};")
        elif not self._copy_blocker(details):
            self.copy_note.setText(self._copy_text())
            self.copy_note.setStyleSheet("")

    @Slot()
    def guess_content_type(self) -> None:
        guessed, _ = mimetypes.guess_type(self.key.rsplit("/", 1)[-1])
        self.content_type.setCurrentText(guessed or "application/octet-stream")

    @Slot()
    def save(self) -> None:
        plan = self.plan()
        if plan is None or plan.empty or validate(self.edits(), self.storage.features.uri_scheme):
            return
        storage = self.storage
        bucket, key = self.bucket, self.key
        loaded = self.loaded
        tags_after = plan.tags if plan.tags is not None else (loaded.tags if loaded else None)
        note = loaded.tags_note if loaded else ""

        def work(job: Job) -> Loaded:
            # Tags first: they do not change the object, so if the copy then fails, saving
            # again repeats the same tag write and retries the copy from the same ETag.
            if plan.tags is not None:
                properties_of(storage).put_tags(bucket, key, plan.tags)
            if plan.copy_target is not None:
                # Closing the dialog lets a save finish, closing the window does not: a
                # class change GCS makes in rewrite rounds stops between them then.
                with stoppable(None, job.cancel_event):
                    properties_of(storage).replace_metadata(plan.copy_target)
            return Loaded(properties_of(storage).object_details(bucket, key), tags_after, note)

        self.saving = True
        self.save_button.setEnabled(False)
        self.save_button.setText(self.tr("Saving…"))
        self.job = self.service.run(
            work,
            f"Saving the properties of {bucket}/{key}",
            succeeded=self._on_saved,
            failed=self._on_save_failed,
        )

    def _end_saving(self) -> None:
        self.saving = False
        self.save_button.setText(self.tr("Save"))
        if not self.isVisible():
            self.deleteLater()  # closed while saving: its result has now been reported

    @Slot(object)
    def _on_saved(self, loaded: Loaded) -> None:
        self._end_saving()
        self._on_loaded(loaded)
        self.messages.info(self.tr("Saved the properties of {key}").format(key=self.key))
        self.saved.emit(loaded.details)

    @Slot(object)
    def _on_save_failed(self, error: CloudBrowserError) -> None:
        self._end_saving()
        self._on_edited()
        self.messages.major(error)

    # ── closing ─────────────────────────────────────────────────────────────────────────

    def reject(self) -> None:
        plan = self.plan()
        if plan is not None and not plan.empty and not self.saving:
            answer = message_icons.ask(
                self,
                self.tr("Unsaved changes"),
                self.tr("Close without saving the changed properties?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        if self.job is not None and not self.saving:
            self.job.cancel()  # a save in flight finishes; its result is still reported
        super().reject()
