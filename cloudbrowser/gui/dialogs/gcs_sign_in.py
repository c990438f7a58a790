"""Sign in to Google in the browser with the user's own OAuth client, with Cancel.

The installed-app flow runs on a worker (``backends/gcs/sign_in.browser_sign_in``): it
opens the consent page, waits for Google's redirect on 127.0.0.1 and exchanges the code.
Cancel stops the wait at once (the worker looks at the job's cancel event between
requests), as in the IAM Identity Center sign-in (``sso_login.py``).
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cloudbrowser.core.backends.gcs.sign_in import OAuthClient, SignedIn, browser_sign_in
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

GoogleLoginFn = Callable[..., SignedIn]


class GoogleSignInDialog(QDialog):
    """Runs one browser sign-in.

    Signals:
        signedIn(object): the :class:`SignedIn` record (the connection's secret-to-be).
    """

    signedIn = Signal(object)

    def __init__(
        self,
        service: StorageService,
        client: OAuthClient,
        parent: QWidget | None = None,
        *,
        login: GoogleLoginFn = browser_sign_in,
        open_browser: Callable[[str], Any] = webbrowser.open,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("googleSignIn")
        self.setWindowTitle(self.tr("Sign in with Google"))
        self._service = service
        self._client = client
        self._login = login
        self._open_browser = open_browser
        self._url = ""
        self.job: Job | None = None

        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Your browser opens Google's sign-in page for your OAuth client. Choose the "
                "account and allow access; cloudbrowser waits here for Google's answer."
            )
        )
        intro.setWordWrap(True)
        self.status_label = QLabel(self.tr("Opening the browser…"))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("Open the browser again"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_again)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        for widget in (intro, self.status_label, self.open_button, buttons):
            layout.addWidget(widget)

    def start(self) -> Job:
        login, client, open_browser = self._login, self._client, self._open_browser

        def work(job: Job) -> SignedIn:
            result: SignedIn = login(
                client, cancel=job.cancel_event, open_browser=open_browser, on_url=job.report
            )
            return result

        self.job = self._service.run(
            work,
            "Signing in with Google",
            progress=self._on_url,
            succeeded=self._on_done,
            failed=self._on_failed,
        )
        self.open()
        return self.job

    @Slot(object)
    def _on_url(self, url: str) -> None:
        self._url = url
        self.status_label.setText(
            self.tr("Waiting for you to allow access in the browser…")
            + "\n"
            + self.tr("If no browser opened, open this address:")
            + f"\n{url}"
        )
        self.open_button.setEnabled(True)

    @Slot()
    def _open_again(self) -> None:
        if self._url:
            self._open_browser(self._url)

    @Slot(object)
    def _on_done(self, signed_in: SignedIn) -> None:
        self.accept()
        self.signedIn.emit(signed_in)

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.status_label.setText(f"{error.message} {error.hint}".strip())
        self.open_button.setEnabled(False)

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()
        super().reject()
