"""The window of an older cloudbrowser, started on a newer one's journal: it says so, leaves
that journal as it is, and journals its own transfers apart (for this window only)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.core.journal import Direction, Journal, JournalRecord, JournalTooNew, State
from cloudbrowser.core.local_state import DAMAGED_SUFFIX
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


def test_the_window_leaves_a_newer_journal_alone_and_says_so(
    qtbot: QtBot, make_service: ServiceFactory, tmp_path: Path
) -> None:
    path = Path(os.environ["CLOUDBROWSER_DATA_DIR"]) / "transfers.sqlite3"
    journal = Journal(path)
    record = JournalRecord(
        0, Direction.UPLOAD, "c", "b", "k", tmp_path / "k", 1, 0.0, "", 0, "", State.PAUSED, "", ""
    )
    journal.add([record])
    journal.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")  # as a later cloudbrowser might write it
    db.close()
    before = path.read_bytes()

    window = MainWindow(make_service())
    qtbot.addWidget(window)
    window.show()
    assert window.transfers.restore() == [], "the newer version's transfers are its own"
    refused = window.messages.last
    assert isinstance(refused, JournalTooNew)
    assert str(path) in refused.message and "cannot be resumed once it closes" in refused.hint
    qtbot.waitUntil(
        lambda: any(
            str(path) in box.text() for box in window.findChildren(QMessageBox) if box.isVisible()
        )
    )
    scratch = window.transfers.queue.journal.path
    assert scratch != path and scratch.exists(), "this window journals elsewhere"

    assert window.transfers.shutdown()
    assert not scratch.exists(), "and leaves nothing behind"
    assert path.read_bytes() == before, "the newer journal is not written"
    assert list(path.parent.glob(f"{path.name}{DAMAGED_SUFFIX}*")) == [], "nor moved aside"
