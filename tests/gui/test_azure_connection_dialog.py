"""The connection dialog's Azure Blob Storage paths, driven as a user would: account key,
connection string, SAS URL (a container SAS opens at its container, its expiry shown), the
Azurite preset, and Entra ID sign-in in the window with Cancel. The Azure backend itself is
not opened here (its tests run against Azurite): what these check is what reaches the
keyring, the saved connection and the request to open."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from azure.identity import AuthenticationRecord
from PySide6.QtWidgets import QInputDialog, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.azure import entra
from cloudbrowser.core.backends.azure.addresses import AZURITE_ENDPOINT, AZURITE_KEY
from cloudbrowser.core.check import CheckResult
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.gui.connector import Connector, OpenRequest, aws_source, saved_source
from cloudbrowser.gui.dialogs import connections as connections_module
from cloudbrowser.gui.dialogs.azure_fields import AzureSignInDialog
from cloudbrowser.gui.dialogs.connections import ConnectionsDialog
from cloudbrowser.gui.service import StorageService
from tests.conftest import MemoryKeyring

KEY = AZURITE_KEY
RECORD = AuthenticationRecord(
    "tenant-1", "client-1", "login.microsoftonline.com", "home-1", "ada@example.com"
)
CODE = entra.DeviceCode(
    "ABCD-EFGH", "https://microsoft.com/devicelogin", datetime(2030, 1, 1, tzinfo=UTC)
)


def sas_token(days: float, permissions: str = "rl", resource: str = "c") -> str:
    expires = datetime.now(UTC) + timedelta(days=days)
    return (
        f"sv=2022-11-02&sp={permissions}&sr={resource}&se={expires:%Y-%m-%dT%H:%M:%SZ}&sig=c2ln%3D"
    )


@pytest.fixture
def dialog(qtbot: QtBot, service: StorageService) -> Iterator[ConnectionsDialog]:
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent)
    connector.open_url = lambda _url: None
    made = ConnectionsDialog(connector, parent)
    qtbot.addWidget(made)
    made.show()
    yield made
    if shiboken6.isValid(made):  # (see test_other_clouds_window's dialog fixture)
        made.reject()


@pytest.fixture(autouse=True)
def _nobody_signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entra, "_signed_in", {})


def azure_form(dialog: ConnectionsDialog, name: str, auth: str, provider: str = "azure") -> None:
    dialog.add_new()
    dialog.name_edit.setText(name)
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(provider))
    fields = dialog.azure_fields
    fields.auth_combo.setCurrentIndex(fields.auth_combo.findData(auth))


def stored(keyring: MemoryKeyring) -> set[str]:
    return set(keyring.store.values())


def test_the_azure_fields_start_where_the_others_do(
    qtbot: QtBot, dialog: ConnectionsDialog
) -> None:
    """The Azure rows (a form of their own) sized their own labels: their fields began a few
    pixels left of Name's and Endpoint's. Whatever the sign-in, they line up now."""
    for auth in ("key", "connection_string", "sas"):
        azure_form(dialog, "Blobs", auth)
        qtbot.waitUntil(lambda: dialog.azure_fields.account_edit.isVisible())

        def left(widget: QWidget) -> int:
            return widget.mapTo(dialog, widget.rect().topLeft()).x()

        edge = left(dialog.name_edit)
        fields = dialog.azure_fields
        assert left(fields.auth_combo) == edge, auth
        assert left(fields.account_edit) == edge, auth
        assert left(fields.secret_edit) == edge, auth
        assert left(dialog.endpoint_edit) == edge, auth


# ── the secret ways ─────────────────────────────────────────────────────────────────────


def test_account_key_goes_to_the_keyring_only(
    qtbot: QtBot, dialog: ConnectionsDialog, isolated_environment: MemoryKeyring
) -> None:
    azure_form(dialog, "Blobs", "key")
    form = dialog.form
    # Only what Azure uses is shown.
    assert form.isRowVisible(dialog.azure_fields)
    assert not form.isRowVisible(dialog.region_combo)
    assert not form.isRowVisible(dialog.key_edit)
    assert dialog.azure_fields.form.isRowVisible(dialog.azure_fields.secret_edit)
    assert form.labelForField(dialog.bucket_edit).text() == "Default &container:"
    assert "containers" in dialog.bucket_edit.placeholderText()
    assert not dialog.azure_fields.sign_in_button.isVisibleTo(dialog)
    dialog.azure_fields.account_edit.setText("acct1")
    dialog.azure_fields.secret_edit.setText(KEY)
    assert dialog.save()
    qtbot.waitUntil(lambda: KEY in stored(isolated_environment))
    assert dialog.azure_fields.secret_edit.text() == ""
    profile = ProfileStore().get("Blobs")
    assert (profile.kind, profile.auth, profile.account) == ("azure", "key", "acct1")
    creds = ProfileStore().credentials(profile)
    assert creds == Credentials("acct1", KEY)
    assert KEY not in (config_dir() / "connections.json").read_text(encoding="utf-8")


def test_a_key_that_is_not_one_is_refused_before_saving(dialog: ConnectionsDialog) -> None:
    azure_form(dialog, "Blobs", "key")
    dialog.azure_fields.account_edit.setText("acct1")
    dialog.azure_fields.secret_edit.setText("hunter2")
    assert not dialog.save()
    assert "not a storage account key" in dialog.result_label.text()
    assert ProfileStore().load() == []


def test_connection_string_fills_the_account(
    qtbot: QtBot, dialog: ConnectionsDialog, isolated_environment: MemoryKeyring
) -> None:
    azure_form(dialog, "From string", "connection_string")
    text = f"DefaultEndpointsProtocol=https;AccountName=acct2;AccountKey={KEY}"
    dialog.azure_fields.secret_edit.setText(text)
    assert dialog.azure_fields.account_edit.text() == "acct2"
    assert dialog.save()
    qtbot.waitUntil(lambda: text in stored(isolated_environment))
    profile = ProfileStore().get("From string")
    assert (profile.auth, profile.account) == ("connection_string", "acct2")


def test_a_bad_connection_string_is_named_as_typed(dialog: ConnectionsDialog) -> None:
    azure_form(dialog, "Bad", "connection_string")
    dialog.azure_fields.secret_edit.setText("AccountName=acct2")
    assert "neither AccountKey= nor SharedAccessSignature=" in dialog.azure_fields.info_label.text()


def test_container_sas_url_opens_at_its_container_with_its_expiry(
    qtbot: QtBot, dialog: ConnectionsDialog, isolated_environment: MemoryKeyring
) -> None:
    azure_form(dialog, "Shared photos", "sas")
    token = sas_token(days=90)
    dialog.azure_fields.secret_edit.setText(f"https://acct3.blob.core.windows.net/photos?{token}")
    assert dialog.azure_fields.account_edit.text() == "acct3"
    assert dialog.bucket_edit.text() == "photos"
    info = dialog.azure_fields.info_label.text()
    assert "Container SAS, expires on" in info and "⚠" not in info
    opened: list[OpenRequest] = []
    dialog.openRequested.connect(opened.append)
    dialog.connect_selected()
    qtbot.waitUntil(lambda: bool(opened))
    # The token, not the URL, is the secret; the container is where it opens.
    assert token in stored(isolated_environment)
    request = opened[0]
    assert request.credentials == Credentials("sas", token)
    assert (request.settings.kind, request.settings.auth) == ("azure", "sas")
    assert request.settings.default_bucket == "photos"
    assert request.location_text == "photos/"


def test_sas_expiring_soon_or_unable_to_list_is_warned_about(dialog: ConnectionsDialog) -> None:
    azure_form(dialog, "Soon", "sas")
    dialog.azure_fields.account_edit.setText("acct3")
    dialog.azure_fields.secret_edit.setText(sas_token(days=2))
    info = dialog.azure_fields.info_label.text()
    # Said once, in the warning colour (it was said twice: a warning, then the line).
    assert info.count("expires on") == 1 and info.startswith("⚠ Container SAS, expires on")
    assert dialog.azure_fields.info_label.styleSheet() != ""
    dialog.azure_fields.secret_edit.setText(sas_token(days=60, permissions="r"))
    assert "can read but not list" in dialog.azure_fields.info_label.text()
    dialog.azure_fields.secret_edit.setText(sas_token(days=60, permissions="w"))
    assert "can neither list nor read" in dialog.azure_fields.info_label.text()


def test_an_expired_sas_is_refused(dialog: ConnectionsDialog) -> None:
    azure_form(dialog, "Old", "sas")
    dialog.azure_fields.account_edit.setText("acct3")
    dialog.azure_fields.secret_edit.setText(sas_token(days=-1))
    assert "expired on" in dialog.azure_fields.info_label.text()
    assert not dialog.save()
    assert "expired on" in dialog.result_label.text()


def test_test_connection_of_an_expired_sas_url_says_it_expired(dialog: ConnectionsDialog) -> None:
    """A pasted SAS URL fills the account: an expired one fills nothing, and Test connection
    said "No storage account name" where the field below said why."""
    azure_form(dialog, "Old link", "sas")
    old = sas_token(days=-1)
    dialog.azure_fields.secret_edit.setText(f"https://acct3.blob.core.windows.net/photos?{old}")
    assert dialog.azure_fields.account_edit.text() == ""
    assert dialog.test_connection() is None  # nothing to send
    assert "This shared access signature expired on" in dialog.result_label.text()
    assert "account name" not in dialog.result_label.text()


def test_a_saved_sas_shows_its_expiry_from_the_keyring(
    qtbot: QtBot, dialog: ConnectionsDialog
) -> None:
    store = ProfileStore()
    saved = store.add(Profile("Saved SAS", kind="azure", auth="sas", account="acct3"))
    store.set_secret(saved, sas_token(days=3))
    dialog.reload(select=saved_source("Saved SAS"))
    qtbot.waitUntil(lambda: "expires on" in dialog.azure_fields.info_label.text())
    assert "⚠" in dialog.azure_fields.info_label.text()
    assert dialog.preset_combo.currentData() == "azure"


def test_azurite_preset_fills_the_development_account(
    qtbot: QtBot, dialog: ConnectionsDialog, isolated_environment: MemoryKeyring
) -> None:
    azure_form(dialog, "Local Azure", "key", provider="azurite")
    assert dialog.azure_fields.account_edit.text() == "devstoreaccount1"
    assert dialog.endpoint_edit.text() == AZURITE_ENDPOINT
    assert dialog.save()
    qtbot.waitUntil(lambda: AZURITE_KEY in stored(isolated_environment))
    profile = ProfileStore().get("Local Azure")
    assert profile.settings().endpoint_url == AZURITE_ENDPOINT
    dialog.reload(select=saved_source("Local Azure"))
    assert dialog.preset_combo.currentData() == "azurite"


def test_test_connection_hands_the_azure_settings_and_secret(
    qtbot: QtBot, dialog: ConnectionsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[ConnectionSettings, Credentials | None]] = []

    def check(
        settings: ConnectionSettings, creds: Credentials | None = None, **_: object
    ) -> CheckResult:
        checked.append((settings, creds))
        return CheckResult(True, "Connected: 2 containers.")

    monkeypatch.setattr(connections_module, "check_connection", check)
    azure_form(dialog, "Check", "key")
    dialog.azure_fields.account_edit.setText("acct1")
    dialog.azure_fields.secret_edit.setText(KEY)
    dialog.test_connection()
    qtbot.waitUntil(lambda: "Connected" in dialog.result_label.text())
    settings, creds = checked[0]
    assert (settings.kind, settings.account, creds) == ("azure", "acct1", Credentials("acct1", KEY))


def test_switching_back_to_s3_leaves_no_azure_field(dialog: ConnectionsDialog) -> None:
    azure_form(dialog, "Flip", "sas")
    dialog.azure_fields.account_edit.setText("acct1")
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("minio"))
    profile = dialog.form_profile()
    assert (profile.kind, profile.auth, profile.account) == ("s3", "", "")
    assert dialog.form.isRowVisible(dialog.key_edit)
    assert not dialog.form.isRowVisible(dialog.azure_fields)


# ── Entra ID ────────────────────────────────────────────────────────────────────────────


def test_azure_cli_login_needs_no_secret(
    qtbot: QtBot, dialog: ConnectionsDialog, isolated_environment: MemoryKeyring
) -> None:
    azure_form(dialog, "Via az", "azure_cli")
    assert not dialog.azure_fields.form.isRowVisible(dialog.azure_fields.secret_edit)
    assert "az login" in dialog.azure_fields.info_label.text()
    dialog.azure_fields.account_edit.setText("acct1")
    opened: list[OpenRequest] = []
    dialog.connector.ready.connect(opened.append)
    dialog.connect_selected()
    qtbot.waitUntil(lambda: bool(opened))
    assert opened[0].credentials is None and opened[0].settings.auth == "azure_cli"
    assert isolated_environment.store == {}


def fake_sign_in(calls: list[ConnectionSettings]) -> Callable[..., AuthenticationRecord]:
    def sign_in(
        settings: ConnectionSettings,
        show_code: Callable[[entra.DeviceCode], None],
        _cancel: threading.Event,
    ) -> AuthenticationRecord:
        # The real flow is tested with azure-identity's classes in tests/unit/test_azure_entra.py.
        calls.append(settings)
        show_code(CODE)
        entra.save_record(settings, RECORD)
        return RECORD

    return sign_in


def test_device_code_sign_in_from_the_form(qtbot: QtBot, dialog: ConnectionsDialog) -> None:
    calls: list[ConnectionSettings] = []
    opened_urls: list[str] = []
    dialog.connector.azure_sign_in = fake_sign_in(calls)
    dialog.connector.open_url = lambda url: opened_urls.append(url.toString())
    azure_form(dialog, "Entra", "entra_device")
    assert dialog.azure_fields.sign_in_button.isVisibleTo(dialog)
    dialog.azure_fields.account_edit.setText("acct1")
    sign_in = dialog.sign_in_azure()
    assert sign_in is not None
    qtbot.waitUntil(lambda: "Signed in with Entra ID" in dialog.result_label.text())
    # The code was shown (its page opened); the sign-in window is gone once done.
    assert opened_urls == ["https://microsoft.com/devicelogin"]
    assert calls[0].auth == "entra_device" and calls[0].account == "acct1"


def test_opening_a_connection_not_signed_in_signs_in_first(
    qtbot: QtBot, service: StorageService
) -> None:
    store = ProfileStore()
    store.add(Profile("Entra", kind="azure", auth="entra_device", account="acct1"))
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent, store=store)
    calls: list[ConnectionSettings] = []
    connector.azure_sign_in = fake_sign_in(calls)
    connector.open_url = lambda _url: None
    with qtbot.waitSignal(connector.ready, timeout=25_000) as ready:
        connector.open_saved("Entra")
    request = ready.args[0]
    assert isinstance(request, OpenRequest) and request.credentials is None
    assert request.settings.auth == "entra_device" and len(calls) == 1


def test_a_saved_key_opens_with_the_contract_credentials(
    qtbot: QtBot, service: StorageService
) -> None:
    store = ProfileStore()
    saved = store.add(Profile("Keyed", kind="azure", auth="key", account="acct1"))
    store.set_secret(saved, KEY)
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent, store=store)
    with qtbot.waitSignal(connector.ready, timeout=25_000) as ready:
        connector.open_saved("Keyed")
    assert ready.args[0].credentials == Credentials("acct1", KEY)


def test_sign_in_can_be_cancelled(qtbot: QtBot, service: StorageService) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)

    def waiting(
        _settings: ConnectionSettings,
        show_code: Callable[[entra.DeviceCode], None],
        cancel: threading.Event,
    ) -> AuthenticationRecord:
        show_code(CODE)
        if cancel.wait(20):
            raise Cancelled("Sign-in cancelled.")
        raise AssertionError("the dialog's Cancel did not reach the worker")

    settings = ConnectionSettings(name="Entra", kind="azure", auth="entra_device", account="acct1")
    dialog = AzureSignInDialog(service, settings, parent, sign_in=waiting, open_url=lambda _u: None)
    signed: list[bool] = []
    dialog.signedIn.connect(lambda: signed.append(True))
    job = dialog.start()
    qtbot.waitUntil(lambda: dialog.code_label.text() == "ABCD-EFGH", timeout=25_000)
    with qtbot.waitSignal(job.signals.finished, timeout=25_000):
        dialog.reject()
    assert signed == [] and entra.load_record(settings) is None


def test_browser_sign_in_shows_no_code(qtbot: QtBot, service: StorageService) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    settings = ConnectionSettings(name="B", kind="azure", auth="entra_browser", account="acct1")
    dialog = AzureSignInDialog(service, settings, parent, sign_in=lambda *_a: RECORD)
    with qtbot.waitSignal(dialog.signedIn, timeout=25_000):
        dialog.start()
    assert not dialog.code_label.isVisibleTo(dialog)
    assert "browser" in dialog.status_label.text()


def test_an_aws_profile_after_an_connect_azureion_shows_the_s3_fields(
    qtbot: QtBot, dialog: ConnectionsDialog, tmp_path: Path
) -> None:
    ProfileStore().add(Profile("Blobs", kind="azure", auth="key", account="acct1"))
    (tmp_path / "aws-config").write_text("[profile lab]\nregion = us-east-1\n")
    dialog.refresh()
    qtbot.waitUntil(lambda: [a.name for a in dialog.aws_profiles] == ["lab"])
    dialog.select(saved_source("Blobs"))
    assert dialog.form.isRowVisible(dialog.azure_fields)
    dialog.select(aws_source("lab"))
    assert not dialog.form.isRowVisible(dialog.azure_fields)
    assert dialog.form.isRowVisible(dialog.region_combo)


def test_testing_an_entra_connection_not_signed_in_says_sign_in_first(
    qtbot: QtBot, dialog: ConnectionsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object, **_kwargs: object) -> CheckResult:
        raise AssertionError("no request before signing in")

    monkeypatch.setattr(connections_module, "check_connection", never)
    azure_form(dialog, "Entra", "entra_browser")
    dialog.azure_fields.account_edit.setText("acct1")
    dialog.test_connection()
    qtbot.waitUntil(lambda: "Not signed in with Entra ID yet" in dialog.result_label.text())
    assert "Sign in now" in dialog.result_label.text()


def test_a_sas_url_typed_for_this_session_only_keeps_its_token(
    qtbot: QtBot, service: StorageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ProfileStore()
    store.add(Profile("Shared", kind="azure", auth="sas", account="acct3"))  # no secret stored
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent, store=store)
    token = sas_token(days=30)
    with qtbot.waitSignal(connector.ready, timeout=25_000) as ready:
        connector.open_saved("Shared")
        prompt: list[QInputDialog] = []

        def asked() -> bool:
            prompt[:] = parent.findChildren(QInputDialog, "sessionSecretPrompt")
            return bool(prompt)

        qtbot.waitUntil(asked, timeout=25_000)
        prompt[0].setTextValue(f"https://acct3.blob.core.windows.net/photos?{token}")
        prompt[0].accept()
    assert ready.args[0].credentials == Credentials("sas", token)
