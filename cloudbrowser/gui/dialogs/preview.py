"""PreviewDialog: a quick look at an object without downloading it (Space, Esc closes).

Text, JSON (indented when it parses), CSV (as a table) and Markdown (as text) are read
with one ranged GET of at most 256 KiB: a huge object is never downloaded to be previewed.
Images up to 20 MiB are read whole and scaled to fit. Anything else, and anything too big,
shows the object's properties with a Download button. Whether bytes are text is decided by
content type and name, then by the first bytes (a NUL byte means binary). Everything is
read and decoded on a worker, which is cancelled when the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QLocale, QSize, Qt, Slot
from PySide6.QtGui import QFontDatabase, QImage, QImageReader, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.connections import Connection
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.inspection import (
    CSV_PREVIEW_ROWS,
    IMAGE_PREVIEW_BYTES,
    TEXT_PREVIEW_BYTES,
    PreviewKind,
    csv_rows,
    decode_text,
    guess_kind,
    object_uri,
    pretty_json,
    sniff_kind,
)
from cloudbrowser.core.printable import printable
from cloudbrowser.core.reading import read_range
from cloudbrowser.core.storage import properties_of
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.sizes import data_size
from cloudbrowser.gui.workers import Job

#: Bytes read first from an object whose name and type say nothing: enough to sniff.
SNIFF_BYTES = 8 * 1024


@dataclass
class Preview:
    """What a preview shows, made on the worker."""

    details: ObjectDetails
    kind: PreviewKind
    #: Bytes read (at most the cap).
    read: int = 0
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    image: QImage | None = None
    #: Why it shows the properties instead of the contents ("" for a content preview).
    reason: str = ""

    @property
    def truncated(self) -> bool:
        return self.read < self.details.size


def _image_formats() -> set[str]:
    return {bytes(f.data()).decode().lower() for f in QImageReader.supportedImageFormats()}


def build_preview(
    read_details: Callable[[], ObjectDetails],
    read_range: Callable[[int, int], bytes],
    key: str,
    archive_tiers: frozenset[str] = frozenset(),
) -> Preview:
    """Decide, read and decode (runs on a worker; the reasons are translated here, not
    with the dialog's tr(): the dialog may be gone when this runs)."""
    details = read_details()
    kind = guess_kind(key, details.content_type)
    if details.is_archived(archive_tiers):
        return Preview(
            details,
            PreviewKind.OTHER,
            reason=QCoreApplication.translate(
                "PreviewDialog",
                "The object is archived: restore it to read its contents "
                "(select it, then Edit › Restore…).",
            ),
        )
    if details.size == 0:
        return Preview(details, PreviewKind.TEXT, text="")
    if kind is PreviewKind.IMAGE:
        if details.size > IMAGE_PREVIEW_BYTES:
            reason = QCoreApplication.translate("PreviewDialog", "The image is too big to preview.")
            return Preview(details, PreviewKind.OTHER, reason=reason)
        data = read_range(0, details.size)
        image = QImage.fromData(data)
        if image.isNull():
            ext = key.rsplit(".", 1)[-1].lower() if "." in key else ""
            reason = (
                QCoreApplication.translate(
                    "PreviewDialog", "This kind of image cannot be shown here."
                )
                if ext and ext not in _image_formats()
                else QCoreApplication.translate("PreviewDialog", "The image could not be decoded.")
            )
            return Preview(details, PreviewKind.OTHER, read=len(data), reason=reason)
        return Preview(details, kind, read=len(data), image=image)
    first = SNIFF_BYTES if kind is PreviewKind.OTHER else TEXT_PREVIEW_BYTES
    data = read_range(0, min(first, details.size))
    kind = sniff_kind(key, details.content_type, data)
    if kind is PreviewKind.OTHER:
        return Preview(
            details,
            kind,
            read=len(data),
            reason=QCoreApplication.translate(
                "PreviewDialog", "There is no preview for this kind of file."
            ),
        )
    if len(data) < min(TEXT_PREVIEW_BYTES, details.size):
        data += read_range(len(data), min(TEXT_PREVIEW_BYTES, details.size) - len(data))
    truncated = len(data) < details.size
    text = decode_text(data, truncated=truncated)
    preview = Preview(details, kind, read=len(data), text=text)
    if kind is PreviewKind.JSON and not truncated:
        preview.text = pretty_json(text) or text
    elif kind is PreviewKind.CSV:
        preview.rows = csv_rows(text, truncated=truncated)
    return preview


class ScaledImage(QLabel):
    """An image scaled to fit the label, never above its own size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(64, 64))
        self._pixmap = QPixmap()

    def set_image(self, image: QImage) -> None:
        self._pixmap = QPixmap.fromImage(image)
        self._rescale()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap.isNull():
            return
        size = self._pixmap.size()
        if size.width() > self.width() or size.height() > self.height():
            size = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        self.setPixmap(
            self._pixmap.scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


class PreviewDialog(QDialog):
    """A quick look at one object; ``download`` (if given) downloads it."""

    def __init__(
        self,
        service: StorageService,
        connection: Connection,
        bucket: str,
        key: str,
        *,
        download: Callable[[], object] | None = None,
        show_properties: Callable[[], object] | None = None,
        restore: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.connection, self.bucket, self.key = connection, bucket, key
        self.storage = connection.storage
        self.settings = connection.settings
        self.qlocale = QLocale()
        self.preview: Preview | None = None
        self.job: Job | None = None
        self.setWindowTitle(
            self.tr("Preview of {name}").format(name=printable(key.rsplit("/", 1)[-1]))
        )
        self.resize(760, 560)

        self.stack = QStackedWidget()
        self.loading = QWidget()
        loading_layout = QVBoxLayout(self.loading)
        loading_layout.addStretch(1)
        self.loading_label = QLabel(self.tr("Loading the preview…"))
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar = QProgressBar()
        bar.setRange(0, 0)
        loading_layout.addWidget(self.loading_label)
        loading_layout.addWidget(bar)
        loading_layout.addStretch(2)

        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.image = ScaledImage()
        self.summary = QWidget()
        self.summary_form = QFormLayout(self.summary)
        summary_scroll = QScrollArea()
        summary_scroll.setWidgetResizable(True)
        summary_scroll.setWidget(self.summary)
        self.summary_page = summary_scroll
        for page in (self.loading, self.text, self.table, self.image, self.summary_page):
            self.stack.addWidget(page)

        self.info = QLabel()
        self.info.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setVisible(download is not None)
        self._download, self._show_properties = download, show_properties
        self.download_button.clicked.connect(self._on_download)
        self.download_button.setAutoDefault(False)  # Enter must not start a download
        buttons.addButton(self.download_button, QDialogButtonBox.ButtonRole.ActionRole)
        # Shown instead of Download for an archived object (Restore… of the Edit menu).
        self.restore_button = QPushButton(self.tr("Restore…"))
        self.restore_button.setAutoDefault(False)
        self.restore_button.hide()
        self._restore = restore
        if restore is not None:
            self.restore_button.clicked.connect(lambda: restore())
            buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        if show_properties is not None:
            props = QPushButton(self.tr("Properties…"))
            props.setAutoDefault(False)
            props.clicked.connect(self._on_properties)
            buttons.addButton(props, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.info)
        layout.addWidget(buttons)

        # Space closes it again, as in Quick Look (Esc too, as in every dialog).
        close = QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.reject)
        close.setContext(Qt.ShortcutContext.WindowShortcut)
        self.finished.connect(self._cancel)
        self.load()

    @Slot()
    def _on_download(self) -> None:
        if self._download is not None:
            self._download()
        self.accept()

    @Slot()
    def _on_properties(self) -> None:
        self.accept()
        if self._show_properties is not None:
            self._show_properties()

    def load(self) -> None:
        self.stack.setCurrentWidget(self.loading)
        storage = self.storage
        bucket, key = self.bucket, self.key

        def work(job: Job) -> Preview:
            return build_preview(
                lambda: properties_of(storage).object_details(bucket, key),
                lambda start, length: read_range(
                    storage, bucket, key, start, length, job.cancel_event
                ),
                key,
                storage.features.archive_tiers,
            )

        self.job = self.service.run(
            work, f"Previewing {bucket}/{key}", succeeded=self._on_ready, failed=self._on_failed
        )

    @Slot()
    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        # Shown where it happened, in the dialog; nothing else reports it.
        self.loading_label.setText(printable(f"{error.message}\n{error.hint}".strip(), keep="\n"))
        self.stack.setCurrentWidget(self.loading)
        for bar in self.loading.findChildren(QProgressBar):
            bar.hide()

    def _size(self, n: int) -> str:
        return data_size(self.qlocale, n)

    @Slot(object)
    def _on_ready(self, preview: Preview) -> None:
        self.preview = preview
        d = preview.details
        kind = preview.kind
        if kind is PreviewKind.IMAGE and preview.image is not None:
            self.image.set_image(preview.image)
            self.stack.setCurrentWidget(self.image)
            self.info.setText(
                self.tr("{w} × {h} pixels · {size} · {type}").format(
                    w=preview.image.width(),
                    h=preview.image.height(),
                    size=self._size(d.size),
                    type=d.content_type or "—",
                )
            )
            return
        if kind is PreviewKind.OTHER:
            # A download would be refused until it is restored.
            if d.is_archived(self.storage.features.archive_tiers):
                self.download_button.hide()
                self.restore_button.setVisible(self._restore is not None)
            self._fill_summary(d)
            self.stack.setCurrentWidget(self.summary_page)
            self.info.setText(preview.reason)
            return
        if kind is PreviewKind.CSV and preview.rows:
            self._fill_table(preview.rows)
            self.stack.setCurrentWidget(self.table)
        else:
            self.text.setPlainText(preview.text)
            self.stack.setCurrentWidget(self.text)
        if preview.truncated:
            info = self.tr("Showing the first {read} of {size}.").format(
                read=self._size(preview.read), size=self._size(d.size)
            )
        else:
            info = f"{self._size(d.size)} · {d.content_type or '—'}"
        if kind is PreviewKind.CSV and len(preview.rows) >= CSV_PREVIEW_ROWS:
            info += " " + self.tr("First {n} rows.").format(n=CSV_PREVIEW_ROWS)
        self.info.setText(info)

    def _fill_table(self, rows: list[list[str]]) -> None:
        header, body = rows[0], rows[1:]
        columns = max(len(r) for r in rows)
        self.table.setColumnCount(columns)
        self.table.setRowCount(len(body))
        self.table.setHorizontalHeaderLabels(header + [""] * (columns - len(header)))
        for r, row in enumerate(body):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def _fill_summary(self, d: ObjectDetails) -> None:
        form = self.summary_form
        while form.rowCount():
            form.removeRow(0)
        for label, value in (
            (self.tr("Name:"), d.key.rsplit("/", 1)[-1]),
            (self.tr("S3 URI:"), object_uri(self.settings, d.bucket, d.key)),
            (self.tr("Size:"), self._size(d.size)),
            (self.tr("Modified:"), format_time(d.modified, self.qlocale) if d.modified else "—"),
            (self.tr("Content type:"), d.content_type or "—"),
            (self.tr("Storage class:"), d.storage_class),
            (self.tr("ETag:"), d.etag),
        ):
            text = QLabel(value)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, text)
