"""SettingsDialog: transfer settings (download folder, concurrency, limits, verification)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
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

_POLICIES = {
    ConflictPolicy.ASK: "Ask",
    ConflictPolicy.OVERWRITE: "Overwrite",
    ConflictPolicy.SKIP: "Skip",
    ConflictPolicy.RENAME: "Keep both (rename the new one)",
    ConflictPolicy.NEWER: "Only if newer",
}


class SettingsDialog(QDialog):
    def __init__(self, settings: TransferSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._initial = settings
        form = QFormLayout()

        self.folder = QLineEdit(str(settings.download_path))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Download folder:", row)

        self.open_after = QCheckBox("Open a file after double-click downloads it")
        self.open_after.setChecked(settings.open_after_download)
        form.addRow("", self.open_after)

        self.conflicts = QComboBox()
        for policy, label in _POLICIES.items():
            self.conflicts.addItem(label, policy.value)
        self.conflicts.setCurrentIndex(list(_POLICIES).index(settings.conflict_policy))
        form.addRow("When a file exists:", self.conflicts)

        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(settings.concurrency)
        form.addRow("Files at once:", self.concurrency)

        self.part_size = QSpinBox()
        self.part_size.setRange(0, 5 * 1024)
        self.part_size.setSuffix(" MiB")
        self.part_size.setSpecialValueText("Automatic")
        self.part_size.setValue(settings.part_size_mib)
        form.addRow("Part size:", self.part_size)

        self.bandwidth = QSpinBox()
        self.bandwidth.setRange(0, 10_000_000)
        self.bandwidth.setSingleStep(256)
        self.bandwidth.setSuffix(" KiB/s")
        self.bandwidth.setSpecialValueText("Unlimited")
        self.bandwidth.setValue(settings.bandwidth_kib)
        form.addRow("Bandwidth limit:", self.bandwidth)

        self.verify = QCheckBox("Verify every transfer against the server's checksum")
        self.verify.setChecked(settings.verify)
        form.addRow("", self.verify)
        hint = QLabel("Parts and limits apply to transfers that start after you save.")
        hint.setWordWrap(True)
        form.addRow("", hint)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def settings(self) -> TransferSettings:
        """The settings as edited (call after the dialog was accepted)."""
        return replace(
            self._initial,
            download_folder=self.folder.text().strip(),
            open_after_download=self.open_after.isChecked(),
            conflict_policy=ConflictPolicy(self.conflicts.currentData()),
            concurrency=self.concurrency.value(),
            part_size_mib=self.part_size.value(),
            bandwidth_kib=self.bandwidth.value(),
            verify=self.verify.isChecked(),
        )
