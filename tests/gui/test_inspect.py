"""Properties, Preview, Share and Copy address, driven through the window's keys and menus.

moto runs with the "aws" provider (it emulates Amazon S3, tags included); rclone runs as
"Other S3-compatible", where tags are off (rclone serve s3 has none: see
tests/contract/test_object_properties.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.storage.blob import generate_container_sas
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMenu, QStatusBar, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.s3.features import LIMITS
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import ObjectChanged
from cloudbrowser.core.inspection import TEXT_PREVIEW_BYTES
from cloudbrowser.gui.dialogs.preview import PreviewDialog
from cloudbrowser.gui.dialogs.properties import PropertiesDialog
from cloudbrowser.gui.dialogs.share import ShareDialog
from cloudbrowser.gui.messages import MessageSink
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.azure_entra_stub import CONTAINER, Account, serving, stand_in_signed, when
from tests.conftest import AzuriteServer, S3Server
from tests.contract.test_tls import self_signed
from tests.gui.test_browsing import row_of, wait_loaded
from tests.local_servers import AZURITE_ACCOUNT, AZURITE_KEY

WAIT = 20_000


@pytest.fixture
def open_window(
    qtbot: QtBot, service: StorageService
) -> Iterator[Callable[[S3Server], MainWindow]]:
    """``open_window(server)``: a window connected to ``server``, shown and listed."""
    made: list[MainWindow] = []

    def make(server: S3Server) -> MainWindow:
        provider = "aws" if server.kind == "moto" else ""
        conn = service.add_connection(server.settings(provider=provider), server.credentials)
        win = MainWindow(service)
        qtbot.addWidget(win)
        win.add_connection(conn.id)
        win.show()
        win.activateWindow()
        wait_loaded(qtbot, win)
        made.append(win)
        return win

    yield make
    for win in made:
        for dialog in list(win.inspect.dialogs):
            QDialog.done(dialog, 0)  # not reject(): no "unsaved changes" question
        win.transfers.shutdown()


@pytest.fixture
def window(open_window: Callable[[S3Server], MainWindow], server: S3Server) -> MainWindow:
    return open_window(server)


def open_folder(qtbot: QtBot, window: MainWindow, bucket: str, prefix: str = "") -> None:
    window.navigate(Location(window.history.current.connection, bucket, prefix))
    wait_loaded(qtbot, window)


def select(window: MainWindow, *names: str) -> None:
    """Select rows as a click and Ctrl+clicks do (the first one current)."""
    window.view.setFocus()
    selection = window.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag
    selection.setCurrentIndex(row_of(window, names[0]), flags.NoUpdate)
    selection.clearSelection()
    for name in names:
        selection.select(row_of(window, name), flags.Select | flags.Rows)


def dialogs(window: MainWindow, kind: type[Any]) -> list[Any]:
    return [d for d in window.inspect.dialogs if isinstance(d, kind)]


def context_action(window: MainWindow, text: str) -> QAction:
    """Open the list's context menu as a right-click does and find an entry in it."""
    window._list_context_menu(QPoint(5, 5))
    menu = [m for m in window.findChildren(QMenu) if m.isVisible()][-1]
    found = [a for a in menu.actions() if a.text() == text]
    menu.close()
    assert found, f"{text!r} not in {[a.text() for a in menu.actions()]}"
    return found[0]


def wait_properties(qtbot: QtBot, dialog: PropertiesDialog) -> None:
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is not dialog.loading, timeout=WAIT)
    assert dialog.stack.currentWidget() is dialog.tabs, dialog.error_label.text()
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.tabs, timeout=WAIT)


def test_alt_return_opens_properties_and_edits_round_trip(
    qtbot: QtBot, open_window: Callable[[S3Server], MainWindow], moto_server: S3Server
) -> None:
    """moto only: the edit includes tags, which rclone lacks (see the module docstring)."""
    server = moto_server
    window = open_window(server)
    bucket = server.bucket()
    server.client.put_object(
        Bucket=bucket,
        Key="reports/summary.json",
        Body=b'{"a": 1}',
        ContentType="text/plain",
        CacheControl="max-age=60",
        Metadata={"owner": "ann"},
    )
    open_folder(qtbot, window, bucket, "reports/")
    select(window, "summary.json")
    QTest.keyClick(window.view, Qt.Key.Key_Return, Qt.KeyboardModifier.AltModifier)
    [dialog] = dialogs(window, PropertiesDialog)
    assert dialog.stack.currentWidget() is dialog.loading  # read on a worker
    wait_properties(qtbot, dialog)
    assert dialog.content_type.currentText() == "text/plain"
    assert dialog.metadata.pairs() == (("owner", "ann"),)
    assert dialog.tags.isEnabled() and dialog.tags.pairs() == ()
    assert "STANDARD_IA" in [dialog.storage_class.itemText(i) for i in range(4)]
    assert not dialog.save_button.isEnabled()  # nothing changed yet

    dialog.guess_content_type()  # "From name": .json
    assert dialog.content_type.currentText() == "application/json"
    dialog.metadata.add_row("reviewed", "yes")
    dialog.tags.add_row("team", "finance")
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)

    head = server.client.head_object(Bucket=bucket, Key="reports/summary.json")
    assert head["ContentType"] == "application/json"
    assert head["CacheControl"] == "max-age=60"  # left alone, so kept
    assert head["Metadata"] == {"owner": "ann", "reviewed": "yes"}
    tags = server.client.get_object_tagging(Bucket=bucket, Key="reports/summary.json")
    assert tags["TagSet"] == [{"Key": "team", "Value": "finance"}]
    body = server.client.get_object(Bucket=bucket, Key="reports/summary.json")["Body"].read()
    assert body == b'{"a": 1}'
    # The dialog now shows the saved state, with nothing left to save.
    assert dialog.loaded is not None and dialog.loaded.details.content_type == "application/json"
    assert not dialog.save_button.isEnabled()


def test_properties_without_tagging_say_so_and_still_save_metadata(
    qtbot: QtBot, open_window: Callable[[S3Server], MainWindow], rclone_server: S3Server
) -> None:
    """rclone, whose connection names no provider: tags are off, metadata edits work."""
    server = rclone_server
    window = open_window(server)
    bucket = server.bucket()
    server.put(bucket, {"site/index-page.html": b"<p>hi</p>"}, content_type="text/html")
    open_folder(qtbot, window, bucket, "site/")
    select(window, "index-page.html")
    context_action(window, "Properties…").trigger()
    [dialog] = dialogs(window, PropertiesDialog)
    wait_properties(qtbot, dialog)
    assert not dialog.tags.isEnabled()
    assert "not known to support" in dialog.tags_note.text()
    dialog.cache_control.setText("public, max-age=600")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)
    head = server.client.head_object(Bucket=bucket, Key="site/index-page.html")
    assert (head["CacheControl"], head["ContentType"]) == ("public, max-age=600", "text/html")
    assert server.client.get_object(Bucket=bucket, Key="site/index-page.html")["Body"].read() == (
        b"<p>hi</p>"
    )


def test_a_failed_save_is_reported_and_the_dialog_stays_open(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"notes/meeting-notes.txt": b"v1"}, content_type="text/plain")
    open_folder(qtbot, window, bucket, "notes/")
    select(window, "meeting-notes.txt")
    dialog = window.inspect.show_properties()
    assert dialog is not None
    wait_properties(qtbot, dialog)
    server.put(bucket, {"notes/meeting-notes.txt": b"v2 from someone else"})
    dialog.content_type.setCurrentText("text/markdown")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: isinstance(window.messages.last, ObjectChanged), timeout=WAIT)
    assert dialog.isVisible()
    assert dialog.content_type.currentText() == "text/markdown"  # the edit is kept
    assert dialog.save_button.isEnabled()
    body = server.client.get_object(Bucket=bucket, Key="notes/meeting-notes.txt")["Body"].read()
    assert body == b"v2 from someone else"


def test_properties_of_a_folder_name_it_and_fetch_nothing(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["photos/2024/one-photo.jpg"])
    open_folder(qtbot, window, bucket)
    select(window, "photos")
    dialog = window.inspect.show_properties()
    assert dialog is not None
    assert window.service.runner.active == 0
    texts = [w.text() for w in dialog.findChildren(type(dialog.problems))]
    assert f"s3://{bucket}/photos/" in texts
    assert not dialog.save_button.isVisible()


def test_space_previews_text_and_closes_again(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"docs/readme-file.txt": b"Hello from the preview\n"})
    open_folder(qtbot, window, bucket, "docs/")
    select(window, "readme-file.txt")
    QTest.keyClick(window.view, Qt.Key.Key_Space)
    [dialog] = dialogs(window, PreviewDialog)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.text, timeout=WAIT)
    assert dialog.text.toPlainText() == "Hello from the preview\n"
    QTest.keyClick(dialog.text, Qt.Key.Key_Space)
    assert not dialog.isVisible()


def test_a_large_text_previews_only_its_cap(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    line = b"0123456789abcdef" * 4 + b"\n"
    big = line * (2 * 1024 * 1024 // len(line))
    server.put(bucket, {"logs/big-service.log": big})
    open_folder(qtbot, window, bucket, "logs/")
    select(window, "big-service.log")
    dialog = window.inspect.preview()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=WAIT)
    assert dialog.preview is not None
    assert dialog.preview.read == TEXT_PREVIEW_BYTES
    assert dialog.text.toPlainText() == big[:TEXT_PREVIEW_BYTES].decode()
    assert dialog.info.text().startswith("Showing the first 256")
    assert " of 2" in dialog.info.text()


def test_previews_of_json_csv_images_and_binaries(
    qtbot: QtBot, open_window: Callable[[S3Server], MainWindow], moto_server: S3Server
) -> None:
    """One server: the kinds are decided client-side (reads are tested on both)."""
    server = moto_server
    window = open_window(server)
    from cloudbrowser.demo import _PNG

    bucket = server.bucket()
    server.put(
        bucket,
        {
            "mixed/data-report.json": json.dumps({"b": [1, 2]}).encode(),
            "mixed/table-sales.csv": b"id,name\n1,Alice\n2,Bob\n",
            "mixed/picture-logo.png": _PNG,
            "mixed/archive-blob.bin": b"\x00\x01binary" * 100,
        },
    )
    open_folder(qtbot, window, bucket, "mixed/")

    def preview(name: str) -> PreviewDialog:
        select(window, name)
        dialog = window.inspect.preview()
        assert dialog is not None
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=WAIT)
        return dialog

    dialog = preview("data-report.json")
    assert dialog.text.toPlainText() == '{\n  "b": [\n    1,\n    2\n  ]\n}'
    dialog.close()
    dialog = preview("table-sales.csv")
    assert dialog.stack.currentWidget() is dialog.table
    assert dialog.table.horizontalHeaderItem(1).text() == "name"
    assert dialog.table.item(1, 1).text() == "Bob"
    dialog.close()
    dialog = preview("picture-logo.png")
    assert dialog.stack.currentWidget() is dialog.image
    assert dialog.info.text().startswith("48 × 48 pixels")
    dialog.close()

    downloads: list[Any] = []
    window.transfers.download = lambda *args, **kw: downloads.append(args)  # type: ignore[method-assign]
    dialog = preview("archive-blob.bin")
    assert dialog.stack.currentWidget() is dialog.summary_page
    assert "no preview" in dialog.info.text()
    dialog.download_button.click()
    assert downloads and downloads[0][2] == "mixed/"
    assert [e.key for e in downloads[0][3]] == ["mixed/archive-blob.bin"]
    assert not dialog.isVisible()


def test_copy_uri_says_the_connections_own_scheme(
    qtbot: QtBot,
    open_window: Callable[[S3Server], MainWindow],
    azurite_server: AzuriteServer,
) -> None:
    """An Azure connection copies az:// addresses: the menus and the status bar say so,
    where they said "Copy s3:// URI" and "Copied s3:// URI: az://…"."""
    window = open_window(azurite_server)  # type: ignore[arg-type]
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["share/a.txt"])
    open_folder(qtbot, window, bucket, "share/")
    select(window, "a.txt")
    context_action(window, "Copy az:// URI").trigger()
    assert QApplication.clipboard().text() == f"az://{bucket}/share/a.txt"
    assert window.statusBar().currentMessage() == f"Copied az:// URI: az://{bucket}/share/a.txt"
    window.inspect.copy_uri_action.setText("")
    window.edit_menu.aboutToShow.emit()
    assert window.inspect.copy_uri_action.text() == "Copy az:// URI"


def test_properties_of_a_blob_speak_of_its_access_tier(
    qtbot: QtBot,
    open_window: Callable[[S3Server], MainWindow],
    azurite_server: AzuriteServer,
) -> None:
    """Azure calls a storage class an access tier (features.storage_class_word), as the
    menus and the CLI already said; its encryption is no SSE-S3."""
    window = open_window(azurite_server)  # type: ignore[arg-type]
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["a.txt"])
    open_folder(qtbot, window, bucket)
    select(window, "a.txt")
    dialog = window.inspect.show_properties()
    assert dialog is not None
    wait_properties(qtbot, dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert labels.count("Access tier:") == 2, "on the General and the Metadata tab"
    assert "Storage class:" not in labels
    assert not [text for text in labels if "SSE-S3" in text]


def open_with_sas(
    qtbot: QtBot,
    window: MainWindow,
    server: AzuriteServer,
    service: StorageService,
    bucket: str,
    permission: str,
    expiry: datetime,
    name: str,
) -> None:
    """Connect with a SAS of ``bucket`` granting ``permission``, and select a.txt."""
    token = generate_container_sas(
        AZURITE_ACCOUNT, bucket, account_key=AZURITE_KEY, permission=permission, expiry=expiry
    )
    settings = server.settings(auth="sas", default_bucket=bucket, name=name)
    shared = service.add_connection(settings, Credentials("sas", token))
    window.add_connection(shared.id)
    window.navigate(Location(shared.id, bucket, ""))
    wait_loaded(qtbot, window)
    select(window, "a.txt")


def test_share_link_of_a_sas_connection_carries_a_read_only_sas_or_says_why_not(
    qtbot: QtBot,
    open_window: Callable[[S3Server], MainWindow],
    azurite_server: AzuriteServer,
    service: StorageService,
) -> None:
    """A SAS cannot sign another link. A connection whose SAS only reads shares links that
    carry it, ending when it does (no lifetime to choose); one whose SAS cannot even read
    says why it has none (it said that the provider, Azure, has no links)."""
    from PySide6.QtWidgets import QRadioButton

    window = open_window(azurite_server)  # type: ignore[arg-type]
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"a.txt": b"shared bytes"})
    expiry = datetime.now(UTC) + timedelta(hours=3)

    def open_with(permission: str, name: str) -> None:
        open_with_sas(qtbot, window, azurite_server, service, bucket, permission, expiry, name)

    open_with("rl", "Read only")
    dialog = window.inspect.share()
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)
    [url] = dialog.urls
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"shared bytes"
    carried = dialog.findChild(QLabel, "linksEnd")
    assert carried is not None and "grants only reading" in carried.text()
    assert "not only this object" in carried.text()  # whoever has it reads all it covers
    assert not any(b.isEnabled() for b in dialog.findChildren(QRadioButton))
    assert abs(dialog.expires_at - expiry.timestamp()) < 2
    dialog.reject()

    open_with("wl", "Write only")
    assert window.inspect.share() is None and window.inspect.grant_warning is None
    message = window.statusBar().currentMessage()
    assert message.startswith("This connection's SAS does not grant reading"), message


def test_sharing_a_broader_sas_asks_first_naming_all_it_grants(
    qtbot: QtBot,
    open_window: Callable[[S3Server], MainWindow],
    azurite_server: AzuriteServer,
    service: StorageService,
) -> None:
    """A container SAS granting sp=racwdl cannot sign a read-only link, and a link that
    carries it hands all of it out. Share (Ctrl+Shift+C) says so first: the permissions
    in words, the whole container, the SAS's own end in the user's format, that no
    lifetime shortens it; Cancel is the default and makes nothing. Agreeing makes links
    that work, in a Share dialog offering no lifetime, showing the SAS's end."""
    from PySide6.QtWidgets import QMessageBox

    from cloudbrowser.gui.dates import format_time

    window = open_window(azurite_server)  # type: ignore[arg-type]
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"a.txt": b"shared bytes"})
    expiry = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    open_with_sas(
        qtbot, window, azurite_server, service, bucket, "racwdl", expiry, "Read and write"
    )
    QApplication.clipboard().setText("nothing shared")

    def warning() -> QMessageBox:
        window.view.setFocus()
        QTest.keyClick(
            window.view,
            Qt.Key.Key_C,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        box = window.inspect.grant_warning
        assert box is not None and box.isVisible()
        return box

    box = warning()
    text = box.text()
    assert box.windowTitle() == "Share this connection's SAS?"
    assert "• May: read, add, create, write, delete and list (sp=racwdl sr=c)" in text, text
    assert f"• On: the whole container “{bucket}”: every blob in it" in text, text
    assert f"until {format_time(expiry.timestamp())}, when the SAS expires" in text, text
    assert "The lifetime chosen for the link cannot shorten this" in text
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    QTest.keyClick(box, Qt.Key.Key_Return)  # the default: Cancel
    qtbot.waitUntil(lambda: window.inspect.grant_warning is None, timeout=WAIT)
    assert window.inspect.dialogs == []
    assert QApplication.clipboard().text() == "nothing shared"

    box = warning()
    [share] = [b for b in box.buttons() if b.text() == "Share the SAS"]
    share.click()
    qtbot.waitUntil(lambda: bool(window.inspect.dialogs), timeout=WAIT)
    [dialog] = window.inspect.dialogs
    assert isinstance(dialog, ShareDialog)
    qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)
    [url] = dialog.urls
    assert QApplication.clipboard().text() == url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"shared bytes"
    # No lifetime pretends to apply: the SAS's own end is shown.
    assert not dialog.lifetime.isVisibleTo(dialog)
    carried = dialog.findChild(QLabel, "linksEnd")
    assert carried is not None
    assert "may read, add, create, write, delete and list" in carried.text(), carried.text()
    assert format_time(expiry.timestamp()) in carried.text()
    assert dialog.expires_at == expiry.timestamp()
    assert f"It expires {format_time(expiry.timestamp())}." in dialog.status.text()
    dialog.reject()


def test_copy_s3_uri_and_url_from_the_context_menu(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["share/first file.txt", "share/second-file.txt"])
    open_folder(qtbot, window, bucket, "share/")
    select(window, "first file.txt")
    context_action(window, "Copy s3:// URI").trigger()
    assert QApplication.clipboard().text() == f"s3://{bucket}/share/first file.txt"
    assert "Copied s3:// URI" in window.statusBar().currentMessage()

    select(window, "first file.txt", "second-file.txt")
    context_action(window, "Copy URL").trigger()
    assert QApplication.clipboard().text().splitlines() == [
        f"{server.endpoint_url}/{bucket}/share/first%20file.txt",
        f"{server.endpoint_url}/{bucket}/share/second-file.txt",
    ]
    QTest.keyClick(
        window.view,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert len(QApplication.clipboard().text().splitlines()) == 2
    assert QApplication.clipboard().text().startswith("s3://")


def test_an_entra_weeks_link_shows_the_end_its_sas_names(
    qtbot: QtBot, service: StorageService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stub, because Azurite lacks Entra ID. Under Entra ID a 7-day link is a user
    delegation SAS that ends with its key, 15 minutes short of a week (the key starts 15
    minutes back, for clock skew, and lasts at most 7 days). The dialog shows the end the
    URL's ``se`` names, not now + 7 days."""
    from cloudbrowser.gui.dates import format_time

    account = Account(blobs={f"{CONTAINER}/r.txt": b"shared"})
    with serving(account, *self_signed(tmp_path)) as stub:
        settings = stub.settings()
        stand_in_signed(monkeypatch, settings)
        connection = service.add_connection(settings)
        owner = QWidget()
        qtbot.addWidget(owner)
        messages = MessageSink(owner, QStatusBar(owner))
        dialog = ShareDialog(service, messages, connection, CONTAINER, ["r.txt"], owner)
        qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)  # the first: 24 hours
        asked = time.time()
        dialog.choices.button(2).setChecked(True)  # 7 days, the longest

        def ends() -> float:
            [url] = dialog.urls
            [se] = parse_qs(urlsplit(url).query)["se"]
            return when(se).timestamp()

        qtbot.waitUntil(lambda: ends() > asked + 6 * 24 * 3600, timeout=WAIT)
        assert ends() <= asked + 7 * 24 * 3600 - 14 * 60, "a week's link ends with its key"
        assert dialog.expires_at == ends()
        assert f"It expires {format_time(ends())}." in dialog.status.text()
        assert format_time(ends()) != format_time(asked + 7 * 24 * 3600)
        dialog.done(0)


def test_share_link_is_copied_works_and_custom_expiry_is_capped(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"share/report-final.txt": b"the shared bytes"})
    open_folder(qtbot, window, bucket, "share/")
    select(window, "report-final.txt")
    QTest.keyClick(
        window.view,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    [dialog] = dialogs(window, ShareDialog)
    qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)
    url = QApplication.clipboard().text()
    assert url == dialog.urls[0] == dialog.url_view.toPlainText()
    assert "X-Amz-Expires=86400" in url  # 24 hours by default
    assert "expires" in dialog.status.text()
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"the shared bytes"

    dialog.choices.button(3).setChecked(True)  # custom
    dialog.amount.setValue(8)  # 8 days: more than SigV4 allows
    qtbot.waitUntil(
        lambda: f"X-Amz-Expires={LIMITS.max_link_seconds}" in QApplication.clipboard().text(),
        timeout=WAIT,
    )
    assert dialog.cap_note.isVisible()


def test_sharing_an_archived_blob_says_the_link_gives_no_bytes_yet(
    qtbot: QtBot,
    open_window: Callable[[S3Server], MainWindow],
    azurite_server: AzuriteServer,
) -> None:
    """Azure answers a link to an Archive blob with 409: the dialog signs it (a restore may
    be under way) and says so, where the link looked fine; its cap note names no SigV4."""
    window = open_window(azurite_server)  # type: ignore[arg-type]
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"cold.txt": b"cold", "hot.txt": b"hot"})
    azurite_server.backend().set_tier(bucket, "cold.txt", "Archive")  # type: ignore[attr-defined]
    open_folder(qtbot, window, bucket)
    select(window, "cold.txt")
    dialog = window.inspect.share()
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.urls), timeout=WAIT)
    assert dialog.archived_note.isVisible()
    assert dialog.archived_note.text().startswith("“cold.txt” is archived: the link gives")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(dialog.urls[0], timeout=10)
    dialog.choices.button(3).setChecked(True)  # custom
    dialog.amount.setValue(8)  # days
    qtbot.waitUntil(dialog.cap_note.isVisible, timeout=WAIT)
    assert "SigV4" not in dialog.cap_note.text()
    QDialog.done(dialog, 0)
    select(window, "hot.txt")
    readable = window.inspect.share()
    assert readable is not None and not readable.archived_note.isVisibleTo(readable)
    QDialog.done(readable, 0)


def test_an_archived_object_is_not_read_and_its_metadata_is_locked(
    qtbot: QtBot, open_window: Callable[[S3Server], MainWindow], moto_server: S3Server
) -> None:
    """moto only: rclone has no archive tiers."""
    server = moto_server
    window = open_window(server)
    bucket = server.bucket()
    server.client.put_object(
        Bucket=bucket, Key="cold/old-backup.txt", Body=b"frozen", StorageClass="GLACIER"
    )
    open_folder(qtbot, window, bucket, "cold/")
    select(window, "old-backup.txt")
    preview = window.inspect.preview()
    assert preview is not None
    qtbot.waitUntil(lambda: preview.preview is not None, timeout=WAIT)
    assert preview.stack.currentWidget() is preview.summary_page
    assert "archived" in preview.info.text()
    assert preview.download_button.isHidden()
    preview.close()

    dialog = window.inspect.show_properties()
    assert dialog is not None
    wait_properties(qtbot, dialog)
    assert not dialog.content_type.isEnabled()
    assert "restore it" in dialog.copy_note.text()
    # moto refuses GetObjectTagging on an archived object: the rest is still shown.
    assert dialog.tags_note.text().startswith("The tags could not be read")


def test_copy_uri_at_the_bucket_list_names_buckets(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket("listed")
    window.refresh()
    wait_loaded(qtbot, window)
    select(window, bucket)
    assert [a.text() for a in [context_action(window, "Copy s3:// URI")]]
    window.inspect.copy_uris()
    assert QApplication.clipboard().text() == f"s3://{bucket}/"
    assert window.inspect.show_properties() is None  # no bucket properties here


def test_closing_a_preview_cancels_its_read(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"docs/slow-to-read.txt": b"text " * 1000})
    open_folder(qtbot, window, bucket, "docs/")
    select(window, "slow-to-read.txt")
    dialog = window.inspect.preview()
    assert dialog is not None and dialog.job is not None
    job = dialog.job
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Escape)
    assert job.cancelled
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=WAIT)
