"""The dialog of a crash report (see ``gui/crash.py``): what went wrong, the details to
copy, and where the log file is. Imported with the first report, not at start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)


class CrashDialog(QDialog):
    """What went wrong, the details to copy, and where the log file is."""

    def __init__(self, details: str, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(self.tr("cloudbrowser hit a bug"))
        self.resize(640, 420)
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40)
        )
        message = QLabel(
            self.tr(
                "Something went wrong inside cloudbrowser. Transfers already finished are "
                "safe, and unfinished ones can be resumed after a restart. Please report "
                "this with the details below and the log file."
            )
        )
        message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(message, 1)

        self.details = QPlainTextEdit(details)
        self.details.setObjectName("crashDetails")
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        self.log_file = log_file
        self.log_label = QLabel()
        self.log_label.setObjectName("crashLogPath")
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        self.log_label.setText(
            self.tr("Log file: {path}").format(path=log_file)
            if log_file is not None
            else self.tr("No log file could be written.")
        )

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(self.tr("Copy details"))
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        if log_file is not None:
            folder = QPushButton(self.tr("Open log folder"))
            folder.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file.parent)))
            )
            buttons.addButton(folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.log_label)
        layout.addWidget(buttons)

    def add_report(self, details: str) -> None:
        """A further crash while this dialog is open: appended, not a second dialog."""
        self.details.appendPlainText("\n" + "─" * 40 + "\n" + details)

    def report_text(self) -> str:
        return f"{self.details.toPlainText()}\nlog file: {self.log_file}\n"

    @Slot()
    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.report_text())
