"""Sign in to IAM Identity Center: show the device code, open the browser, wait for approval.

The device authorization flow runs on a worker (``core.aws_auth.sso_device_login``); the
dialog shows the code as soon as the service hands it out and opens the verification page.
Cancel stops the polling at once (the worker waits on the job's cancel event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.backends.s3.aws_auth import DeviceCode, SsoSession, sso_device_login
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

LoginFn = Callable[..., Any]


class SsoSignInDialog(QDialog):
    """Runs the sign-in for one SSO session.

    Signals:
        signedIn(): the token is cached; botocore's SSO provider can now sign requests.
    """

    signedIn = Signal()

    def __init__(
        self,
        service: StorageService,
        sso: SsoSession,
        profile_name: str,
        parent: QWidget | None = None,
        *,
        login: LoginFn = sso_device_login,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ssoSignIn")
        self.setWindowTitle(self.tr("Sign in with IAM Identity Center"))
        self._service = service
        self._sso = sso
        self._login = login
        self._open_url = open_url
        self._url = ""
        self.job: Job | None = None

        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The AWS profile “{profile}” signs in through IAM Identity Center "
                "({url}). Approve the request in your browser with this code:"
            ).format(profile=profile_name, url=sso.start_url)
        )
        intro.setWordWrap(True)
        self.code_label = QLabel("…")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.code_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.code_label.setFont(font)
        self.status_label = QLabel(self.tr("Asking for a sign-in code…"))
        self.status_label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open the browser again"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        for widget in (intro, self.code_label, self.status_label, self.open_button, buttons):
            layout.addWidget(widget)

    def start(self) -> Job:
        login, sso = self._login, self._sso

        def work(job: Job) -> object:
            return login(sso, on_code=job.report, cancel=job.cancel_event)

        self.job = self._service.run(
            work,
            "Signing in with IAM Identity Center",
            progress=self._on_code,
            succeeded=self._on_done,
            failed=self._on_failed,
        )
        self.open()
        return self.job

    @Slot(object)
    def _on_code(self, code: DeviceCode) -> None:
        self.code_label.setText(code.user_code)
        self._url = code.verification_uri_complete
        minutes = max(1, round(code.expires_in / 60))
        self.status_label.setText(
            self.tr(
                "Waiting for approval at {url} (the code is valid for {minutes} minutes)…"
            ).format(url=code.verification_uri, minutes=minutes)
        )
        self.open_button.setEnabled(True)
        self._open_browser()

    @Slot()
    def _open_browser(self) -> None:
        if self._url:
            self._open_url(QUrl(self._url))

    @Slot(object)
    def _on_done(self, _path: object) -> None:
        self.accept()
        self.signedIn.emit()

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.code_label.setText("—")
        self.status_label.setText(f"{error.message} {error.hint}".strip())
        self.open_button.setEnabled(False)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
        super().reject()
