"""The browsing window, driven as a user would, against moto and rclone (and, where it
browses the ``browsing`` bucket, on the in-memory backend too)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.gui.models.bucket_tree import LocationRole, State
from cloudbrowser.gui.models.object_list import Column, EntryRole
from cloudbrowser.gui.navigation import Location, SearchLocation
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server, TestServer
from tests.gui.conftest import ServiceFactory

PAGE = 5  # a small page size, so that every listing here spans several pages


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=PAGE, max_threads=4)


def make_window(
    qtbot: QtBot, service: StorageService, server: TestServer, **overrides: object
) -> MainWindow:
    conn = service.add_connection(server.settings(**overrides), server.credentials)
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.add_connection(conn.id)
    window.show()
    return window


def wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)


def names(window: MainWindow) -> list[str]:
    model = window.view.model()
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def row_of(window: MainWindow, name: str) -> QModelIndex:
    return window.view.model().index(names(window).index(name), Column.NAME)


@pytest.fixture
def browsing(
    qtbot: QtBot, service: StorageService, any_server: TestServer
) -> tuple[MainWindow, str]:
    """A window browsing a bucket on memory (no server), moto and rclone."""
    server = any_server
    bucket = server.bucket("browse")
    keys = [f"docs/file-{i:02d}.txt" for i in range(12)] + [
        "docs/sub/inner.txt",
        "docs/zeta/z.txt",
        "readme.md",
        "big/x.bin",
    ]
    bodies = {k: b"x" * (i * 10) for i, k in enumerate(keys)}
    server.put(bucket, bodies)
    window = make_window(qtbot, service, server)
    wait_loaded(qtbot, window)
    return window, bucket


def test_connection_root_lists_buckets_then_opens_one(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    window, bucket = browsing
    assert bucket in names(window)
    window.view.setCurrentIndex(row_of(window, bucket))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert names(window) == ["big", "docs", "readme.md"]
    assert window.history.current == Location(window.history.current.connection, bucket, "")
    assert "folders" in window._counts_label.text() or "folder" in window._counts_label.text()


def test_listing_streams_page_by_page(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    conn = window.history.current.connection
    inserts: list[int] = []
    loading_at_insert: list[bool] = []

    def on_insert(_parent: QModelIndex, first: int, last: int) -> None:
        inserts.append(last - first + 1)
        loading_at_insert.append(window.list_model.loading)

    window.list_model.rowsInserted.connect(on_insert)
    window.navigate(Location(conn, bucket, "docs/"))
    assert window.loading_bar.isVisibleTo(window)
    wait_loaded(qtbot, window)
    assert len(inserts) >= 3, "pages must be inserted as they arrive, not all at the end"
    assert max(inserts) <= PAGE
    assert loading_at_insert[0] is True  # rows were visible while later pages still loaded
    assert names(window) == ["sub", "zeta"] + [f"file-{i:02d}.txt" for i in range(12)]
    assert not window.loading_bar.isVisibleTo(window)
    assert window._counts_label.text().startswith("2 folders, 12 objects")


def test_tree_expands_lazily(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    model = window.tree_model
    conn = window.history.current.connection
    qtbot.waitUntil(lambda: model.node_state(Location(conn)) == State.LOADED)
    bucket_index = model.index_for(Location(conn, bucket))
    assert bucket_index.isValid()
    assert model.rowCount(bucket_index) == 0 and model.canFetchMore(bucket_index)
    window.tree.expand(bucket_index)
    qtbot.waitUntil(lambda: model.node_state(Location(conn, bucket)) == State.LOADED)
    children = [model.index(r, 0, bucket_index).data() for r in range(model.rowCount(bucket_index))]
    assert children == ["big", "docs"]  # folders only; objects stay in the list
    docs = model.index_for(Location(conn, bucket, "docs/"))
    window.tree.expand(docs)
    qtbot.waitUntil(lambda: model.node_state(Location(conn, bucket, "docs/")) == State.LOADED)
    assert [model.index(r, 0, docs).data() for r in range(model.rowCount(docs))] == ["sub", "zeta"]
    # Clicking a tree node navigates the list there.
    window.tree.setCurrentIndex(docs)
    wait_loaded(qtbot, window)
    assert window.history.current == docs.data(LocationRole)
    assert "file-00.txt" in names(window)


def test_sorting_keeps_folders_first(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    window.view.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)
    listed = names(window)
    assert listed[:2] == ["zeta", "sub"]  # folders first, in the same direction
    sizes = [window.view.model().index(r, 0).data(EntryRole).size for r in range(2, len(listed))]
    assert sizes == sorted(sizes, reverse=True)
    window.view.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    assert names(window)[:3] == ["sub", "zeta", "file-00.txt"]


def test_sort_applies_to_pages_still_arriving(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    window, bucket = browsing
    conn = window.history.current.connection
    window.view.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    sizes = [window.view.model().index(r, 0).data(EntryRole).size for r in range(2, 14)]
    assert sizes == sorted(sizes, reverse=True)


def test_filter_narrows_the_loaded_rows(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    qtbot.keyClicks(window.filter_edit, "FILE-1")
    assert names(window) == ["file-10.txt", "file-11.txt"]
    assert "2 shown" in window._counts_label.text()
    window.filter_edit.clear()
    assert len(names(window)) == 14


def click(window: MainWindow, name: str) -> None:
    rect = window.view.visualRect(row_of(window, name))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_status_bar_says_what_is_selected(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    """As Explorer and WinSCP do: how many rows are selected and their files' bytes."""
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    assert window._selection_label.text() == ""
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    # 2 folders and file-00 … file-11 of 0, 10, … 110 bytes
    assert window._selection_label.text() == "14 items selected, 660 bytes"
    click(window, "file-03.txt")
    assert window._selection_label.text() == "1 item selected, 30 bytes"
    click(window, "sub")
    assert window._selection_label.text() == "1 item selected"  # a folder's size is not listed
    QTest.keyClick(window.view, Qt.Key.Key_Return)  # into sub/: nothing selected there
    wait_loaded(qtbot, window)
    assert window._selection_label.text() == ""


def test_filter_box_keys_lead_back_to_the_list(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    """As a file manager's search box: Down or Enter go to the rows found, Escape clears
    the filter and, pressed again, goes back to the list."""
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.filter_edit, "file-1")
    QTest.keyClick(window.filter_edit, Qt.Key.Key_Down)
    assert window.view.hasFocus()
    assert [e.key for e in window.selected_entries()] == ["docs/file-10.txt"]
    QTest.keyClick(window.view, Qt.Key.Key_Down)
    assert window.view.currentIndex().data() == "file-11.txt"

    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.view.hasFocus()
    assert window.view.currentIndex().data() == "file-11.txt"  # the cursor stays

    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.filter_edit.text() == "" and len(names(window)) == 14
    assert window.filter_edit.hasFocus()
    QTest.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.view.hasFocus()


def test_history_back_forward_up_and_keys(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, ""))
    wait_loaded(qtbot, window)
    window.view.setFocus()
    window.view.setCurrentIndex(row_of(window, "docs"))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    window.view.setCurrentIndex(row_of(window, "sub"))
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn, bucket, "docs/sub/")
    assert names(window) == ["inner.txt"]

    QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn, bucket, "docs/")
    QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn, bucket, "docs/sub/")
    QTest.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn, bucket, "docs/")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Backspace)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn, bucket, "")
    assert not window.forward_action.isEnabled()  # going somewhere new drops "forward"
    QTest.keyClick(window.view, Qt.Key.Key_Backspace)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn)
    assert not window.up_action.isEnabled()


def test_a_typed_object_path_shows_the_object_in_its_folder(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    """A pasted ``s3://bucket/folder/file`` shows the file, selected, in its folder (not an
    empty folder "file/"); a path that names nothing stays an empty folder to upload to."""
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate_to_text(f"s3://{bucket}/docs/file-11.txt")
    qtbot.waitUntil(lambda: window.view.currentIndex().data() == "file-11.txt", timeout=25_000)
    assert window.history.current == Location(conn, bucket, "docs/")
    assert window.list_model.location == Location(conn, bucket, "docs/")
    QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.history.current == Location(conn)  # where it was: not the empty "folder"

    window.navigate_to_text(f"{bucket}/docs/new-folder")
    wait_loaded(qtbot, window)
    qtbot.waitUntil(lambda: window.service.runner.active == 0, timeout=25_000)
    assert window.history.current == Location(conn, bucket, "docs/new-folder/")


def test_going_up_or_back_puts_the_cursor_on_the_folder_left(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    """As in a desktop file manager: after Backspace, Alt+Up or Back the folder just left
    is the current, selected row, so that the arrows go on from there. ``docs/zeta/`` is
    on the listing's last page: the row is found as the pages arrive."""
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/zeta/"))
    wait_loaded(qtbot, window)
    window.view.setFocus()

    QTest.keyClick(window.view, Qt.Key.Key_Backspace)
    wait_loaded(qtbot, window)
    assert window.view.currentIndex().data() == "zeta"
    assert [e.key for e in window.selected_entries()] == ["docs/zeta/"]
    QTest.keyClick(window.view, Qt.Key.Key_Up)
    assert window.view.currentIndex().data() == "sub"

    QTest.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.view.currentIndex().data() == "docs"
    QTest.keyClick(window.view, Qt.Key.Key_Backspace)
    wait_loaded(qtbot, window)
    assert window.view.currentIndex().data() == bucket  # the bucket, in the bucket list

    QTest.keyClick(window.view, Qt.Key.Key_Return)  # into the bucket, then back out
    wait_loaded(qtbot, window)
    assert not window.view.currentIndex().isValid()  # going down selects nothing
    QTest.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    wait_loaded(qtbot, window)
    assert window.view.currentIndex().data() == bucket


def test_ctrl_l_goes_to_a_typed_location(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    window, bucket = browsing
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.path_bar.currentWidget() is window.path_bar.edit
    window.path_bar.edit.clear()
    qtbot.keyClicks(window.path_bar.edit, f"s3://{bucket}/docs/sub")
    QTest.keyClick(window.path_bar.edit, Qt.Key.Key_Return)
    wait_loaded(qtbot, window)
    assert window.history.current.prefix == "docs/sub/"
    assert names(window) == ["inner.txt"]
    assert window.path_bar.currentWidget() is not window.path_bar.edit
    assert f"{bucket}/docs/sub/" in window.windowTitle()
    # The keys go on in the list, as after Nautilus's Ctrl+L, not on a breadcrumb button.
    assert window.view.hasFocus()
    window.tree.setFocus()
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window.path_bar.edit, Qt.Key.Key_Escape)  # given up: back where it was
    assert window.path_bar.currentWidget() is not window.path_bar.edit
    assert window.tree.hasFocus()


def test_a_typed_scheme_alone_goes_to_the_bucket_list(
    browsing: tuple[MainWindow, str], qtbot: QtBot
) -> None:
    """ "s3://" (or "gs://", "/") in the path bar is the connection's root, as an empty one
    is; it said "No bucket name in the location"."""
    window, bucket = browsing
    for text in ("s3://", "gs://", "/"):
        window.navigate(Location(window.history.current.connection, bucket, "docs/"))
        wait_loaded(qtbot, window)
        window.navigate_to_text(text)
        wait_loaded(qtbot, window)
        assert window.history.current.is_connection_root, text
        assert bucket in names(window)


def test_f5_refresh_shows_new_objects(
    browsing: tuple[MainWindow, str], qtbot: QtBot, any_server: TestServer
) -> None:
    server = any_server  # the one ``browsing`` shows
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "big/"))
    wait_loaded(qtbot, window)
    assert names(window) == ["x.bin"]
    server.put(bucket, ["big/y.bin"])
    QTest.keyClick(window, Qt.Key.Key_F5)
    wait_loaded(qtbot, window)
    assert names(window) == ["x.bin", "y.bin"]


def test_navigating_away_drops_the_old_listing(
    qtbot: QtBot, service: StorageService, server: S3Server
) -> None:
    bucket = server.bucket("stale")
    server.put(bucket, [f"slow/k{i:03d}" for i in range(40)] + ["fast/only.txt"])
    window = make_window(qtbot, service, server)
    wait_loaded(qtbot, window)
    conn = window.history.current.connection
    model = window.list_model

    # The user leaves as soon as the first page of "slow/" is on screen.
    def leave(*_: object) -> None:
        model.rowsInserted.disconnect(leave)
        window.navigate(Location(conn, bucket, "fast/"))

    model.rowsInserted.connect(leave)
    window.navigate(Location(conn, bucket, "slow/"))
    old_job = model._job
    assert old_job is not None
    wait_loaded(qtbot, window)
    assert old_job.cancelled
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=25_000)
    assert names(window) == ["only.txt"]
    # A page of the old listing that arrives late (it was on the wire) is dropped.
    late = ListPage(objects=[Entry(key="slow/late.txt", size=1)], next_token="more")
    old_job.signals.progress.emit(late)
    old_job.signals.finished.emit()
    assert names(window) == ["only.txt"] and not model.loading


def test_stop_keeps_partial_rows(qtbot: QtBot, service: StorageService, server: S3Server) -> None:
    bucket = server.bucket("stop")
    server.put(bucket, [f"many/k{i:03d}" for i in range(40)])
    window = make_window(qtbot, service, server)
    wait_loaded(qtbot, window)
    conn = window.history.current.connection

    # The user presses Stop as soon as the first page is on screen.
    def press_stop(*_: object) -> None:
        window.list_model.rowsInserted.disconnect(press_stop)
        window.stop_button.click()

    window.list_model.rowsInserted.connect(press_stop)
    window.navigate(Location(conn, bucket, "many/"))
    qtbot.waitUntil(lambda: window.list_model.stopped, timeout=25_000)
    assert not window.list_model.loading
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=25_000)
    assert window.list_model.rowCount() == PAGE  # the first page only, nothing after Stop
    assert "incomplete" in window.loading_label.text()
    qtbot.mouseClick(window.retry_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, window)
    assert window.list_model.rowCount() == 40


def test_bucket_deleted_meanwhile_shows_inline_error(
    browsing: tuple[MainWindow, str], qtbot: QtBot, any_server: TestServer
) -> None:
    server = any_server
    window, _ = browsing
    conn = window.history.current.connection
    empty = server.bucket("gone")
    window.navigate(Location(conn, empty, ""))
    wait_loaded(qtbot, window)
    assert window.stack.currentWidget() is window.view
    server.backend().delete_bucket(empty)
    window.refresh()
    wait_loaded(qtbot, window)
    assert window.stack.currentWidget() is window.error_panel
    assert window.error_panel.title.text() == "Bucket not found"
    assert empty in window.error_panel.message.text()
    assert window._counts_label.text() == ""  # not "0 folders, 0 objects, 0 bytes"


def test_wrong_secret_shows_clear_message(
    qtbot: QtBot, service: StorageService, rclone_server: S3Server
) -> None:
    # moto accepts any secret, so this runs against rclone.
    conn = service.add_connection(
        rclone_server.settings(),
        Credentials(rclone_server.credentials.access_key_id, "wrong-secret-0123456789"),
    )
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.add_connection(conn.id)
    wait_loaded(qtbot, window)
    assert window.stack.currentWidget() is window.error_panel
    assert window.error_panel.title.text() == "Invalid credentials"
    assert "secret" in window.error_panel.message.text().lower()
    assert "wrong-secret" not in window.error_panel.detail.text()
    # The tree shows the failure on the connection node, not a popup.
    root = window.tree_model.index(0, 0)
    qtbot.waitUntil(lambda: "invalid credentials" in root.data())


def test_dead_endpoint_shows_clear_message(qtbot: QtBot, service: StorageService) -> None:
    from cloudbrowser.core.connection import ConnectionSettings
    from tests.local_servers import free_port

    settings = ConnectionSettings(
        name="dead",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region="us-east-1",
        max_attempts=1,
    )
    conn = service.add_connection(settings, Credentials("some-access-key-id", "some-secret-value"))
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.add_connection(conn.id)
    wait_loaded(qtbot, window)
    assert window.error_panel.title.text() == "Cannot reach the server"
    # The heading and the line under it do not say the same thing twice.
    assert window.error_panel.message.text() == "Nothing answered at the server's address."
    # Nothing was listed: no "0 buckets", which would say the account has none.
    assert window._counts_label.text() == ""
    assert window.error_panel.retry.text() == "Retry"
    qtbot.mouseClick(window.error_panel.retry, Qt.MouseButton.LeftButton)
    assert window.list_model.loading  # retry really retries
    wait_loaded(qtbot, window)
    assert window.stack.currentWidget() is window.error_panel


def test_timeout_shows_clear_message(qtbot: QtBot, service: StorageService) -> None:
    from cloudbrowser.core.connection import ConnectionSettings
    from tests.faults import SilentServer

    with SilentServer() as silent:
        settings = ConnectionSettings(
            name="silent",
            endpoint_url=silent.url,
            region="us-east-1",
            max_attempts=1,
            read_timeout=0.5,
        )
        conn = service.add_connection(
            settings, Credentials("some-access-key-id", "some-secret-value")
        )
        window = MainWindow(service)
        qtbot.addWidget(window)
        window.add_connection(conn.id)
        wait_loaded(qtbot, window)
        assert window.error_panel.title.text() == "The server did not answer in time"


def test_access_denied_on_one_bucket_leaves_others_browsable(
    qtbot: QtBot, service: StorageService, moto_server: S3Server
) -> None:
    from tests.faults import DenyingProxy

    private = moto_server.bucket("private")
    public = moto_server.bucket("public")
    moto_server.put(public, ["hello.txt", "dir/a.txt"])
    with DenyingProxy(moto_server.endpoint_url, {private}) as proxy:
        window = make_window(qtbot, service, moto_server, endpoint_url=proxy.url)
        wait_loaded(qtbot, window)
        conn = window.history.current.connection
        assert set(names(window)) >= {private, public}
        window.navigate(Location(conn, private))
        wait_loaded(qtbot, window)
        assert window.error_panel.title.text() == "Access denied"
        assert private in window.error_panel.message.text()
        # The tree marks the bucket, and its sibling still opens.
        index = window.tree_model.index_for(Location(conn, private))
        window.tree.expand(index)
        qtbot.waitUntil(
            lambda: window.tree_model.node_state(Location(conn, private)) == State.FAILED
        )
        assert "access denied" in index.data()
        window.navigate(Location(conn, public))
        wait_loaded(qtbot, window)
        assert window.stack.currentWidget() is window.view
        assert names(window) == ["dir", "hello.txt"]


def test_double_click_on_a_file_downloads_it_and_opens_it(
    browsing: tuple[MainWindow, str], qtbot: QtBot, any_server: TestServer, tmp_path: Path
) -> None:
    server = any_server
    window, bucket = browsing
    opened: list[str] = []
    window.transfers.opener = lambda url: opened.append(url.toLocalFile())
    window.transfers.settings = replace(
        window.transfers.settings, download_folder=str(tmp_path / "dl"), open_after_download=True
    )
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "big/"))
    wait_loaded(qtbot, window)
    index = row_of(window, "x.bin")
    rect = window.view.visualRect(index)
    # A real double-click is a press/release, then a double-click event at the same place.
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    target = tmp_path / "dl" / "x.bin"
    qtbot.waitUntil(lambda: opened == [str(target)], timeout=25_000)
    with server.backend().get_object(bucket, "big/x.bin") as reader:
        assert target.read_bytes() == reader.read(-1)
    assert window.transfer_dock.isVisible()
    # Again: the unchanged copy is opened as it is, not downloaded a second time.
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=25_000)
    assert window.transfers.model.rowCount() == 1
    assert "already downloaded" in window.statusBar().currentMessage()
    window.transfers.shutdown()


def test_open_is_the_context_menus_first_and_default_item(
    browsing: tuple[MainWindow, str], qtbot: QtBot, tmp_path: Path
) -> None:
    """Right-click › Open (bold, first, as in a desktop file manager) does what Enter does:
    a folder is shown, a file is downloaded and opened. The menu began with Download."""
    from PySide6.QtWidgets import QMenu

    window, bucket = browsing
    opened: list[str] = []
    window.transfers.opener = lambda url: opened.append(url.toLocalFile())
    window.transfers.settings = replace(
        window.transfers.settings, download_folder=str(tmp_path / "dl"), open_after_download=True
    )
    window.navigate(Location(window.history.current.connection, bucket, ""))
    wait_loaded(qtbot, window)

    def menu_on(name: str) -> QMenu:
        index = row_of(window, name)
        window.view.setCurrentIndex(index)
        window._list_context_menu(window.view.visualRect(index).center())
        return next(m for m in reversed(window.findChildren(QMenu)) if m.isVisible())

    menu = menu_on("docs")
    assert menu.actions()[0] is window.open_action
    assert menu.defaultAction() is window.open_action
    menu.close()
    window.open_action.trigger()
    wait_loaded(qtbot, window)
    assert window.history.current.prefix == "docs/"

    menu_on("file-03.txt").close()
    window.open_action.trigger()
    target = tmp_path / "dl" / "file-03.txt"
    qtbot.waitUntil(lambda: opened == [str(target)], timeout=25_000)
    assert target.read_bytes() == b"x" * 30
    window.transfers.shutdown()


def test_enter_on_several_selected_files_opens_each(
    browsing: tuple[MainWindow, str],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enter on one of several selected files downloads and opens every selected file (the
    folders among them are left alone), as a desktop file manager opens a selection; from
    OPEN_MANY_ASKS files on it asks first, and Cancel queues nothing."""
    from PySide6.QtWidgets import QMessageBox

    import cloudbrowser.gui.message_icons as message_icons
    import cloudbrowser.gui.widgets.main_window as main_window
    from cloudbrowser.core.transfer_plan import ConflictPolicy

    window, bucket = browsing
    opened: list[str] = []
    window.transfers.opener = lambda url: opened.append(url.toLocalFile())
    window.transfers.settings = replace(
        window.transfers.settings,
        download_folder=str(tmp_path / "dl"),
        open_after_download=True,
        conflict_policy=ConflictPolicy.OVERWRITE,
    )
    window.navigate(Location(window.history.current.connection, bucket, "docs/"))
    wait_loaded(qtbot, window)
    window.view.setFocus()
    click(window, "file-03.txt")
    rect = window.view.visualRect(row_of(window, "file-05.txt"))
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, ctrl, rect.center())
    rect = window.view.visualRect(row_of(window, "sub"))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, ctrl, rect.center())
    # The cursor goes back onto a file, the selection stays: Enter opens the files.
    window.view.selectionModel().setCurrentIndex(
        row_of(window, "file-05.txt"), QItemSelectionModel.SelectionFlag.NoUpdate
    )
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    dl = tmp_path / "dl"
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=25_000)
    assert sorted(opened) == [str(dl / "file-03.txt"), str(dl / "file-05.txt")]
    assert window.history.current.prefix == "docs/"  # the folder selected was not entered

    asked: list[str] = []
    answer = QMessageBox.StandardButton.Cancel

    def ask(_parent: object, _title: str, text: str, *_args: object) -> object:
        asked.append(text)
        return answer

    monkeypatch.setattr(message_icons, "ask", ask)
    monkeypatch.setattr(main_window, "OPEN_MANY_ASKS", 3)
    QTest.keyClick(window.view, Qt.Key.Key_A, ctrl)  # 12 files and 2 folders
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    assert asked == ["Open 12 files? Each is downloaded and opened in its program."]
    assert len(opened) == 2
    answer = QMessageBox.StandardButton.Open
    QTest.keyClick(window.view, Qt.Key.Key_Return)
    # Two were downloaded already: overwritten (the settings' answer), and opened again.
    qtbot.waitUntil(lambda: len(set(opened)) == 12, timeout=25_000)
    assert {Path(p).name for p in opened} == {f"file-{i:02d}.txt" for i in range(12)}
    window.transfers.shutdown()


def test_closing_the_window_during_a_hung_request_is_bounded(
    qtbot: QtBot, service: StorageService
) -> None:
    import time

    from cloudbrowser.core.connection import ConnectionSettings
    from tests.faults import SilentServer

    with SilentServer() as silent:
        settings = ConnectionSettings(
            name="hung",
            endpoint_url=silent.url,
            region="us-east-1",
            max_attempts=1,
            read_timeout=30,
        )
        conn = service.add_connection(settings, Credentials("some-access-key-id", "some-secret"))
        window = MainWindow(service)
        qtbot.addWidget(window)
        window.add_connection(conn.id)
        assert window.list_model.loading
        started = time.monotonic()
        window.close()
        assert time.monotonic() - started < 5  # bounded: the request is abandoned, not awaited
        assert not window.list_model.loading
    # The abandoned request ends once the server is gone; let it end while the window lives
    # (see the service fixture).
    qtbot.waitUntil(lambda: service.runner.active == 0, timeout=10_000)


def test_double_click_when_no_program_opens_the_file_says_where_it_is(
    browsing: tuple[MainWindow, str], qtbot: QtBot, tmp_path: Path
) -> None:
    """No program for the file (the desktop answers False): the window says where it was
    saved, and Show in folder opens that folder."""
    from PySide6.QtWidgets import QMessageBox

    window, bucket = browsing
    asked: list[str] = []

    def no_program(url: QUrl) -> bool:
        asked.append(url.toLocalFile())
        return Path(url.toLocalFile()).is_dir()  # folders open, the .txt file does not

    window.transfers.opener = no_program
    window.transfers.settings = replace(
        window.transfers.settings, download_folder=str(tmp_path / "dl"), open_after_download=True
    )
    window.navigate(Location(window.history.current.connection, bucket, "docs/"))
    wait_loaded(qtbot, window)
    rect = window.view.visualRect(row_of(window, "file-03.txt"))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    box: QMessageBox | None = None

    def shown() -> bool:
        nonlocal box
        box = window.findChild(QMessageBox, "noApplication")
        return box is not None and box.isVisible()

    qtbot.waitUntil(shown, timeout=25_000)
    assert box is not None
    target = tmp_path / "dl" / "file-03.txt"
    assert box.text() == f"Saved to {target}; no application is set to open .txt files."
    show = next(b for b in box.buttons() if b.text() == "Show in folder")
    show.click()
    assert asked == [str(target), str(target.parent)]


def test_refresh_keeps_the_current_row(browsing: tuple[MainWindow, str], qtbot: QtBot) -> None:
    """F5 lists the folder again without losing the user's place, even on a later page."""
    window, bucket = browsing
    conn = window.history.current.connection
    window.navigate(Location(conn, bucket, "docs/"))
    wait_loaded(qtbot, window)
    window.view.setFocus()
    click(window, "file-11.txt")
    QTest.keyClick(window.view, Qt.Key.Key_F5)
    wait_loaded(qtbot, window)
    assert window.view.currentIndex().data() == "file-11.txt"
    assert [e.key for e in window.selected_entries()] == ["docs/file-11.txt"]


def test_a_long_name_keeps_its_end_in_a_narrow_column(
    qtbot: QtBot, service: StorageService, memory_server: TestServer
) -> None:
    """Long keys differ at their ends (a date, a number, an extension): elided in the
    middle, as the Transfers panel and Finder do, two of them are still told apart."""
    bucket = memory_server.bucket("long")
    stem = "exports/" + "nightly-warehouse-snapshot-" * 4
    memory_server.put(bucket, [f"{stem}0001.csv", f"{stem}0002.csv"])
    window = make_window(qtbot, service, memory_server)
    wait_loaded(qtbot, window)
    window.navigate(Location(window.history.current.connection, bucket, "exports/"))
    wait_loaded(qtbot, window)
    option = QStyleOptionViewItem()
    window.view.initViewItemOption(option)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    metrics = window.view.fontMetrics()
    shown = [metrics.elidedText(n, option.textElideMode, 300) for n in names(window)]
    assert shown[0] != shown[1] and shown[0].endswith("0001.csv")


def test_one_byte_is_said_in_the_singular(
    qtbot: QtBot, service: StorageService, memory_server: TestServer
) -> None:
    """Qt's formattedDataSize says "1 bytes" in English: the window says "1 byte"."""
    bucket = memory_server.bucket("one")
    memory_server.put(bucket, {"one.txt": b"1", "two.txt": b"22"})
    window = make_window(qtbot, service, memory_server)
    wait_loaded(qtbot, window)
    window.navigate(Location(window.history.current.connection, bucket))
    wait_loaded(qtbot, window)
    size = window.view.model().index(names(window).index("one.txt"), Column.SIZE)
    assert size.data() == "1 byte"
    click(window, "one.txt")
    assert window._selection_label.text() == "1 item selected, 1 byte"
    click(window, "two.txt")
    assert window._selection_label.text() == "1 item selected, 2 bytes"


def test_child_toward_names_the_row_on_the_way_down() -> None:
    here = Location("c", "b", "x/")
    assert Location("c").child_toward(Location("c", "b", "x/y/")) == "b/"
    assert Location("c", "b").child_toward(Location("c", "b", "x/y/")) == "x/"
    assert here.child_toward(Location("c", "b", "x/y/z/")) == "x/y/"
    assert Location("c", "b", "a//").child_toward(Location("c", "b", "a///")) == "a///"
    for elsewhere in (
        here,
        Location("c", "b2", "x/y/"),
        Location("d", "b", "x/y/"),
        Location("c", "b", "xy/"),  # beside, not below
        Location("c"),
        SearchLocation("c", "b", "x/y/", "q"),  # results: no folder rows to return to
    ):
        assert here.child_toward(elsewhere) is None
