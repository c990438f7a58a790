"""The bucket tree follows where the list is, and never lists the list's folder again.

Against moto behind the hostile front, which records every request: listings are counted
per (bucket, prefix), so "listed once" is what the server saw, not what the model says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from cloudbrowser.gui.models.bucket_tree import LocationRole, State
from cloudbrowser.gui.models.object_list import Column
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, open_window
from tests.hostile import HostileS3, Request

PAGE = 4  # every listing here spans pages


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=PAGE, max_threads=4)


def listings(hostile: HostileS3, bucket: str, prefix: str) -> int:
    """How many listings of ``bucket/prefix`` (each page counted once: a listing's first
    request has no continuation token) the server received."""

    def first_page(r: Request) -> bool:
        return (
            r.is_listing()
            and r.bucket == bucket
            and r.query.get("prefix", "") == prefix
            and "continuation-token" not in r.query
        )

    return len(hostile.requests_matching(first_page))


def bucket_list_requests(hostile: HostileS3) -> int:
    return len(hostile.requests_matching(lambda r: r.method == "GET" and r.path in ("", "/")))


def tree_current(window: MainWindow) -> Location | None:
    return window.tree.currentIndex().data(LocationRole)


def wait_tree_at(qtbot: QtBot, window: MainWindow, location: Location) -> None:
    qtbot.waitUntil(lambda: tree_current(window) == location, timeout=25_000)
    qtbot.waitUntil(lambda: not window.list_model.loading, timeout=25_000)


def tree_children(window: MainWindow, location: Location) -> list[str]:
    model = window.tree_model
    index = model.index_for(location)
    return [model.index(r, 0, index).data() for r in range(model.rowCount(index))]


def type_location(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Ctrl+L, type, Enter — as a user does."""
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    edit = window.path_bar.edit
    assert edit.hasFocus()
    edit.setText(text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


@pytest.fixture
def seeded(hostile_server: S3Server) -> str:
    bucket = hostile_server.bucket("follow")
    hostile_server.put(
        bucket,
        ["docs/trial/smallfolder/sub/x.txt", "docs/trial/smallfolder/other/y.txt"]
        + [f"docs/trial/smallfolder/f{i}.txt" for i in range(6)]
        + [f"docs/trial/t{i}/z" for i in range(5)]
        + ["photos/2024/a.jpg", "photos/2023/b.jpg"],
    )
    return bucket


def test_tree_expands_to_and_selects_where_the_list_goes(
    qtbot: QtBot, service: StorageService, hostile_server: S3Server, seeded: str, tmp_path: Path
) -> None:
    bucket, hostile = seeded, hostile_server.hostile
    assert hostile is not None
    window = open_window(qtbot, service, hostile_server, tmp_path)
    try:
        window.activateWindow()
        conn = window.history.current.connection
        qtbot.waitUntil(lambda: window.tree_model.index_for(Location(conn, bucket)).isValid())

        # Ctrl+L deep into the bucket: every folder above is expanded, the folder selected.
        deep = Location(conn, bucket, "docs/trial/smallfolder/sub/")
        type_location(qtbot, window, f"{bucket}/docs/trial/smallfolder/sub/")
        wait_tree_at(qtbot, window, deep)
        for above in (
            Location(conn),
            Location(conn, bucket),
            Location(conn, bucket, "docs/"),
            Location(conn, bucket, "docs/trial/"),
            Location(conn, bucket, "docs/trial/smallfolder/"),
        ):
            assert window.tree.isExpanded(window.tree_model.index_for(above)), above

        # Up, Back and Forward move the selection with the list.
        window.go_up()
        wait_tree_at(qtbot, window, Location(conn, bucket, "docs/trial/smallfolder/"))
        window.go_back()
        wait_tree_at(qtbot, window, deep)
        window.go_forward()
        wait_tree_at(qtbot, window, Location(conn, bucket, "docs/trial/smallfolder/"))
        window.go_back()
        window.go_back()
        wait_tree_at(qtbot, window, Location(conn))

        # A double-click (Enter) into a folder of the list.
        type_location(qtbot, window, f"{bucket}/photos/")
        wait_tree_at(qtbot, window, Location(conn, bucket, "photos/"))
        names = [window.list_model.index(r, Column.NAME).data() for r in range(2)]
        window.view.setFocus()
        window.view.setCurrentIndex(window.list_model.index(names.index("2024"), Column.NAME))
        QTest.keyClick(window.view, Qt.Key.Key_Return)
        wait_tree_at(qtbot, window, Location(conn, bucket, "photos/2024/"))
        assert tree_children(window, Location(conn, bucket)) == ["docs", "photos"]
    finally:
        window.transfers.shutdown()


def test_the_tree_takes_the_lists_folders_instead_of_listing_them_again(
    qtbot: QtBot, service: StorageService, hostile_server: S3Server, seeded: str, tmp_path: Path
) -> None:
    bucket, hostile = seeded, hostile_server.hostile
    assert hostile is not None
    window = open_window(qtbot, service, hostile_server, tmp_path)
    try:
        conn = window.history.current.connection
        model = window.tree_model
        # The connection's buckets: one request for the list and the tree together.
        qtbot.waitUntil(lambda: model.node_state(Location(conn)) == State.LOADED)
        assert bucket_list_requests(hostile) == 1

        folder = Location(conn, bucket, "docs/trial/")
        window.navigate(folder)
        wait_tree_at(qtbot, window, folder)
        # Expanding the node of the folder shown lists nothing: its children are the
        # folders of the list's pages (seven, over two pages of four).
        window.tree.collapse(model.index_for(folder))
        window.tree.expand(model.index_for(folder))
        qtbot.waitUntil(lambda: model.node_state(folder) == State.LOADED)
        assert tree_children(window, folder) == ["smallfolder"] + [f"t{i}" for i in range(5)]
        assert listings(hostile, bucket, "docs/trial/") == 1

        # F5 lists it once more (for the list); a folder deleted meanwhile leaves the tree,
        # the expanded ones stay expanded.
        small = model.index_for(Location(conn, bucket, "docs/trial/smallfolder/"))
        window.tree.expand(small)
        qtbot.waitUntil(lambda: model.node_state(small.data(LocationRole)) == State.LOADED)
        hostile_server.client.delete_object(Bucket=bucket, Key="docs/trial/t4/z")
        window.refresh()
        qtbot.waitUntil(lambda: model.node_state(folder) == State.LOADED)
        qtbot.waitUntil(lambda: not window.list_model.loading)
        assert tree_children(window, folder) == ["smallfolder"] + [f"t{i}" for i in range(4)]
        assert window.tree.isExpanded(model.index_for(small.data(LocationRole)))
        assert listings(hostile, bucket, "docs/trial/") == 2

        # Opening a folder whose node the tree has not loaded yet (its parent is still
        # unlisted) lists that folder once too.
        window.navigate(Location(conn, bucket, "photos/2023/"))
        wait_tree_at(qtbot, window, Location(conn, bucket, "photos/2023/"))
        qtbot.waitUntil(
            lambda: model.node_state(Location(conn, bucket, "photos/2023/")) in (State.LOADED,)
        )
        assert listings(hostile, bucket, "photos/2023/") == 1
        assert listings(hostile, bucket, "photos/") == 1  # the tree's, to show the way
    finally:
        window.transfers.shutdown()
