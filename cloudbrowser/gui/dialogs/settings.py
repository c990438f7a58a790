"""SettingsDialog: downloads, transfers and confirmations (File › Settings…, Ctrl+,).

Everything here is a :class:`TransferSettings` field, stored in the ``transfers/`` group of
the settings file. User-visible strings go through ``tr()`` so that a translation in
``resources/`` can replace them.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.transfer_plan import ConflictPolicy
from cloudbrowser.gui.transfer_settings import TransferSettings
from cloudbrowser.gui.widgets.rate_edit import RateEdit


def line_up(forms: tuple[QFormLayout, ...]) -> None:
    """Forms in separate group boxes line their fields up as one form would: every label
    column as wide as the widest label of them all."""
    labels: list[QWidget] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if label is not None:
                labels.append(label)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


class SettingsDialog(QDialog):
    def __init__(self, settings: TransferSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings")
        self.setWindowTitle(self.tr("Settings"))
        self._initial = settings
        policies = {
            ConflictPolicy.ASK: self.tr("Ask"),
            ConflictPolicy.OVERWRITE: self.tr("Overwrite"),
            ConflictPolicy.SKIP: self.tr("Skip"),
            ConflictPolicy.RENAME: self.tr("Keep both (rename the new one)"),
            ConflictPolicy.NEWER: self.tr("Only if newer"),
        }

        downloads = QFormLayout()
        self.folder = QLineEdit(str(settings.download_path))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        downloads.addRow(self.tr("Download folder:"), row)
        self.open_after = QCheckBox(self.tr("Open a file after double-click downloads it"))
        self.open_after.setChecked(settings.open_after_download)
        downloads.addRow("", self.open_after)

        transfers = QFormLayout()
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(settings.concurrency)
        transfers.addRow(self.tr("Files at once:"), self.concurrency)
        self.small_concurrency = QSpinBox()
        self.small_concurrency.setRange(1, 128)
        self.small_concurrency.setValue(settings.small_concurrency)
        self.small_concurrency.setToolTip(
            self.tr(
                "Files of up to 1 MiB move in one request each, and from a server 10 ms "
                "or more away take the time of its round trip rather than of their "
                "bytes: more at once keep it busy. Beside the server, and never fewer: "
                "files at once."
            )
        )
        transfers.addRow(self.tr("Small files at once:"), self.small_concurrency)
        self.part_size = QSpinBox()
        self.part_size.setRange(0, 5 * 1024)
        self.part_size.setSuffix(self.tr(" MiB"))
        self.part_size.setSpecialValueText(self.tr("Automatic"))
        self.part_size.setValue(settings.part_size_mib)
        transfers.addRow(self.tr("Part size:"), self.part_size)
        # Typed as people say it ("10 MB/s"), shown in the window's units.
        self.bandwidth = RateEdit(settings.bandwidth_kib * 1024)
        transfers.addRow(self.tr("Bandwidth limit:"), self.bandwidth)
        self.retries = QSpinBox()
        self.retries.setRange(0, 20)
        self.retries.setSpecialValueText(self.tr("Never"))
        # "1 time", "3 times": the suffix follows the number.
        self.retries.valueChanged.connect(self._say_times)
        self.retries.setValue(settings.retries)
        self._say_times(settings.retries)
        self.retries.setToolTip(
            self.tr(
                "When the server cannot be reached, does not answer in time or is busy, a "
                "file waits (2 s, 10 s, then 30 s) and continues from what was sent."
            )
        )
        transfers.addRow(self.tr("Try again by itself:"), self.retries)
        self.verify = QCheckBox(self.tr("Verify every transfer against the server's checksum"))
        self.verify.setChecked(settings.verify)
        transfers.addRow("", self.verify)
        hint = QLabel(self.tr("Parts and limits apply to transfers that start after you save."))
        hint.setWordWrap(True)
        transfers.addRow("", hint)

        confirmations = QFormLayout()
        self.conflicts = QComboBox()
        for policy, label in policies.items():
            self.conflicts.addItem(label, policy.value)
        self.conflicts.setCurrentIndex(list(policies).index(settings.conflict_policy))
        confirmations.addRow(self.tr("When a file exists:"), self.conflicts)
        self.confirm_quit = QCheckBox(self.tr("Ask before quitting while transfers run"))
        self.confirm_quit.setToolTip(
            self.tr("Unfinished transfers continue the next time cloudbrowser starts.")
        )
        self.confirm_quit.setChecked(settings.confirm_quit)
        confirmations.addRow("", self.confirm_quit)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        forms = (downloads, transfers, confirmations)
        for title, form in zip(
            (self.tr("Downloads"), self.tr("Transfers"), self.tr("Confirmations")),
            forms,
            strict=True,
        ):
            box = QGroupBox(title)
            box.setLayout(form)
            layout.addWidget(box)
        line_up(forms)
        layout.addWidget(buttons)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Download folder"), self.folder.text()
        )
        if folder:
            self.folder.setText(folder)

    def _bandwidth_kib(self) -> int:
        """KiB/s as stored; a limit that rounds to 0 KiB/s is 1 KiB/s, not unlimited."""
        rate = self.bandwidth.value()
        if rate == self._initial.bandwidth_kib * 1024:
            return self._initial.bandwidth_kib
        return max(1, round(rate / 1024)) if rate else 0

    def _say_times(self, count: int) -> None:
        self.retries.setSuffix(self.tr(" time") if count == 1 else self.tr(" times"))

    def settings(self) -> TransferSettings:
        """The settings as edited (call after the dialog was accepted)."""
        return replace(
            self._initial,
            download_folder=self.folder.text().strip(),
            open_after_download=self.open_after.isChecked(),
            conflict_policy=ConflictPolicy(self.conflicts.currentData()),
            concurrency=self.concurrency.value(),
            small_concurrency=self.small_concurrency.value(),
            part_size_mib=self.part_size.value(),
            bandwidth_kib=self._bandwidth_kib(),
            verify=self.verify.isChecked(),
            retries=self.retries.value(),
            confirm_quit=self.confirm_quit.isChecked(),
        )
