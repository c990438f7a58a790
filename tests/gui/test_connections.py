"""The connection manager, driven as a user would, against moto and rclone."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.s3.aws_auth import DeviceCode, SsoSession
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.gui.connector import Connector, OpenRequest, aws_source
from cloudbrowser.gui.dialogs.connections import ConnectionsDialog
from cloudbrowser.gui.dialogs.sso_login import SsoSignInDialog
from cloudbrowser.gui.models.bucket_tree import State
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import MemoryKeyring, S3Server
from tests.gui.conftest import ServiceFactory

TYPED_SECRET = "typed-in-the-dialog-secret-42"


def new_window(qtbot: QtBot, service: StorageService, *, restore: bool = False) -> MainWindow:
    window = MainWindow(service)
    qtbot.addWidget(window)
    if restore:
        window.restore_window_state()  # before show(), as app.py does
    window.show()
    return window


def names(window: MainWindow) -> list[str]:
    model = window.view.model()
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def wait_listed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.history.current is not None, timeout=25_000)
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)


def fill(dialog: ConnectionsDialog, server: S3Server, name: str, secret: str = "") -> None:
    dialog.name_edit.setText(name)
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("other"))
    dialog.endpoint_edit.setText(server.endpoint_url)
    dialog.region_combo.setCurrentText("us-east-1")
    dialog.addressing_combo.setCurrentIndex(dialog.addressing_combo.findData("path"))
    dialog.key_edit.setText(server.credentials.access_key_id)
    dialog.secret_edit.setText(secret or server.credentials.secret_access_key)


def test_empty_tree_offers_to_add_a_connection(qtbot: QtBot, service: StorageService) -> None:
    window = new_window(qtbot, service)
    assert window.left_stack.currentWidget() is window.empty_tree
    window.empty_tree.add_button.click()
    dialog = window.connections_dialog()
    assert dialog.isVisible() and dialog.name_edit.text() == "New connection"
    dialog.reject()


def test_dialog_adds_a_connection_that_browses(
    qtbot: QtBot,
    service: StorageService,
    server: S3Server,
    isolated_environment: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bucket = server.bucket("dialog")
    server.put(bucket, ["docs/a.txt", "top.txt"])
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    fill(dialog, server, "My server", TYPED_SECRET if server.kind == "moto" else "")
    secret = dialog.secret_edit.text()
    dialog.connect_button.click()
    wait_listed(qtbot, window)
    assert bucket in names(window)
    assert window.left_stack.currentWidget() is window.tree
    # The secret reached the keyring and the field was cleared…
    qtbot.waitUntil(lambda: secret in isolated_environment.store.values())
    assert dialog.secret_edit.text() == ""
    window.navigate(Location(window.history.current.connection, bucket))
    wait_listed(qtbot, window)
    assert names(window) == ["docs", "top.txt"]
    window.close()  # writes the settings file
    # …and is nowhere else: not in any file of the config dir, not in the logs.
    files = [p for p in config_dir().rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"connections.json", "cloudbrowser.ini"}
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in caplog.text
    assert secret not in window.windowTitle()


def test_saved_connection_opens_with_the_keyring_secret(
    qtbot: QtBot, service: StorageService, server: S3Server
) -> None:
    bucket = server.bucket("saved")
    store = ProfileStore()
    profile = store.add(
        Profile(
            "Saved",
            preset="minio",
            endpoint_url=server.endpoint_url,
            region="us-east-1",
            access_key_id=server.credentials.access_key_id,
            default_bucket=bucket,
        )
    )
    store.set_secret(profile, server.credentials.secret_access_key)
    server.put(bucket, ["x/y.txt"])
    window = new_window(qtbot, service)
    dialog = window.show_connections()
    assert dialog.current is not None and dialog.current.name == "Saved"
    assert dialog.secret_edit.text() == ""  # never read back into the form
    dialog.connect_button.click()
    wait_listed(qtbot, window)
    # A default bucket opens directly; the tree shows it without a ListBuckets call.
    assert window.history.current == Location("Saved", bucket, "")
    assert names(window) == ["x"]
    root = window.tree_model.index_for(Location("Saved"))
    qtbot.waitUntil(lambda: window.tree_model.rowCount(root) == 1)
    assert window.tree_model.index(0, 0, root).data() == bucket


def test_test_button_reports_the_outcome(
    qtbot: QtBot, service: StorageService, server: S3Server
) -> None:
    server.bucket("tested")
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    fill(dialog, server, "Tested")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Connected:" in dialog.result_label.text(), timeout=25_000)
    dialog.endpoint_edit.setText(server.endpoint_url.replace("http://", "https://"))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "✖" in dialog.result_label.text(), timeout=25_000)
    assert "secure (TLS)" in dialog.result_label.text()
    dialog.reject()


def test_tls_off_shows_a_warning(qtbot: QtBot, service: StorageService) -> None:
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    assert not dialog.tls_warning.isVisible()
    dialog.verify_check.setChecked(False)
    assert dialog.tls_warning.isVisible() and not dialog.ca_button.isEnabled()
    dialog.reject()


def test_no_keyring_offers_a_session_only_secret(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    bucket = rclone_server.bucket("session")
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    fill(dialog, rclone_server, "No keyring")
    assert dialog.save()
    box: QMessageBox | None = None

    def found() -> bool:
        nonlocal box
        box = dialog.findChild(QMessageBox, "keyringUnavailable")
        return box is not None and box.isVisible()

    qtbot.waitUntil(found)
    assert box is not None
    assert "No usable system keyring" in box.text()
    session_only = next(b for b in box.buttons() if "session only" in b.text())
    session_only.click()
    assert "this session only" in dialog.result_label.text()
    # Nothing was written in plaintext as a fallback.
    assert rclone_server.credentials.secret_access_key not in ProfileStore().path.read_text()
    dialog.connect_button.click()
    wait_listed(qtbot, window)
    assert bucket in names(window)


def test_no_keyring_connect_asks_before_anything_opens(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server
) -> None:
    """Connect with a typed secret and no keyring: the question comes first, nothing is
    opened (so no restored transfer resumes) until it is answered; the field then says
    plainly where the secret is."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    qtbot.waitUntil(lambda: dialog.keyring_usable is False)
    fill(dialog, rclone_server, "Crashed")
    dialog.connect_button.click()
    box: QMessageBox | None = None

    def found() -> bool:
        nonlocal box
        box = dialog.findChild(QMessageBox, "keyringUnavailable")
        return box is not None and box.isVisible()

    qtbot.waitUntil(found)
    assert box is not None
    assert window.history.current is None and not service.has_connection("Crashed")
    assert dialog.isVisible()
    assert "no usable keyring" in dialog.secret_edit.placeholderText()
    assert "stored in the keyring" not in dialog.secret_edit.placeholderText()
    next(b for b in box.buttons() if "session only" in b.text()).click()
    assert "this session only" in dialog.secret_edit.placeholderText()
    wait_listed(qtbot, window)
    assert not dialog.isVisible()


def test_no_keyring_when_connecting_asks_for_the_secret(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server
) -> None:
    bucket = rclone_server.bucket("ask")
    ProfileStore().add(
        Profile(
            "Ask me",
            endpoint_url=rclone_server.endpoint_url,
            region="us-east-1",
            access_key_id=rclone_server.credentials.access_key_id,
        )
    )
    keyring.set_keyring(keyring.backends.fail.Keyring())
    window = new_window(qtbot, service)
    window.connector.open_saved("Ask me")
    prompt: QInputDialog | None = None

    def found() -> bool:
        nonlocal prompt
        prompt = window.findChild(QInputDialog, "sessionSecretPrompt")
        return prompt is not None and prompt.isVisible()

    qtbot.waitUntil(found)
    assert prompt is not None and "session only" in prompt.labelText()
    prompt.setTextValue(rclone_server.credentials.secret_access_key)
    prompt.accept()
    wait_listed(qtbot, window)
    assert bucket in names(window)


def test_remove_and_duplicate_from_the_dialog(
    qtbot: QtBot, service: StorageService, isolated_environment: MemoryKeyring
) -> None:
    store = ProfileStore()
    profile = store.add(
        Profile("Old", endpoint_url="http://127.0.0.1:9", access_key_id="an-access-key-id")
    )
    store.set_secret(profile, "old-secret")
    window = new_window(qtbot, service)
    dialog = window.show_connections()
    dialog.duplicate_button.click()
    qtbot.waitUntil(lambda: [p.name for p in store.load()] == ["Old", "Old (copy)"])
    qtbot.waitUntil(lambda: dialog.current is not None and dialog.current.name == "Old (copy)")
    dialog.remove_button.click()
    box = dialog.findChild(QMessageBox, "confirmRemove")
    assert box is not None
    box.accept()
    qtbot.waitUntil(lambda: [p.name for p in store.load()] == ["Old"])
    # The copy's secret leaves the keyring after the file is saved, on a worker: wait for it.
    qtbot.waitUntil(lambda: list(isolated_environment.store.values()) == ["old-secret"])
    dialog.reject()


def test_restore_the_last_location_after_restart(
    qtbot: QtBot, make_service: ServiceFactory, server: S3Server
) -> None:
    bucket = server.bucket("restore")
    server.put(bucket, ["deep/er/file.txt"])
    store = ProfileStore()
    profile = store.add(
        Profile(
            "Again",
            endpoint_url=server.endpoint_url,
            region="us-east-1",
            access_key_id=server.credentials.access_key_id,
        )
    )
    store.set_secret(profile, server.credentials.secret_access_key)

    first = new_window(qtbot, make_service())
    first.connector.open_saved("Again")
    wait_listed(qtbot, first)
    first.navigate(Location("Again", bucket, "deep/er/"))
    wait_listed(qtbot, first)
    first.resize(720, 520)
    first.splitter.setSizes([333, 500])
    tree_width = first.splitter.sizes()[0]
    first.close()

    second = new_window(qtbot, make_service(), restore=True)
    assert second.size() == first.size()
    assert second.splitter.sizes()[0] == tree_width
    assert second.restore_session()
    wait_listed(qtbot, second)
    assert second.history.current == Location("Again", bucket, "deep/er/")
    assert names(second) == ["file.txt"]


def test_first_start_has_no_session_to_restore(qtbot: QtBot, service: StorageService) -> None:
    window = new_window(qtbot, service)
    assert not window.restore_session()


def test_a_deleted_last_connection_is_not_restored(qtbot: QtBot, service: StorageService) -> None:
    from cloudbrowser.gui.settings import open_settings

    settings = open_settings()
    settings.setValue("session/connection", "saved:gone")
    settings.sync()
    window = new_window(qtbot, service)
    assert not window.restore_session()
    assert not open_settings().contains("session/connection")


def test_role_with_mfa_asks_in_a_dialog(
    qtbot: QtBot, service: StorageService, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket("mfa")
    (tmp_path / "aws-config").write_text(
        "[profile base]\nregion = us-east-1\n"
        f"[profile role]\nregion = us-east-1\nendpoint_url = {moto_server.endpoint_url}\n"
        "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
    )
    (tmp_path / "aws-credentials").write_text(
        "[base]\naws_access_key_id = base-key-id-0123\naws_secret_access_key = base-secret\n"
    )
    window = new_window(qtbot, service)
    window.connector.open_source(aws_source("role"))
    prompt: QInputDialog | None = None

    def found() -> bool:
        nonlocal prompt
        prompt = window.findChild(QInputDialog, "mfaPrompt")
        return prompt is not None and prompt.isVisible()

    qtbot.waitUntil(found, timeout=25_000)
    assert prompt is not None and "mfa/me" in prompt.labelText()
    prompt.setTextValue("123456")
    prompt.accept()
    wait_listed(qtbot, window)
    assert bucket in names(window)
    assert window.history.current == Location("role (AWS)")


URL_WITH_CODE = "https://device.example/?c=1"
SSO_CONFIG = (
    "[profile corp]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
    "region = us-east-1\n"
    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = eu-west-1\n"
)


def test_sso_profile_without_a_token_signs_in_first(
    qtbot: QtBot, service: StorageService, tmp_path: Path
) -> None:
    (tmp_path / "aws-config").write_text(SSO_CONFIG)
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent)
    opened: list[str] = []
    logins: list[SsoSession] = []

    def fake_login(sso: SsoSession, *, on_code: object, cancel: object) -> Path:
        # The real flow is tested with botocore's Stubber in tests/unit/test_sso_login.py.
        logins.append(sso)
        on_code(
            DeviceCode("WXYZ-1234", "https://device.example/", "https://device.example/?c=1", 600)
        )  # type: ignore[operator]
        return tmp_path / "token.json"

    connector.sso_login = fake_login
    connector.open_url = lambda url: opened.append(url.toString())
    with qtbot.waitSignal(connector.ready, timeout=25_000) as ready:
        connector.open_source(aws_source("corp"))
    request = ready.args[0]
    assert isinstance(request, OpenRequest) and request.settings.aws_profile == "corp"
    assert logins[0].session_name == "corp"
    assert opened == [URL_WITH_CODE]


def test_sso_sign_in_can_be_cancelled(
    qtbot: QtBot, service: StorageService, tmp_path: Path
) -> None:
    (tmp_path / "aws-config").write_text(SSO_CONFIG)
    parent = QWidget()
    qtbot.addWidget(parent)
    connector = Connector(service, parent)

    def waiting_login(
        _sso: SsoSession, *, on_code: Callable[[DeviceCode], None], cancel: threading.Event
    ) -> Path:
        on_code(DeviceCode("WAIT-0000", "https://d/", "https://d/", 600))
        if cancel.wait(20):
            raise Cancelled("Sign-in cancelled.")
        raise AssertionError("the dialog's Cancel did not reach the worker")

    connector.sso_login = waiting_login
    connector.open_url = lambda _url: None
    ready: list[object] = []
    connector.ready.connect(ready.append)
    connector.open_source(aws_source("corp"))
    dialog: SsoSignInDialog | None = None

    def shown() -> bool:
        nonlocal dialog
        dialog = parent.findChild(SsoSignInDialog, "ssoSignIn")
        return dialog is not None and "WAIT-0000" in dialog.code_label.text()

    qtbot.waitUntil(shown, timeout=25_000)
    assert dialog is not None and dialog.job is not None
    with qtbot.waitSignal(dialog.job.signals.finished, timeout=25_000):
        dialog.reject()
    assert ready == []


def test_aws_profiles_appear_read_only_and_connect(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server, tmp_path: Path
) -> None:
    bucket = rclone_server.bucket("awsdlg")
    creds = rclone_server.credentials
    (tmp_path / "aws-config").write_text(
        f"[profile lab]\nregion = us-east-1\nendpoint_url = {rclone_server.endpoint_url}\n"
    )
    (tmp_path / "aws-credentials").write_text(
        f"[lab]\naws_access_key_id = {creds.access_key_id}\n"
        f"aws_secret_access_key = {creds.secret_access_key}\n"
    )
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    qtbot.waitUntil(lambda: [a.name for a in dialog.aws_profiles] == ["lab"])
    # Profiles arriving while a new connection is typed leave the form alone.
    assert dialog.name_edit.text() == "New connection" and dialog.current_aws is None
    assert dialog.select(aws_source("lab"))
    assert not dialog.name_edit.isEnabled() and not dialog.save_button.isEnabled()
    assert "access keys" in dialog.aws_label.text()
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Connected:" in dialog.result_label.text(), timeout=25_000)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)  # Enter (or a double-click) connects
    assert not dialog.isVisible()
    wait_listed(qtbot, window)
    assert bucket in names(window)
    assert window.history.current == Location("lab (AWS)")
    assert window.tree_model.rowCount() == 1  # opened once, not by Enter and the default button


def test_several_connections_open_at_once(
    qtbot: QtBot,
    service: StorageService,
    moto_server: S3Server,
    rclone_server: S3Server,
) -> None:
    buckets = {}
    store = ProfileStore()
    for srv in (moto_server, rclone_server):
        buckets[srv.kind] = srv.bucket(f"multi-{srv.kind}")
        profile = store.add(
            Profile(
                srv.kind,
                endpoint_url=srv.endpoint_url,
                region="us-east-1",
                access_key_id=srv.credentials.access_key_id,
            )
        )
        store.set_secret(profile, srv.credentials.secret_access_key)
    window = new_window(qtbot, service)
    for name in ("moto", "rclone"):
        window.connector.open_saved(name)
    model = window.tree_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=25_000)
    roots = [model.index(r, 0).data() for r in range(2)]
    assert sorted(roots) == ["moto", "rclone"]
    for name in roots:
        qtbot.waitUntil(
            lambda name=name: model.node_state(Location(name)) == State.LOADED, timeout=25_000
        )
        root = model.index_for(Location(name))
        children = [model.index(r, 0, root).data() for r in range(model.rowCount(root))]
        assert buckets[name] in children
        other = buckets["rclone" if name == "moto" else "moto"]
        if name == "moto":
            assert other not in children  # each root lists its own server
    # Closing the current connection leaves the other; closing both, the empty panel.
    for expected_left in (1, 0):
        window.close_current_connection()
        assert model.rowCount() == expected_left
        if expected_left:
            window.navigate(Location(model.index(0, 0).data()))
    assert window.left_stack.currentWidget() is window.empty_tree
    assert not window.close_connection_action.isEnabled()


def test_cancelled_mfa_prompt_opens_nothing_and_says_nothing(
    qtbot: QtBot, service: StorageService, moto_server: S3Server, tmp_path: Path
) -> None:
    (tmp_path / "aws-config").write_text(
        "[profile base]\nregion = us-east-1\n"
        f"[profile role]\nregion = us-east-1\nendpoint_url = {moto_server.endpoint_url}\n"
        "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
    )
    (tmp_path / "aws-credentials").write_text(
        "[base]\naws_access_key_id = base-key-id-0123\naws_secret_access_key = base-secret\n"
    )
    window = new_window(qtbot, service)
    dialog = window.add_connection_dialog()
    qtbot.waitUntil(lambda: bool(dialog.aws_profiles))
    assert dialog.select(aws_source("role"))
    job = dialog.test_connection()
    assert job is not None
    prompt: QInputDialog | None = None

    def found() -> bool:
        nonlocal prompt
        prompt = window.findChild(QInputDialog, "mfaPrompt")
        return prompt is not None and prompt.isVisible()

    qtbot.waitUntil(found, timeout=25_000)
    assert prompt is not None
    with qtbot.waitSignal(job.signals.finished, timeout=25_000):
        prompt.reject()
    # A cancel is the user's choice, not a failure: no error, the test just stopped.
    assert dialog.result_label.text() == "Test cancelled."
    assert window.messages.last is None
    dialog.reject()


def test_after_a_crash_without_keyring_the_secret_is_asked_before_anything_resumes(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server, tmp_path: Path
) -> None:
    """Started without options after a crash, no keyring: the last connection asks for its
    secret first; the interrupted upload waits for it, then continues."""
    from cloudbrowser.core.journal import Direction, Journal, State
    from cloudbrowser.core.transfers import TransferQueue, TransferRequest
    from tests.gui.conftest import bucket_contents

    bucket = rclone_server.bucket("crash")
    ProfileStore().add(
        Profile(
            "Crashed",
            endpoint_url=rclone_server.endpoint_url,
            region="us-east-1",
            addressing_style="path",
            access_key_id=rclone_server.credentials.access_key_id,
        )
    )
    src = tmp_path / "half.txt"
    src.write_bytes(b"left over from the last run")
    st = src.stat()
    dead = TransferQueue(lambda name: rclone_server.backend(), Journal())  # a killed run's
    dead.shutdown()
    dead.add(
        [
            TransferRequest(
                Direction.UPLOAD, "Crashed", bucket, "half.txt", src, st.st_size, st.st_mtime
            )
        ]
    )
    dead.journal.close()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    window = new_window(qtbot, service)
    [restored] = window.transfers.restore()
    window.connector.open_saved("Crashed")  # what restore_session does at start
    prompt: QInputDialog | None = None

    def asked() -> bool:
        nonlocal prompt
        prompt = window.findChild(QInputDialog, "sessionSecretPrompt")
        return prompt is not None and prompt.isVisible()

    qtbot.waitUntil(asked)
    assert prompt is not None
    assert "No usable system keyring" in prompt.labelText()
    assert "this session only" in prompt.labelText()
    assert restored.state is State.PAUSED and not service.has_connection("Crashed")
    prompt.setTextValue(rclone_server.credentials.secret_access_key)
    prompt.accept()
    qtbot.waitUntil(lambda: restored.state is State.DONE, timeout=25_000)
    assert bucket_contents(rclone_server, bucket) == {"half.txt": b"left over from the last run"}
    window.transfers.shutdown()
