"""Versioning… of a bucket: offered on a bucket's row (tree and bucket list), it reads the
state, asks with what the change does, switches, and says the new state; a server that
keeps no versions, and Azure (an account's setting), say why not."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import NotSupported, NoVersioning
from cloudbrowser.core.storage import versions_of
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import AzuriteServer, S3Server
from tests.gui.conftest import open_window

WAIT = 20_000


@pytest.fixture
def window_server(moto_server: S3Server) -> S3Server:
    """moto keeps versions (rclone serve s3, which keeps none, has a test of its own)."""
    return moto_server


def answer(window: MainWindow, yes: bool) -> list[tuple[str, str, str]]:
    """Answer the question box with ``yes``; the questions asked."""
    asked: list[tuple[str, str, str]] = []

    def confirm(title: str, text: str, button: str) -> bool:
        asked.append((title, text, button))
        return yes

    window.bucket_versioning.confirm = confirm
    return asked


def settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=WAIT)


def test_turning_versioning_on_then_off(
    qtbot: QtBot, window: MainWindow, window_server: S3Server
) -> None:
    bucket = window_server.bucket()
    conn = window.history.current.connection
    storage = window.service.storage(conn)
    asked = answer(window, True)

    window.bucket_versioning.show(Location(conn, bucket))
    settle(qtbot, window)
    [(title, text, button)] = asked
    assert title == f"Versioning of “{bucket}”"
    assert text.startswith(f"Versioning of “{bucket}” is off.")
    assert "keep the old version" in text and button == "Turn on versioning"
    assert versions_of(storage).bucket_versioning(bucket) == "Enabled"
    assert window.statusBar().currentMessage() == f"Versioning of “{bucket}” is on."

    window.bucket_versioning.show(Location(conn, bucket))
    settle(qtbot, window)
    title, text, button = asked[-1]
    assert text.startswith(f"Versioning of “{bucket}” is on")
    assert "The versions kept so far stay" in text and button == "Turn off versioning"
    assert versions_of(storage).bucket_versioning(bucket) == "Suspended"
    assert "is suspended: the versions kept stay" in window.statusBar().currentMessage()


def test_cancel_changes_nothing(qtbot: QtBot, window: MainWindow, window_server: S3Server) -> None:
    bucket = window_server.bucket()
    conn = window.history.current.connection
    asked = answer(window, False)
    window.bucket_versioning.show(Location(conn, bucket))
    settle(qtbot, window)
    assert len(asked) == 1
    assert versions_of(window.service.storage(conn)).bucket_versioning(bucket) == ""


def test_a_server_without_versions_says_so(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server, tmp_path: Path
) -> None:
    window = open_window(qtbot, service, rclone_server, tmp_path)
    try:
        bucket = rclone_server.bucket()
        asked = answer(window, True)
        window.bucket_versioning.show(Location(window.history.current.connection, bucket))
        settle(qtbot, window)
        # It answers "never turned on" when asked, and NotImplemented to the switch.
        assert [button for _title, _text, button in asked] == ["Turn on versioning"]
        error = window.messages.last
        assert isinstance(error, NoVersioning)
        assert error.message == "This server does not keep object versions."
    finally:
        window.transfers.shutdown()


def test_offered_on_a_buckets_row_in_the_tree_and_the_bucket_list(
    qtbot: QtBot, window: MainWindow, window_server: S3Server
) -> None:
    bucket = window_server.bucket()
    conn = window.history.current.connection
    feature = window.bucket_versioning
    menu = QMenu()
    assert feature._tree_section(menu, Location(conn, bucket))
    assert [a.text() for a in menu.actions()] == ["Versioning…"]
    assert not feature._tree_section(QMenu(), Location(conn, bucket, "folder/"))
    assert not feature._tree_section(QMenu(), Location(conn))
    window.navigate(Location(conn))
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=WAIT)
    model = window.list_model
    rows = [model.entry(r) for r in range(model.rowCount())]
    [row] = [e for e in rows if e.key.rstrip("/") == bucket]
    menu = QMenu()
    assert feature._context_section(menu, [row])
    asked = answer(window, False)
    menu.actions()[0].trigger()
    settle(qtbot, window)
    assert [title for title, _text, _button in asked] == [f"Versioning of “{bucket}”"]


def test_offered_in_the_file_menu_for_the_bucket_shown(
    qtbot: QtBot, window: MainWindow, window_server: S3Server
) -> None:
    bucket = window_server.bucket()
    conn = window.history.current.connection
    action = window.bucket_versioning.action
    texts = [a.text() for a in window.file_menu.actions()]
    assert texts.index("Versioning…") == texts.index("Delete bucket…") + 1, texts
    window.navigate(Location(conn))
    window.file_menu.aboutToShow.emit()
    assert not action.isEnabled(), "no bucket shown"
    window.navigate(Location(conn, bucket, "some/folder/"))
    window.file_menu.aboutToShow.emit()
    assert action.isEnabled()
    asked = answer(window, False)
    action.trigger()
    settle(qtbot, window)
    assert [title for title, _text, _button in asked] == [f"Versioning of “{bucket}”"]


def test_azure_says_where_its_versioning_is_set(
    qtbot: QtBot, window: MainWindow, azurite_server: AzuriteServer
) -> None:
    conn = window.service.add_connection(azurite_server.settings(), azurite_server.credentials)
    bucket = azurite_server.bucket()
    asked = answer(window, True)
    window.bucket_versioning.show(Location(conn.id, bucket))
    settle(qtbot, window)
    assert asked == []
    error = window.messages.last
    assert isinstance(error, NotSupported)
    assert "Azure keeps versions for a whole storage account" in error.hint
