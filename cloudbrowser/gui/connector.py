"""Connector: turns a saved connection (or an AWS profile) into an open connection.

Reading the secret from the keyring happens on a worker (it may block on D-Bus or a
password prompt). When the keyring cannot be used, the user is told so and may type the
secret for this session only: it is kept in memory (:class:`SessionSecrets`) until the app
quits and is never written anywhere.

A *source* names where a connection comes from, as text that can be stored in the
settings: ``saved:<name>`` (a profile in ``connections.json``) or ``aws:<name>`` (a profile
of the AWS shared config).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from cloudbrowser.core.backends.s3.aws_auth import (
    SsoSession,
    aws_profile,
    sso_device_login,
    sso_session,
    sso_token_valid,
)
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import CloudBrowserError, ConfigError
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.core.secrets import KeyringUnavailable

# Re-exported (``X as X``): the dialogs and the window import them from here.
from cloudbrowser.core.sources import AWS as AWS
from cloudbrowser.core.sources import SAVED as SAVED
from cloudbrowser.core.sources import aws_source as aws_source
from cloudbrowser.core.sources import find_source
from cloudbrowser.core.sources import saved_source as saved_source
from cloudbrowser.gui.dialogs.sso_login import LoginFn, SsoSignInDialog
from cloudbrowser.gui.messages import error_title
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

log = logging.getLogger(__name__)


class SessionSecrets:
    """Secrets typed for this session only (no usable keyring), by profile id. Memory only."""

    def __init__(self) -> None:
        self._by_id: dict[str, Credentials] = {}

    def get(self, profile: Profile) -> Credentials | None:
        creds = self._by_id.get(profile.id)
        if creds is None or creds.access_key_id != profile.credential_id:
            return None
        return creds

    def set(self, profile: Profile, secret: str, session_token: str = "") -> None:
        self._by_id[profile.id] = Credentials(profile.credential_id, secret, session_token)

    def forget(self, profile_id: str) -> None:
        self._by_id.pop(profile_id, None)


@dataclass(frozen=True)
class OpenRequest:
    """What the connector resolved: settings, credentials, the source and where to go."""

    source: str
    settings: ConnectionSettings
    credentials: Credentials | None
    location_text: str = ""


@dataclass(frozen=True)
class _NeedsSignIn:
    """An SSO profile without a valid cached token: sign in, then open ``request``."""

    request: OpenRequest
    sso: SsoSession


@dataclass(frozen=True)
class _NeedsAzureSignIn:
    """An Entra ID connection (device code or browser) not signed in: sign in, then open."""

    request: OpenRequest


@dataclass(frozen=True)
class _NeedsSecret:
    """The keyring could not be read: ask the user for the secret of ``profile``."""

    profile: Profile
    location_text: str
    error: KeyringUnavailable


class Connector(QObject):
    """Resolves sources to open requests, on workers.

    Signals:
        ready(object): an :class:`OpenRequest` to open now.
        failed(object): a CloudBrowserError, already meant for the user.
    """

    ready = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        service: StorageService,
        parent_widget: QWidget,
        store: ProfileStore | None = None,
        session_secrets: SessionSecrets | None = None,
    ) -> None:
        super().__init__(parent_widget)
        self.service = service
        self.store = store or ProfileStore()
        self.session_secrets = session_secrets or SessionSecrets()
        self._widget = parent_widget
        self._asking: _NeedsSecret | None = None
        self._pending_location = ""
        self._signing_in: _NeedsSignIn | None = None
        #: The sign-in flow and how to open its page (tests replace both).
        self.sso_login: LoginFn = sso_device_login
        self.azure_sign_in: LoginFn = _entra_sign_in
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl

    def open_source(self, source: str, location_text: str = "") -> Job | None:
        """Start resolving ``source``; ``ready`` or ``failed`` follows."""
        if source.startswith(AWS):
            return self._open_aws(source.removeprefix(AWS), location_text)
        if source.startswith(SAVED):
            return self.open_saved(source.removeprefix(SAVED), location_text)
        self.failed.emit(
            ConfigError(self.tr("Unknown connection “{source}”.").format(source=source))
        )
        return None

    def open_saved(self, name: str, location_text: str = "") -> Job:
        store = self.store
        session = self.session_secrets

        def work(_job: Job) -> OpenRequest | _NeedsSecret | _NeedsAzureSignIn:
            profile = store.get(name)
            creds = session.get(profile)
            if creds is None:
                try:
                    creds = store.credentials(profile)
                except KeyringUnavailable as error:
                    if profile.kind == "gcs":
                        raise _no_gcs_secret(profile, error) from None
                    return _NeedsSecret(profile, location_text, error)
                if creds is None and profile.needs_secret:
                    if profile.kind == "gcs":
                        raise _no_gcs_secret(profile, None)
                    return _NeedsSecret(profile, location_text, _no_secret(profile))
            request = _request(profile, creds, location_text)
            if profile.kind == "azure" and needs_azure_sign_in(request.settings):
                return _NeedsAzureSignIn(request)
            return request

        return self.service.run(
            work, f"Opening {name}", succeeded=self._on_resolved, failed=self._on_failed
        )

    def open_by_name(self, name: str, location_text: str = "") -> Job:
        """``--connection NAME``: a saved connection, else an AWS profile of that name."""
        store = self.store

        def work(_job: Job) -> str:
            return find_source(name, store)

        self._pending_location = location_text
        return self.service.run(
            work, f"Finding {name}", succeeded=self._on_found, failed=self._on_failed
        )

    @Slot(object)
    def _on_found(self, source: str) -> None:
        self.open_source(source, self._pending_location)

    def _open_aws(self, name: str, location_text: str) -> Job:
        def work(_job: Job) -> OpenRequest | _NeedsSignIn:
            profile = aws_profile(name)
            request = OpenRequest(aws_source(name), profile.settings(), None, location_text)
            sso = sso_session(name)
            if sso is not None and not sso_token_valid(sso):
                return _NeedsSignIn(request, sso)
            return request

        return self.service.run(
            work, f"Opening the AWS profile {name}", succeeded=self._on_resolved,
            failed=self._on_failed,
        )  # fmt: skip

    @Slot(object)
    def _on_resolved(
        self, result: OpenRequest | _NeedsSecret | _NeedsSignIn | _NeedsAzureSignIn
    ) -> None:
        if isinstance(result, OpenRequest):
            self.ready.emit(result)
        elif isinstance(result, _NeedsSignIn):
            self._sign_in(result)
        elif isinstance(result, _NeedsAzureSignIn):
            self._azure_sign_in(result)
        else:
            self._ask_secret(result)

    # ── IAM Identity Center ─────────────────────────────────────────────────────────────

    def _sign_in(self, need: _NeedsSignIn) -> None:
        self._signing_in = need
        assert need.request.settings.aws_profile is not None
        dialog = SsoSignInDialog(
            self.service,
            need.sso,
            need.request.settings.aws_profile,
            self._widget,
            login=self.sso_login,
            open_url=self.open_url,
        )
        dialog.signedIn.connect(self._on_signed_in)
        dialog.finished.connect(dialog.deleteLater)
        dialog.start()

    def _azure_sign_in(self, need: _NeedsAzureSignIn) -> None:
        from cloudbrowser.gui.dialogs.azure_fields import AzureSignInDialog

        dialog = AzureSignInDialog(
            self.service, need.request.settings, self._widget,
            sign_in=self.azure_sign_in, open_url=self.open_url,
        )  # fmt: skip
        dialog.signedIn.connect(lambda: self.ready.emit(need.request))
        dialog.finished.connect(dialog.deleteLater)
        dialog.start()

    @Slot()
    def _on_signed_in(self) -> None:
        need, self._signing_in = self._signing_in, None
        if need is not None:
            self.ready.emit(need.request)

    @Slot(object)
    def _on_failed(self, error: CloudBrowserError) -> None:
        self.failed.emit(error)

    # ── session-only secret ─────────────────────────────────────────────────────────────

    def _ask_secret(self, need: _NeedsSecret) -> None:
        self._asking = need
        dialog = QInputDialog(self._widget)
        dialog.setObjectName("sessionSecretPrompt")
        dialog.setWindowTitle(error_title(need.error))
        dialog.setLabelText(
            self.tr(
                "{message}\n{hint}\n\n"
                "Secret access key for “{name}” ({key_id}), used for this session only:"
            ).format(
                message=need.error.message,
                hint=need.error.hint,
                name=need.profile.name,
                key_id=need.profile.credential_id,
            )
        )
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.textValueSelected.connect(self._on_secret_typed)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @Slot(str)
    def _on_secret_typed(self, secret: str) -> None:
        need, self._asking = self._asking, None
        if need is None or not secret:
            return
        self.session_secrets.set(need.profile, _as_stored(need.profile, secret))
        creds = self.session_secrets.get(need.profile)
        self.ready.emit(_request(need.profile, creds, need.location_text))


def _no_gcs_secret(profile: Profile, error: KeyringUnavailable | None) -> KeyringUnavailable:
    """A GCS connection whose key or sign-in the keyring cannot give: a JSON key is not
    typed into a prompt, so say where to give it again (or how to go without)."""
    message = (
        error.message
        if error is not None
        else QCoreApplication.translate(
            "Connector", "No key or sign-in is stored for “{name}”."
        ).format(name=profile.name)
    )
    return KeyringUnavailable(
        message,
        hint=QCoreApplication.translate(
            "Connector",
            "Open Connections…, choose the key file or sign in again, and save; or use "
            "application default credentials (gcloud auth application-default login).",
        ),
    )


def _as_stored(profile: Profile, secret: str) -> str:
    """A secret as the dialog would have stored it: an Azure SAS URL pasted in its place
    gives its token (anything it cannot read is used as typed and refused by Azure)."""
    if profile.kind != "azure" or profile.auth != "sas":
        return secret
    from cloudbrowser.core.backends.azure.addresses import read_sas

    try:
        return read_sas(secret).secret
    except ConfigError:
        return secret.strip()


def _entra_sign_in(*args: Any, **kwargs: Any) -> Any:
    """``entra.sign_in``, imported on first use: the window's start-up does not pay for it."""
    from cloudbrowser.core.backends.azure import entra

    return entra.sign_in(*args, **kwargs)


def needs_azure_sign_in(settings: ConnectionSettings) -> bool:
    """Whether an Entra ID connection (device code, browser) must sign in before it opens."""
    from cloudbrowser.core.backends.azure import entra

    return entra.needs_sign_in(settings)


def _request(profile: Profile, creds: Credentials | None, location_text: str) -> OpenRequest:
    settings = profile.settings()
    if not location_text and settings.default_bucket:
        location_text = f"{settings.default_bucket}/{settings.default_prefix}"
    return OpenRequest(saved_source(profile.name), settings, creds, location_text)


def _no_secret(profile: Profile) -> KeyringUnavailable:
    # Not the keyring's fault, but the same answer: type the secret (it is then kept for
    # this session; saving it in the connection's dialog stores it in the keyring).
    error = KeyringUnavailable(
        QCoreApplication.translate("Connector", "No secret key is stored for “{name}”.").format(
            name=profile.name
        ),
        hint=QCoreApplication.translate(
            "Connector", "Type it below, or edit the connection to store it in the keyring."
        ),
    )
    error.title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Secret key needed"))
    return error
