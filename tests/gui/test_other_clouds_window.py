"""The window end to end on Google Cloud Storage and Azure Blob Storage, as a user uses it:
a saved connection opened through the connector (fake-gcs-server with unsigned requests;
Azurite with its account key), buckets/containers in the tree, a folder opened, a file
dropped in, downloaded back, and Test connection in the dialog on the emulators, with the
precise message for a wrong Azure key and for a GCS key whose token endpoint is down."""

from __future__ import annotations

import base64
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from azure.storage.blob import generate_container_sas
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import State
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.demo import DemoServer
from cloudbrowser.demo_azure import CONTAINER_PREFIX
from cloudbrowser.gui.app import start_demo
from cloudbrowser.gui.connector import Connector
from cloudbrowser.gui.dialogs.connections import ConnectionsDialog
from cloudbrowser.gui.dialogs.gcs_connection import GCS_NATIVE
from cloudbrowser.gui.dialogs.share import ShareDialog
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import GCS_PROJECT, AzuriteServer, GcsServer, TestServer, service_account_json
from tests.gui.conftest import open_window
from tests.gui.test_browsing import names, row_of, wait_loaded
from tests.gui.test_inspect import open_folder, select, wait_properties
from tests.gui.test_transfers import drop
from tests.local_servers import AZURITE_ACCOUNT, AZURITE_KEY

WAIT = 30_000


@pytest.fixture
def window(qtbot: QtBot, service: StorageService, tmp_path: Path) -> Iterator[MainWindow]:
    win = MainWindow(service)
    qtbot.addWidget(win)
    win.transfers.settings = replace(
        win.transfers.settings, download_folder=str(tmp_path / "downloads")
    )
    win.transfers.opener = lambda url: None
    win.show()
    yield win
    win.transfers.shutdown()


def save_gcs(server: GcsServer) -> str:
    ProfileStore().add(
        Profile(
            name="Local GCS",
            kind="gcs",
            endpoint_url=server.endpoint_url,
            auth="anonymous",
            project=GCS_PROJECT,
        )
    )
    return "Local GCS"


def save_azure(server: AzuriteServer) -> str:
    store = ProfileStore()
    profile = store.add(
        Profile(
            name="Local Azure",
            kind="azure",
            endpoint_url=server.endpoint_url,
            auth="key",
            account=AZURITE_ACCOUNT,
        )
    )
    store.set_secret(profile, AZURITE_KEY)
    return "Local Azure"


def tree_children(window: MainWindow) -> list[str]:
    model = window.tree_model
    root = model.index(0, 0)
    return [model.index(r, 0, root).data() for r in range(model.rowCount(root))]


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()


def browse_drop_and_download(
    qtbot: QtBot, window: MainWindow, server: TestServer, name: str, tmp_path: Path
) -> None:
    """Open the saved connection ``name``; its buckets in the list and the tree; open a
    bucket and a folder; drop a file in; download it back."""
    bucket = server.bucket()
    server.put(bucket, {"docs/readme.txt": b"read me", "top.txt": b"top"})

    window.connector.open_saved(name)
    qtbot.waitUntil(lambda: window.tree_model.rowCount() == 1, timeout=WAIT)
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: bucket in names(window), timeout=WAIT)
    window.tree.expand(window.tree_model.index(0, 0))
    qtbot.waitUntil(lambda: bucket in tree_children(window), timeout=WAIT)

    window.view.setCurrentIndex(row_of(window, bucket))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert names(window) == ["docs", "top.txt"]
    window.view.setCurrentIndex(row_of(window, "docs"))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert names(window) == ["readme.txt"]
    assert window.history.current.prefix == "docs/"

    note = tmp_path / "note.txt"
    note.write_bytes(b"dropped in the window")
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), [note], QPointF(below))
    wait_idle(qtbot, window)
    [upload] = window.transfers.model.transfers()
    assert (upload.state, upload.verified, upload.key) == (State.DONE, True, "docs/note.txt")
    qtbot.waitUntil(lambda: "note.txt" in names(window), timeout=WAIT)
    with server.backend().get_object(bucket, "docs/note.txt") as reader:
        assert reader.read(-1) == b"dropped in the window"

    window.view.clearSelection()
    window.view.selectionModel().select(
        row_of(window, "note.txt"),
        window.view.selectionModel().SelectionFlag.Select
        | window.view.selectionModel().SelectionFlag.Rows,
    )
    window.download_selection(tmp_path / "out")
    wait_idle(qtbot, window)
    assert (tmp_path / "out" / "note.txt").read_bytes() == b"dropped in the window"
    downloads = [t for t in window.transfers.model.transfers() if t.key == "docs/note.txt"]
    assert {t.state for t in downloads} == {State.DONE}


def test_a_saved_gcs_connection_in_the_window(
    qtbot: QtBot, window: MainWindow, gcs_server: GcsServer, tmp_path: Path
) -> None:
    browse_drop_and_download(qtbot, window, gcs_server, save_gcs(gcs_server), tmp_path)
    assert window.view.model().headerData(3, Qt.Orientation.Horizontal) == "Storage class"
    # GCS keeps no list of unfinished uploads: Clean up incomplete uploads… is not offered
    # (it only said so), in the File menu or the list's context menu.
    window.file_menu.aboutToShow.emit()
    assert not window.cleanup_action.isVisible()


def test_a_saved_azure_connection_in_the_window(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer, tmp_path: Path
) -> None:
    browse_drop_and_download(qtbot, window, azurite_server, save_azure(azurite_server), tmp_path)
    # Its tiers in a column called as Azure calls them (it said "Storage class").
    header = window.view.model().headerData(3, Qt.Orientation.Horizontal)
    assert header == "Access tier"
    assert window.list_model.data(row_of(window, "note.txt").siblingAtColumn(3)) == "Hot"
    window.file_menu.aboutToShow.emit()
    assert window.cleanup_action.isVisible()  # Azure lists uncommitted blocks


def save_container_sas(
    server: AzuriteServer, bucket: str, name: str, *, days: float = 30, permission: str = "racwdl"
) -> str:
    """A saved connection whose only secret is a SAS of ``bucket`` granting ``permission``
    for ``days``."""
    now = datetime.now(UTC)
    token = generate_container_sas(
        AZURITE_ACCOUNT,
        bucket,
        account_key=AZURITE_KEY,
        permission=permission,
        start=now - timedelta(hours=1),
        expiry=now + timedelta(days=days),
    )
    store = ProfileStore()
    profile = store.add(
        Profile(
            name=name,
            kind="azure",
            endpoint_url=server.endpoint_url,
            auth="sas",
            account=AZURITE_ACCOUNT,
            default_bucket=bucket,
        )
    )
    store.set_secret(profile, token)
    return name


def test_a_container_sas_about_to_expire_is_warned_about_when_it_opens(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer
) -> None:
    """The dialog warns of a SAS ending within a week when it is pasted; a saved one said
    nothing when it opened, until its requests were refused."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["a.txt"])
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)

    def connected(name: str) -> str:
        said.clear()
        window.connector.open_saved(name)
        qtbot.waitUntil(lambda: any(t.startswith("Connected to") for t in said), timeout=WAIT)
        qtbot.waitUntil(lambda: window.history.current.connection == name, timeout=WAIT)
        wait_loaded(qtbot, window)
        return next(t for t in said if t.startswith("Connected to"))

    soon = connected(save_container_sas(azurite_server, bucket, "Soon", days=2))
    assert "⚠ Its shared access signature expires on" in soon, soon
    assert window.history.current.bucket == bucket, "a container SAS opens at its container"
    assert names(window) == ["a.txt"]
    later = connected(save_container_sas(azurite_server, bucket, "Later", days=60))
    assert "expires" not in later, later


# ── Test connection ─────────────────────────────────────────────────────────────────────


@pytest.fixture
def dialog(qtbot: QtBot, service: StorageService) -> Iterator[ConnectionsDialog]:
    parent = QWidget()
    qtbot.addWidget(parent)
    made = ConnectionsDialog(Connector(service, parent), parent)
    qtbot.addWidget(made)
    made.show()
    yield made
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=WAIT)
    # pytest-qt closes the test's widgets before fixtures end, and the wait above runs an
    # event loop that may carry out their deferred deletion first: then nothing to reject.
    if shiboken6.isValid(made):
        made.reject()


def result_of_test(qtbot: QtBot, dialog: ConnectionsDialog) -> str:
    dialog.test_connection()
    qtbot.waitUntil(lambda: "Testing" not in dialog.result_label.text(), timeout=WAIT)
    return dialog.result_label.text()


def gcs_form(dialog: ConnectionsDialog, server: GcsServer, auth: str) -> None:
    dialog.add_new()
    dialog.name_edit.setText("GCS test")
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(GCS_NATIVE))
    dialog.gcs.auth_combo.setCurrentIndex(dialog.gcs.auth_combo.findData(auth))
    dialog.gcs.custom_endpoint_check.setChecked(True)
    dialog.gcs.endpoint_edit.setText(server.endpoint_url)
    dialog.gcs.project_edit.setText(GCS_PROJECT)


def azure_form(dialog: ConnectionsDialog, server: AzuriteServer, key: str) -> None:
    dialog.add_new()
    dialog.name_edit.setText("Azure test")
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("azurite"))
    fields = dialog.azure_fields
    fields.auth_combo.setCurrentIndex(fields.auth_combo.findData("key"))
    dialog.endpoint_edit.setText(server.endpoint_url)
    fields.secret_edit.setText(key)


def test_test_connection_on_the_gcs_emulator(
    qtbot: QtBot, dialog: ConnectionsDialog, gcs_server: GcsServer
) -> None:
    gcs_server.bucket()
    gcs_form(dialog, gcs_server, "anonymous")
    assert result_of_test(qtbot, dialog).startswith("✔ Connected")


def test_test_connection_with_a_gcs_key_whose_token_endpoint_is_down(
    qtbot: QtBot, dialog: ConnectionsDialog, gcs_server: GcsServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(service_account_json())  # its token_uri: a closed local port
    gcs_form(dialog, gcs_server, "service_account")
    dialog.gcs.choose_file = lambda *_args: (str(key_file), "")
    dialog.gcs.key_button.click()
    qtbot.waitUntil(lambda: "tester@" in dialog.gcs.key_label.text(), timeout=WAIT)
    text = result_of_test(qtbot, dialog)
    assert text.startswith("✖ Google's sign-in service could not be reached"), text
    assert "token_uri" in text


def test_test_connection_on_azurite_and_with_a_wrong_key(
    qtbot: QtBot, dialog: ConnectionsDialog, azurite_server: AzuriteServer
) -> None:
    azure_form(dialog, azurite_server, AZURITE_KEY)
    assert result_of_test(qtbot, dialog).startswith("✔ Connected")
    dialog.azure_fields.secret_edit.setText(base64.b64encode(b"k" * 64).decode())
    text = result_of_test(qtbot, dialog)
    assert text.startswith("✖ The storage account refused the account key."), text


def test_only_the_latest_test_speaks(
    qtbot: QtBot, dialog: ConnectionsDialog, azurite_server: AzuriteServer
) -> None:
    """A second Test pressed while the first still runs: the first's result, and its end
    (which once said "Test cancelled." over the second's "Testing…"), are not shown."""
    azure_form(dialog, azurite_server, AZURITE_KEY)
    first = dialog.test_connection()
    dialog.azure_fields.secret_edit.setText(base64.b64encode(b"k" * 64).decode())
    shown: list[str] = []
    original = dialog._show_result

    def show(ok: bool | None, text: str, hint: str = "") -> None:
        shown.append(text)
        original(ok, text, hint)

    dialog._show_result = show  # type: ignore[method-assign]
    second = dialog.test_connection()
    assert first is not None and second is not None
    # Both jobs' results and ends delivered (the runner forgets a job after its handlers).
    qtbot.waitUntil(lambda: dialog.service.runner.active == 0, timeout=WAIT)
    assert dialog.result_label.text().startswith(
        "✖ The storage account refused the account key."
    ), shown
    assert not any(t.startswith(("✔", "Test cancelled")) for t in shown), shown


# ── New bucket ──────────────────────────────────────────────────────────────────────────


def open_saved(qtbot: QtBot, window: MainWindow, name: str) -> None:
    window.connector.open_saved(name)
    qtbot.waitUntil(lambda: window.tree_model.rowCount() == 1, timeout=WAIT)
    wait_loaded(qtbot, window)


def test_new_bucket_on_gcs_asks_location_and_storage_class(
    qtbot: QtBot, window: MainWindow, gcs_server: GcsServer
) -> None:
    open_saved(qtbot, window, save_gcs(gcs_server))
    name = "made-in-the-window-gcs"
    gcs_server._buckets.append(name)  # removed after the test
    offered: list[tuple[str, list[str], list[str]]] = []

    def ask(title: str, region: str, regions: list[str], classes: list[str]) -> tuple[str, str]:
        assert title == "New bucket"
        offered.append((region, regions, classes))
        return name, "EU/NEARLINE"

    window.file_ops.ask_new_bucket = ask
    storage = window.service.connection(window.history.current.connection).storage
    sent: list[tuple[str, str]] = []
    create = storage.create_bucket

    def spy(bucket: str, region: str = "") -> None:
        sent.append((bucket, region))
        create(bucket, region)

    storage.create_bucket = spy  # type: ignore[method-assign]
    window.file_ops.new_bucket_action.trigger()
    qtbot.waitUntil(lambda: name in names(window), timeout=WAIT)
    [(region, regions, classes)] = offered
    assert region == "" and regions[:3] == ["US", "EU", "ASIA"] and "us-east1" in regions
    assert classes == ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"]
    # fake-gcs-server keeps neither location nor class: what the backend was asked for,
    # as the GCS backend's own test checks what it sends for it
    # (tests/contract/test_gcs_requests.py, through a recording front).
    assert sent == [(name, "EU/NEARLINE")]


def test_new_container_on_azure_asks_only_its_name(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer
) -> None:
    open_saved(qtbot, window, save_azure(azurite_server))
    name = "made-in-the-window-azure"
    azurite_server._buckets.append(name)
    offered: list[tuple[str, str, list[str], list[str]]] = []

    def ask(title: str, region: str, regions: list[str], classes: list[str]) -> tuple[str, str]:
        offered.append((title, region, regions, classes))
        return name, ""

    window.file_ops.ask_new_bucket = ask
    window.file_ops.new_bucket_action.trigger()
    qtbot.waitUntil(lambda: name in names(window), timeout=WAIT)
    assert offered == [("New container", "", [], [])], "it lives in its account's region"
    # The File menu and the status bar name them as Azure does.
    window.file_menu.aboutToShow.emit()
    assert window.file_ops.new_bucket_action.text() == "New container…"
    assert window.file_ops.delete_bucket_action.text() == "Delete container…"
    count = window.list_model.counts()[0]
    assert window._counts_label.text().startswith(f"{count} container" + ("s" if count > 1 else ""))
    # So do the hints given at the connection's root, where no container is open.
    window.browsing.view.clearSelection()
    window.download_selection()
    assert window.statusBar().currentMessage() == (
        "Select files or folders in a container to download."
    )
    window.search.ask()
    assert window.statusBar().currentMessage() == "Open a container or folder to search in it."
    window.folder_size.calculate()
    assert window.statusBar().currentMessage() == (
        "Select folders or containers to calculate their size."
    )
    # So does Properties, whose address is no S3 URI.
    from cloudbrowser.gui.dialogs.properties import PropertiesDialog

    connection = window.history.current.connection
    properties = PropertiesDialog(
        window.service,
        window.messages,
        window.service.connection(connection),
        name,
        "docs/",
        is_prefix=True,
        parent=window,
    )
    labels = [label.text() for label in properties.findChildren(QLabel)]
    assert "Container:" in labels and "URI:" in labels
    assert "Bucket:" not in labels and "S3 URI:" not in labels
    assert f"az://{name}/docs/" in labels
    properties.deleteLater()
    # So do the questions and messages of deleting one.
    asked: list[tuple[str, str]] = []

    def confirm(title: str, text: str, button: str) -> bool:
        asked.append((title, text))
        return True

    window.file_ops.confirm = confirm
    window.file_ops.delete_bucket(connection, name)
    qtbot.waitUntil(lambda: name not in names(window), timeout=WAIT)
    assert asked == [("Delete container", f"Delete the empty container “{name}”?")]
    qtbot.waitUntil(lambda: f"Container “{name}” deleted." in window.statusBar().currentMessage())


def test_the_new_bucket_dialog_sends_location_and_class(qtbot: QtBot, window: MainWindow) -> None:
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog)
        combos = dialog.findChildren(QComboBox)
        dialog.findChild(QLineEdit).setText("typed-name")
        combos[0].setCurrentText("europe-west1")
        combos[1].setCurrentText("COLDLINE")
        dialog.accept()

    QTimer.singleShot(0, fill)
    answer = window.file_ops._ask_new_bucket(
        "New bucket", "", ["US", "europe-west1"], ["STANDARD", "COLDLINE"]
    )
    assert answer == ("typed-name", "europe-west1/COLDLINE")
    QTimer.singleShot(0, lambda: _fill_region_only("eu-west-1"))
    assert window.file_ops._ask_new_bucket("New bucket", "", ["us-east-1", "eu-west-1"], []) == (
        "typed-name",
        "eu-west-1",
    )


def _fill_region_only(region: str) -> None:
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, QDialog)
    [combo] = [c for c in dialog.findChildren(QComboBox) if c.isVisibleTo(dialog)]
    dialog.findChild(QLineEdit).setText("typed-name")
    combo.setCurrentText(region)
    dialog.accept()


@pytest.mark.server  # the demo's own servers: moto, fake-gcs-server, Azurite
def test_the_demo_opens_a_location_of_another_cloud_on_that_cloud(
    qtbot: QtBot, window: MainWindow, service: StorageService
) -> None:
    """``cloudbrowser --demo az://…`` shows the demo's Azure container, not a bucket of that
    name looked for (and not found) on the demo's S3."""
    demo = DemoServer(big_folder_count=1, with_clouds=True)
    start_demo(window, service, f"az://{CONTAINER_PREFIX}demo-photos/", demo)
    try:
        qtbot.waitUntil(
            lambda: (
                window.history.current is not None
                and window.history.current.bucket == f"{CONTAINER_PREFIX}demo-photos"
            ),
            timeout=60_000,
        )
        current = window.history.current
        assert service.connection(current.connection).settings.kind == "azure"
        wait_loaded(qtbot, window)
        assert names(window), "the container's sample files are listed"
        assert window.tree_model.rowCount() == 3, "S3 and GCS beside it in the tree"
    finally:
        demo.stop()


@pytest.mark.server  # the demo's own S3 server
def test_the_demo_says_so_when_the_location_is_of_a_cloud_it_does_not_run(
    qtbot: QtBot, window: MainWindow, service: StorageService
) -> None:
    demo = DemoServer(big_folder_count=1)  # S3 only: no local GCS
    start_demo(window, service, "gs://photos/2024/", demo)
    try:
        qtbot.waitUntil(lambda: window.messages.last is not None, timeout=60_000)
        last = window.messages.last
        assert last is not None and "no gs:// storage running" in last.message
        assert "“gs://photos/2024/” was not opened" in last.message
        current = window.history.current
        assert current is not None and current.is_connection_root, "the local S3 is shown"
    finally:
        demo.stop()


# ── Properties ──────────────────────────────────────────────────────────────────────────


def test_gcs_properties_offer_gcs_classes_and_say_what_gcs_does(
    qtbot: QtBot, service: StorageService, gcs_server: GcsServer, tmp_path: Path
) -> None:
    """The dialog spoke S3 to a GCS user: one storage class (or, without an endpoint,
    Amazon's), x-amz-meta- headers, "S3 cannot edit these in place", and to choose a
    provider preset for tags, which a native GCS connection does not have."""
    window = open_window(qtbot, service, gcs_server, tmp_path)  # type: ignore[arg-type]
    try:
        bucket = gcs_server.bucket()
        gcs_server.put(bucket, {"docs/report.txt": b"quarterly"})
        open_folder(qtbot, window, bucket, "docs/")
        select(window, "report.txt")
        dialog = window.inspect.show_properties()
        assert dialog is not None
        wait_properties(qtbot, dialog)
        combo = dialog.storage_class
        classes = [combo.itemText(i) for i in range(combo.count())]
        assert classes == ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"]
        assert combo.isEnabled() and combo.currentText() == "STANDARD"
        labels = [w.text() for w in dialog.findChildren(QLabel)]
        assert any("x-goog-meta-" in t for t in labels)
        assert not any("x-amz-meta-" in t for t in labels)
        assert "in place" in dialog.copy_note.text() and "S3" not in dialog.copy_note.text()
        assert "no object tags" in dialog.tags_note.text()
        assert "provider" not in dialog.tags_note.text()
        # An object's version is its generation, and it is encrypted at rest (Google's key):
        # the dialog said "Version ID" and "Encryption: None reported".
        assert "Generation:" in labels and "Version ID:" not in labels
        assert "AES-256, Google-managed key" in labels and "None reported" not in labels

        # (fake-gcs-server's rewrite ignores a new storageClass: the save is not followed.)
        combo.setCurrentText("NEARLINE")
        assert dialog.save_button.isEnabled()
        combo.setCurrentText("STANDARD")

        # GCS takes metadata in JSON: a value in any language, which S3's headers refuse.
        dialog.metadata.add_row("author", "Zoë Ångström")
        assert not dialog.problems.isVisible(), dialog.problems.text()
        assert dialog.save_button.isEnabled()
        dialog.save_button.click()
        qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)
        stored = gcs_server.backend().object_details(bucket, "docs/report.txt")  # type: ignore[attr-defined]
        assert stored.metadata == {"author": "Zoë Ångström"}
        dialog.close()
        # Versions… names the ids as GCS does too (the save refreshed the list).
        wait_loaded(qtbot, window)
        select(window, "report.txt")
        versions = window.versions.show_versions()
        assert versions is not None
        assert versions.tree.headerItem().text(4) == "Generation"
        versions.close()
    finally:
        window.transfers.shutdown()


def test_a_gcs_share_link_works_and_its_cap_names_no_s3_signature(
    qtbot: QtBot, window: MainWindow, gcs_server: GcsServer
) -> None:
    """The link is fetched with urllib; the note for a custom expiry past 7 days said
    “signed with SigV4”, S3's signature, on a Google link."""
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"share/report #1.txt": b"shared bytes"})
    # The test server's connection sends unsigned requests and signs links with its key.
    connection = window.service.add_connection(gcs_server.settings(), gcs_server.credentials)
    dialog = ShareDialog(
        window.service, window.messages, connection, bucket, ["share/report #1.txt"], window
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)
    assert "X-Goog-Signature=" in dialog.urls[0]
    with urllib.request.urlopen(dialog.urls[0], timeout=10) as reply:
        assert reply.read() == b"shared bytes"
    dialog.choices.button(3).setChecked(True)  # custom
    dialog.amount.setValue(8)  # days: more than a V4 signed URL allows
    assert dialog.cap_note.isVisible()
    assert "7 days" in dialog.cap_note.text() and "SigV4" not in dialog.cap_note.text()
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=WAIT)
