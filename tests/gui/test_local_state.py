"""The window starts on damaged local files and says so, once, through its message sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from cloudbrowser.core import journal as journal_module
from cloudbrowser.core.journal import Journal, JournalBusy
from cloudbrowser.core.local_state import DAMAGED_SUFFIX
from cloudbrowser.core.profiles import Profile
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.gui.conftest import ServiceFactory


def boxes(window: MainWindow) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_the_window_starts_on_a_garbage_journal_and_damaged_connections(
    qtbot: QtBot, make_service: ServiceFactory
) -> None:
    config = Path(os.environ["CLOUDBROWSER_CONFIG_DIR"])
    data = Path(os.environ["CLOUDBROWSER_DATA_DIR"])
    journal = data / "transfers.sqlite3"
    journal.write_bytes(b"\x00not a journal at all" * 100)
    good = Profile("kept", endpoint_url="http://127.0.0.1:9", access_key_id="an-access-key-id")
    connections = json.dumps({"connections": [good.to_json(), None]}).encode()
    (config / "connections.json").write_bytes(connections)

    window = MainWindow(make_service())
    qtbot.addWidget(window)
    window.messages.report_damaged_files()  # as app.run_gui does
    window.show()
    # The journal opens after the first paint (app.run_gui restores the transfers then).
    window.transfers.restore()
    qtbot.waitUntil(lambda: any(str(journal) in text for text in boxes(window)))

    dialog = window.show_connections()  # reads the connections on the GUI thread
    assert [p.name for p in dialog.store.load()] == ["kept"]
    qtbot.waitUntil(lambda: any("connections.json" in text for text in boxes(window)))
    assert len(boxes(window)) == 2, "each damaged file is reported once"
    [journal_aside] = data.glob(f"transfers.sqlite3{DAMAGED_SUFFIX}*")
    [connections_aside] = config.glob(f"connections.json{DAMAGED_SUFFIX}*")
    assert connections_aside.read_bytes() == connections
    assert journal_aside.read_bytes() == b"\x00not a journal at all" * 100
    assert window.messages.last is not None
    assert str(connections_aside) in window.messages.last.hint
    dialog.reject()
    window.transfers.shutdown()


_HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("DELETE FROM parts")
print("locked", flush=True)
sys.stdin.read()
"""


def test_the_window_starts_while_another_process_holds_the_journal(
    qtbot: QtBot, make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "BUSY_TIMEOUT", 0.3)
    path = Path(os.environ["CLOUDBROWSER_DATA_DIR"]) / "transfers.sqlite3"
    Journal(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        window = MainWindow(make_service())
        qtbot.addWidget(window)
        window.show()
        assert window.transfers.restore() == []
        assert isinstance(window.messages.last, JournalBusy)
        assert str(path) in window.messages.last.message
        window.transfers.shutdown()
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()
