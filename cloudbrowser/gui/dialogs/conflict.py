"""ConflictDialog: the target exists; overwrite, skip, rename or only if newer (for all?)."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.journal import Direction
from cloudbrowser.core.printable import printable
from cloudbrowser.core.transfer_plan import ConflictPolicy, PlannedTransfer
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.sizes import data_size


def _when(timestamp: float) -> str:
    if not timestamp:
        return QCoreApplication.translate("ConflictDialog", "unknown time")
    return format_time(timestamp)


class ConflictDialog(QDialog):
    """Asks about one conflict; ``choice`` is set when a choice button is pressed."""

    def __init__(self, item: PlannedTransfer, remaining: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("File already exists"))
        self.choice: ConflictPolicy | None = None
        request, existing = item.request, item.existing
        assert existing is not None
        locale = QLocale()
        where = (
            self.tr("in the bucket")
            if request.direction is Direction.UPLOAD
            else self.tr("on this computer")
        )
        layout = QVBoxLayout(self)
        title = QLabel(
            self.tr("<b>“{name}” already exists {where}.</b>").format(
                name=html.escape(printable(item.target_name)), where=where
            )
        )
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(
            QLabel(
                self.tr("Existing: {old_size}, {old_time}\nNew: {new_size}, {new_time}").format(
                    old_size=data_size(locale, existing.size),
                    old_time=_when(existing.mtime),
                    new_size=data_size(locale, request.size),
                    new_time=_when(request.mtime),
                )
            )
        )
        self.apply_all = QCheckBox(
            self.tr("Do the same for the other %Ln conflict(s)", None, remaining)
        )
        self.apply_all.setVisible(remaining > 0)
        layout.addWidget(self.apply_all)

        buttons = QDialogButtonBox()
        role = QDialogButtonBox.ButtonRole.AcceptRole
        self.buttons: dict[ConflictPolicy, QPushButton] = {}
        renamed = item.renamed
        rename_label = self.tr("Keep both")
        if renamed is not None:
            new_name = (
                renamed.key.rpartition("/")[2]
                if renamed.direction is Direction.UPLOAD
                else renamed.local_path.name
            )
            rename_label = self.tr("Keep both (“{name}”)").format(name=new_name)
        for policy, label in (
            (ConflictPolicy.OVERWRITE, self.tr("Overwrite")),
            (ConflictPolicy.SKIP, self.tr("Skip")),
            (ConflictPolicy.RENAME, rename_label),
            (ConflictPolicy.NEWER, self.tr("Only if newer")),
        ):
            button = buttons.addButton(label, role)
            button.clicked.connect(lambda _=False, p=policy: self._choose(p))
            self.buttons[policy] = button
        self.buttons[ConflictPolicy.RENAME].setEnabled(renamed is not None)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        self.buttons[ConflictPolicy.SKIP].setDefault(True)
        layout.addWidget(buttons)

    def _choose(self, policy: ConflictPolicy) -> None:
        self.choice = policy
        self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None, item: PlannedTransfer, remaining: int
    ) -> tuple[ConflictPolicy, bool] | None:
        dialog = cls(item, remaining, parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
                return None
            return dialog.choice, dialog.apply_all.isChecked()
        finally:
            dialog.deleteLater()
