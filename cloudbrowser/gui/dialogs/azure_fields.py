"""The connection dialog's Azure Blob Storage fields, and the Entra ID sign-in window.

:class:`AzureFields` is shown in place of the S3 fields when the provider is "Azure Blob
Storage" or "Azure emulator (Azurite)": how to sign in (account key, connection string, SAS
URL or token, Entra ID by device code, browser, the Azure CLI's login or the default chain,
anonymous), the account, and the secret. A pasted SAS URL or connection string fills the
account, the endpoint and — for a container or directory SAS — where to open; a SAS's expiry
is shown and warned about. The secret typed here goes where the dialog sends every secret:
``ProfileStore.set_secret`` (the keyring), nowhere else.

:class:`AzureSignInDialog` runs ``entra.sign_in`` on a worker: the device code is shown in
the window (and its page opened), Cancel stops waiting at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cloudbrowser.core.backends.azure import addresses, entra
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import CloudBrowserError, ConfigError
from cloudbrowser.core.profiles import Profile
from cloudbrowser.gui.dates import format_time
from cloudbrowser.gui.dialogs.sign_in import SignInDialog
from cloudbrowser.gui.palette import status_colour
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.workers import Job

#: The provider combo's data for Azure (the S3 presets use their ids).
AZURE = "azure"
AZURITE = "azurite"
PROVIDERS = (
    (AZURE, QT_TRANSLATE_NOOP("AzureFields", "Azure Blob Storage")),
    (AZURITE, QT_TRANSLATE_NOOP("AzureFields", "Azure emulator (Azurite)")),
)
AUTH_CHOICES = (
    ("key", QT_TRANSLATE_NOOP("AzureFields", "Account name + key")),
    ("connection_string", QT_TRANSLATE_NOOP("AzureFields", "Connection string")),
    ("sas", QT_TRANSLATE_NOOP("AzureFields", "SAS URL or token")),
    ("entra_device", QT_TRANSLATE_NOOP("AzureFields", "Entra ID: device code")),
    ("entra_browser", QT_TRANSLATE_NOOP("AzureFields", "Entra ID: sign in in the browser")),
    ("azure_cli", QT_TRANSLATE_NOOP("AzureFields", "Entra ID: the Azure CLI's login (az login)")),
    (
        "entra_default",
        QT_TRANSLATE_NOOP(
            "AzureFields", "Entra ID: default chain (environment, managed identity, az…)"
        ),
    ),
    ("anonymous", QT_TRANSLATE_NOOP("AzureFields", "Anonymous (public containers)")),
)
_SECRET_LABELS = {
    "key": QT_TRANSLATE_NOOP("AzureFields", "Account &key:"),
    "connection_string": QT_TRANSLATE_NOOP("AzureFields", "Connection &string:"),
    "sas": QT_TRANSLATE_NOOP("AzureFields", "SAS &URL or token:"),
}


def _tr(text: object) -> str:
    return QCoreApplication.translate("AzureFields", str(text))


def provider_items() -> list[tuple[str, str]]:
    """The provider combo's Azure entries: (data, translated label)."""
    return [(provider, _tr(label)) for provider, label in PROVIDERS]


def provider_of(profile: Profile) -> str:
    """The provider combo's entry for a saved Azure connection."""
    return AZURITE if profile.preset == AZURITE else AZURE


class AzureFields(QWidget):
    """The Azure part of the connection form. It fills the dialog's shared fields (endpoint,
    default bucket and folder) from what is pasted, and reads them back in :meth:`profile`.

    Signals:
        signInRequested(): the user asked to sign in with Entra ID now.
    """

    signInRequested = Signal()

    def __init__(
        self,
        endpoint_edit: QLineEdit,
        bucket_edit: QLineEdit,
        prefix_edit: QLineEdit,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("azureFields")
        self._endpoint_edit = endpoint_edit
        self._bucket_edit = bucket_edit
        self._prefix_edit = prefix_edit
        self._loading = False
        self.auth_combo = QComboBox()
        for auth, label in AUTH_CHOICES:
            self.auth_combo.addItem(_tr(label), auth)
        self.auth_combo.currentIndexChanged.connect(self._on_auth)
        self.account_edit = QLineEdit()
        self.account_edit.setPlaceholderText(
            self.tr("the NAME of https://NAME.blob.core.windows.net")
        )
        self.secret_label = QLabel()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.textChanged.connect(self._on_secret)
        self.secret_label.setBuddy(self.secret_edit)
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_in_button = QPushButton(self.tr("Sign &in now…"))
        self.sign_in_button.clicked.connect(self.signInRequested)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Sign in &with:"), self.auth_combo)
        form.addRow(self.tr("Storage a&ccount:"), self.account_edit)
        form.addRow(self.secret_label, self.secret_edit)
        form.addRow("", self.info_label)
        form.addRow("", self.sign_in_button)
        self.form = form
        self._on_auth()

    def align_with(self, outer: QFormLayout) -> None:
        """Start the Azure rows' fields where the dialog's other fields start: the labels
        of both forms as wide as the widest of them (each form sized its own, and the
        Azure fields began a few pixels left of the others)."""
        labels = [*_labels(outer), *_labels(self.form)]
        for label in labels:
            label.setMinimumWidth(0)
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

    # ── what is shown ───────────────────────────────────────────────────────────────────

    @property
    def auth(self) -> str:
        return str(self.auth_combo.currentData())

    def show_profile(self, profile: Profile, secret_place: str = "") -> None:
        self._loading = True
        self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(profile.auth or "key")))
        self.account_edit.setText(profile.account)
        self.secret_edit.clear()
        self.secret_edit.setPlaceholderText(secret_place)
        self._loading = False
        self._on_auth()

    def clear(self) -> None:
        self.show_profile(Profile(name="", kind="azure"))

    def fill_azurite(self) -> None:
        """The emulator's well-known development account (public: not a secret)."""
        address = addresses.azurite_address()
        self.auth_combo.setCurrentIndex(self.auth_combo.findData("key"))
        self.account_edit.setText(address.account)
        self._endpoint_edit.setText(address.endpoint_url)
        self.secret_edit.setText(address.secret)

    def profile(self, base: Profile, provider: str) -> Profile:
        """``base`` (the dialog's shared fields) as an Azure connection."""
        account = self.account_edit.text().strip()
        typed = self.secret_edit.text().strip()
        if self.auth == "connection_string" and typed and not account:
            # The connection string names its account: show it in the list.
            with contextlib.suppress(ConfigError):
                account = addresses.read_connection_string(typed).account
        return replace(
            base,
            kind="azure",
            preset=provider,
            auth=self.auth,
            account=account,
            anonymous=self.auth == "anonymous",
            access_key_id="",
            region="",
            account_id="",
        )

    def typed_secret(self) -> str:
        """The secret as stored: the key, the connection string, or the SAS token (taken out
        of a pasted SAS URL); "" when nothing was typed or the way needs none."""
        text = self.secret_edit.text().strip()
        if not text or self.auth not in addresses.SECRET_AUTHS:
            return ""
        if self.auth == "sas":
            try:
                return addresses.read_sas(text).secret
            except ConfigError:
                return text  # checked (and refused) when saving
        return text

    def typed_credentials(self, profile: Profile) -> Credentials | None:
        secret = self.typed_secret()
        if not secret or not profile.needs_secret:
            return None
        return Credentials(profile.credential_id, secret)

    # ── reacting to what is typed ───────────────────────────────────────────────────────

    @Slot()
    def _on_auth(self) -> None:
        auth = self.auth
        secret = auth in addresses.SECRET_AUTHS
        self.form.setRowVisible(self.secret_edit, secret)
        if secret:
            self.secret_label.setText(_tr(_SECRET_LABELS[auth]))
        self.sign_in_button.setVisible(auth in entra.INTERACTIVE)
        self.account_edit.setPlaceholderText(
            self.tr("from the connection string")
            if auth == "connection_string"
            else self.tr("the NAME of https://NAME.blob.core.windows.net")
        )
        self._on_secret()

    @Slot()
    def _on_secret(self) -> None:
        """Read what was pasted: fill the account and where to open, show the SAS expiry."""
        if self._loading:
            return
        text = self.secret_edit.text().strip()
        if not text or self.auth not in ("sas", "connection_string"):
            self._show_info(self._auth_note(), None)
            return
        try:
            if self.auth == "sas":
                address = addresses.read_sas(text, account=self.account_edit.text().strip())
            else:
                address = addresses.read_connection_string(text)
        except ConfigError as error:
            self._show_info(f"{error.message} {error.hint}".strip(), False)
            return
        self._fill_from(address)
        self.show_sas(address.sas, address.warnings)

    def _fill_from(self, address: addresses.AzureAddress) -> None:
        if address.account and address.account != self.account_edit.text().strip():
            self.account_edit.setText(address.account)
        if address.endpoint_url:
            self._endpoint_edit.setText(address.endpoint_url)
        if address.default_bucket:
            # A container or directory SAS opens straight there (it may not list others).
            self._bucket_edit.setText(address.default_bucket)
            self._prefix_edit.setText(address.default_prefix)

    def show_sas(self, sas: addresses.Sas | None, warnings: tuple[str, ...]) -> None:
        """The SAS's expiry and scope, and what to know about it (in the warning colour)."""
        if sas is None:
            self._show_info(" ".join(warnings), False if warnings else None)
            return
        scope = self.tr("{scope} SAS").format(scope=sas.scope.capitalize())
        soon = False
        if sas.expires is not None:
            when = format_time(sas.expires.timestamp())
            text = self.tr("{scope}, expires on {date}.").format(scope=scope, date=when)
            soon = sas.expires - datetime.now(UTC) < addresses.EXPIRY_WARNING
        else:
            text = self.tr("{scope} without an expiry date.").format(scope=scope)
        # The expiry is the line above (in the warning colour when near): said once.
        warnings = addresses.sas_warnings(sas, expiry=False)
        if soon:
            text = f"⚠ {text}"
        if warnings:
            text = f"⚠ {' '.join(warnings)}\n{text}"
        self._show_info(text, not (warnings or soon))

    def show_error(self, error: CloudBrowserError) -> None:
        self._show_info(f"{error.message} {error.hint}".strip(), False)

    def _auth_note(self) -> str:
        return {
            "azure_cli": self.tr("Uses the account “az login” signed in to on this machine."),
            "entra_default": self.tr(
                "Tries the environment (AZURE_CLIENT_ID…), workload and managed identity, then "
                "the Azure CLI and Azure PowerShell, as the Azure SDKs do."
            ),
            "entra_device": self.tr(
                "Shows a code to approve at microsoft.com/devicelogin, on any device."
            ),
            "entra_browser": self.tr("Opens the browser to sign in."),
            "anonymous": self.tr("Only containers with public access can be read."),
        }.get(self.auth, "")

    def _show_info(self, text: str, ok: bool | None) -> None:
        self.info_label.setStyleSheet(f"color: {status_colour(ok)};" if ok is False else "")
        self.info_label.setText(text)
        self.info_label.setVisible(bool(text))


class AzureSignInDialog(SignInDialog):
    """Signs one connection in with Entra ID (device code or browser) on a worker.

    Signals:
        signedIn(): the sign-in is kept; the connection's requests are now signed.
    """

    signedIn = Signal()

    def __init__(
        self,
        service: StorageService,
        settings: ConnectionSettings,
        parent: QWidget | None = None,
        *,
        sign_in: Callable[..., Any] = entra.sign_in,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
    ) -> None:
        device = settings.auth == "entra_device"
        super().__init__(
            service,
            parent,
            title=self.tr("Sign in with Entra ID"),
            intro=(
                self.tr(
                    "“{name}” signs in to Azure with Entra ID. Approve the request in your "
                    "browser with this code:",
                )
                if device
                else self.tr("“{name}” signs in to Azure with Entra ID in your browser.")
            ).format(name=settings.name),
            waiting=self.tr("Asking for a sign-in code…")
            if device
            else self.tr("Finish signing in in the browser window that opens…"),
            shows_code=device,
            open_url=lambda url: open_url(QUrl(url)),
        )
        self.setObjectName("azureSignIn")
        self.open_button.setVisible(device)
        self._settings = settings
        self._sign_in = sign_in

    def start(self) -> Job:
        sign_in, settings = self._sign_in, self._settings

        def work(job: Job) -> object:
            return sign_in(settings, job.report, job.cancel_event)

        return self.run(work, "Signing in with Entra ID")

    def on_report(self, report: object) -> None:
        assert isinstance(report, entra.DeviceCode)
        self.show_code(
            report.user_code,
            report.verification_uri,
            self.tr("Waiting for approval at {url} (the code is valid until {time})…").format(
                url=report.verification_uri, time=format_time(report.expires_on.timestamp())
            ),
        )

    def on_signed_in(self, result: object) -> None:
        self.signedIn.emit()


def _labels(form: QFormLayout) -> list[QWidget]:
    """The label widgets of ``form``'s rows (rows that span both columns have none)."""
    found: list[QWidget] = []
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        widget = item.widget() if item is not None else None
        if widget is not None:
            found.append(widget)
    return found
