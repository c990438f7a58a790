"""The window says when a download arrived but could not be verified (issue 13)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.journal import State
from cloudbrowser.gui.models.transfer_list import Column
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.hostile import opaque_etags

WAIT = 30_000


def test_a_download_without_a_checksum_shows_a_warning_and_is_named(
    qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"plain.txt": b"plain", "other.txt": b"other"})
    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(opaque_etags)
    window = open_window(qtbot, make_service(max_threads=4), hostile_server, tmp_path)
    try:
        go(qtbot, window, bucket)
        conn = window.history.current.connection
        listed = [Entry("plain.txt", size=5), Entry("other.txt", size=5)]
        window.transfers.download(conn, bucket, "", listed, tmp_path / "dl")
        queue = window.transfers.queue
        qtbot.waitUntil(
            lambda: len(queue.transfers()) == 2 and not queue.activity().busy, timeout=WAIT
        )
        window.transfers.poll()

        assert [(t.state, t.verified) for t in queue.transfers()] == [(State.DONE, False)] * 2
        assert (tmp_path / "dl" / "plain.txt").read_bytes() == b"plain"
        model = window.transfers.model
        for t in queue.transfers():  # the batch's two files, under its row
            state = model.index_of(t, Column.STATE)
            assert "NOT verified" in state.data()
            assert "no MD5 checksum" in state.data()
            icon = state.data(Qt.ItemDataRole.DecorationRole)
            assert isinstance(icon, QIcon) and not icon.isNull()
        # The batch's message names them; it is not "all verified".
        message = window.statusBar().currentMessage()
        assert "2 not verified" in message, message
        assert "plain.txt" in message and "other.txt" in message
        assert "all verified" not in message
    finally:
        window.transfers.shutdown()
