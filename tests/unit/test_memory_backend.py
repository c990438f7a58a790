"""What the in-memory backend promises beyond the backend contract (tests/conformance):
stores shared per address, one lock for many threads, the three versioning states."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from cloudbrowser.core import versions as walks
from cloudbrowser.core.backends import features_of, open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import versions_of
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest
from tests.conftest import MemoryServer


def test_two_connections_to_one_address_share_the_store(memory_server: MemoryServer) -> None:
    one = memory_server.backend()
    other = open_storage(memory_server.settings(name="another connection"))
    one.create_bucket("shared")
    other.put_object("shared", "k", b"seen by both", content_md5="")
    with one.get_object("shared", "k") as reader:
        assert reader.read(-1) == b"seen by both"
    elsewhere = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://other"))
    assert "shared" not in [b.name for b in elsewhere.list_buckets()]


def test_features_are_known_without_opening(memory_server: MemoryServer) -> None:
    features = features_of(memory_server.settings())
    assert features == memory_server.backend().features
    assert features.versions and features.tags and features.share_links
    assert features.uri_scheme == "memory"


def test_many_threads_write_and_list_at_once(memory_server: MemoryServer) -> None:
    storage = memory_server.backend(page_size=7)
    storage.create_bucket("busy")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                storage.put_object("busy", f"t{n}/k{i:02d}", b"x", content_md5="")
                storage.list_page("busy", f"t{n}/")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = []
    token = ""
    while True:
        page = storage.list_page("busy", "", token, recursive=True)
        keys += [e.key for e in page.objects]
        token = page.next_token
        if not token:
            break
    assert keys == sorted(f"t{n}/k{i:02d}" for n in range(8) for i in range(50))


def test_a_suspended_bucket_overwrites_its_null_version(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    storage = memory_server.backend()
    versions = versions_of(storage)
    memory_server.store.set_versioning(bucket, "Enabled")
    memory_server.put(bucket, {"k": b"kept"})
    memory_server.store.set_versioning(bucket, "Suspended")
    assert versions.bucket_versioning(bucket) == "Suspended"
    memory_server.put(bucket, {"k": b"null one"})
    memory_server.put(bucket, {"k": b"null two"})
    history = walks.object_versions(storage, bucket, "k")
    assert [(v.size, v.version_id == "null") for v in history] == [(8, True), (4, False)]


def test_a_version_listing_goes_on_after_its_marker_was_deleted(
    memory_server: MemoryServer,
) -> None:
    """A walk that deletes each page's versions before asking for the next one (emptying a
    bucket) must still meet every version: the page's last one, its marker, is gone then."""
    bucket = memory_server.bucket()
    storage = memory_server.backend()
    versions = versions_of(storage)
    memory_server.store.set_versioning(bucket, "Enabled")
    for n in range(5):
        memory_server.put(bucket, {"a": b"x" * (n + 1), "b": b"y"})
    seen: list[str] = []
    key_marker = version_marker = ""
    while True:
        page = versions.list_versions_page(bucket, "", key_marker, version_marker, limit=2)
        for v in page.versions:
            seen.append(f"{v.key}:{v.size}")
            versions.delete_version(bucket, v.key, v.version_id)
        if not page.next_key_marker:
            break
        key_marker, version_marker = page.next_key_marker, page.next_version_marker
    assert seen == [*(f"a:{n}" for n in range(5, 0, -1)), *(["b:1"] * 5)]
    assert walks.object_versions(storage, bucket, "a") == []


def test_a_token_from_elsewhere_is_refused(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    with pytest.raises(StorageError) as refused:
        memory_server.backend().list_page(bucket, "", "not-a-token")
    assert refused.value.code == "InvalidArgument"


def test_the_transfer_engine_round_trips_a_chunked_file(
    memory_server: MemoryServer, tmp_path: Path
) -> None:
    """The engine on memory: a multipart upload, verified, and a ranged download back."""
    storage = memory_server.backend()
    bucket = memory_server.bucket()
    min_chunk = storage.features.limits.min_chunk
    data = hashlib.shake_256(b"memory round trip").digest(2 * min_chunk + 123)
    source = tmp_path / "up.bin"
    source.write_bytes(data)
    name = storage.settings.name
    options = TransferOptions(part_size=min_chunk, concurrency=2, part_concurrency=2)
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "journal.sqlite3"), options)
    try:
        st = source.stat()
        up = queue.add(
            [TransferRequest(Direction.UPLOAD, name, bucket, "f.bin", source, st.st_size, 0.0)],
            batch="up",
        )
        assert queue.wait(up, timeout=60)
        assert up[0].state == State.DONE and up[0].verified
        info = storage.head_object(bucket, "f.bin")
        assert info.etag.endswith("-3")
        target = tmp_path / "down" / "f.bin"
        down = queue.add(
            [
                TransferRequest(
                    Direction.DOWNLOAD, name, bucket, "f.bin", target, info.size, 0.0, info.etag
                )
            ],
            batch="down",
        )
        assert queue.wait(down, timeout=60)
        assert down[0].state == State.DONE
        assert target.read_bytes() == data
    finally:
        queue.shutdown()
