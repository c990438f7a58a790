"""The window shows a hostile key's control and bidi characters escaped, never acted on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from cloudbrowser.core.printable import has_unsafe
from cloudbrowser.gui.models.object_list import Column, EntryRole
from cloudbrowser.gui.service import StorageService
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.hostile import (
    Forward,
    Reply,
    Request,
    entity_bomb,
    error_reply,
    url_listing_body,
)

KEYS = ["title\x1b]0;owned\x07.txt", "photo\u202egpj.exe"]


def test_list_and_status_bar_show_keys_escaped(
    qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    broken = hostile_server.bucket("broken")

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.is_listing() and request.bucket == bucket:
            body = url_listing_body(bucket, [(k, 5) for k in KEYS])
            return Reply(200, {"Content-Type": "application/xml"}, body)
        if request.is_listing() and request.bucket == broken:
            return error_reply(403, "AccessDenied", "no \x9b2J for you \u202e")
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(rule)
    service: StorageService = make_service()
    window = open_window(qtbot, service, hostile_server, tmp_path)
    try:
        go(qtbot, window, bucket)
        model = window.view.model()
        rows = range(model.rowCount())
        shown = [model.index(r, Column.NAME).data() for r in rows]
        assert sorted(shown) == ["photo\\u202egpj.exe", "title\\x1b]0;owned\\x07.txt"]
        tips = [model.index(r, Column.NAME).data(0x03) for r in rows]  # ToolTipRole
        assert not any(has_unsafe(tip) for tip in tips)
        # What the row stands for is still the exact key (downloads, deletes use it).
        assert sorted(model.index(r, Column.NAME).data(EntryRole).key for r in rows) == sorted(KEYS)

        # A folder with such a name: the breadcrumbs and the window's title escape it.
        go(qtbot, window, bucket, "dir\x1b]0;owned\x07/")
        crumbs = [b.text() for b in window.path_bar.findChildren(QToolButton)]
        assert "dir\\x1b]0;owned\\x07" in crumbs
        assert not any(has_unsafe(text) for text in [*crumbs, window.windowTitle()])

        go(qtbot, window, broken)
        # The server's own message (in the details) is shown, escaped.
        panel = window.error_panel
        assert "no \\x9b2J for you \\u202e" in panel.detail.text()
        shown_texts = [window.statusBar().currentMessage(), panel.message.text()]
        assert not any(has_unsafe(text) for text in [*shown_texts, panel.detail.text()])
    finally:
        window.transfers.shutdown()


def test_an_unreadable_listing_says_so_in_the_window(
    qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()

    def bomb(request: Request, forward: Forward) -> Reply | None:
        if request.is_listing() and request.bucket == bucket:
            return Reply(200, {"Content-Type": "application/xml"}, entity_bomb())
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(bomb)
    window = open_window(qtbot, make_service(), hostile_server, tmp_path)
    try:
        go(qtbot, window, bucket)
        message = window.error_panel.message.text()
        assert "reply to ListObjectsV2" in message and "could not be read" in message
        assert "Internal Server Error" not in window.statusBar().currentMessage()
    finally:
        window.transfers.shutdown()
