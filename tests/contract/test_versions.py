"""Versions, delete markers, restore and undelete (S3Backend; on demand only:
docs/architecture.md §3).

rclone serve s3 keeps no versions (ListObjectVersions and GetBucketVersioning answer
NotImplemented): the storage behaviour runs on moto, and rclone is checked to be *reported*
as a server without versions rather than failing obscurely.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from cloudbrowser.core.errors import Cancelled, KeyNotFound, NoVersioning
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfer_plan import plan_version_download, version_file_name
from cloudbrowser.core.transfers import MiB, TransferOptions, TransferQueue
from cloudbrowser.core.versions import iter_deleted, object_versions, undelete
from tests.conftest import S3Server


def versioned_bucket(server: S3Server) -> str:
    bucket = server.bucket("versioned")
    server.client.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return bucket


def current(server: S3Server, bucket: str, key: str) -> bytes:
    return bytes(server.client.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_versions_of_exactly_one_key_newest_first(moto_server: S3Server) -> None:
    bucket = versioned_bucket(moto_server)
    for body in (b"one", b"two!", b"three"):
        moto_server.put(bucket, {"doc.txt": body})
    # Neighbours a prefix listing would also find: never part of the answer.
    moto_server.put(bucket, {"doc.txt2": b"x", "doc.txt/inner": b"y", "doc.tx": b"z"})
    backend = moto_server.backend(page_size=2)

    versions = object_versions(backend, bucket, "doc.txt")
    assert [(v.key, v.size, v.is_latest, v.delete_marker) for v in versions] == [
        ("doc.txt", 5, True, False),
        ("doc.txt", 4, False, False),
        ("doc.txt", 3, False, False),
    ]
    assert len({v.version_id for v in versions}) == 3
    assert versions[2].etag == hashlib.md5(b"one").hexdigest()
    assert backend.bucket_versioning(bucket) == "Enabled"


def test_restore_copies_an_old_version_over_the_current_and_keeps_history(
    moto_server: S3Server,
) -> None:
    bucket = versioned_bucket(moto_server)
    for body in (b"first", b"second", b"third"):
        moto_server.put(bucket, {"notes.txt": body})
    backend = moto_server.backend()
    oldest = object_versions(backend, bucket, "notes.txt")[-1]

    new_id = backend.restore_version(bucket, "notes.txt", oldest.version_id)

    assert current(moto_server, bucket, "notes.txt") == b"first"
    after = object_versions(backend, bucket, "notes.txt")
    assert len(after) == 4 and after[0].is_latest and after[0].version_id == new_id
    assert oldest.version_id in {v.version_id for v in after}


def test_delete_version_removes_only_that_version(moto_server: S3Server) -> None:
    bucket = versioned_bucket(moto_server)
    for body in (b"a", b"bb", b"ccc"):
        moto_server.put(bucket, {"k.txt": body})
    backend = moto_server.backend()
    latest, middle, _oldest = object_versions(backend, bucket, "k.txt")

    backend.delete_version(bucket, "k.txt", middle.version_id)
    assert [v.size for v in object_versions(backend, bucket, "k.txt")] == [3, 1]
    # Deleting the current version makes the one before it current.
    backend.delete_version(bucket, "k.txt", latest.version_id)
    assert current(moto_server, bucket, "k.txt") == b"a"


def test_undelete_removes_the_delete_markers_on_top(moto_server: S3Server) -> None:
    bucket = versioned_bucket(moto_server)
    moto_server.put(bucket, {"gone.txt": b"v1"})
    moto_server.put(bucket, {"gone.txt": b"v2"})
    client = moto_server.client
    client.delete_object(Bucket=bucket, Key="gone.txt")
    client.delete_object(Bucket=bucket, Key="gone.txt")  # deleted twice: two markers
    backend = moto_server.backend()
    assert [e.key for p in iter_deleted(backend, bucket) for e in p.objects] == ["gone.txt"]

    assert undelete(backend, bucket, "gone.txt") == 2
    assert current(moto_server, bucket, "gone.txt") == b"v2"
    assert [e.key for p in iter_deleted(backend, bucket) for e in p.objects] == []
    assert undelete(backend, bucket, "gone.txt") == 0  # not deleted: nothing to do

    # A key with nothing but a marker has nothing to bring back.
    moto_server.put(bucket, {"never-stored.txt": b"brief"})
    [only] = object_versions(backend, bucket, "never-stored.txt")
    client.delete_object(Bucket=bucket, Key="never-stored.txt")
    backend.delete_version(bucket, "never-stored.txt", only.version_id)
    with pytest.raises(KeyNotFound, match="only delete markers"):
        undelete(backend, bucket, "never-stored.txt")


def test_deleted_keys_stream_page_by_page_under_a_prefix(moto_server: S3Server) -> None:
    bucket = versioned_bucket(moto_server)
    client = moto_server.client
    deleted = {f"d/file-{i:02d}.txt": b"x" * i for i in range(0, 12, 3)}
    for i in range(12):
        key = f"d/file-{i:02d}.txt"
        moto_server.put(bucket, {key: b"old"})
        moto_server.put(bucket, {key: b"x" * i})
    for key in deleted:
        client.delete_object(Bucket=bucket, Key=key)
    moto_server.put(bucket, {"d/live/a.txt": b"a", "d/gone/b.txt": b"b", "top-deleted.txt": b"t"})
    client.delete_object(Bucket=bucket, Key="d/gone/b.txt")
    client.delete_object(Bucket=bucket, Key="top-deleted.txt")
    backend = moto_server.backend(page_size=3)  # 12 keys, 2-3 versions each: many pages

    pages = list(iter_deleted(backend, bucket, "d/"))
    assert len(pages) > 4
    objects = [e for p in pages for e in p.objects]
    # Only this level, each once, with the size of the version an undelete brings back.
    assert {e.key: e.size for e in objects} == {k: len(v) for k, v in deleted.items()}
    assert all(e.modified > 0 and not e.is_prefix for e in objects)
    assert sorted(e.key for p in pages for e in p.prefixes) == ["d/gone/", "d/live/"]

    cancel = threading.Event()
    stream = iter_deleted(backend, bucket, "d/", cancel)
    next(stream)
    cancel.set()
    with pytest.raises(Cancelled):
        list(stream)


def test_a_bucket_without_versioning_is_reported_as_such(moto_server: S3Server) -> None:
    bucket = moto_server.bucket("plain")
    moto_server.put(bucket, ["a.txt"])
    backend = moto_server.backend()
    assert backend.bucket_versioning(bucket) == ""
    moto_server.client.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    assert backend.bucket_versioning(bucket) == "Suspended"


def test_a_server_without_versions_says_so(rclone_server: S3Server) -> None:
    """rclone serve s3 has no versioning at all: every call says so in words."""
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, ["a-file-name.txt"])
    backend = rclone_server.backend()
    with pytest.raises(NoVersioning, match="does not keep object versions"):
        object_versions(backend, bucket, "a-file-name.txt")
    with pytest.raises(NoVersioning):
        list(iter_deleted(backend, bucket))
    try:
        state = backend.bucket_versioning(bucket)
    except NoVersioning:
        return
    assert state == ""  # or it answers "never enabled": the dialog says the same


def test_a_version_download_is_journalled_verified_and_named_for_the_version(
    moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = versioned_bucket(moto_server)
    old_body = hashlib.shake_256(b"old").digest(6 * MiB)  # in ranges: resumable parts
    moto_server.put(bucket, {"data/big.bin": old_body})
    moto_server.put(bucket, {"data/big.bin": b"new and small"})
    backend = moto_server.backend()
    old = object_versions(backend, bucket, "data/big.bin")[-1]
    assert backend.head_object(bucket, "data/big.bin", version_id=old.version_id).size == len(
        old_body
    )

    name = version_file_name(old.key, old.modified)
    assert name.startswith("big (version ") and name.endswith(").bin")
    plan = plan_version_download("conn", bucket, old, tmp_path / name)
    [item] = plan.items
    journal = Journal(tmp_path / "j.sqlite3")
    queue = TransferQueue(
        lambda _name: backend, journal, TransferOptions(part_size=5 * MiB, part_concurrency=2)
    )
    [t] = queue.add([item.request])
    assert queue.wait(timeout=30)
    assert t.state is State.DONE and t.verified and t.multipart
    assert (tmp_path / name).read_bytes() == old_body
    record = journal.get(t.id)
    assert record is not None
    assert (record.direction, record.version_id) == (Direction.DOWNLOAD, old.version_id)
    assert t.name == name
    queue.shutdown()
    journal.close()
