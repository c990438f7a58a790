"""The one shape of a sign-in in the window: a worker does the provider's flow, the dialog
shows what the user must do (a device code to approve, or a browser page to finish), offers
to open the browser again, and Cancel stops the worker's wait at once (it waits on the job's
cancel event). IAM Identity Center (``sso_login.py``), Google (``gcs_sign_in.py``) and Entra
ID (``azure_fields.py``) differ only in their texts and in what the worker reports.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job


class SignInDialog(QDialog):
    """Subclasses say what the worker's reports mean (:meth:`on_report`) and what a
    finished sign-in gives (:meth:`on_signed_in`)."""

    def __init__(
        self,
        service: StorageService,
        parent: QWidget | None,
        *,
        title: str,
        intro: str,
        waiting: str,
        shows_code: bool,
        open_url: Callable[[str], object],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._service = service
        self._open_url = open_url
        self._url = ""
        self.job: Job | None = None
        layout = QVBoxLayout(self)
        intro_label = QLabel(intro)
        intro_label.setWordWrap(True)
        self.code_label = QLabel("…")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.code_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.code_label.setFont(font)
        self.code_label.setVisible(shows_code)
        self.status_label = QLabel(waiting)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("Open the browser again"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        for widget in (intro_label, self.code_label, self.status_label, self.open_button, buttons):
            layout.addWidget(widget)

    def run(self, work: Callable[[Job], object], what: str) -> Job:
        """Run the sign-in on a worker (``work`` may ``job.report`` what the user must do)
        and show the dialog."""
        self.job = self._service.run(
            work,
            what,
            progress=self._on_report,
            succeeded=self._on_signed_in,
            failed=self._on_failed,
        )
        self.open()
        return self.job

    def on_report(self, report: object) -> None:
        raise NotImplementedError

    def on_signed_in(self, result: object) -> None:
        raise NotImplementedError

    def show_code(self, code: str, url: str, status: str) -> None:
        """A device code to approve at ``url``: shown, and the browser opened there."""
        self.code_label.setText(code)
        self.show_url(url, status)
        self.open_browser()

    def show_url(self, url: str, status: str) -> None:
        """Where the user finishes signing in (the button opens it again)."""
        self._url = url
        self.status_label.setText(status)
        self.open_button.setEnabled(True)

    @Slot()
    def open_browser(self) -> None:
        if self._url:
            self._open_url(self._url)

    @Slot(object)
    def _on_report(self, report: object) -> None:
        self.on_report(report)

    @Slot(object)
    def _on_signed_in(self, result: object) -> None:
        self.accept()
        self.on_signed_in(result)

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.code_label.setText("—")
        self.status_label.setText(f"{error.message} {error.hint}".strip())
        self.open_button.setEnabled(False)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
        super().reject()
