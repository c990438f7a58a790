"""File › Synchronize…: the two sides, the direction and the comparison, then the preview.

The dialog shows and asks; it runs nothing. ``gui/sync_actions.py`` compares on a worker
when Compare is pressed (the dialog shows "Compared 1,234 files…" with Cancel), hands the
plan back to :meth:`SyncDialog.show_plan` for the preview, and starts the transfers only
when Synchronize is pressed. Three pages: the options, comparing, the preview.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.journal import Direction
from cloudbrowser.core.printable import printable
from cloudbrowser.core.sync import SyncPlan
from cloudbrowser.gui.qt_values import set_enum
from cloudbrowser.gui.sizes import data_size

#: Names listed in one group of the preview at most (the counts say the rest).
LISTED = 1000
#: The dialog's width, and its height once it shows a preview (pixels).
WIDTH, PREVIEW_HEIGHT = 620, 480
#: A group of the preview with at most this many names is shown open: a few names are
#: read at a glance, where a closed group hid what was about to move.
SHOWN_OPEN = 50


class SyncDialog(QDialog):
    """Synchronize a cloud folder and a local folder.

    Signals:
        chooseFolder(): the user wants to pick the local folder (the picker is the caller's).
        compare(): Compare was pressed with a local folder chosen.
        cancelCompare(): Cancel was pressed while comparing.
        synchronize(): Synchronize was pressed on the preview.
    """

    chooseFolder = Signal()
    compare = Signal()
    cancelCompare = Signal()
    synchronize = Signal()

    def __init__(
        self, cloud: str, local: Path | None, parent: QWidget | None = None, *, connection: str = ""
    ) -> None:
        super().__init__(parent)
        self.connection = connection
        self.setWindowTitle(self.tr("Synchronize"))
        self.cloud = cloud
        self.local: Path | None = local
        self.qlocale = QLocale()
        self.pages = QStackedWidget()
        self._build_options()
        self._build_comparing()
        self._build_preview()
        self.buttons = QDialogButtonBox()
        self.compare_button = self.buttons.addButton(
            self.tr("Compare"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.back_button = self.buttons.addButton(
            self.tr("Back"), QDialogButtonBox.ButtonRole.ResetRole
        )
        self.sync_button = self.buttons.addButton(
            self.tr("Synchronize"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # The buttons do what each page says, not what their roles would (accept/reject).
        self.compare_button.clicked.connect(self._compare)
        self.back_button.clicked.connect(self.show_options)
        self.sync_button.clicked.connect(self.synchronize)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        self.set_local(local)
        self.show_options()
        # As tall as the options need: the preview's room is made when it comes.
        self.resize(WIDTH, self.sizeHint().height())

    # ── the pages ───────────────────────────────────────────────────────────────────────

    def _build_options(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        self.cloud_label = _plain_label(self.cloud)
        form.addRow(self.tr("Cloud folder:"), self.cloud_label)
        if self.connection:  # several may be open: which one the folder is on
            form.addRow(self.tr("Connection:"), _plain_label(self.connection))
        local_row = QHBoxLayout()
        self.local_label = _plain_label("")
        self.choose_button = QPushButton(self.tr("Choose…"))
        self.choose_button.clicked.connect(self.chooseFolder)
        local_row.addWidget(self.local_label, 1)
        local_row.addWidget(self.choose_button)
        form.addRow(self.tr("Local folder:"), local_row)

        self.upload_button = QRadioButton(self.tr("Upload (local folder → cloud)"))
        self.download_button = QRadioButton(self.tr("Download (cloud → local folder)"))
        self.upload_button.setChecked(True)
        directions = QVBoxLayout()
        directions.addWidget(self.upload_button)
        directions.addWidget(self.download_button)
        self._directions = QButtonGroup(self)
        self._directions.addButton(self.upload_button)
        self._directions.addButton(self.download_button)
        form.addRow(self.tr("Direction:"), directions)

        self.size_time_button = QRadioButton(self.tr("Size and time"))
        self.checksum_button = QRadioButton(
            self.tr("Checksum (reads every file that has the same size)")
        )
        self.size_time_button.setChecked(True)
        compare = QVBoxLayout()
        compare.addWidget(self.size_time_button)
        compare.addWidget(self.checksum_button)
        self._compares = QButtonGroup(self)
        self._compares.addButton(self.size_time_button)
        self._compares.addButton(self.checksum_button)
        form.addRow(self.tr("Compare by:"), compare)

        self.delete_box = QCheckBox(self.tr("Delete files that are not in the source"))
        self.delete_box.setChecked(False)  # never by default: it deletes
        form.addRow("", self.delete_box)
        self.warning_label = _plain_label("")
        self.warning_label.setStyleSheet("color: palette(highlight); font-weight: bold;")
        form.addRow("", self.warning_label)
        self.error_label = _plain_label("")
        self.error_label.setStyleSheet("color: red;")
        form.addRow("", self.error_label)
        for button in (self.upload_button, self.download_button, self.delete_box):
            button.toggled.connect(self._update_warning)
        self.pages.addWidget(page)
        self.options_page = page

    def _build_comparing(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.progress_label = QLabel(self.tr("Comparing…"))
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)  # how many there are is known only at the end
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addStretch(2)
        self.pages.addWidget(page)
        self.comparing_page = page

    def _build_preview(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.summary_label = _plain_label("")
        self.details = QTreeWidget()
        self.details.setColumnCount(2)
        self.details.setHeaderLabels([self.tr("Name"), self.tr("Details")])
        # The names' column fits the names shown, also those of a group opened later.
        self.details.itemExpanded.connect(lambda _item: self.details.resizeColumnToContents(0))
        layout.addWidget(self.summary_label)
        layout.addWidget(self.details, 1)
        self.pages.addWidget(page)
        self.preview_page = page

    # ── what was chosen ─────────────────────────────────────────────────────────────────

    @property
    def direction(self) -> Direction:
        return Direction.UPLOAD if self.upload_button.isChecked() else Direction.DOWNLOAD

    @property
    def checksum(self) -> bool:
        return self.checksum_button.isChecked()

    @property
    def delete(self) -> bool:
        return self.delete_box.isChecked()

    def set_choices(self, direction: Direction, checksum: bool) -> None:
        """The direction and comparison chosen last time (the delete is not among them)."""
        (self.upload_button if direction is Direction.UPLOAD else self.download_button).setChecked(
            True
        )
        (self.checksum_button if checksum else self.size_time_button).setChecked(True)

    def set_local(self, local: Path | None) -> None:
        self.local = local
        self.local_label.setText(str(local) if local else self.tr("(none chosen)"))
        self.compare_button.setEnabled(local is not None)
        self.error_label.clear()
        self._update_warning()

    def _update_warning(self) -> None:
        local = str(self.local) if self.local else self.tr("the local folder")
        if not self.delete:
            self.warning_label.clear()
        elif self.direction is Direction.UPLOAD:
            self.warning_label.setText(
                self.tr(
                    "Objects in {cloud} that are not in {local} will be deleted from the "
                    "cloud, once every upload has succeeded."
                ).format(cloud=self.cloud, local=local)
            )
        else:
            self.warning_label.setText(
                self.tr(
                    "Files in {local} that are not in {cloud} will be moved to the trash, "
                    "once every download has succeeded."
                ).format(cloud=self.cloud, local=local)
            )

    # ── moving between the pages ────────────────────────────────────────────────────────

    def _show_page(self, page: QWidget) -> None:
        """``page`` in front, the dialog sized for it: a stack is as tall as its tallest
        page, which left the options a half-empty dialog under them."""
        for widget in (self.options_page, self.comparing_page, self.preview_page):
            shown = QSizePolicy.Policy.Preferred if widget is page else QSizePolicy.Policy.Ignored
            widget.setSizePolicy(shown, shown)
        self.pages.setCurrentWidget(page)

    def show_options(self) -> None:
        self._show_page(self.options_page)
        self.compare_button.setVisible(True)
        self.back_button.setVisible(False)
        self.sync_button.setVisible(False)
        self.compare_button.setDefault(True)

    def show_error(self, text: str) -> None:
        """Back to the options, saying why the comparison gave no preview."""
        self.show_options()
        self.error_label.setText(printable(text))

    def _compare(self) -> None:
        if self.local is None:
            return
        self.error_label.clear()
        self.progress_label.setText(self.tr("Comparing…"))
        self._show_page(self.comparing_page)
        self.compare_button.setVisible(False)
        self.back_button.setVisible(False)
        self.sync_button.setVisible(False)
        self.compare.emit()

    def show_progress(self, compared: int) -> None:
        self.progress_label.setText(self.tr("Compared %Ln file(s)…", None, compared))

    def _cancel(self) -> None:
        if self.pages.currentWidget() is self.comparing_page:
            self.cancelCompare.emit()
            self.show_options()
        else:
            self.reject()

    def show_plan(self, plan: SyncPlan) -> None:
        """The preview: what will be sent, deleted, left as it is, and what cannot be."""
        up = self.direction is Direction.UPLOAD
        sent = len(plan.transfers)
        size = data_size(self.qlocale, sum(r.size for r in plan.transfers))
        new, changed = sent - plan.changed, plan.changed
        lines: list[str] = []
        if sent:
            text = (
                self.tr("%Ln file(s) to upload ({size}): {new} new, {changed} changed.", None, sent)
                if up
                else self.tr(
                    "%Ln file(s) to download ({size}): {new} new, {changed} changed.", None, sent
                )
            )
            lines.append(
                text.format(
                    size=size,
                    new=self.qlocale.toString(new),
                    changed=self.qlocale.toString(changed),
                )
            )
        folders = len(plan.empty_folders) if up else len(plan.folders)
        if folders:
            lines.append(
                self.tr("%Ln empty folder(s) to make in the cloud.", None, folders)
                if up
                else self.tr("%Ln empty folder(s) to make in the local folder.", None, folders)
            )
        deletes = len(plan.delete_keys) + len(plan.delete_files)
        if deletes:
            lines.append(
                self.tr("%Ln object(s) to delete from the cloud, after the uploads.", None, deletes)
                if up
                else self.tr(
                    "%Ln file(s) to move to the system trash, after the downloads.", None, deletes
                )
            )
        if plan.delete_folders:
            lines.append(
                self.tr(
                    "%Ln empty folder(s) gone from the cloud to remove, after the downloads.",
                    None,
                    len(plan.delete_folders),
                )
            )
            deletes += len(plan.delete_folders)
        lines.append(self.tr("%Ln file(s) unchanged.", None, plan.unchanged))
        if plan.refused:
            lines.append(
                self.tr(
                    "%Ln item(s) cannot be synchronized (listed below).", None, len(plan.refused)
                )
            )
        if plan.skipped:
            lines.append(self.tr("%Ln file(s) left out (listed below).", None, len(plan.skipped)))
        if not sent and not deletes and not folders:
            lines.insert(0, self.tr("Nothing to do: both sides are the same."))
        self.summary_label.setText("\n".join(lines))

        self.details.clear()
        new_text, changed_text = self.tr("new"), self.tr("changed")
        names = [
            (
                r.key if up else str(r.local_path),
                changed_text if r.key in plan.replacing else new_text,
            )
            for r in plan.transfers
        ]
        to_send = self.tr("To upload") if up else self.tr("To download")
        self._group(to_send, names, expanded=len(names) <= SHOWN_OPEN)
        made = (
            [(f.prefix, str(f.local_path)) for f in plan.empty_folders]
            if up
            else [(str(f), "") for f in plan.folders]
        )
        self._group(self.tr("Empty folders to make"), made, expanded=len(made) <= SHOWN_OPEN)
        gone = [(k, "") for k in plan.delete_keys] + [(str(p), "") for p in plan.delete_files]
        self._group(
            self.tr("To delete") if up else self.tr("To move to the trash"), gone, expanded=True
        )
        self._group(
            self.tr("Empty folders to remove"),
            [(str(f), "") for f in plan.delete_folders],
            expanded=len(plan.delete_folders) <= SHOWN_OPEN,
        )
        self._group(self.tr("Cannot be synchronized"), plan.refused, expanded=True)
        self._group(self.tr("Left out"), plan.skipped, expanded=True)
        self.details.resizeColumnToContents(0)

        self._show_page(self.preview_page)
        # Room for the names (never smaller than the user made it).
        self.resize(max(self.width(), WIDTH), max(self.height(), PREVIEW_HEIGHT))
        self.compare_button.setVisible(False)
        self.back_button.setVisible(True)
        self.sync_button.setVisible(True)
        self.sync_button.setEnabled(bool(sent or deletes or folders))
        self.sync_button.setDefault(True)

    def _group(self, title: str, rows: list[tuple[str, str]], *, expanded: bool) -> None:
        if not rows:
            return
        group = QTreeWidgetItem(self.details, [f"{title} ({self.qlocale.toString(len(rows))})", ""])
        for name, why in rows[:LISTED]:
            QTreeWidgetItem(group, [printable(name), printable(why)])
        if len(rows) > LISTED:
            more = self.tr("… and {n} more").format(n=self.qlocale.toString(len(rows) - LISTED))
            QTreeWidgetItem(group, [more, ""])
        group.setExpanded(expanded)


def _plain_label(text: str) -> QLabel:
    """A label for a name or a path: never rich text, wrapped, selectable."""
    label = QLabel(text)
    set_enum(label, "textFormat", "PlainText")
    set_enum(label, "textInteractionFlags", "TextSelectableByMouse")
    label.setWordWrap(True)
    return label
