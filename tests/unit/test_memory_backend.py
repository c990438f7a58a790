"""What the in-memory backend promises beyond the backend contract (tests/conformance):
stores shared per address, one lock for many threads, the three versioning states."""

from __future__ import annotations

import threading

import pytest

from cloudbrowser.core.backends import features_of, open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.storage import versions_of
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
    history = versions.object_versions(bucket, "k")
    assert [(v.size, v.version_id == "null") for v in history] == [(8, True), (4, False)]


def test_a_token_from_elsewhere_is_refused(memory_server: MemoryServer) -> None:
    bucket = memory_server.bucket()
    with pytest.raises(StorageError) as refused:
        memory_server.backend().list_page(bucket, "", "not-a-token")
    assert refused.value.code == "InvalidArgument"
