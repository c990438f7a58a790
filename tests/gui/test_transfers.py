"""Transfers driven through the window, against moto and rclone: drops, the panel, conflicts."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfer_plan import ConflictPolicy, PlannedTransfer
from cloudbrowser.core.transfers import MiB, Transfer, TransferQueue, TransferRequest
from cloudbrowser.gui.dialogs.incomplete_uploads import IncompleteUploadsDialog
from cloudbrowser.gui.models.transfer_list import Column, TransferListModel
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.transfer_controller import TransferFailures
from cloudbrowser.gui.transfer_settings import TransferSettings
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, bucket_contents, go
from tests.gui.test_browsing import names, row_of, wait_loaded
from tests.gui.test_versions import select

WAIT = 30_000


def drop(viewport: QWidget, paths: list[Path], at: QPointF) -> None:
    """Deliver a drop of local files as the OS would: a drag entering, then the drop, with
    QMimeData holding file URLs (an OS-level drag cannot be simulated)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(viewport, enter)
    QApplication.sendEvent(
        viewport, QDropEvent(at, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    )


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    """Until planning jobs have ended and nothing is queued or running."""
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()


def test_dropping_files_and_a_folder_uploads_them_into_the_current_folder(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["in/existing.txt"])
    go(qtbot, window, bucket, "in/")
    album = tmp_path / "album"
    (album / "2024").mkdir(parents=True)
    (album / "a.jpg").write_bytes(b"a" * 10)
    (album / "2024" / "b.jpg").write_bytes(b"b" * 20)
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello")

    # Dropped on empty space below the rows: into the folder shown.
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), [album, note], QPointF(below))
    wait_idle(qtbot, window)
    assert bucket_contents(server, bucket) == {
        "in/existing.txt": b"in/existing.txt",
        "in/album/a.jpg": b"a" * 10,
        "in/album/2024/b.jpg": b"b" * 20,
        "in/note.txt": b"hello",
    }
    assert window.transfer_dock.isVisible()
    model = window.transfers.model
    # One drop is one batch: one row that expands into its three files.
    assert model.rowCount() == 1 and model.rowCount(model.index(0, 0)) == 3
    assert len(model.transfers()) == 3
    assert {t.state for t in model.transfers()} == {State.DONE}
    assert all(t.verified for t in model.transfers())
    assert "Uploaded 3 files" in window.statusBar().currentMessage()


def ten_files(tmp_path: Path) -> Path:
    """A folder of file-1.txt … file-10.txt, of 1 … 10 bytes (file-2 sorts before file-10)."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(1, 11):
        (folder / f"file-{i}.txt").write_bytes(b"x" * i)
    return folder


def test_a_big_drops_rows_go_in_a_turn_at_a_time_in_their_order(
    qtbot: QtBot,
    window: MainWindow,
    server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rows of a drop go into the list a few at a time, each turn of the event loop
    in an event of its own (20,000 at once held the window 130 ms); a poll in between
    neither adds the rest at once nor out of their natural order."""
    from cloudbrowser.gui import transfer_controller

    monkeypatch.setattr(transfer_controller, "ROWS_PER_TURN", 4)
    controller = window.transfers
    add_rows = controller._add_rows

    def finish_the_shown_first(transfers: list[Transfer], start: int) -> None:
        # The files shown so far end before the next rows come, and a poll sees it.
        if start:
            assert controller.queue.wait(transfers[:start], timeout=30)
            controller.poll()
        add_rows(transfers, start)

    monkeypatch.setattr(controller, "_add_rows", finish_the_shown_first)
    bucket = server.bucket()
    go(qtbot, window, bucket)
    folder = ten_files(tmp_path)
    model = window.transfers.model
    seen: list[int] = []
    model.rowsInserted.connect(lambda parent, first, last: seen.append(last - first + 1))
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), [folder], QPointF(below))
    wait_idle(qtbot, window)
    # The transfers can all end before the last turn of rows has come (a busy machine).
    qtbot.waitUntil(lambda: model.rowCount(model.index(0, 0)) == 10, timeout=WAIT)
    group = model.index(0, 0)
    assert model.rowCount() == 1 and model.rowCount(group) == 10
    names = [str(model.index(r, 0, group).data()) for r in range(10)]
    assert names == [f"file-{i}.txt" for i in range(1, 11)], "file-2 before file-10"
    assert seen == [1, 4, 2], "the group (holding its first 4 rows), then 4, then 2"
    assert {t.state for t in model.transfers()} == {State.DONE}
    # The group counts what its rows are (refreshed while the rest came in too).
    assert str(group.siblingAtColumn(Column.STATE).data()) == "Done, all verified"
    assert str(group.siblingAtColumn(Column.PROGRESS).data()) == "100 %"


def test_a_polls_changes_are_refreshed_a_turn_at_a_time_and_none_is_lost(
    qtbot: QtBot,
    window: MainWindow,
    server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The poll after a drop sees every file of it changed: their rows are refreshed a few
    per turn of the event loop (thousands at once held the window), each as its transfer is
    by then; the batch's end is said once every row says it."""
    from cloudbrowser.gui import transfer_controller

    monkeypatch.setattr(transfer_controller, "CHANGES_PER_TURN", 3)
    controller = window.transfers
    model = controller.model
    turns: list[int] = []
    refresh = model.refresh

    def counted(changed: list[Transfer]) -> None:
        turns.append(len(changed))
        refresh(changed)

    monkeypatch.setattr(model, "refresh", counted)
    said_at_the_end: list[tuple[str, str]] = []

    def ended(_batch: str, _members: list[Transfer]) -> None:
        group = model.index(0, 0)
        state = str(group.siblingAtColumn(Column.STATE).data())
        said_at_the_end.append((state, str(group.siblingAtColumn(Column.PROGRESS).data())))

    controller.batchFinished.connect(ended)
    bucket = server.bucket()
    go(qtbot, window, bucket)
    folder = ten_files(tmp_path)
    window.upload_paths([folder], window.history.current)
    qtbot.waitUntil(lambda: bool(said_at_the_end), timeout=WAIT)

    assert turns and max(turns) <= 3, turns
    assert sum(turns) >= 10, "the first poll's ten changes, and those after"
    assert said_at_the_end == [("Done, all verified", "100 %")]
    group = model.index(0, 0)
    assert model.rowCount(group) == 10
    assert {t.state for t in model.transfers()} == {State.DONE}
    states = {str(model.index(r, Column.STATE, group).data()) for r in range(10)}
    assert states == {"Done, verified"}


def test_rows_cleared_while_their_refresh_waits_for_its_turn_stay_cleared(
    qtbot: QtBot,
    window: MainWindow,
    server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Clear finished between two turns of a poll's refresh: the rows still to be
    refreshed are not put back."""
    from cloudbrowser.core.transfers import TransferOptions
    from cloudbrowser.gui import transfer_controller

    monkeypatch.setattr(transfer_controller, "CHANGES_PER_TURN", 1)
    controller = window.transfers
    model = controller.model
    controller.queue.set_options(TransferOptions(concurrency=0))  # queued, not started
    ended: list[list[Transfer]] = []
    controller.batchFinished.connect(lambda _batch, members: ended.append(members))
    bucket = server.bucket()
    go(qtbot, window, bucket)
    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.txt").write_bytes(b"x")
    window.upload_paths([folder], window.history.current)
    qtbot.waitUntil(lambda: len(model.transfers()) == 3, timeout=WAIT)

    controller.queue.set_options(TransferOptions(concurrency=2))
    assert controller.queue.wait(timeout=30)  # no event is handled: no poll meanwhile
    controller.poll()  # three changed: one refreshed now, two in the turns after
    controller.clear_finished()
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    assert ended == [[]], "cleared before its end was seen"
    assert model.rowCount() == 0 and model.transfers() == []
    assert set(bucket_contents(server, bucket)) == {f"three/f{i}.txt" for i in range(3)}


def test_dropping_on_a_folder_row_or_a_tree_node_uploads_there(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["docs/old.txt", "top.txt"])
    go(qtbot, window, bucket)
    src = tmp_path / "one.txt"
    src.write_bytes(b"1")
    rect = window.view.visualRect(row_of(window, "docs"))
    drop(window.view.viewport(), [src], QPointF(rect.center()))
    wait_idle(qtbot, window)
    assert "docs/one.txt" in bucket_contents(server, bucket)

    # The list shows the upload without a refresh.
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=WAIT)
    assert "docs" in names(window)

    conn = window.history.current.connection
    window.tree_model.refresh(window.tree_model.index_for(Location(conn)))
    qtbot.waitUntil(lambda: window.tree_model.index_for(Location(conn, bucket)).isValid())
    index = window.tree_model.index_for(Location(conn, bucket))
    window.tree.scrollTo(index)
    drop(window.tree.viewport(), [src], QPointF(window.tree.visualRect(index).center()))
    wait_idle(qtbot, window)
    assert "one.txt" in bucket_contents(server, bucket)
    wait_loaded(qtbot, window)
    assert "one.txt" in names(window)


def test_download_selection_of_a_folder_keeps_its_structure(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["p/docs/a.txt", "p/docs/sub/b.txt", "p/c.txt"])
    go(qtbot, window, bucket, "p/")
    window.view.selectAll()
    window.download_selection(tmp_path / "out")
    wait_idle(qtbot, window)
    got = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.txt"))
    assert got == ["c.txt", "docs/a.txt", "docs/sub/b.txt"]
    assert (tmp_path / "out" / "docs" / "sub" / "b.txt").read_bytes() == b"p/docs/sub/b.txt"


def test_conflicts_are_asked_once_with_apply_to_all(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a.txt", "b.txt"])
    go(qtbot, window, bucket)
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_bytes(b"new " + name.encode())
    asked: list[tuple[str, int]] = []

    def ask(item: PlannedTransfer, remaining: int) -> tuple[ConflictPolicy, bool]:
        asked.append((item.request.key, remaining))
        return ConflictPolicy.RENAME, True

    window.transfers.ask_conflict = ask
    window.upload_paths(
        [tmp_path / n for n in ("a.txt", "b.txt", "c.txt")],
        Location(window.history.current.connection, bucket),
    )
    wait_idle(qtbot, window)
    assert asked == [("a.txt", 1)]
    assert bucket_contents(server, bucket) == {
        "a.txt": b"a.txt",
        "b.txt": b"b.txt",
        "a (1).txt": b"new a.txt",
        "b (1).txt": b"new b.txt",
        "c.txt": b"new c.txt",
    }


def test_keep_both_never_overwrites_a_name_someone_takes_meanwhile(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    """ "a (1).txt" was free when the upload was planned; another writer creates it while
    the user answers the conflict: the copy is not uploaded, their object stays, and the
    report says why and what to do."""
    bucket = server.bucket()
    server.put(bucket, ["a.txt"])
    go(qtbot, window, bucket)
    (tmp_path / "a.txt").write_bytes(b"mine")

    asked: list[str] = []

    def ask(item: PlannedTransfer, remaining: int) -> tuple[ConflictPolicy, bool]:
        asked.append(item.request.key)
        if not asked[1:]:
            assert item.renamed is not None and item.renamed.key == "a (1).txt"
            server.put(bucket, {"a (1).txt": b"someone else's"})
        return ConflictPolicy.RENAME, True

    window.transfers.ask_conflict = ask
    window.upload_paths([tmp_path / "a.txt"], window.history.current)
    wait_idle(qtbot, window)
    assert bucket_contents(server, bucket) == {"a.txt": b"a.txt", "a (1).txt": b"someone else's"}
    [t] = window.transfers.model.transfers()
    assert t.state is State.FAILED
    error = window.messages.last
    assert isinstance(error, TransferFailures)
    assert "1 of 1 file could not be uploaded" in error.message
    assert "someone created" in error.detail and "nothing was overwritten" in error.detail

    # Retry chooses again: the name now taken is a conflict, asked; "keep both" again.
    window.transfer_panel.view.selectRow(0)
    window.transfer_panel.retry_action.trigger()
    wait_idle(qtbot, window)
    assert asked == ["a.txt", "a (1).txt"]
    assert bucket_contents(server, bucket) == {
        "a.txt": b"a.txt",
        "a (1).txt": b"someone else's",
        "a (1) (1).txt": b"mine",
    }
    [t] = window.transfers.model.transfers()
    assert t.state is State.DONE and t.key == "a (1) (1).txt"


def test_skipped_conflicts_are_counted_and_nothing_is_overwritten(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a.txt"])
    go(qtbot, window, bucket)
    (tmp_path / "a.txt").write_bytes(b"new")
    window.transfers.settings = replace(
        window.transfers.settings, conflict_policy=ConflictPolicy.SKIP
    )
    window.upload_paths([tmp_path / "a.txt"], window.history.current)
    wait_idle(qtbot, window)
    assert bucket_contents(server, bucket) == {"a.txt": b"a.txt"}
    [row] = window.transfers.model.transfers()
    assert row.state is State.SKIPPED


def test_a_folder_upload_leaves_out_a_download_in_progress_and_says_so(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    go(qtbot, window, bucket)
    album = tmp_path / "album"
    album.mkdir()
    (album / "a.jpg").write_bytes(b"a" * 10)
    # Another download still writing into the folder being uploaded.
    (album / ".b.jpg.cbpart-12").write_bytes(b"half")
    window.upload_paths([album], window.history.current)
    wait_idle(qtbot, window)
    assert bucket_contents(server, bucket) == {"album/a.jpg": b"a" * 10}
    assert [t.key for t in window.transfers.model.transfers()] == ["album/a.jpg"]
    message = window.statusBar().currentMessage()
    assert "Uploaded 1 file " in message
    assert "1 left out (downloads still in progress)" in message

    # Nothing but a half file: nothing is queued, and the status says why.
    (album / "a.jpg").unlink()
    window.upload_paths([album], Location(window.history.current.connection, bucket, "again/"))
    qtbot.waitUntil(
        lambda: (
            "1 left out (downloads still in progress)" in window.statusBar().currentMessage()
            and "Uploaded" not in window.statusBar().currentMessage()
        ),
        timeout=WAIT,
    )
    assert bucket_contents(server, bucket) == {"album/a.jpg": b"a" * 10}


def test_pause_resume_and_cancel_from_the_panel(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    go(qtbot, window, bucket)
    big = tmp_path / "big.bin"
    data = hashlib.shake_256(b"big").digest(3 * 5 * MiB)
    big.write_bytes(data)
    slow = replace(window.transfers.settings, part_size_mib=5, bandwidth_kib=6 * 1024)
    window.transfers.apply_settings(slow)
    window.upload_paths([big], window.history.current)
    queue = window.transfers.queue
    qtbot.waitUntil(
        lambda: (
            window.transfers.model.rowCount() == 1
            and any(queue.journal.parts(t.id) for t in queue.transfers())
        ),
        timeout=WAIT,
    )
    [t] = queue.transfers()

    panel = window.transfer_panel
    panel.view.selectRow(0)
    assert panel.pause_action.isEnabled()
    panel.pause_action.trigger()
    qtbot.waitUntil(lambda: t.state is State.PAUSED, timeout=WAIT)
    window.transfers.poll()
    assert "Paused" in window.transfers.model.index(0, 6).data()
    assert [u.key for u in server.backend().list_unfinished_uploads(bucket)] == ["big.bin"]

    window.transfers.apply_settings(replace(slow, bandwidth_kib=0))
    assert panel.resume_action.isEnabled()
    panel.resume_action.trigger()
    wait_idle(qtbot, window)
    assert t.state is State.DONE
    assert bucket_contents(server, bucket)["big.bin"] == data
    assert server.backend().list_unfinished_uploads(bucket) == []

    # Cancel a second upload half-way: no multipart upload, no object left behind.
    window.transfers.apply_settings(slow)
    window.upload_paths([big], Location(window.history.current.connection, bucket, "again/"))
    qtbot.waitUntil(
        lambda: (
            window.transfers.model.rowCount() == 2
            and bool(queue.journal.parts(queue.transfers()[1].id))
        ),
        timeout=WAIT,
    )
    panel.view.clearSelection()
    panel.view.selectRow(1)
    panel.cancel_action.trigger()
    wait_idle(qtbot, window)
    assert queue.transfers()[1].state is State.CANCELLED
    assert server.backend().list_unfinished_uploads(bucket) == []
    assert "again/big.bin" not in bucket_contents(server, bucket)

    panel.clear_action.trigger()
    assert window.transfers.model.rowCount() == 0


def test_a_failed_transfer_is_reported_by_name_and_can_be_retried(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    # The object was listed, then deleted by someone else before the download ran.
    window.transfers.download(conn, bucket, "", [Entry("gone.txt", size=4)], tmp_path / "dl")
    wait_idle(qtbot, window)
    error = window.messages.last
    assert isinstance(error, TransferFailures)
    assert "1 of 1 file could not be downloaded" in error.message
    assert "gone.txt" in error.detail
    [t] = window.transfers.model.transfers()
    assert t.state is State.FAILED
    assert "Failed" in window.transfers.model.index(0, 6).data()

    server.put(bucket, {"gone.txt": b"back"})
    window.transfer_panel.view.selectRow(0)
    assert window.transfer_panel.retry_action.isEnabled()
    window.transfer_panel.retry_action.trigger()
    wait_idle(qtbot, window)
    assert t.state is State.DONE
    assert (tmp_path / "dl" / "gone.txt").read_bytes() == b"back"


def test_interrupted_transfers_continue_when_their_connection_opens(
    qtbot: QtBot, make_service: ServiceFactory, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    src = tmp_path / "late.txt"
    src.write_bytes(b"from the last run")
    st = src.stat()
    settings = server.settings()
    # What a killed process leaves behind: a journalled transfer still marked queued (a
    # queue whose workers are already stopped journals it and never runs it).
    dead = TransferQueue(lambda name: server.backend(), Journal())
    dead.shutdown()
    dead.add(
        [
            TransferRequest(
                Direction.UPLOAD, settings.name, bucket, "late.txt", src, st.st_size, st.st_mtime
            )
        ]
    )
    service = make_service()
    win = MainWindow(service)
    qtbot.addWidget(win)
    restored = win.transfers.restore()
    assert [(t.key, t.state, t.interrupted) for t in restored] == [("late.txt", State.PAUSED, True)]
    conn = service.add_connection(settings, server.credentials)
    assert conn.id == settings.name
    wait_idle(qtbot, win)
    assert restored[0].state is State.DONE
    assert bucket_contents(server, bucket) == {"late.txt": b"from the last run"}
    win.transfers.shutdown()


def test_transfer_model_passes_the_model_tester(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path, qtmodeltester: object
) -> None:
    bucket = server.bucket()
    go(qtbot, window, bucket)
    for i in range(3):
        (tmp_path / f"f{i}.txt").write_bytes(b"x" * i)
    window.upload_paths([tmp_path / f"f{i}.txt" for i in range(3)], window.history.current)
    wait_idle(qtbot, window)
    (tmp_path / "alone.txt").write_bytes(b"1")
    window.upload_paths([tmp_path / "alone.txt"], window.history.current)
    wait_idle(qtbot, window)
    model: TransferListModel = window.transfers.model
    # A batch of three under one row, and a batch of one as its own row.
    assert model.rowCount() == 2 and model.rowCount(model.index(0, 0)) == 3
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_transfer_settings_round_trip() -> None:
    settings = TransferSettings(
        download_folder="/tmp/somewhere",
        open_after_download=False,
        concurrency=3,
        part_size_mib=16,
        bandwidth_kib=512,
        verify=False,
        conflict_policy=ConflictPolicy.NEWER,
    )
    settings.save()
    assert TransferSettings.load() == settings
    options = settings.options()
    assert (options.concurrency, options.part_size, options.bandwidth_limit, options.verify) == (
        3,
        16 * MiB,
        512 * 1024,
        False,
    )


def test_upload_at_the_bucket_list_says_where_files_can_go(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    (tmp_path / "x.txt").write_bytes(b"x")
    assert window.history.current.is_connection_root
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), [tmp_path / "x.txt"], QPointF(below))
    assert "Open a bucket first" in window.statusBar().currentMessage()
    assert window.transfers.model.rowCount() == 0


def test_the_upload_pickers_open_where_the_last_upload_came_from(
    qtbot: QtBot,
    window: MainWindow,
    server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Upload files… and Upload folder… open in the folder picked last time (kept across
    runs), else at home: Qt's own dialog opened in the working directory."""
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    bucket = server.bucket("pick")
    go(qtbot, window, bucket)
    photos = tmp_path / "photos"
    (photos / "2024").mkdir(parents=True)
    (photos / "a.jpg").write_bytes(b"a")
    started: list[str] = []

    def pick_files(_parent: object, _title: str, start: str) -> tuple[list[str], str]:
        started.append(start)
        return [str(photos / "a.jpg")], ""

    def pick_folder(_parent: object, _title: str, start: str) -> str:
        started.append(start)
        return str(photos / "2024")

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", pick_files)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", pick_folder)
    window.upload_files()
    window.upload_folder()
    window.upload_files()
    home = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation)
    assert started == [home, str(photos), str(photos)]
    wait_idle(qtbot, window)
    assert "a.jpg" in bucket_contents(server, bucket)
    # A folder that is gone since is not offered: home again.
    (photos / "a.jpg").unlink()
    (photos / "2024").rmdir()
    photos.rmdir()
    window.upload_folder()
    assert started[-1] == home


def test_clean_up_lists_orphan_uploads_and_keeps_resumable_ones(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    client = server.client
    orphan = client.create_multipart_upload(Bucket=bucket, Key="orphan.bin")["UploadId"]
    mine = client.create_multipart_upload(Bucket=bucket, Key="mine.bin")["UploadId"]
    go(qtbot, window, bucket)
    dialog = IncompleteUploadsDialog(
        window.service,
        window.messages,
        window.service.connection(window.history.current.connection),
        bucket,
        {mine},
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 2, timeout=WAIT)
    rows = {
        dialog.tree.topLevelItem(i).text(0): dialog.tree.topLevelItem(i)
        for i in range(dialog.tree.topLevelItemCount())
    }
    assert rows["orphan.bin"].isSelected() and not rows["mine.bin"].isSelected()
    assert "resume" in rows["mine.bin"].text(2)
    dialog.abort([rows["orphan.bin"].data(0, Qt.ItemDataRole.UserRole + 1)])
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=WAIT)
    assert [u.session for u in server.backend().list_unfinished_uploads(bucket)] == [mine]
    assert dialog.status.text().startswith("1 incomplete upload.")
    assert orphan not in {u.session for u in server.backend().list_unfinished_uploads(bucket)}


def test_dragging_out_hands_over_verified_copies_once_downloaded(
    qtbot: QtBot, window: MainWindow, server: S3Server
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["p/a.txt", "p/docs/b.txt", "p/docs/sub/c.txt"])
    go(qtbot, window, bucket, "p/")
    window.view.selectAll()
    mime = window.drag_out_selection()
    assert mime is not None
    assert mime.hasUrls()
    # What a drop target does at the drop: ask for the URLs. The downloads may still run;
    # the answer waits for them (in a local event loop) and lists only complete files.
    urls = [Path(u.toLocalFile()) for u in mime.urls()]
    assert sorted(p.name for p in urls) == ["a.txt", "docs"]
    staged = {str(p.relative_to(mime.folder)): p.read_bytes() for p in mime.folder.rglob("*.txt")}
    assert staged == {
        "a.txt": b"p/a.txt",
        "docs/b.txt": b"p/docs/b.txt",
        "docs/sub/c.txt": b"p/docs/sub/c.txt",
    }
    assert not [p for p in mime.folder.rglob("*") if is_temporary_name(p.name)]
    transfers = [t for t in window.transfers.queue.transfers() if t.batch == mime.batch]
    assert len(transfers) == 3 and all(t.state is State.DONE and t.verified for t in transfers)
    window._on_drag_ended(mime, True)


def test_a_drag_out_dropped_nowhere_stops_its_downloads(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = hashlib.shake_256(b"drag").digest(3 * 5 * MiB)
    server.put(bucket, {"big.bin": data})
    go(qtbot, window, bucket)
    window.transfers.apply_settings(
        replace(window.transfers.settings, part_size_mib=5, bandwidth_kib=4 * 1024)
    )
    # Selected through the selection model: selectRow() follows the keyboard modifiers
    # Qt believes held, and says nothing when the row is not there.
    assert window.history.current == Location(window.history.current.connection, bucket)
    assert names(window) == ["big.bin"], window.list_model.error
    select(window, "big.bin")
    mime = window.drag_out_selection()
    assert mime is not None
    assert not window.transfers.queue.transfers(), "nothing downloads while inside the window"
    mime.start()  # what the view does when the drag leaves the window
    queue = window.transfers.queue
    qtbot.waitUntil(lambda: any(t.batch == mime.batch for t in queue.transfers()), timeout=WAIT)
    window._on_drag_ended(mime, False)
    wait_idle(qtbot, window)
    [t] = [t for t in queue.transfers() if t.batch == mime.batch]
    assert t.state is State.CANCELLED
    assert not (mime.folder / "big.bin").exists()
    assert not [p for p in mime.folder.iterdir() if is_temporary_name(p.name)]


def test_stale_drag_staging_folders_are_removed() -> None:
    from cloudbrowser.gui.drag_out import STALE_SECONDS, new_staging_folder, remove_stale_staging

    old, fresh = new_staging_folder(), new_staging_folder()
    (old / "x.txt").write_bytes(b"x")
    past = time.time() - STALE_SECONDS - 10
    os.utime(old, (past, past))
    assert remove_stale_staging() == 1
    assert not old.exists() and fresh.exists()


def test_dropping_a_folder_makes_its_empty_folders(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    """project/build/ and project/logs/2026/ hold no file: they become folders in the
    bucket (placeholders), where the server keeps them; where not, the user is told once."""
    bucket = server.bucket()
    go(qtbot, window, bucket)
    project = tmp_path / "project"
    (project / "build").mkdir(parents=True)
    (project / "logs" / "2026").mkdir(parents=True)
    (project / "a.txt").write_bytes(b"a")
    below = window.view.viewport().rect().bottomLeft() + QPointF(5, -5).toPoint()
    drop(window.view.viewport(), [project], QPointF(below))
    wait_idle(qtbot, window)
    if server.kind == "rclone":
        # It keeps no empty folder: the file arrives, nothing stray, said once.
        assert bucket_contents(server, bucket) == {"project/a.txt": b"a"}
        last = window.messages.last
        assert last is not None and "does not keep empty folders" in last.message
        assert "2 empty folders" in last.message
        assert "Uploaded 1 file " in window.statusBar().currentMessage()
        assert [t.state for t in window.transfers.model.transfers()] == [State.DONE]
        return
    assert bucket_contents(server, bucket) == {
        "project/a.txt": b"a",
        "project/build/": b"",
        "project/logs/2026/": b"",
    }
    message = window.statusBar().currentMessage()
    assert "Uploaded 1 file " in message and "2 empty folders made" in message, message
    assert window.messages.last is None

    # An empty folder dropped alone is made, and shown without F5.
    (tmp_path / "lone").mkdir()
    drop(window.view.viewport(), [tmp_path / "lone"], QPointF(below))
    wait_idle(qtbot, window)
    assert bucket_contents(server, bucket)["lone/"] == b""
    assert window.statusBar().currentMessage() == "Made 1 empty folder."
    qtbot.waitUntil(lambda: "lone" in names(window), timeout=WAIT)


@pytest.mark.parametrize("server", ["moto"], indirect=True)  # rclone keeps no placeholders
def test_a_download_makes_empty_folders_and_names_one_a_file_is_in_the_way_of(
    qtbot: QtBot, window: MainWindow, server: S3Server, tmp_path: Path
) -> None:
    """A folder placeholder ("p/e/") becomes an empty local folder, never a file; a file of its
    name already there stays as it is, and the user is told which and why."""
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"a", "p/e/": b"", "p/x/deeper/": b"", "p/f/": b""})
    out = tmp_path / "out"
    out.mkdir()
    (out / "f").write_bytes(b"mine")
    go(qtbot, window, bucket, "p/")
    window.view.selectAll()
    window.download_selection(out)
    wait_idle(qtbot, window)
    assert (out / "a.txt").read_bytes() == b"a"
    for empty in (out / "e", out / "x" / "deeper"):
        assert empty.is_dir() and not any(empty.iterdir())
    assert (out / "f").read_bytes() == b"mine"
    last = window.messages.last
    assert last is not None and "1 empty folder could not be made" in last.message
    assert "A file is in the way" in last.detail and str(out / "f") in last.detail

    # An empty folder alone: made, and the status says so (it said nothing).
    window.view.clearSelection()
    window.view.selectionModel().select(
        row_of(window, "e"),
        window.view.selectionModel().SelectionFlag.Select
        | window.view.selectionModel().SelectionFlag.Rows,
    )
    window.download_selection(tmp_path / "again")
    wait_idle(qtbot, window)
    assert (tmp_path / "again" / "e").is_dir()
    assert window.statusBar().currentMessage() == "Made 1 empty folder."
