"""The two questions of a class change: which class (tier) to give a selection, and how
to restore its archived objects (S3: days and retrieval tier; Azure: target tier and
priority), with how long a restore takes."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from cloudbrowser.core.operations import RestoreRequest
from cloudbrowser.core.storage import StorageClassOffer


class StorageClassDialog(QDialog):
    """Pick one of the connection's classes; archive classes are marked."""

    def __init__(
        self, offer: StorageClassOffer, title: str, what: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.choice = QComboBox()
        for name in offer.names:
            shown = name
            if name in offer.archive:
                shown = self.tr("{name} (archive: must be restored to read)").format(name=name)
            self.choice.addItem(shown, name)
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        form.addRow(self.tr("New class:"), self.choice)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> str:
        return str(self.choice.currentData())


class RestoreDialog(QDialog):
    """How archived objects come back: for how many days (S3) or to which tier (Azure), at
    which priority, with the provider's note of how long it takes."""

    def __init__(self, offer: StorageClassOffer, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Restore archived objects"))
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        self.days = QSpinBox()
        self.days.setRange(1, 30000)
        self.days.setValue(max(1, offer.restore_days))
        self.days.setSuffix(self.tr(" days"))
        if offer.restore_days:
            form.addRow(self.tr("Readable for:"), self.days)
        self.target = QComboBox()
        self.target.addItems(list(offer.restore_targets))
        if offer.restore_targets:
            form.addRow(self.tr("Move to tier:"), self.target)
        self.priority = QComboBox()
        self.priority.addItems(list(offer.priorities))
        form.addRow(self.tr("Priority:"), self.priority)
        note = QLabel(offer.restore_note)
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Restore"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.offer = offer

    def request(self) -> RestoreRequest:
        return RestoreRequest(
            days=self.days.value() if self.offer.restore_days else 0,
            priority=self.priority.currentText(),
            target=self.target.currentText(),
        )
