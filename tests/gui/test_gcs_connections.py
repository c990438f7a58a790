"""The connection dialog's native GCS connection, driven as a user would: each way of
signing in, the project filled from the credentials, the key that lives only in the
keyring, and the endpoint behind the emulator option. No network: the browser sign-in's
flow itself is tested against a stub token endpoint in tests/unit/test_gcs_sign_in.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.gcs.sign_in import OAuthClient, SignedIn
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.gui.connector import Connector
from cloudbrowser.gui.dialogs.connections import ConnectionsDialog
from cloudbrowser.gui.dialogs.gcs_connection import GCS_NATIVE
from cloudbrowser.gui.dialogs.gcs_sign_in import GoogleSignInDialog
from cloudbrowser.gui.service import StorageService
from tests.conftest import MemoryKeyring, service_account_json

DialogFactory = Callable[[], ConnectionsDialog]
#: A person's application default credentials, as gcloud writes them.
USER_ADC = {
    "type": "authorized_user",
    "client_id": "id",
    "client_secret": "s",
    "refresh_token": "r",
    "quota_project_id": "adc-project",
}
EMAIL = "robot@key-project.iam.gserviceaccount.com"
#: A real key (made here): a damaged one is refused when the file is picked.
PEM = json.loads(service_account_json())["private_key"]
KEY = {
    "type": "service_account",
    "project_id": "key-project",
    "private_key_id": "abc",
    "private_key": PEM,
    "client_email": EMAIL,
}


@pytest.fixture
def gcloud_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """gcloud's config dir, empty: where application default credentials are looked for."""
    folder = tmp_path / "gcloud"
    folder.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(folder))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return folder


@pytest.fixture
def open_dialog(qtbot: QtBot, service: StorageService) -> Iterator[DialogFactory]:
    """``open_dialog()``: a connection dialog, shown. The dialogs are held until their
    jobs have ended: a dialog let go while a worker still answers it would be collected
    under the worker's feet."""
    held: list[tuple[QWidget, ConnectionsDialog]] = []

    def make() -> ConnectionsDialog:
        parent = QWidget()
        qtbot.addWidget(parent)
        dialog = ConnectionsDialog(Connector(service, parent), parent)
        dialog.show()
        held.append((parent, dialog))
        return dialog

    yield make
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=15_000)
    held.clear()


def choose_native(dialog: ConnectionsDialog, name: str = "My GCS") -> None:
    dialog.name_edit.setText(name)
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(GCS_NATIVE))


def choose_auth(dialog: ConnectionsDialog, auth: str) -> None:
    dialog.gcs.auth_combo.setCurrentIndex(dialog.gcs.auth_combo.findData(auth))


def saved_profile(name: str = "My GCS") -> Profile:
    return ProfileStore().get(name)


def test_native_gcs_sits_beside_s3_and_the_hmac_preset_says_when_to_use_it(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path
) -> None:
    dialog = open_dialog()
    combo = dialog.preset_combo
    assert combo.itemData(1) == GCS_NATIVE
    assert combo.itemText(1) == "Google Cloud Storage (native)"
    hmac = combo.findData("gcs")
    assert combo.itemText(hmac) == "Google Cloud Storage (HMAC keys)"
    combo.setCurrentIndex(hmac)
    assert "HMAC keys" in dialog.preset_help.text()
    assert "Google Cloud Storage (native)" in dialog.preset_help.text()
    assert dialog.form.isRowVisible(dialog.key_edit)
    assert not dialog.form.isRowVisible(dialog.gcs.auth_combo)
    choose_native(dialog)
    assert "service-account key" in dialog.preset_help.text()
    # The S3 fields are gone, the endpoint too (until the emulator option is ticked).
    for s3_field in (dialog.endpoint_edit, dialog.region_combo, dialog.key_edit):
        assert not dialog.form.isRowVisible(s3_field)
    assert dialog.form.isRowVisible(dialog.gcs.auth_combo)
    assert not dialog.form.isRowVisible(dialog.gcs.endpoint_edit)
    dialog.gcs.custom_endpoint_check.setChecked(True)
    assert dialog.form.isRowVisible(dialog.gcs.endpoint_edit)


def test_application_default_credentials_are_shown_and_name_the_project(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path, isolated_environment: MemoryKeyring
) -> None:
    adc = gcloud_dir / "application_default_credentials.json"
    adc.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "id",
                "client_secret": "s",
                "refresh_token": "r",
                "quota_project_id": "adc-project",
            }
        )
    )
    dialog = open_dialog()
    choose_native(dialog)
    qtbot.waitUntil(lambda: "Found" in dialog.gcs.adc_label.text(), timeout=10_000)
    assert str(adc) in dialog.gcs.adc_label.text()
    assert "user account" in dialog.gcs.adc_label.text()
    assert dialog.gcs.project_edit.text() == "adc-project"
    assert dialog.save()
    profile = saved_profile()
    assert (profile.kind, profile.auth, profile.project) == ("gcs", "adc", "adc-project")
    assert profile.endpoint_url == "" and profile.access_key_id == ""
    assert isolated_environment.store == {}  # nothing of ours to keep: gcloud keeps it


def test_sign_links_as_is_saved_with_a_persons_sign_in_and_shown_again(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path, isolated_environment: MemoryKeyring
) -> None:
    (gcloud_dir / "application_default_credentials.json").write_text(json.dumps(USER_ADC))
    links = "links@adc-project.iam.gserviceaccount.com"
    dialog = open_dialog()
    choose_native(dialog)
    gcs = dialog.gcs
    qtbot.waitUntil(lambda: "Found" in gcs.adc_label.text(), timeout=10_000)
    # Beside the credentials, with what it is for.
    assert dialog.form.isRowVisible(gcs.sign_as_edit)
    assert dialog.form.labelForField(gcs.sign_as_edit).text() == "Sign &links as:"
    assert "Service Account Token Creator" in gcs.sign_as_note.text()
    gcs.sign_as_edit.setText("not an email")
    assert not dialog.save()
    assert "not a service account's email" in dialog.result_label.text()
    gcs.sign_as_edit.setText(f" {links} ")
    assert dialog.save()
    profile = saved_profile()
    assert (profile.auth, profile.sign_links_as) == ("adc", links)
    assert profile.settings().sign_links_as == links
    assert isolated_environment.store == {}  # not a secret: in connections.json
    assert links in (config_dir() / "connections.json").read_text("utf-8")

    # Shown again in a dialog opened later.
    again = open_dialog()
    again.reload(select="saved:My GCS")
    assert again.gcs.sign_as_edit.text() == links
    assert again.form.isRowVisible(again.gcs.sign_as_edit)
    # A key signs as itself: the field is not shown, and not kept.
    choose_auth(again, "service_account")
    assert not again.form.isRowVisible(again.gcs.sign_as_edit)
    assert not again.form.isRowVisible(again.gcs.sign_as_note)
    assert again.form_profile().sign_links_as == ""
    choose_auth(again, "oauth")
    assert again.form.isRowVisible(again.gcs.sign_as_edit)
    assert again.form_profile().sign_links_as == links


def test_impersonated_credentials_show_whom_links_are_signed_as(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path
) -> None:
    impersonated = "runner@adc-project.iam.gserviceaccount.com"
    (gcloud_dir / "application_default_credentials.json").write_text(
        json.dumps(
            {
                "type": "impersonated_service_account",
                "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
                f"projects/-/serviceAccounts/{impersonated}:generateAccessToken",
                "source_credentials": USER_ADC,
            }
        )
    )
    dialog = open_dialog()
    choose_native(dialog)
    qtbot.waitUntil(lambda: "Found" in dialog.gcs.adc_label.text(), timeout=10_000)
    assert dialog.gcs.sign_as_edit.placeholderText() == (
        f"{impersonated} (the impersonated account)"
    )


def test_without_adc_the_dialog_says_how_to_create_them(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path
) -> None:
    dialog = open_dialog()
    choose_native(dialog)
    qtbot.waitUntil(lambda: "No application" in dialog.gcs.adc_label.text(), timeout=10_000)
    assert "gcloud auth application-default login" in dialog.gcs.adc_label.text()
    # Created in a terminal meanwhile: "Look again" finds it.
    (gcloud_dir / "application_default_credentials.json").write_text(json.dumps(KEY))
    dialog.gcs.adc_again.click()
    qtbot.waitUntil(lambda: EMAIL in dialog.gcs.adc_label.text(), timeout=10_000)
    assert "service account" in dialog.gcs.adc_label.text()


def test_a_service_account_key_goes_to_the_keyring_and_the_file_is_not_needed(
    qtbot: QtBot,
    open_dialog: DialogFactory,
    gcloud_dir: Path,
    tmp_path: Path,
    isolated_environment: MemoryKeyring,
) -> None:
    key_file = tmp_path / "key-project-abc.json"
    key_text = json.dumps(KEY, indent=2)
    key_file.write_text(key_text)
    dialog = open_dialog()
    choose_native(dialog)
    choose_auth(dialog, "service_account")
    asked: list[str] = []

    def choose(_parent: QWidget, caption: str, _dir: str, _filter: str) -> tuple[str, str]:
        asked.append(caption)
        return str(key_file), ""

    dialog.gcs.choose_file = choose
    dialog.gcs.key_button.click()
    qtbot.waitUntil(lambda: EMAIL in dialog.gcs.key_label.text(), timeout=10_000)
    assert asked == ["Service-account key"]
    assert "not needed afterwards" in dialog.gcs.key_label.text()
    assert dialog.gcs.project_edit.text() == "key-project"
    # A project the user typed is theirs: another key does not replace it.
    dialog.gcs.project_edit.setText("typed-project")
    dialog.gcs.key_button.click()
    qtbot.waitUntil(lambda: len(asked) == 2 and EMAIL in dialog.gcs.key_label.text())
    assert dialog.gcs.project_edit.text() == "typed-project"
    dialog.gcs.project_edit.setText("key-project")
    assert dialog.save()

    def stored() -> str:
        """The key as the keyring gives it back (a real key is stored in pieces)."""
        try:
            creds = ProfileStore().credentials(saved_profile())
        except Exception:
            return ""
        return creds.secret_access_key if creds is not None else ""

    qtbot.waitUntil(lambda: stored() == key_text, timeout=10_000)
    profile = saved_profile()
    assert (profile.auth, profile.access_key_id, profile.project) == (
        "service_account",
        EMAIL,
        "key-project",
    )
    assert "PRIVATE KEY" not in (config_dir() / "connections.json").read_text("utf-8")
    key_file.unlink()  # the file is not needed afterwards
    creds = ProfileStore().credentials(profile)
    assert creds is not None and (creds.access_key_id, creds.secret_access_key) == (
        EMAIL,
        key_text,
    )
    # Shown again, the connection says where its key is.
    dialog.reload(select=f"saved:{profile.name}")
    assert "in the system keyring" in dialog.gcs.key_label.text()


def test_a_bad_key_file_is_named_and_nothing_is_saved(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("these are my notes")
    dialog = open_dialog()
    choose_native(dialog)
    choose_auth(dialog, "service_account")
    dialog.gcs.choose_file = lambda *_args: (str(bad), "")
    dialog.gcs.key_button.click()
    qtbot.waitUntil(lambda: "is not JSON" in dialog.gcs.key_label.text(), timeout=10_000)
    assert not dialog.save()
    assert "needs a service-account key" in dialog.result_label.text()
    assert ProfileStore().load() == []


def test_browser_sign_in_with_your_own_client(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path, isolated_environment: MemoryKeyring
) -> None:
    record = json.dumps(
        {
            "type": "authorized_user",
            "client_id": "cid.apps.googleusercontent.com",
            "client_secret": "client-secret-typed",
            "refresh_token": "1//refresh",
        }
    )
    clients: list[OAuthClient] = []

    def fake_login(
        client: OAuthClient,
        *,
        cancel: threading.Event,
        open_browser: object,
        on_url: Callable[[str], None],
    ) -> SignedIn:
        clients.append(client)
        on_url("https://accounts.google.com/o/oauth2/auth?client_id=cid")
        return SignedIn(client.client_id, "me@example.com", record)

    dialog = open_dialog()
    choose_native(dialog)
    choose_auth(dialog, "oauth")
    assert dialog.form.isRowVisible(dialog.gcs.client_secret_edit)
    dialog.gcs.login = fake_login
    dialog.gcs.client_id_edit.setText("cid.apps.googleusercontent.com")
    dialog.gcs.client_secret_edit.setText("client-secret-typed")
    dialog.gcs.sign_in_button.click()
    qtbot.waitUntil(lambda: "me@example.com" in dialog.gcs.sign_in_label.text(), timeout=10_000)
    assert clients == [OAuthClient("cid.apps.googleusercontent.com", "client-secret-typed")]
    assert dialog.save()
    qtbot.waitUntil(lambda: record in isolated_environment.store.values(), timeout=10_000)
    profile = saved_profile()
    assert (profile.auth, profile.access_key_id) == ("oauth", "cid.apps.googleusercontent.com")
    assert "client-secret-typed" not in (config_dir() / "connections.json").read_text("utf-8")
    assert dialog.gcs.client_secret_edit.text() == ""


def test_browser_sign_in_can_be_cancelled(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path
) -> None:
    def waiting_login(
        _client: OAuthClient, *, cancel: threading.Event, open_browser: object, on_url: object
    ) -> SignedIn:
        on_url("https://accounts.google.com/o/oauth2/auth?x=1")  # type: ignore[operator]
        if cancel.wait(20):
            raise Cancelled("Sign-in cancelled.")
        raise AssertionError("Cancel did not reach the worker")

    dialog = open_dialog()
    choose_native(dialog)
    choose_auth(dialog, "oauth")
    dialog.gcs.login = waiting_login
    dialog.gcs.client_id_edit.setText("cid")
    sign_in = dialog.gcs.sign_in()
    assert isinstance(sign_in, GoogleSignInDialog) and sign_in.job is not None
    qtbot.waitUntil(lambda: "accounts.google.com" in sign_in.status_label.text(), timeout=10_000)
    assert sign_in.open_button.isEnabled()
    with qtbot.waitSignal(sign_in.job.signals.finished, timeout=25_000):
        sign_in.reject()
    assert dialog.gcs.typed_credentials() is None
    assert not dialog.save()  # no sign-in, no connection
    assert "OAuth client ID" in dialog.result_label.text()


def test_an_emulator_endpoint_with_anonymous_requests(
    qtbot: QtBot, open_dialog: DialogFactory, gcloud_dir: Path
) -> None:
    dialog = open_dialog()
    choose_native(dialog, "Emulator")
    choose_auth(dialog, "anonymous")
    dialog.gcs.endpoint_edit.setText("http://127.0.0.1:4443/")
    dialog.bucket_edit.setText("sample")
    assert dialog.form_profile().endpoint_url == ""  # typed, but the option is off
    dialog.gcs.custom_endpoint_check.setChecked(True)
    assert dialog.save()
    settings = saved_profile("Emulator").settings()
    assert (settings.kind, settings.endpoint_url, settings.anonymous) == (
        "gcs",
        "http://127.0.0.1:4443",
        True,
    )
    assert settings.default_bucket == "sample"
    # Back to an S3 preset: an S3 connection again, with nothing of GCS left.
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("minio"))
    dialog.endpoint_edit.setText("http://127.0.0.1:9000")
    dialog.anonymous_check.setChecked(True)
    assert dialog.save()
    again = saved_profile("Emulator")
    assert (again.kind, again.auth, again.project) == ("s3", "", "")


def connector_for(qtbot: QtBot, service: StorageService) -> Connector:
    parent = QWidget()
    qtbot.addWidget(parent)
    return Connector(service, parent)


def test_saved_gcs_connections_open_with_what_the_keyring_holds(
    qtbot: QtBot, service: StorageService, gcloud_dir: Path
) -> None:
    store = ProfileStore()
    store.add(Profile("ADC", kind="gcs", project="p"))
    key = store.add(Profile("Key", kind="gcs", auth="service_account", access_key_id=EMAIL))
    store.set_secret(key, json.dumps(KEY))
    connector = connector_for(qtbot, service)
    with qtbot.waitSignal(connector.ready, timeout=10_000) as ready:
        connector.open_saved("ADC")
    adc = ready.args[0]
    assert (adc.settings.kind, adc.settings.auth, adc.settings.project) == ("gcs", "adc", "p")
    assert adc.credentials is None
    with qtbot.waitSignal(connector.ready, timeout=10_000) as ready:
        connector.open_saved("Key")
    creds = ready.args[0].credentials
    assert creds is not None and (creds.access_key_id, creds.secret_access_key) == (
        EMAIL,
        json.dumps(KEY),
    )
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=15_000)


def test_a_missing_key_is_not_asked_for_in_a_password_prompt(
    qtbot: QtBot, service: StorageService, gcloud_dir: Path
) -> None:
    ProfileStore().add(Profile("Key", kind="gcs", auth="service_account", access_key_id=EMAIL))
    connector = connector_for(qtbot, service)
    with qtbot.waitSignal(connector.failed, timeout=10_000) as failed:
        connector.open_saved("Key")
    error = failed.args[0]
    assert "No key or sign-in is stored for “Key”" in error.message
    assert "choose the key file" in error.hint
    # No "type the secret" prompt: a JSON key is not typed.
    assert connector.parent().findChild(QInputDialog, "sessionSecretPrompt") is None
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=15_000)
