"""The Transfers panel as a file manager's: a batch under one row with its totals, source →
destination with the connection, steady speeds that never count resumed bytes, the stage
after the last byte, the journal's progress after a crash, clear direction icons, and a new
transfer scrolled into view; thousands of rows stay cheap."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import EndpointUnreachable
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfers import (
    MiB,
    Stage,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from cloudbrowser.gui.icons import download_icon, upload_icon
from cloudbrowser.gui.models import transfer_list
from cloudbrowser.gui.models.transfer_list import Column, ProgressRole, TransferListModel
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go

WAIT = 30_000


@pytest.fixture
def window_server(moto_server: S3Server) -> S3Server:
    """The server this file's windows open (conftest's ``window``)."""
    return moto_server


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()


def text(model: TransferListModel, index: QModelIndex, column: Column) -> str:
    return str(index.siblingAtColumn(column).data())


_ids = iter(range(1, 1_000_000))


def transfer(
    name: str = "a.bin",
    *,
    direction: Direction = Direction.UPLOAD,
    connection: str = "prod",
    batch: str = "",
    size: int = 10 * MiB,
    state: State = State.QUEUED,
) -> Transfer:
    return Transfer(
        id=next(_ids),
        direction=direction,
        connection=connection,
        bucket="photos",
        key=f"in/{name}",
        local_path=Path("/data/album") / name,
        size=size,
        mtime=0.0,
        batch=batch,
        state=state,
    )


# ── in a window, on a server ────────────────────────────────────────────────────────────


def test_a_folder_upload_is_one_row_with_its_totals_and_where_it_goes(
    qtbot: QtBot, window: MainWindow, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    go(qtbot, window, bucket, "")
    album = tmp_path / "album"
    (album / "2024").mkdir(parents=True)
    sizes = {"a.jpg": 10, "b.jpg": 20, "2024/c.jpg": 30, "2024/d.jpg": 40}
    for name, size in sizes.items():
        (album / name).write_bytes(b"x" * size)
    window.upload_paths([album], window.history.current)
    wait_idle(qtbot, window)

    model = window.transfers.model
    conn = window.history.current.connection
    assert model.rowCount() == 1, "one drop, one row"
    row = model.index(0, 0)
    assert model.rowCount(row) == 4
    assert text(model, row, Column.NAME) == "4 files from “album”"
    assert text(model, row, Column.ROUTE) == f"{album} → {bucket}/album/ on {conn}"
    assert text(model, row, Column.SIZE) == "100 bytes"
    assert text(model, row, Column.STATE) == "Done, all verified"
    assert row.data(ProgressRole) == 100
    children = {text(model, model.index(r, 0, row), Column.NAME) for r in range(4)}
    assert children == {"a.jpg", "b.jpg", "c.jpg", "d.jpg"}
    child = model.index_of(next(t for t in model.transfers() if t.name == "c.jpg"))
    assert text(model, child, Column.ROUTE) == (
        f"{album / '2024' / 'c.jpg'} → {bucket}/album/2024/c.jpg on {conn}"
    )
    # The batch's row acts for its files: selecting it selects what "Show in folder" opens.
    panel = window.transfer_panel
    panel.view.selectRow(0)
    assert len(panel.selected()) == 4
    opened: list[str] = []
    window.transfers.opener = lambda url: opened.append(url.toLocalFile())
    panel.show_action.trigger()
    assert opened == [str(album)], "one folder for the batch, not one per file"


def test_a_transfer_restored_after_a_crash_shows_the_progress_the_journal_knows(
    qtbot: QtBot, make_service: ServiceFactory, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    src = tmp_path / "big.bin"
    src.write_bytes(b"\1" * (4 * 5 * MiB))
    st = src.stat()
    settings = moto_server.settings()
    # A process that sent two parts of four, then died (its queue stops mid-upload).
    slow = TransferOptions(part_size=5 * MiB, part_concurrency=1, bandwidth_limit=8 * MiB)
    dead = TransferQueue(lambda name: moto_server.backend(), Journal(), slow)
    [t] = dead.add(
        [
            TransferRequest(
                Direction.UPLOAD, settings.name, bucket, "big.bin", src, st.st_size, st.st_mtime
            )
        ]
    )
    qtbot.waitUntil(lambda: len(dead.journal.parts(t.id)) >= 2, timeout=WAIT)
    dead.shutdown()
    kept = sum(p.size for p in dead.journal.parts(t.id))
    dead.journal.close()

    win = MainWindow(make_service())
    qtbot.addWidget(win)
    try:
        [restored] = win.transfers.restore()
        model = win.transfers.model
        index = model.index_of(restored)
        percent = 100 * kept // st.st_size
        assert percent >= 50
        assert index.data(ProgressRole) == percent, "not 0 %"
        assert text(model, index, Column.PROGRESS) == f"{percent} %"
        assert text(model, index, Column.STATE) == (f"Waiting for “{settings.name}”")
    finally:
        win.transfers.shutdown()


def test_a_new_transfer_scrolls_into_view(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.transfer_panel
    window.transfer_dock.show()
    panel.resize(900, 200)
    model = window.transfers.model
    model.add([transfer(f"old-{i}.bin", state=State.DONE) for i in range(200)])
    panel.view.scrollToTop()
    qtbot.waitUntil(lambda: panel.view.verticalScrollBar().value() == 0)
    newest = transfer("newest.bin")
    model.add([newest])
    rect = panel.view.visualRect(model.index_of(newest))
    assert panel.view.viewport().rect().contains(rect.center()), "the new row is in view"


# ── the model ───────────────────────────────────────────────────────────────────────────


def test_one_name_on_two_connections_reads_differently(qtbot: QtBot) -> None:
    model = TransferListModel()
    ours, theirs = transfer("report.pdf"), transfer("report.pdf", connection="backup")
    model.add([ours, theirs])
    first, second = model.index_of(ours), model.index_of(theirs)
    assert text(model, first, Column.NAME) == text(model, second, Column.NAME) == "report.pdf"
    assert text(model, first, Column.ROUTE).endswith("photos/in/report.pdf on prod")
    assert text(model, second, Column.ROUTE).endswith("photos/in/report.pdf on backup")
    assert "on backup" in str(second.data(Qt.ItemDataRole.ToolTipRole))


def test_a_batch_arriving_in_pieces_joins_one_row(qtbot: QtBot, qtmodeltester: object) -> None:
    """Its first file may be shown alone before the rest (skipped files come a poll later):
    the row becomes the batch's."""
    model = TransferListModel()
    first = transfer("1.bin", batch="b")
    model.add([first])
    assert model.rowCount() == 1 and model.transfer(model.index(0, 0)) is first
    more = [transfer(f"{i}.bin", batch="b") for i in range(2, 5)]
    model.add(more)
    assert model.rowCount() == 1 and model.group(model.index(0, 0)) is not None
    model.add([transfer("5.bin", batch="b")])
    assert model.rowCount(model.index(0, 0)) == 5
    assert model.transfers()[0] is first
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_after_the_last_byte_the_row_says_the_stage_and_no_speed(qtbot: QtBot) -> None:
    model = TransferListModel()
    t = transfer(state=State.RUNNING, size=10 * MiB)
    model.add([t])
    t.bytes_done = t.bytes_moved = t.size
    model.refresh([t])
    index = model.index_of(t)
    assert text(model, index, Column.STATE) == "Uploading"
    t.stage = Stage.FINISHING
    model.refresh([t])
    assert text(model, index, Column.STATE) == "Finishing…"
    assert text(model, index, Column.SPEED) == "" and text(model, index, Column.ETA) == ""
    assert model.total_speed() == 0.0, "nor in the status bar's total"
    t.stage = Stage.VERIFYING
    t.direction = Direction.DOWNLOAD
    model.refresh([t])
    assert text(model, index, Column.STATE) == "Verifying…"


def test_a_file_waiting_behind_its_connections_retry_says_for_what(qtbot: QtBot) -> None:
    """One file of a connection waits to be tried again by itself; another that failed
    meanwhile waits for that connection to answer (core.transfers._Outage), and says so
    rather than "Queued"; so does one held before it was tried; one of another connection
    is just queued."""
    model = TransferListModel()
    probe, failed, held = transfer("a.bin"), transfer("b.bin"), transfer("c.bin")
    queued = transfer("d.bin")
    why = EndpointUnreachable("Nothing answered at the server's address.")
    probe.error, probe.retry_at = why, time.monotonic() + 60
    failed.error, failed.held = why, True
    held.held = True
    model.add([probe, failed, held, queued])
    rows = (probe, failed, held, queued)
    state = [text(model, model.index_of(t), Column.STATE) for t in rows]
    assert state[0].startswith("Trying again at "), state
    assert state[1:] == [
        "Waiting for “prod” to answer: Nothing answered at the server's address.",
        "Queued: waiting for “prod” to answer",
        "Queued",
    ]
    held.held = False  # its connection answered
    model.refresh([held])
    assert text(model, model.index_of(held), Column.STATE) == "Queued"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_resumed_transfer_shows_the_speed_it_moves_at_not_what_was_kept(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed at 900 of 2,000 MiB and moving 10 MiB/s in 8 MiB parts: the row says about
    10 MiB/s and a minute and a half left, steadily, from its second second on."""
    clock = Clock()
    monkeypatch.setattr(transfer_list, "time", SimpleNamespace(monotonic=clock.monotonic))
    model = TransferListModel()
    t = transfer(state=State.RUNNING, size=2000 * MiB)
    model.add([t])
    t.bytes_done = 900 * MiB  # the parts the server had: done, not moved
    early: list[float] = []
    steady: list[float] = []
    for tick in range(1, 100):
        clock.now += 0.1
        if tick % 8 == 0:  # an 8 MiB part lands every 0.8 s
            t.bytes_done += 8 * MiB
            t.bytes_moved += 8 * MiB
        model.refresh([t])
        if tick > 90:
            steady.append(model.speed(t))
        elif tick > 20:
            early.append(model.speed(t))
    assert min(early) > 7 * MiB and max(early) < 12 * MiB, (min(early), max(early))
    assert min(steady) > 9 * MiB and max(steady) < 11.5 * MiB, (min(steady), max(steady))
    index = model.index_of(t)
    assert text(model, index, Column.SPEED).endswith("/s")
    assert text(model, index, Column.ETA).startswith("1 min")  # 1,004 MiB at ~10 MiB/s


def test_direction_icons_are_arrows_of_their_own(qtbot: QtBot) -> None:
    up, down = upload_icon().pixmap(32).toImage(), download_icon().pixmap(32).toImage()
    assert up != down and not up.isNull() and not down.isNull()
    triangle = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_ArrowDown)
    assert down != triangle.pixmap(32).toImage(), "not the style's ▼ (a tree expander)"
    model = TransferListModel()
    ups, downs = transfer("u.bin"), transfer("d.bin", direction=Direction.DOWNLOAD)
    model.add([ups, downs])
    decoration = Qt.ItemDataRole.DecorationRole
    assert model.index_of(ups).data(decoration).pixmap(32).toImage() == up
    assert model.index_of(downs).data(decoration).pixmap(32).toImage() == down


def test_thousands_of_rows_stay_cheap(qtbot: QtBot) -> None:
    """A 5,000-file batch and 2,000 single transfers: adding them and a poll in which
    every one changed take well under a second (the panel polls at 10 Hz)."""
    model = TransferListModel()
    batch = [transfer(f"f{i}.bin", batch="big", state=State.RUNNING) for i in range(5000)]
    singles = [transfer(f"s{i}.bin", batch=f"one-{i}") for i in range(2000)]
    started = time.perf_counter()
    model.add(batch)
    model.add(singles)
    for t in batch:
        t.bytes_done = t.bytes_moved = 1024
    model.refresh(batch + singles)
    elapsed = time.perf_counter() - started
    assert model.rowCount() == 2001 and model.rowCount(model.index(0, 0)) == 5000
    [group] = model.groups()
    assert group.bytes_done == 5000 * 1024 and group.active == 5000
    assert elapsed < 2.0, f"{elapsed:.2f} s"


def test_a_groups_totals_kept_from_the_files_that_changed_match_a_full_count(
    qtbot: QtBot,
) -> None:
    """Each poll updates a batch's totals from its changed files alone (a pass over
    thousands of files per poll stalled the window, issue 14): after every kind of change,
    they are what counting every file afresh gives."""
    model = TransferListModel()
    files = [transfer(f"f{i}.bin", batch="b", size=1000 + i) for i in range(40)]
    model.add(files)
    [group] = model.groups()
    steps: list[tuple[slice, State, bool]] = [
        (slice(0, 8), State.RUNNING, False),
        (slice(0, 5), State.DONE, True),
        (slice(5, 7), State.DONE, False),  # done, not verified
        (slice(7, 8), State.FAILED, False),
        (slice(8, 12), State.SKIPPED, False),
        (slice(12, 15), State.PAUSED, False),
        (slice(7, 8), State.QUEUED, False),  # retried
        (slice(12, 14), State.CANCELLED, False),
    ]
    for where, state, verified in steps:
        changed = files[where]
        for t in changed:
            t.state, t.verified = state, verified
            t.bytes_done = t.size if state is State.DONE else t.size // 3
            t.bytes_moved = t.bytes_done
        running = [t for t in files if t.state is State.RUNNING and t not in changed]
        model.refresh(changed + running)  # what TransferQueue.changes() returns
        kept = (group.size, group.bytes_done, group.bytes_moved, group.done, group.unverified)
        kept += (group.active, group.failed, group.skipped, group.count)
        kept_states = set(group.states)
        group.tally()  # counted afresh from every file
        counted = (group.size, group.bytes_done, group.bytes_moved, group.done)
        counted += (group.unverified, group.active, group.failed, group.skipped, group.count)
        assert kept == counted, state
        assert kept_states == group.states, state
    expected = {State.DONE, State.QUEUED, State.SKIPPED, State.PAUSED, State.CANCELLED}
    assert model.states() == expected
    assert text(model, model.index(0, 0), Column.STATE) == "Uploading: 7 of 36 done"


def common_folder(paths: list[Path]) -> str:
    """A group's folder: from the text its files' paths share."""
    shared = transfer_list._shared(None, [str(p) for p in paths])
    return transfer_list._folder_of(shared, paths[0])


def test_a_batchs_folder_is_the_one_its_files_share(qtbot: QtBot) -> None:
    """Found from the text shared by the two paths that sort first and last (cheap for a
    drop of thousands), the same as os.path.commonpath of every file's folder."""
    import os

    cases = [
        ["/a/b/x", "/a/b-c/x", "/a/b/d/x"],  # "b-c" sorts between "b" and "b/d" as text
        ["/a/b/x", "/a/b/y"],
        ["/a/b/x", "/a/b/c/d/y"],
        ["/a/b/c/x"],
        ["/x", "/y"],
        ["/a/x", "/b/x"],
    ]
    for paths in cases:
        native = [Path(p) for p in paths]
        expected = os.path.commonpath([p.parent for p in native])
        assert common_folder(native) == expected, paths


#: Names whose characters sort before and after the separator ("b-c", "b.d", "b c", "b~").
_NAMES = st.text(alphabet="ab -.~_0", min_size=1, max_size=4).filter(lambda n: n not in (".", ".."))


@given(st.lists(st.lists(_NAMES, min_size=1, max_size=4), min_size=1, max_size=12))
def test_a_batchs_folder_is_commonpath_of_its_files_folders(parts: list[list[str]]) -> None:
    import os

    paths = [Path("/", *p) for p in parts]
    expected = os.path.commonpath([str(p.parent) for p in paths])
    assert common_folder(paths) == expected


def test_a_group_fed_page_by_page_says_what_one_fed_at_once_says() -> None:
    """A streamed download adds its files a page at a time: each page is taken in alone,
    with the same route, direction and totals in the end."""

    def transfer(i: int, direction: Direction, state: State) -> Transfer:
        return Transfer(
            id=i, direction=direction, connection="c", bucket="bkt",
            key=f"photos/{i % 3}/f{i}.jpg", local_path=Path(f"/home/ann/photos/{i % 3}/f{i}.jpg"),
            size=100 + i, mtime=0.0, state=state,
        )  # fmt: skip

    states = [State.DONE, State.QUEUED, State.FAILED, State.RUNNING, State.SKIPPED]
    files = [transfer(i, Direction.DOWNLOAD, states[i % 5]) for i in range(40)]
    files.append(transfer(40, Direction.UPLOAD, State.PAUSED))
    whole = transfer_list.Group("b", [])
    whole.append(files)
    paged = transfer_list.Group("b", [])
    for start in range(0, len(files), 7):
        paged.append(files[start : start + 7])
    said = ("source", "destination", "name", "direction", "size", "bytes_done", "count",
            "done", "active", "failed", "skipped", "states")  # fmt: skip
    assert [getattr(paged, a) for a in said] == [getattr(whole, a) for a in said]
    assert (whole.direction, whole.count, whole.failed) == (None, 41, 8)
    # The first file is a download: from the prefix the keys share, to their folder.
    assert (whole.source, whole.destination) == ("bkt/photos/ on c", "/home/ann/photos")


def test_a_collapsed_batchs_files_cost_no_calls_into_the_model_when_they_change(
    qtbot: QtBot,
) -> None:
    """Qt works out each changed cell's rectangle with calls into Python (about three a
    cell, each waiting for the GIL the transfer threads hold): a collapsed batch's files are
    not shown, so a poll in which they changed costs fewer calls than cells; expanded,
    the row of a file that changed is painted again."""
    from cloudbrowser.gui.widgets.transfer_panel import TransferTree

    class Counting(TransferListModel):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0
            self.painted: set[int] = set()

        def index(self, row: int, column: int, parent: object = QModelIndex()) -> QModelIndex:
            self.calls += 1
            return super().index(row, column, parent)  # type: ignore[arg-type]

        def parent(self, index: object = QModelIndex()) -> QModelIndex:  # type: ignore[override]
            self.calls += 1
            return super().parent(index)  # type: ignore[arg-type]

        def multiData(self, index: object, span: object) -> None:
            if index.parent().isValid():  # type: ignore[attr-defined]
                self.painted.add(index.row())  # type: ignore[attr-defined]
            super().multiData(index, span)  # type: ignore[arg-type]

    model = Counting()
    files = [transfer(f"f{i:02}.bin", batch="b") for i in range(20)]
    model.add(files)
    view = TransferTree()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    for t in files:
        t.state = State.RUNNING
    model.calls = 0
    model.refresh(files)
    assert model.calls < len(files) * len(Column), model.calls
    assert "Uploading: 0 of 20 done" in str(model.index(0, Column.STATE).data())

    group = model.index(0, 0)
    view.expand(group)
    qtbot.waitUntil(lambda: 7 in model.painted)
    model.painted.clear()
    files[7].state = State.DONE
    model.refresh([files[7]])
    qtbot.waitUntil(lambda: 7 in model.painted)
    assert str(model.index(7, Column.STATE, group).data()) == "Done, NOT verified"


def test_a_painted_cell_is_one_call_into_the_model(qtbot: QtBot) -> None:
    """Each call from Qt into Python takes the GIL, which transfer threads hold much of the
    time: the delegates' seven roles of a cell come in one multiData call (issue 14), and
    what it answers is what data() answers."""
    import sys

    from PySide6.QtCore import QModelRoleData

    from cloudbrowser.gui.widgets.transfer_panel import ProgressDelegate, TransferTree

    class Counting(TransferListModel):
        """Counts the calls of data() that came from Qt itself (not from multiData)."""

        def __init__(self) -> None:
            super().__init__()
            self.through_multi = self.direct = 0

        def data(self, index: object, role: int = Qt.ItemDataRole.DisplayRole) -> object:
            if sys._getframe(1).f_code.co_name == "multiData":
                self.through_multi += 1
            else:
                self.direct += 1
            return super().data(index, role)  # type: ignore[arg-type]

    model = Counting()
    model.add([transfer(f"f{i}.bin", batch="b") for i in range(50)])
    model.add([transfer("alone.bin", state=State.RUNNING)])
    view = TransferTree()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(view))
    view.resize(900, 300)
    view.expandAll()
    model.through_multi = model.direct = 0
    view.grab()
    painted_rows = model.rowCount() + model.rowCount(model.index(0, 0))
    assert model.through_multi >= 6 * painted_rows, "the cells' roles came through multiData"
    # What is left of data(): the progress bar's own ask, one per painted row at most.
    assert model.direct <= painted_rows, (model.through_multi, model.direct)
    index = model.index(1, Column.STATE)
    role = QModelRoleData(Qt.ItemDataRole.DisplayRole)
    model.multiData(index, role)
    assert role.data() == index.data() == "Uploading"
