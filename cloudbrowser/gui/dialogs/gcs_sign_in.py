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

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from cloudbrowser.core.backends.gcs.sign_in import OAuthClient, SignedIn, browser_sign_in
from cloudbrowser.gui.dialogs.sign_in import SignInDialog
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

GoogleLoginFn = Callable[..., SignedIn]


class GoogleSignInDialog(SignInDialog):
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
        super().__init__(
            service,
            parent,
            title=self.tr("Sign in with Google"),
            intro=self.tr(
                "Your browser opens Google's sign-in page for your OAuth client. Choose the "
                "account and allow access; cloudbrowser waits here for Google's answer."
            ),
            waiting=self.tr("Opening the browser…"),
            shows_code=False,
            open_url=open_browser,
        )
        self.setObjectName("googleSignIn")
        self._client = client
        self._login = login
        self._open_browser = open_browser

    def start(self) -> Job:
        login, client, open_browser = self._login, self._client, self._open_browser

        def work(job: Job) -> SignedIn:
            result: SignedIn = login(
                client, cancel=job.cancel_event, open_browser=open_browser, on_url=job.report
            )
            return result

        return self.run(work, "Signing in with Google")

    def on_report(self, report: object) -> None:
        url = str(report)  # the worker opened the browser there already
        self.show_url(
            url,
            self.tr("Waiting for you to allow access in the browser…")
            + "\n"
            + self.tr("If no browser opened, open this address:")
            + f"\n{url}",
        )

    def on_signed_in(self, result: object) -> None:
        self.signedIn.emit(result)
