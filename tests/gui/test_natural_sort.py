"""Names sort naturally (bin-2 before bin-10), ignoring case, while pages stream in."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel
from cloudbrowser.gui.models.object_list import Column, ObjectListModel, Row, _merged
from cloudbrowser.gui.models.transfer_list import Column as TransferColumn
from cloudbrowser.gui.natural_sort import collator, compare, natural_sorted
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, go, open_window


def test_natural_sorted_orders_numbers_by_value_and_ignores_case() -> None:
    names = ["bin-10", "bin-2", "Bin-3", "bin-1", "bin-11", "alpha", "Zed"]
    assert natural_sorted(names) == ["alpha", "bin-1", "bin-2", "Bin-3", "bin-10", "bin-11", "Zed"]


def test_a_worker_sorts_with_a_collator_of_its_own() -> None:
    """QCollator is not thread-safe, and a drop's transfers are sorted on a worker: each
    thread has its own, which sorts the same."""
    import threading

    names = ["bin-10", "bin-2", "Bin-3", "bin-1"]
    seen: list[object] = []

    def work() -> None:
        seen.extend([collator(), natural_sorted(names)])

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen[0] is not collator()
    assert seen[1] == natural_sorted(names) == ["bin-1", "bin-2", "Bin-3", "bin-10"]


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=3, max_threads=2)


def names(model: ObjectListModel) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def test_the_list_sorts_names_naturally_across_pages(
    qtbot: QtBot, qtmodeltester: object, server: S3Server, service: StorageService
) -> None:
    bucket = server.bucket("natural")
    files = [f"bin-{i}" for i in range(1, 13)] + ["Bin-0.txt", "a.txt"]
    folders = ["dir-10/x", "dir-9/x", "dir-1/x"]
    server.put(bucket, files + folders)
    conn = service.add_connection(server.settings(), server.credentials)
    model = ObjectListModel(service)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    # Pages of 3 in the server's order (bin-1, bin-10, bin-11 | bin-12, bin-2…): each
    # later page has names that belong before rows already shown.
    model.show(Location(conn.id, bucket, ""))
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    expected = ["dir-1", "dir-9", "dir-10", "a.txt", "Bin-0.txt"] + [
        f"bin-{i}" for i in range(1, 13)
    ]
    assert names(model) == expected
    model.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert names(model) == expected[2::-1] + expected[:2:-1]
    model.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    assert names(model) == expected
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_a_folder_uploads_rows_show_in_natural_order(
    qtbot: QtBot, make_service: ServiceFactory, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket("natural-up")
    folder = tmp_path / "bins"
    folder.mkdir()
    for i in (1, 2, 10, 11, 3):
        (folder / f"bin-{i}").write_bytes(b"x")
    window = open_window(qtbot, make_service(max_threads=2), server, tmp_path)
    try:
        go(qtbot, window, bucket)
        window.upload_paths([folder], window.history.current)
        model = window.transfers.model
        # One batch row, its five files under it.
        qtbot.waitUntil(
            lambda: model.rowCount() == 1 and model.rowCount(model.index(0, 0)) == 5,
            timeout=25_000,
        )
        batch = model.index(0, 0)
        shown = [model.index(r, TransferColumn.NAME, batch).data() for r in range(5)]
        assert [s.rsplit("/", 1)[-1] for s in shown] == [f"bin-{i}" for i in (1, 2, 3, 10, 11)]
        qtbot.waitUntil(lambda: not window.transfers.queue.activity().busy, timeout=25_000)
    finally:
        window.transfers.shutdown()


@given(
    st.lists(st.from_regex(r"[a-cA-C]{0,2}[0-9]{0,3}", fullmatch=True), max_size=40),
    st.lists(st.from_regex(r"[a-cA-C]{0,2}[0-9]{0,3}", fullmatch=True), max_size=40),
)
def test_a_page_merged_into_the_rows_is_what_sorting_all_gives(
    rows: list[str], page: list[str]
) -> None:
    def as_rows(names: list[str]) -> list[Row]:
        return [(name, 0, 0.0, "", "", False) for name in natural_sorted(names)]

    merged = [r[0] for r in _merged(as_rows(rows), as_rows(page))]
    assert all(compare(a, b) <= 0 for a, b in itertools.pairwise(merged))
    assert sorted(merged) == sorted(rows + page)


def test_the_tree_keeps_folders_in_natural_order_as_pages_come(
    qtbot: QtBot, qtmodeltester: object, service: StorageService, server: S3Server
) -> None:
    """Pages fed as the file list feeds them (the model tester lists what it expands)."""
    bucket = server.bucket("tree")
    c = service.add_connection(server.settings(), server.credentials).id
    model = BucketTreeModel(service)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    root = model.add_connection(c)
    folder = Location(c, bucket, "p/")
    assert model.follow(Location(c))
    model.add_listed(Location(c), [Entry(key=f"{bucket}/", is_prefix=True)])
    model.end_following(Location(c), complete=True)
    assert model.follow(Location(c, bucket))
    model.add_listed(Location(c, bucket), [Entry(key="p/", is_prefix=True)])
    assert model.follow(folder)

    def page(*names: str) -> list[Entry]:
        return [Entry(key=f"p/{n}/", is_prefix=True) for n in names]

    def children() -> list[str]:
        index = model.index_for(folder)
        return [model.index(r, 0, index).data() for r in range(model.rowCount(index))]

    model.add_listed(folder, page("dir-1", "dir-10", "dir-11"))
    ten = QPersistentModelIndex(model.index_for(Location(c, bucket, "p/dir-10/")))
    model.add_listed(folder, page("dir-2", "dir-3", "dir-9"))
    model.add_listed(folder, page("dir-12", "Dir-13"))
    model.end_following(folder, complete=True)
    assert children() == [f"dir-{i}" for i in (1, 2, 3, 9, 10, 11, 12)] + ["Dir-13"]
    # An index kept on a row (as the view keeps expanded and selected rows) follows it.
    assert ten.isValid() and ten.data() == "dir-10"
    assert ten.row() == 4
    assert root.isValid()
    qtmodeltester.check(model)  # type: ignore[attr-defined]
