"""The window's listing against a hostile server that never ends its listing (issue 13):
it stops, says why, and keeps what it had shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.paging import MAX_EMPTY_PAGES
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, open_window
from tests.hostile import (
    Forward,
    HostileS3,
    Reply,
    Request,
    ignore_prefix,
    listing_body,
    xml_reply,
)


@pytest.fixture
def front(hostile_server: S3Server) -> HostileS3:
    assert hostile_server.hostile is not None
    return hostile_server.hostile


@pytest.fixture
def window(qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server) -> MainWindow:
    service: StorageService = make_service(max_threads=4)
    conn = service.add_connection(hostile_server.settings(), hostile_server.credentials)
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.add_connection(conn.id)
    window.show()
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)
    return window


def _open(qtbot: QtBot, window: MainWindow, bucket: str, prefix: str) -> None:
    assert window.history.current is not None
    window.navigate(Location(window.history.current.connection, bucket, prefix))
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)


def test_a_repeated_token_stops_the_listing_with_the_reason_shown(
    qtbot: QtBot, window: MainWindow, hostile_server: S3Server, front: HostileS3
) -> None:
    bucket = hostile_server.bucket()

    @front.rule
    def same_token(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing() or request.query.get("prefix") != "d/":
            return None
        return xml_reply(listing_body(bucket, [("d/x.txt", 1)], prefix="d/", next_token="again"))

    _open(qtbot, window, bucket, "d/")
    assert window.list_model.rowCount() == 1  # the first page stays
    assert window.list_model.error is not None
    shown = window.loading_label.text()
    assert shown.startswith("Listing failed after 1 rows: ")
    assert f"The server keeps returning the same page of “{bucket}/d/”" in shown
    assert window.loading_bar.isVisible()
    assert window.retry_button.isVisible()
    assert len(front.requests_matching(lambda r: r.query.get("prefix") == "d/")) == 2


def test_endless_empty_pages_end_on_the_error_panel(
    qtbot: QtBot, window: MainWindow, hostile_server: S3Server, front: HostileS3
) -> None:
    bucket = hostile_server.bucket()

    @front.rule
    def empty_pages(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing() or request.query.get("prefix") != "e/":
            return None
        token = f"t{len(front.requests)}"
        return xml_reply(listing_body(bucket, [], prefix="e/", next_token=token))

    _open(qtbot, window, bucket, "e/")
    assert window.stack.currentWidget() is window.error_panel
    assert window.error_panel.title.text() == "Storage error"
    assert "keeps returning empty pages" in window.error_panel.message.text()
    assert window.error_panel.hint.text()
    assert len(front.requests_matching(lambda r: r.query.get("prefix") == "e/")) == (
        MAX_EMPTY_PAGES
    )


def test_a_folder_download_refuses_keys_outside_the_folder_by_name(
    qtbot: QtBot,
    make_service: ServiceFactory,
    hostile_server: S3Server,
    front: HostileS3,
    tmp_path: Path,
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"want/a.txt": b"good", "other/x": b"outside", "wantX/y": b"b"})
    window = open_window(qtbot, make_service(max_threads=4), hostile_server, tmp_path)
    try:
        front.rule(ignore_prefix)
        conn = window.history.current.connection
        target = tmp_path / "dl"
        window.transfers.download(conn, bucket, "", [Entry("want/", is_prefix=True)], target)
        qtbot.waitUntil(
            lambda: (
                window.service.runner.active == 0 and not window.transfers.queue.activity().busy
            ),
            timeout=30_000,
        )
        files = [p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()]
        assert files == ["want/a.txt"]
        assert (target / "want" / "a.txt").read_bytes() == b"good"
        refused = window.messages.last
        assert refused is not None
        assert "2 items cannot be transferred" in refused.message
        assert "other/x: the server listed it under “want/”" in refused.detail
        assert "wantX/y: the server listed it under “want/”" in refused.detail
    finally:
        window.transfers.shutdown()
