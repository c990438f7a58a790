"""The window: a bad file fails alone and can be saved under another name; a cancel from
the panel is prompt while the server trickles; a server without the multipart listing says
so in "Clean up incomplete uploads"."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QTime
from pytestqt.qtbot import QtBot

from cloudbrowser.core import give_way
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.journal import State
from cloudbrowser.core.transfers import Transfer
from cloudbrowser.gui.dialogs.incomplete_uploads import IncompleteUploadsDialog
from cloudbrowser.gui.models.transfer_list import Column
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.transfer_controller import TransferFailures
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import go, open_window
from tests.hostile import Forward, Reply, Request, error_reply, lacking, trickling

WAIT = 30_000
LONG = "x" * 300 + ".txt"


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()


def test_a_name_too_long_fails_alone_and_is_saved_under_a_cleaned_name(
    qtbot: QtBot, service: StorageService, moto_server: S3Server, tmp_path: Path
) -> None:
    window = open_window(qtbot, service, moto_server, tmp_path)
    try:
        bucket = moto_server.bucket()
        moto_server.put(bucket, {"p/ok.txt": b"fine", f"p/{LONG}": b"long name"})
        out = tmp_path / "out"
        out.mkdir()
        go(qtbot, window, bucket, "p/")
        window.view.selectAll()
        window.download_selection(out)
        wait_idle(qtbot, window)

        assert (out / "ok.txt").read_bytes() == b"fine"
        error = window.messages.last
        assert isinstance(error, TransferFailures)
        assert "1 of 2 files could not be downloaded" in error.message
        assert "too long for this disk" in error.detail
        model = window.transfers.model
        [failed] = [t for t in model.transfers() if t.state is State.FAILED]

        panel = window.transfer_panel
        panel.select(failed)
        panel._update_actions()
        assert panel.save_as_action.isEnabled()
        offered: list[Path] = []

        def choose(suggested: Path) -> Path:
            offered.append(suggested)
            return suggested

        panel.choose_save_path = choose
        panel.save_as_action.trigger()
        wait_idle(qtbot, window)

        [suggested] = offered
        assert suggested.parent == out and suggested.suffix == ".txt"
        assert len(suggested.name.encode()) <= 200
        assert suggested.read_bytes() == b"long name"
        assert failed not in model.transfers(), "the failed row is replaced"
        assert all(t.state is State.DONE for t in model.transfers())
    finally:
        window.transfers.shutdown()


def running_slow_download(
    qtbot: QtBot, service: StorageService, server: S3Server, tmp_path: Path
) -> tuple[MainWindow, Transfer]:
    """A window downloading "slow.bin" from ``server`` (a hostile front), whose GET
    trickles: the transfer is running, inside a slow read. Shut the window's transfers
    down when done."""
    hostile = server.hostile
    assert hostile is not None
    bucket = server.bucket()
    data = hashlib.shake_256(b"slow").digest(200_000)
    server.put(bucket, {"slow.bin": data})

    def get_slow(r: Request) -> bool:
        return r.method == "GET" and r.key == "slow.bin"

    hostile.rule(trickling(get_slow))
    window = open_window(qtbot, service, server, tmp_path)
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    window.transfers.download(
        conn, bucket, "", [Entry("slow.bin", size=len(data))], tmp_path / "dl"
    )
    qtbot.waitUntil(
        lambda: (
            bool(hostile.requests_matching(get_slow)) and window.transfers.model.rowCount() == 1
        ),
        timeout=WAIT,
    )
    [t] = window.transfers.model.transfers()
    qtbot.waitUntil(lambda: t.state is State.RUNNING, timeout=WAIT)
    return window, t


def test_cancel_from_the_panel_is_prompt_while_the_server_trickles(
    qtbot: QtBot, service: StorageService, hostile_server: S3Server, tmp_path: Path
) -> None:
    window, t = running_slow_download(qtbot, service, hostile_server, tmp_path)
    try:
        panel = window.transfer_panel
        panel.view.selectRow(0)
        panel._update_actions()
        started = time.monotonic()
        panel.cancel_action.trigger()
        # Generous: the read timeout is 10 s; the aim is about a second.
        qtbot.waitUntil(lambda: t.state is State.CANCELLED, timeout=3_000)
        assert time.monotonic() - started < 3.0
        assert t.error is None
        wait_idle(qtbot, window)
        assert not (tmp_path / "dl" / "slow.bin").exists()
    finally:
        window.transfers.shutdown()


def test_clean_up_says_when_the_server_cannot_list_incomplete_uploads(
    qtbot: QtBot, service: StorageService, hostile_server: S3Server, tmp_path: Path
) -> None:
    hostile = hostile_server.hostile
    assert hostile is not None
    bucket = hostile_server.bucket()
    hostile.rule(lacking("ListMultipartUploads"))
    window = open_window(qtbot, service, hostile_server, tmp_path)
    try:
        go(qtbot, window, bucket)
        dialog = IncompleteUploadsDialog(
            window.service,
            window.messages,
            window.service.connection(window.history.current.connection),
            bucket,
            set(),
        )
        qtbot.addWidget(dialog)
        qtbot.waitUntil(
            lambda: "does not support listing incomplete uploads" in dialog.status.text(),
            timeout=WAIT,
        )
        assert dialog.tree.topLevelItemCount() == 0
    finally:
        window.transfers.shutdown()


def test_a_key_that_is_no_file_name_is_a_failed_row_saved_under_a_clean_name(
    qtbot: QtBot, service: StorageService, server: S3Server, tmp_path: Path
) -> None:
    window = open_window(qtbot, service, server, tmp_path)
    try:
        bucket = server.bucket()
        server.put(bucket, {"p/ok-file-name.txt": b"fine", "p/bad\\name.txt": b"unsafe"})
        out = tmp_path / "out"
        go(qtbot, window, bucket, "p/")
        window.view.selectAll()
        window.download_selection(out)
        wait_idle(qtbot, window)

        assert (out / "ok-file-name.txt").read_bytes() == b"fine"
        error = window.messages.last
        assert isinstance(error, TransferFailures), "named in the batch's report, once"
        assert "bad\\name.txt" in error.detail and "cannot be saved safely" in error.detail
        model = window.transfers.model
        [failed] = [t for t in model.transfers() if t.state is State.FAILED]
        assert failed.key == "p/bad\\name.txt"

        panel = window.transfer_panel
        panel.select(failed)
        panel._update_actions()
        offered: list[Path] = []

        def choose(suggested: Path) -> Path:
            offered.append(suggested)
            return suggested

        panel.choose_save_path = choose
        panel.save_as_action.trigger()
        wait_idle(qtbot, window)
        assert offered == [out / "bad_name.txt"]
        assert (out / "bad_name.txt").read_bytes() == b"unsafe"
        assert sorted(p.name for p in out.iterdir()) == ["bad_name.txt", "ok-file-name.txt"]
    finally:
        window.transfers.shutdown()


def test_a_busy_server_makes_a_download_wait_and_say_so_then_retry_goes_now(
    qtbot: QtBot, service: StorageService, hostile_server: S3Server, tmp_path: Path
) -> None:
    """The row of a file waiting to be tried again by itself says why and for how long;
    Retry in the panel tries it now; it completes, and the batch ends without a failure."""
    hostile = hostile_server.hostile
    assert hostile is not None
    bucket = hostile_server.bucket()
    data = hashlib.shake_256(b"busy").digest(5_000)
    hostile_server.put(bucket, {"busy.bin": data})

    def get_busy(r: Request) -> bool:
        return r.method == "GET" and r.key == "busy.bin"

    busy = [True]

    @hostile.rule
    def slow_down(request: Request, _forward: Forward) -> Reply | None:
        return error_reply(503, "SlowDown") if busy[0] and get_busy(request) else None

    window = open_window(qtbot, service, hostile_server, tmp_path)
    try:
        # A wait no test sits through: Retry must not wait for it.
        queue = window.transfers.queue
        queue.set_options(replace(queue.options, retry_waits=(600.0,)))
        go(qtbot, window, bucket)
        conn = window.history.current.connection
        window.transfers.download(
            conn, bucket, "", [Entry("busy.bin", size=len(data))], tmp_path / "dl"
        )
        qtbot.waitUntil(lambda: window.transfers.model.rowCount() == 1, timeout=WAIT)
        [t] = window.transfers.model.transfers()
        qtbot.waitUntil(lambda: bool(t.retry_at), timeout=WAIT)
        window.transfers.poll()
        model = window.transfers.model
        state = str(model.index_of(t).siblingAtColumn(Column.STATE).data())
        # When (a time of day, with seconds, as the locale writes it), and the reason.
        due = QTime.currentTime().addMSecs(round((t.retry_at - time.monotonic()) * 1000))
        shown = re.fullmatch(
            r"Trying again at (\d\d:\d\d:\d\d): The server is busy and asked to slow down\.",
            state,
        )
        assert shown is not None, state
        assert abs(QTime.fromString(shown[1], "HH:mm:ss").secsTo(due)) <= 1, (state, due)
        assert not isinstance(window.messages.last, TransferFailures), "no failure yet"

        busy[0] = False
        panel = window.transfer_panel
        panel.view.selectRow(0)
        panel._update_actions()
        assert panel.retry_action.isEnabled()
        panel.retry_action.trigger()
        wait_idle(qtbot, window)
        assert t.state is State.DONE and t.verified
        assert (tmp_path / "dl" / "busy.bin").read_bytes() == data
        assert "all verified" in window.statusBar().currentMessage()
        assert not isinstance(window.messages.last, TransferFailures)
    finally:
        window.transfers.shutdown()


def test_the_poll_holds_the_engine_until_the_window_is_about_to_sleep(
    qtbot: QtBot,
    service: StorageService,
    hostile_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While files run, each poll holds the engine's threads for its own work and the
    repaint (core/give_way.py), and lets them go as the event loop goes to sleep, long
    before the hold's limit."""
    window, t = running_slow_download(qtbot, service, hostile_server, tmp_path)
    try:
        monkeypatch.setattr(give_way, "WINDOW_HOLD", 60.0)  # only the release can end it
        window.transfers.poll()
        assert give_way.held()
        qtbot.waitUntil(lambda: not give_way.held(), timeout=5_000)
        window.transfers.queue.cancel([t.id])
        wait_idle(qtbot, window)
        window.transfers.poll()
        assert not give_way.held(), "nothing runs: nothing is held"
    finally:
        give_way.reset()
        window.transfers.shutdown()
