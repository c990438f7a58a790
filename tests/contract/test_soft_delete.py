"""Soft-deleted objects (GCS's soft delete): listed on demand beside the versions, shown
as deleted where nothing else keeps the key, brought back by undelete or a restore.

fake-gcs-server has no soft delete (no ``softDeletePolicy``, no ``softDeleted=true``, no
``objects.restore``): the GCS backend is tested against ``tests/gcs_stub.SoftDeleteGcs``,
which answers those calls as GCS documents them; the engine's walks also on the in-memory
backend, whose buckets can keep what is deleted (``MemoryStore.set_soft_delete``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cloudbrowser.__main__ import main
from cloudbrowser.core import bucket_removal
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import AccessDenied, KeyNotFound
from cloudbrowser.core.storage import SoftDeletes, Storage, soft_deletes_of, versions_of
from cloudbrowser.core.versions import (
    iter_deleted,
    iter_versions,
    object_versions,
    restore,
    soft_delete_retention,
    undelete,
)
from tests.conftest import MemoryServer
from tests.gcs_stub import SoftDeleteGcs

WEEK = 7 * 24 * 3600


def deleted_rows(storage: Storage, bucket: str, prefix: str = "") -> tuple[list[str], list[Entry]]:
    folders: list[str] = []
    objects: list[Entry] = []
    for page in iter_deleted(storage, bucket, prefix):
        folders.extend(p.key for p in page.prefixes)
        objects.extend(page.objects)
    return folders, objects


def body(storage: Storage, bucket: str, key: str) -> bytes:
    with storage.get_object(bucket, key) as reader:
        return reader.read(-1)


# ── the in-memory backend: the engine's walks ───────────────────────────────────────────


@pytest.fixture
def memory(memory_server: MemoryServer) -> tuple[Storage, str]:
    bucket = memory_server.bucket("soft")
    memory_server.store.set_soft_delete(bucket, WEEK)
    return memory_server.backend(page_size=2), bucket


def test_without_versioning_a_deleted_object_is_listed_and_undeleted(
    memory: tuple[Storage, str], memory_server: MemoryServer
) -> None:
    storage, bucket = memory
    memory_server.put(bucket, {"docs/a.txt": b"first", "docs/b.txt": b"b", "docs/c.txt": b"c"})
    memory_server.put(bucket, {"docs/a.txt": b"second!", "docs/sub/d.txt": b"d"})
    for key in ("docs/a.txt", "docs/sub/d.txt"):
        storage.delete_object(bucket, key)
    assert versions_of(storage).bucket_versioning(bucket) == ""
    assert soft_delete_retention(storage, bucket) == WEEK

    folders, objects = deleted_rows(storage, bucket, "docs/")
    # b.txt was never deleted, c.txt neither; a.txt is gone but kept: the last one deleted
    # is what an undelete brings back.
    assert [(e.key, e.size) for e in objects] == [("docs/a.txt", 7)]
    assert objects[0].modified > 0
    assert folders == ["docs/sub/"]

    history = object_versions(storage, bucket, "docs/a.txt")
    assert [(v.size, v.soft_deleted, v.is_latest) for v in history] == [
        (7, True, False),
        (5, True, False),
    ]
    assert all(v.kept_until == v.deleted_at + WEEK for v in history)

    assert undelete(storage, bucket, "docs/a.txt") == 1
    assert body(storage, bucket, "docs/a.txt") == b"second!"
    assert deleted_rows(storage, bucket, "docs/")[1] == []
    assert undelete(storage, bucket, "docs/a.txt") == 0  # not deleted: nothing done


def test_an_overwritten_object_keeps_its_old_bytes_as_soft_deleted_and_restores_them(
    memory: tuple[Storage, str], memory_server: MemoryServer
) -> None:
    storage, bucket = memory
    memory_server.put(bucket, {"r.txt": b"old bytes"})
    memory_server.put(bucket, {"r.txt": b"new"})
    assert deleted_rows(storage, bucket)[1] == []  # it is there: not deleted
    current, old = object_versions(storage, bucket, "r.txt")
    assert (current.is_latest, current.soft_deleted) == (True, False)
    assert (old.size, old.soft_deleted) == (9, True)
    restore(storage, bucket, old)
    assert body(storage, bucket, "r.txt") == b"old bytes"
    # What it replaced is kept in turn.
    sizes = [(v.size, v.soft_deleted) for v in object_versions(storage, bucket, "r.txt")]
    assert sizes[0] == (9, False) and (3, True) in sizes


def test_with_versioning_a_generation_deleted_for_good_is_still_kept(
    memory: tuple[Storage, str], memory_server: MemoryServer
) -> None:
    storage, bucket = memory
    memory_server.store.set_versioning(bucket, "Enabled")
    memory_server.put(bucket, {"v.txt": b"one"})
    memory_server.put(bucket, {"v.txt": b"two!"})
    old = next(v for v in object_versions(storage, bucket, "v.txt") if not v.is_latest)
    versions_of(storage).delete_version(bucket, "v.txt", old.version_id)
    history = object_versions(storage, bucket, "v.txt")
    assert [(v.size, v.is_latest, v.soft_deleted) for v in history] == [
        (4, True, False),
        (3, False, True),
    ]
    restore(storage, bucket, history[1])
    assert body(storage, bucket, "v.txt") == b"one"
    # Versioning keeps the one it replaced as an old version (not soft-deleted).
    kept = [(v.size, v.soft_deleted) for v in object_versions(storage, bucket, "v.txt")]
    assert kept[:2] == [(3, False), (4, False)]

    # A key with a delete marker on top and old versions: the marker goes, not a restore.
    storage.delete_object(bucket, "v.txt")
    assert [e.key for e in deleted_rows(storage, bucket)[1]] == ["v.txt"]
    assert undelete(storage, bucket, "v.txt") == 1
    assert body(storage, bucket, "v.txt") == b"one"


def test_emptying_a_bucket_neither_counts_nor_deletes_what_soft_delete_keeps(
    memory: tuple[Storage, str], memory_server: MemoryServer
) -> None:
    _storage, bucket = memory
    # (Pages of 1,000: the in-memory backend skips a key's versions when a page's last
    # version is deleted before the next page is asked for: a matter apart.)
    storage = memory_server.backend()
    memory_server.store.set_versioning(bucket, "Enabled")
    memory_server.put(bucket, {"a.txt": b"1"})
    memory_server.put(bucket, {"a.txt": b"22", "b.txt": b"b"})
    old = next(v for v in object_versions(storage, bucket, "a.txt") if not v.is_latest)
    versions_of(storage).delete_version(bucket, "a.txt", old.version_id)  # soft-deleted
    memory_server.put(bucket, {"b.txt": b"bb"})
    count = bucket_removal.count_bucket(storage, bucket)
    assert (count.objects, count.versions) == (2, 1)  # b.txt's old version only
    _operation, failed = bucket_removal.empty_bucket(storage, bucket, count)
    assert failed == []
    storage.delete_bucket(bucket)


def test_what_is_kept_goes_when_the_retention_is_over(
    memory: tuple[Storage, str], memory_server: MemoryServer
) -> None:
    storage, bucket = memory
    start = memory_server.store.clock()
    memory_server.store.clock = lambda: start
    memory_server.put(bucket, {"t.txt": b"t"})
    storage.delete_object(bucket, "t.txt")
    assert [e.key for e in deleted_rows(storage, bucket)[1]] == ["t.txt"]
    memory_server.store.clock = lambda: start + WEEK + 1
    assert deleted_rows(storage, bucket) == ([], [])
    assert object_versions(storage, bucket, "t.txt") == []
    assert undelete(storage, bucket, "t.txt") == 0


def test_a_bucket_without_soft_delete_lists_nothing_more(memory_server: MemoryServer) -> None:
    storage = memory_server.backend()
    bucket = memory_server.bucket("plain")
    memory_server.put(bucket, {"p.txt": b"p"})
    storage.delete_object(bucket, "p.txt")
    assert soft_delete_retention(storage, bucket) == 0
    assert deleted_rows(storage, bucket) == ([], [])
    assert object_versions(storage, bucket, "p.txt") == []
    with pytest.raises(KeyNotFound):
        soft_deletes_of(storage).restore_soft_deleted(bucket, "p.txt", "s00000001")


# ── GCS, against a stub answering as GCS does ───────────────────────────────────────────


@pytest.fixture
def gcs() -> Iterator[SoftDeleteGcs]:
    with SoftDeleteGcs() as running:
        yield running


def gcs_storage(stub: SoftDeleteGcs, page_size: int = 1000) -> Storage:
    settings = ConnectionSettings(
        name="soft", kind="gcs", endpoint_url=stub.url, auth="anonymous", max_attempts=1
    )
    return open_storage(settings, None, page_size=page_size)


def test_gcs_without_versioning_lists_soft_deleted_objects_and_restores_them(
    gcs: SoftDeleteGcs,
) -> None:
    bucket = gcs.bucket("plain-gcs", versioning=False, retention=WEEK)
    gcs.write(bucket, "docs/a.txt", b"first")
    gcs.write(bucket, "docs/a.txt", b"second!")
    gcs.write(bucket, "docs/b.txt", b"b")
    gcs.write(bucket, "docs/sub/c.txt", b"c")
    storage = gcs_storage(gcs)
    assert isinstance(storage, SoftDeletes)
    storage.delete_object(bucket, "docs/a.txt")
    storage.delete_object(bucket, "docs/sub/c.txt")
    assert soft_delete_retention(storage, bucket) == WEEK
    assert versions_of(storage).bucket_versioning(bucket) == ""

    folders, objects = deleted_rows(storage, bucket, "docs/")
    assert [(e.key, e.size) for e in objects] == [("docs/a.txt", 7)]
    assert "docs/sub/" in folders
    # The soft-deleted listing is a request of its own (GCS refuses it with versions=true).
    lists = [p for m, p in gcs.requests if m == "GET" and "/o?" in p]
    assert any("softDeleted=true" in p and "versions" not in p for p in lists)

    history = object_versions(storage, bucket, "docs/a.txt")
    assert [(v.size, v.soft_deleted) for v in history] == [(7, True), (5, True)]
    assert all(v.kept_until - v.deleted_at == WEEK for v in history)

    assert undelete(storage, bucket, "docs/a.txt") == 1
    assert gcs.live(bucket, "docs/a.txt") == b"second!"
    [(method, path)] = [(m, p) for m, p in gcs.requests if p.split("?")[0].endswith("/restore")]
    assert method == "POST" and f"generation={history[0].version_id}" in path
    assert deleted_rows(storage, bucket, "docs/")[1] == []

    # An older generation restored over the live one: that one is soft-deleted in turn.
    older = object_versions(storage, bucket, "docs/a.txt")[-1]
    assert older.size == 5 and older.soft_deleted
    restore(storage, bucket, older)
    assert gcs.live(bucket, "docs/a.txt") == b"first"


def test_gcs_with_versioning_lists_noncurrent_and_soft_deleted_generations(
    gcs: SoftDeleteGcs,
) -> None:
    bucket = gcs.bucket("versioned-gcs", versioning=True, retention=2 * 24 * 3600)
    first = gcs.write(bucket, "v.txt", b"one")
    gcs.write(bucket, "v.txt", b"two!")
    gcs.write(bucket, "w.txt", b"w")
    storage = gcs_storage(gcs, page_size=1)
    versions_of(storage).delete_version(bucket, "v.txt", first)  # soft-deleted, not gone
    history = object_versions(storage, bucket, "v.txt")
    assert [(v.version_id == first, v.is_latest, v.soft_deleted) for v in history] == [
        (False, True, False),
        (True, False, True),
    ]
    # A walk that deletes versions (rb --force, delete with versions) never sees them.
    assert not any(v.soft_deleted for page in iter_versions(storage, bucket) for v in page)
    listed = [v for page in iter_versions(storage, bucket, soft_deleted=True) for v in page]
    assert [(v.key, v.soft_deleted) for v in listed] == [
        ("v.txt", False),
        ("w.txt", False),
        ("v.txt", True),
    ]

    # Deleted with versioning on: a noncurrent generation, undeleted by a rewrite (the
    # versions' own path), not by a restore.
    storage.delete_object(bucket, "w.txt")
    assert [e.key for e in deleted_rows(storage, bucket)[1]] == ["w.txt"]
    gcs.requests.clear()
    assert undelete(storage, bucket, "w.txt") == 1
    assert gcs.live(bucket, "w.txt") == b"w"
    assert any("rewriteTo" in p for _m, p in gcs.requests)
    assert not any(p.split("?")[0].endswith("/restore") for _m, p in gcs.requests)

    # The soft-deleted generation comes back by objects.restore; the live one stays
    # as a noncurrent generation.
    restore(storage, bucket, history[1])
    assert gcs.live(bucket, "v.txt") == b"one"
    states = sorted(
        (g["state"], g["data"]) for g in gcs.objects[(bucket, "v.txt")] if g["state"] != "soft"
    )
    assert states == [("live", b"one"), ("noncurrent", b"two!")]


def test_gcs_without_leave_to_read_the_policy_lists_versions_as_before(
    gcs: SoftDeleteGcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = gcs.bucket("no-bucket-get", retention=WEEK)
    gcs.write(bucket, "y.txt", b"y")
    storage = gcs_storage(gcs)
    storage.delete_object(bucket, "y.txt")

    def denied(_bucket: str) -> int:
        raise AccessDenied("no storage.buckets.get", code="AccessDenied")

    monkeypatch.setattr(storage, "soft_delete_retention", denied)
    assert soft_delete_retention(storage, bucket) == 0
    assert deleted_rows(storage, bucket) == ([], [])
    assert not any("softDeleted" in p for _m, p in gcs.requests)


def test_gcs_bucket_without_a_policy_is_never_asked_for_soft_deleted_objects(
    gcs: SoftDeleteGcs,
) -> None:
    bucket = gcs.bucket("no-policy", retention=0)
    gcs.write(bucket, "x.txt", b"x")
    storage = gcs_storage(gcs)
    storage.delete_object(bucket, "x.txt")
    assert soft_delete_retention(storage, bucket) == 0
    assert deleted_rows(storage, bucket) == ([], [])
    assert object_versions(storage, bucket, "x.txt") == []
    assert not any("softDeleted" in p for _m, p in gcs.requests)


def test_the_cli_versions_lists_soft_deleted_generations(
    gcs: SoftDeleteGcs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = gcs.bucket("cli-gcs", retention=WEEK)
    gcs.write(bucket, "n.txt", b"12345")
    gcs.write(bucket, "n.txt", b"123")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.url)
    assert main(["versions", "--text", "--bytes", f"gs://{bucket}/n.txt"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[2:4] == ["3", "latest"]
    assert lines[1].split()[2:4] == ["5", "soft"]
    # When it was deleted and until when it can be restored, as JSON says (it was only there).
    assert "(deleted " in lines[1] and ", kept until " in lines[1]
    assert "deleted" not in lines[0]
    assert main(["versions", "--json", f"gs://{bucket}/n.txt"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["soft_deleted"], bool(r["deleted"]), bool(r["kept_until"])) for r in records] == [
        (False, False, False),
        (True, True, True),
    ]
