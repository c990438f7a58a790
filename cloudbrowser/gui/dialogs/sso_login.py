"""Sign in to IAM Identity Center: show the device code, open the browser, wait for approval.

The device authorization flow runs on a worker (``core.aws_auth.sso_device_login``); the
dialog shows the code as soon as the service hands it out and opens the verification page.
Cancel stops the polling at once (the worker waits on the job's cancel event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from cloudbrowser.core.backends.s3.aws_auth import DeviceCode, SsoSession, sso_device_login
from cloudbrowser.gui.dialogs.sign_in import SignInDialog
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

LoginFn = Callable[..., Any]


class SsoSignInDialog(SignInDialog):
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
        super().__init__(
            service,
            parent,
            title=self.tr("Sign in with IAM Identity Center"),
            intro=self.tr(
                "The AWS profile “{profile}” signs in through IAM Identity Center "
                "({url}). Approve the request in your browser with this code:"
            ).format(profile=profile_name, url=sso.start_url),
            waiting=self.tr("Asking for a sign-in code…"),
            shows_code=True,
            open_url=lambda url: open_url(QUrl(url)),
        )
        self.setObjectName("ssoSignIn")
        self._sso = sso
        self._login = login

    def start(self) -> Job:
        login, sso = self._login, self._sso

        def work(job: Job) -> object:
            return login(sso, on_code=job.report, cancel=job.cancel_event)

        return self.run(work, "Signing in with IAM Identity Center")

    def on_report(self, report: object) -> None:
        assert isinstance(report, DeviceCode)
        minutes = max(1, round(report.expires_in / 60))
        self.show_code(
            report.user_code,
            report.verification_uri_complete,
            self.tr(
                "Waiting for approval at {url} (the code is valid for {minutes} minutes)…"
            ).format(url=report.verification_uri, minutes=minutes),
        )

    def on_signed_in(self, result: object) -> None:
        self.signedIn.emit()
