"""Issue 13's promise in the window: a folder download that meets every trap at once (see
tests/gauntlet.py) delivers the good files byte-identical and tells the user about each bad
one, with its reason and without a control character reaching a label."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.journal import State
from cloudbrowser.core.printable import printable
from tests.conftest import S3Server
from tests.gauntlet import (
    BAD,
    GOOD,
    assert_only_good_files_and_planted_ones_untouched,
    hostile_gets,
    plant,
    seed,
)
from tests.gui.conftest import ServiceFactory, go, open_window
from tests.hostile import ignore_prefix


def test_a_folder_download_through_every_trap_delivers_the_good_and_names_the_bad(
    qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = seed(hostile_server)
    window = open_window(qtbot, make_service(max_threads=4), hostile_server, tmp_path)
    try:
        front = hostile_server.hostile
        assert front is not None
        front.rule(ignore_prefix)
        front.rule(hostile_gets)
        out = tmp_path / "out"
        plant(out, tmp_path)
        go(qtbot, window, bucket)
        assert window.history.current is not None
        conn = window.history.current.connection

        window.transfers.download(conn, bucket, "", [Entry("want/", is_prefix=True)], out)
        qtbot.waitUntil(
            lambda: (
                window.service.runner.active == 0 and not window.transfers.queue.activity().busy
            ),
            timeout=30_000,
        )
        window.transfers.poll()

        assert_only_good_files_and_planted_ones_untouched(out, tmp_path)
        queue = window.transfers.queue
        done = {t.key for t in queue.transfers() if t.state is State.DONE}
        assert done == set(GOOD)
        assert all(t.verified for t in queue.transfers() if t.state is State.DONE)
        # Each bad key is named to the user with its reason: in a message box's details
        # (left out before any transfer, or the batch's failures) or as a failed panel row.
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        said = "\n".join(f"{b.text()}\n{b.detailedText()}" for b in boxes if b.isVisible())
        model = window.transfers.model
        rows = "\n".join(
            " ".join(str(model.index(r, c).data() or "") for c in range(model.columnCount()))
            for r in range(model.rowCount())
        )
        for key, reason in BAD.items():
            shown = printable(key)
            assert shown in said or shown in rows, f"{key!r} is not named"
            assert reason in said or reason in rows, (key, reason)
        assert "\x1b" not in said + rows and "\x07" not in said + rows
    finally:
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox):
                box.close()
        window.transfers.shutdown()
