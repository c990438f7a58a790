"""Every model passes Qt's model tester while it loads, sorts and filters."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from cloudbrowser.core.entries import Entry
from cloudbrowser.gui.models import object_list
from cloudbrowser.gui.models.bucket_tree import BucketTreeModel, State
from cloudbrowser.gui.models.object_list import Column, ObjectListModel
from cloudbrowser.gui.navigation import Location
from cloudbrowser.gui.service import StorageService
from tests.conftest import TestServer
from tests.gui.conftest import ServiceFactory


@pytest.fixture
def seeded(any_server: TestServer) -> Iterator[tuple[TestServer, str]]:
    """The same data on the in-memory backend (no server: the fast lane), moto and rclone."""
    bucket = any_server.bucket("model")
    any_server.put(bucket, [f"p/f{i:02d}.txt" for i in range(11)] + ["p/q/a", "p/r/b", "top"])
    yield any_server, bucket


@pytest.fixture
def service(make_service: ServiceFactory) -> StorageService:
    return make_service(page_size=4, max_threads=2)


def test_object_list_model_passes_model_tester(
    qtbot: QtBot, qtmodeltester: object, seeded: tuple[TestServer, str], service: StorageService
) -> None:
    server, bucket = seeded
    conn = service.add_connection(server.settings(), server.credentials)
    model = ObjectListModel(service)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.show(Location(conn.id, bucket, "p/"))
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    assert model.rowCount() == 13
    model.sort(Column.SIZE, Qt.SortOrder.DescendingOrder)
    model.set_filter("F0")
    assert model.rowCount() == 10
    assert model.counts()[:2] == (2, 11)  # counts are of everything loaded
    model.set_filter("")
    assert model.rowCount() == 13
    model.show(Location(conn.id))
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    assert model.rowCount() >= 1
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_bucket_tree_model_passes_model_tester(
    qtbot: QtBot, qtmodeltester: object, seeded: tuple[TestServer, str], service: StorageService
) -> None:
    server, bucket = seeded
    conn = service.add_connection(server.settings(), server.credentials)
    model = BucketTreeModel(service)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    root = model.add_connection(conn.id)
    model.fetchMore(root)
    qtbot.waitUntil(lambda: model.node_state(Location(conn.id)) == State.LOADED, timeout=15_000)
    bucket_index = model.index_for(Location(conn.id, bucket))
    model.fetchMore(bucket_index)
    qtbot.waitUntil(
        lambda: model.node_state(Location(conn.id, bucket)) == State.LOADED, timeout=15_000
    )
    assert model.rowCount(bucket_index) == 1  # p/
    p = model.index_for(Location(conn.id, bucket, "p/"))
    model.fetchMore(p)
    qtbot.waitUntil(
        lambda: model.node_state(Location(conn.id, bucket, "p/")) == State.LOADED, timeout=15_000
    )
    assert [model.index(r, 0, p).data() for r in range(model.rowCount(p))] == ["q", "r"]
    model.refresh(bucket_index)
    qtbot.waitUntil(
        lambda: model.node_state(Location(conn.id, bucket)) == State.LOADED, timeout=15_000
    )
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    service.remove_connection(conn.id)
    assert model.rowCount() == 0


@pytest.mark.parametrize("sort", [Column.NAME, Column.SIZE])
def test_filter_applies_to_pages_still_arriving(
    qtbot: QtBot,
    qtmodeltester: object,
    seeded: tuple[TestServer, str],
    service: StorageService,
    sort: Column,
) -> None:
    server, bucket = seeded
    conn = service.add_connection(server.settings(), server.credentials)
    model = ObjectListModel(service)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.sort(sort, Qt.SortOrder.AscendingOrder)
    model.set_filter("1")  # set before any page arrives: f01, f10 and nothing else
    model.show(Location(conn.id, bucket, "p/"))
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    assert sorted(model.index(r, 0).data() for r in range(model.rowCount())) == [
        "f01.txt",
        "f10.txt",
    ]
    assert model.counts()[:2] == (2, 11)


def test_listed_rows_come_back_as_the_entries_the_listing_gave(
    qtbot: QtBot, seeded: tuple[TestServer, str], service: StorageService
) -> None:
    """The model keeps an MD5 ETag as 16 bytes; what it hands out is the listing's Entry."""
    server, bucket = seeded
    conn = service.add_connection(server.settings(), server.credentials)
    listed = server.backend(page_size=1000).list_page(bucket, "p/")
    model = ObjectListModel(service)
    model.show(Location(conn.id, bucket, "p/"))
    qtbot.waitUntil(lambda: not model.loading, timeout=15_000)
    shown = {model.entry(row).key: model.entry(row) for row in range(model.rowCount())}
    for entry in listed.prefixes + listed.objects:
        assert shown[entry.key] == entry
    # What the model keeps: an MD5 ETag as its bytes (S3's, the memory backend's).
    kept = {row[0]: row for row in model._all_files}
    packed = [e for e in listed.objects if object_list._packed(e.etag) != e.etag]
    assert packed, "the servers' ETags of single puts are MD5s"
    for entry in packed:
        assert kept[entry.key][object_list._ETAG] == bytes.fromhex(entry.etag)


@pytest.mark.parametrize(
    "etag, md5, packed",
    [
        ("9e107d9d372bb6826bd81d3542a419d6", "same", True),  # S3: one string for both
        ("9E107D9D372BB6826BD81D3542A419D6", "9e107d9d372bb6826bd81d3542a419d6", True),
        ("9e107d9d372bb6826bd81d3542a419d6-12", "", False),  # multipart: no MD5
        ("0x8DC9E1B0F0A1B2C", "9e107d9d372bb6826bd81d3542a419d6", True),  # Azure's revision
        ("CKih16GjycICEAE=", "", False),  # GCS's revision, a composite object
        ("zz107d9d372bb6826bd81d3542a419d6", "zz107d9d372bb6826bd81d3542a419d6", False),
        ("", "", False),
    ],
)
def test_a_row_keeps_an_md5_in_less_memory_and_gives_the_entry_back(
    etag: str, md5: str, packed: bool
) -> None:
    md5 = etag if md5 == "same" else md5
    entry = Entry("a/b.txt", 5, 1.5, etag, "STANDARD", md5=md5, crc32c="abcd", restore="")
    row = object_list._row_of(entry)
    assert object_list._entry_of(row) == entry
    gc.collect()  # a tuple of untracked values is untracked by its first collection
    assert type(row) is tuple and not gc.is_tracked(row)  # then never walked again

    def memory(values: tuple[object, ...]) -> int:
        return sum(sys.getsizeof(v) for v in {id(v): v for v in values}.values())

    if packed:
        assert memory(row) < memory(tuple(entry))
    else:
        assert row == tuple(entry)
