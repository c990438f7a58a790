"""Search and folder size, driven through the window against moto and rclone: matches stream
in from nested folders with their relative paths, Esc stops a search, a computed folder
size shows in the folder's row (counting first), sorts, and goes on refresh."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu
from pytestqt.qtbot import QtBot

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.gui.models.object_list import Column, FolderSize, ObjectListModel
from cloudbrowser.gui.navigation import Location, SearchLocation
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go
from tests.gui.test_browsing import names, row_of, wait_loaded

MOD = Qt.KeyboardModifier
PAGE = 2  # every listing here spans several pages
WAIT = 25_000

FILES = {
    "docs/report-2023.pdf": b"a" * 10,
    "docs/notes.txt": b"b" * 20,
    "docs/2024/q1/Report-Q1.PDF": b"c" * 30,
    "docs/2024/q1/data.csv": b"d" * 40,
    "docs/2024/q2/report-q2.pdf": b"e" * 50,
    "docs/archive/old/report.pdf.bak": b"f" * 60,
    "media/clip.mp4": b"m" * 500,
    "media/more/clip2.mp4": b"n" * 700,
    "tiny/one.txt": b"1",
    "readme.md": b"r",
}
DOCS_BYTES = 10 + 20 + 30 + 40 + 50 + 60


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=PAGE, max_threads=4)


@pytest.fixture
def bucket(server: S3Server) -> str:
    name = server.bucket("find")
    server.put(name, FILES)
    return name


def activate(qtbot: QtBot, window: MainWindow) -> None:
    """Make the window the active one again after a dialog (offscreen does not do it)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Ctrl+Shift+F, type, Enter — as a user does."""
    activate(qtbot, window)
    QTest.keyClick(
        window,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.search.dialog
    assert dialog is not None and dialog.isVisible()
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    # Typed without modifiers: QTest leaves the application's modifier state as the last
    # key event had it, and a Ctrl+Shift left over would extend the next test's selections.
    qtbot.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()


class Gate:
    """Holds every listing request after the first ``pass_first`` until opened."""

    def __init__(self, backend: S3Backend, monkeypatch: pytest.MonkeyPatch, pass_first: int):
        self.opened = threading.Event()
        self.calls = 0
        real = backend.list_page

        def list_page(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls > pass_first:
                assert self.opened.wait(WAIT / 1000), "the test never opened the gate"
            return real(*args, **kwargs)

        monkeypatch.setattr(backend, "list_page", list_page)


@pytest.fixture
def gates() -> Iterator[list[Gate]]:
    """Gates made in a test are opened when it ends (passed or failed), before the
    service waits for its jobs: a failing test never leaves a worker held."""
    made: list[Gate] = []
    yield made
    for gate in made:
        gate.opened.set()


def backend_of(window: MainWindow) -> S3Backend:
    return window.service.storage(window.history.current.connection)


# ── search ───────────────────────────────────────────────────────────────────────────────


def test_search_streams_matches_from_nested_folders_with_relative_names(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket, "docs/")
    inserts: list[int] = []
    window.list_model.rowsInserted.connect(lambda _p, first, last: inserts.append(last - first + 1))
    search_for(qtbot, window, "report")
    wait_loaded(qtbot, window)

    assert isinstance(window.history.current, SearchLocation)
    # Case-insensitive, from every depth, named by the path below the searched folder;
    # "report.pdf.bak" contains "report" too. Folders are not results.
    assert names(window) == [
        "2024/q1/Report-Q1.PDF",
        "2024/q2/report-q2.pdf",
        "archive/old/report.pdf.bak",
        "report-2023.pdf",
    ]
    assert len(inserts) > 1, "the matches arrived page by page, not all at the end"
    bar = window.loading_label.text()
    assert f"Search results for “report” in {bucket}/docs/ — 4 found" in bar
    assert window.loading_bar.isVisible() and window.search.close_button.isVisible()
    tip = window.list_model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"s3://{bucket}/docs/2024/q1/Report-Q1.PDF"

    # Wildcards match the whole name; searching again from the results searches the folder.
    search_for(qtbot, window, "*.pdf")
    wait_loaded(qtbot, window)
    assert names(window) == [
        "2024/q1/Report-Q1.PDF",
        "2024/q2/report-q2.pdf",
        "report-2023.pdf",
    ]
    assert window.history.current == SearchLocation(
        window.history.current.connection, bucket, "docs/", query="*.pdf"
    )

    # Back returns to the first search, Close search to the folder itself.
    window.back_action.trigger()
    wait_loaded(qtbot, window)
    assert len(names(window)) == 4
    window.search.close_button.click()
    wait_loaded(qtbot, window)
    assert window.history.current == Location(window.history.current.connection, bucket, "docs/")
    assert names(window) == ["2024", "archive", "notes.txt", "report-2023.pdf"]
    assert not window.search.close_button.isVisible()
    assert not window.loading_bar.isVisible()


def test_a_search_result_opens_and_downloads_like_a_file(
    qtbot: QtBot, window: MainWindow, bucket: str, tmp_path: Path
) -> None:
    go(qtbot, window, bucket, "docs/")
    search_for(qtbot, window, "data.csv")
    wait_loaded(qtbot, window)
    assert names(window) == ["2024/q1/data.csv"]
    opened: list[Any] = []
    window.transfers.opener = opened.append
    window.view.activated.emit(window.list_model.index(0, Column.NAME))
    target = tmp_path / "downloads" / "2024" / "q1" / "data.csv"
    # Until the download is done (the window asks before closing on one going on).
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.transfers.queue.activity().busy,
        timeout=WAIT,
    )
    window.transfers.poll()
    assert target.read_bytes() == b"d" * 40


def test_escape_stops_a_search_and_keeps_what_was_found(
    qtbot: QtBot,
    window: MainWindow,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    gates: list[Gate],
) -> None:
    go(qtbot, window, bucket, "docs/")
    gate = Gate(backend_of(window), monkeypatch, pass_first=1)
    gates.append(gate)
    search_for(qtbot, window, "r")  # first page: 2024/q1/Report-Q1.PDF and data.csv
    qtbot.waitUntil(lambda: names(window) == ["2024/q1/Report-Q1.PDF"], timeout=WAIT)
    assert window.list_model.loading
    assert "Searching for “r”" in window.loading_label.text()
    assert window.stop_button.isVisible()

    activate(qtbot, window)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    assert not window.list_model.loading
    gate.opened.set()
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=WAIT)
    assert names(window) == ["2024/q1/Report-Q1.PDF"]  # nothing arrived after Esc
    assert "stopped — 1 found in 2 objects" in window.loading_label.text()
    assert window.retry_button.text() == "Search again"


def test_search_needs_a_bucket(qtbot: QtBot, window: MainWindow) -> None:
    window.search.search_action.trigger()
    assert window.search.dialog is None
    assert "Open a bucket" in window.statusBar().currentMessage()


# ── folder size ──────────────────────────────────────────────────────────────────────────


def select_rows(window: MainWindow, *rows: str) -> None:
    window.view.clearSelection()
    selection = window.view.selectionModel()
    flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
    for name in rows:
        selection.select(row_of(window, name), flags)


def size_cell(window: MainWindow, name: str) -> tuple[str, str]:
    index = row_of(window, name).siblingAtColumn(Column.SIZE)
    return index.data(), index.data(Qt.ItemDataRole.ToolTipRole)


def test_calculated_size_shows_in_the_folder_row_until_refresh(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket)
    assert size_cell(window, "docs") == ("", None)
    window.view.setFocus()
    select_rows(window, "docs", "media")
    # Alt+Shift+Enter: Total Commander's "calculate the size of folders".
    QTest.keyClick(
        window,
        Qt.Key.Key_Return,
        Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(window.folder_size.jobs) == 2
    qtbot.waitUntil(lambda: not window.folder_size.jobs, timeout=WAIT)

    locale = QLocale()
    text, tip = size_cell(window, "docs")
    assert text == locale.formattedDataSize(DOCS_BYTES)
    assert tip == f"6 objects, {locale.toString(DOCS_BYTES)} bytes, subfolders included"
    assert size_cell(window, "media")[0] == locale.formattedDataSize(1200)
    assert size_cell(window, "tiny") == ("", None)
    assert "Counting" not in window.folder_size.label.text() or not (
        window.folder_size.label.isVisible()
    )
    assert not window.folder_size.stop_button.isVisible()

    # Sorting by size puts the counted folders in their order (uncounted ones first, as 0).
    window.view.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)
    assert names(window)[:3] == ["media", "docs", "tiny"]

    # Navigating away and back keeps it; refreshing the folder forgets it.
    go(qtbot, window, bucket, "media/")
    go(qtbot, window, bucket)
    assert size_cell(window, "media")[0] == locale.formattedDataSize(1200)
    QTest.keyClick(window, Qt.Key.Key_F5)
    wait_loaded(qtbot, window)
    assert size_cell(window, "docs") == ("", None)
    assert size_cell(window, "media") == ("", None)


def test_size_counts_in_the_row_and_the_status_bar_and_stops(
    qtbot: QtBot,
    window: MainWindow,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    gates: list[Gate],
) -> None:
    go(qtbot, window, bucket)
    conn = window.history.current.connection
    # The size so far, growing; the objects counted are in the tooltip.
    counting_docs = QLocale().formattedDataSize(30) + "…"
    gate = Gate(backend_of(window), monkeypatch, pass_first=2)
    gates.append(gate)
    window.view.selectRow(row_of(window, "docs").row())
    window.folder_size.calculate_action.trigger()
    # docs/ lists as 2 folders (page 1), then 2 files (page 2), counted; then the gate
    # holds the listings of its two folders.
    qtbot.waitUntil(lambda: size_cell(window, "docs")[0] == counting_docs, timeout=WAIT)
    assert "Counting: 2 objects so far" in size_cell(window, "docs")[1]
    label = window.folder_size.label
    assert label.isVisible() and label.text().startswith(f"Counting {bucket}/docs/: 2 objects")
    assert window.folder_size.stop_button.isVisible()

    # Calculating again with another folder selected counts that one too, and leaves
    # the count going on alone; choosing it for folders all being counted stops them.
    select_rows(window, "docs", "media")
    window.folder_size.calculate_action.trigger()
    assert set(window.folder_size.jobs) == {(conn, bucket, "docs/"), (conn, bucket, "media/")}
    assert size_cell(window, "docs")[0] == counting_docs
    assert size_cell(window, "media")[0] == "counting…"  # held before its first page
    assert "Counting 2 folders" in label.text()
    select_rows(window, "media")
    window.folder_size.calculate_action.trigger()
    assert set(window.folder_size.jobs) == {(conn, bucket, "docs/")}
    assert size_cell(window, "media") == ("", None)

    window.folder_size.stop_button.click()
    assert size_cell(window, "docs") == ("", None)
    assert not label.isVisible()
    gate.opened.set()
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=WAIT)
    assert size_cell(window, "docs") == ("", None)  # nothing arrived after Stop


def test_size_of_the_folder_shown_and_of_a_bucket(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket, "docs/")
    window.view.clearSelection()
    window.folder_size.calculate_action.trigger()  # no folder selected: this folder
    qtbot.waitUntil(lambda: not window.folder_size.jobs, timeout=WAIT)
    locale = QLocale()
    assert window.statusBar().currentMessage() == (
        f"{bucket}/docs/: {locale.formattedDataSize(DOCS_BYTES)} in 6 objects"
    )
    go(qtbot, window, bucket)
    assert size_cell(window, "docs")[0] == locale.formattedDataSize(DOCS_BYTES)

    # In the bucket list a bucket row counts the whole bucket.
    window.navigate(Location(window.history.current.connection))
    wait_loaded(qtbot, window)
    window.view.selectRow(row_of(window, bucket).row())
    window.folder_size.calculate_action.trigger()
    qtbot.waitUntil(lambda: not window.folder_size.jobs, timeout=WAIT)
    total = sum(len(b) for b in FILES.values())
    assert size_cell(window, bucket)[0] == locale.formattedDataSize(total)
    assert window.list_model.folder_sizes[(window.history.current.connection, bucket, "")] == (
        FolderSize(len(FILES), total)
    )


def test_context_menu_offers_calculate_size_for_folders(
    qtbot: QtBot, window: MainWindow, bucket: str
) -> None:
    go(qtbot, window, bucket)
    window.view.selectRow(row_of(window, "docs").row())
    menu = QMenu(window)
    entries = window.selected_entries()
    # Every section adds its part, as the window's menu does.
    added = [section(menu, entries) for section in window.context_menu_sections]
    assert any(added)
    labels = [a.text() for a in menu.actions() if isinstance(a, QAction)]
    assert "Calculate size" in labels
    window.view.selectRow(row_of(window, "readme.md").row())
    menu2 = QMenu(window)
    for section in window.context_menu_sections:
        section(menu2, window.selected_entries())
    assert "Calculate size" not in [a.text() for a in menu2.actions()]


def test_the_list_model_in_search_mode_and_with_sizes_passes_model_tester(
    qtbot: QtBot, qtmodeltester: Any, service: StorageService, server: S3Server, bucket: str
) -> None:
    conn = service.add_connection(server.settings(), server.credentials).id
    model = ObjectListModel(service)
    qtmodeltester.check(model)

    def shown() -> list[str]:
        return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]

    model.show(SearchLocation(conn, bucket, "", query="*.PDF"))
    qtbot.waitUntil(lambda: not model.loading, timeout=WAIT)
    assert shown() == [
        "docs/2024/q1/Report-Q1.PDF",
        "docs/2024/q2/report-q2.pdf",
        "docs/report-2023.pdf",
    ]
    assert model.searched == len(FILES)
    qtmodeltester.check(model)

    model.show(Location(conn, bucket, ""))
    qtbot.waitUntil(lambda: not model.loading, timeout=WAIT)
    model.sort(Column.SIZE, Qt.SortOrder.DescendingOrder)
    model.folder_sizes[(conn, bucket, "docs/")] = FolderSize(6, DOCS_BYTES)
    model.folder_sizes[(conn, bucket, "media/")] = FolderSize(2, 1200)
    model.folder_sizes[(conn, bucket, "tiny/")] = FolderSize(1, 1, counting=True)
    model.folder_sizes_changed(resort=True)
    assert shown() == ["media", "docs", "tiny", "readme.md"]  # a count going on sorts as unknown
    qtmodeltester.check(model)
    model.show(Location(conn, bucket, ""))  # the same place again: a refresh
    assert set(model.folder_sizes) == {(conn, bucket, "tiny/")}  # only the one still counting
    qtbot.waitUntil(lambda: not model.loading, timeout=WAIT)


def test_renaming_a_search_result_keeps_it_in_its_own_folder(
    qtbot: QtBot, window: MainWindow, bucket: str, server: S3Server
) -> None:
    go(qtbot, window, bucket, "docs/")
    search_for(qtbot, window, "data.csv")
    wait_loaded(qtbot, window)
    select_rows(window, "2024/q1/data.csv")
    window.file_ops.ask_text = lambda _title, _label, _default, _selected: "figures.csv"
    window.file_ops.rename_action.trigger()
    qtbot.waitUntil(
        lambda: window.service.runner.active == 0 and not window.file_ops.busy, timeout=WAIT
    )
    listed = server.client.list_objects_v2(Bucket=bucket, Prefix="docs/2024/q1/")
    assert [o["Key"] for o in listed["Contents"]] == [
        "docs/2024/q1/Report-Q1.PDF",
        "docs/2024/q1/figures.csv",
    ]
