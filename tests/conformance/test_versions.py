"""Versions: ids, delete markers, versioning states, deleted keys, undelete, restore.

Where a server keeps no versions (its features say so: rclone serve s3), every call
raises NoVersioning, which is what these tests then assert.
"""

from __future__ import annotations

import contextlib
import hashlib

import pytest

from cloudbrowser.core import versions as walks
from cloudbrowser.core.errors import (
    BucketNotFound,
    KeyNotFound,
    NotSupported,
    NoVersioning,
    StorageError,
)
from cloudbrowser.core.storage import (
    Storage,
    VersioningSwitch,
    Versions,
    versioning_switch_of,
    versions_of,
)
from tests.conformance.conftest import (
    DELETED_FOLDERS_LISTED,
    GENERATION_DELETE_IGNORED,
    ONE_DELETE_MARKER,
    Target,
)
from tests.conformance.test_listing import all_pages


def versioned(target: Target) -> tuple[Storage, Versions, str] | None:
    """A bucket with versioning on, or None after checking that the target says it keeps
    no versions, and that every version call says so too."""
    bucket = target.bucket("versioned")
    storage = target.storage(page_size=2)
    if not storage.features.versions:
        assert target.enable_versioning is None
        versions = versions_of(storage)
        target.server.put(bucket, {"k.txt": b"x"})
        with contextlib.suppress(NoVersioning):  # rclone answers: never turned on
            assert versions.bucket_versioning(bucket) == ""
        with pytest.raises(NoVersioning):
            walks.object_versions(storage, bucket, "k.txt")
        with pytest.raises(NoVersioning):
            list(walks.iter_deleted(storage, bucket))
        with pytest.raises(StorageError) as refused:  # documented: the server's NotImplemented
            list(walks.iter_versions(storage, bucket))
        assert isinstance(refused.value, NoVersioning) or refused.value.code == "NotImplemented"
        return None
    assert target.enable_versioning is not None
    target.enable_versioning(bucket)
    return storage, versions_of(storage), bucket


def body_of(storage: Storage, bucket: str, key: str) -> bytes:
    with storage.get_object(bucket, key) as reader:
        return reader.read(-1)


def test_versioning_states(target: Target) -> None:
    plain = target.bucket()
    storage = target.storage()
    if storage.features.versions:
        assert versions_of(storage).bucket_versioning(plain) == ""
    arranged = versioned(target)
    if arranged is None:
        return
    _storage, versions, bucket = arranged
    assert versions.bucket_versioning(bucket) == "Enabled"


def test_each_put_keeps_a_version_newest_first(target: Target) -> None:
    arranged = versioned(target)
    if arranged is None:
        return
    storage, _versions, bucket = arranged
    for body in (b"one", b"two!", b"three"):
        target.server.put(bucket, {"doc.txt": body})
    target.server.put(bucket, {"doc.txt2": b"x", "doc.txt/inner": b"y", "doc.tx": b"z"})
    history = walks.object_versions(storage, bucket, "doc.txt")
    assert [(v.key, v.size, v.is_latest, v.delete_marker) for v in history] == [
        ("doc.txt", 5, True, False),
        ("doc.txt", 4, False, False),
        ("doc.txt", 3, False, False),
    ]
    assert len({v.version_id for v in history}) == 3
    assert history[2].etag == hashlib.md5(b"one").hexdigest()
    assert storage.head_object(bucket, "doc.txt").version_id == history[0].version_id
    old = history[2].version_id
    with storage.get_object(bucket, "doc.txt", version_id=old) as reader:
        assert reader.read(-1) == b"one"
    assert storage.head_object(bucket, "doc.txt", version_id=old).size == 3
    listed = [v for page in walks.iter_versions(storage, bucket, "doc.txt") for v in page]
    assert [(v.key, v.is_latest) for v in listed] == [
        ("doc.txt", True),
        ("doc.txt", False),
        ("doc.txt", False),
        ("doc.txt/inner", True),
        ("doc.txt2", True),
    ]


def test_a_delete_leaves_a_marker_that_undelete_removes(target: Target) -> None:
    arranged = versioned(target)
    if arranged is None:
        return
    storage, versions, bucket = arranged
    target.server.put(bucket, {"gone.txt": b"v1"})
    target.server.put(bucket, {"gone.txt": b"v2"})
    storage.delete_object(bucket, "gone.txt")
    storage.delete_object(bucket, "gone.txt")  # twice: two markers
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "gone.txt")
    assert storage.list_page(bucket, "").objects == []
    top = walks.object_versions(storage, bucket, "gone.txt")
    markers = [(True, True)] if target.has(ONE_DELETE_MARKER) else [(True, True), (True, False)]
    assert [(v.delete_marker, v.is_latest) for v in top] == [
        *markers,
        (False, False),
        (False, False),
    ]
    [deleted] = [e for page in walks.iter_deleted(storage, bucket) for e in page.objects]
    assert (deleted.key, deleted.size) == ("gone.txt", 2)

    assert walks.undelete(storage, bucket, "gone.txt") == len(markers)
    assert body_of(storage, bucket, "gone.txt") == b"v2"
    assert [e for page in walks.iter_deleted(storage, bucket) for e in page.objects] == []
    assert walks.undelete(storage, bucket, "gone.txt") == 0

    target.server.put(bucket, {"brief.txt": b"brief"})
    [only] = walks.object_versions(storage, bucket, "brief.txt")
    storage.delete_object(bucket, "brief.txt")
    versions.delete_version(bucket, "brief.txt", only.version_id)
    if target.has(GENERATION_DELETE_IGNORED):
        # The generation is still there (the delete hit the live object, gone already).
        kept = walks.object_versions(storage, bucket, "brief.txt")
        assert only.version_id in {v.version_id for v in kept}
        return
    with pytest.raises(KeyNotFound, match="only delete markers"):
        walks.undelete(storage, bucket, "brief.txt")


def test_deleted_keys_are_listed_by_folder(target: Target) -> None:
    arranged = versioned(target)
    if arranged is None:
        return
    storage, _versions, bucket = arranged
    target.server.put(
        bucket, {"d/a.txt": b"a", "d/b.txt": b"bb", "d/live/c.txt": b"c", "d/gone/e.txt": b"e"}
    )
    for key in ("d/b.txt", "d/gone/e.txt"):
        storage.delete_object(bucket, key)
    pages = list(walks.iter_deleted(storage, bucket, "d/"))
    assert [(e.key, e.size) for p in pages for e in p.objects] == [("d/b.txt", 2)]
    assert [e.key for p in pages for e in p.prefixes] == ["d/gone/", "d/live/"]
    shown = [e.key for page in all_pages(storage, bucket, "d/") for e in page.prefixes]
    # A folder of deleted keys only is not listed (moto lists it all the same).
    assert shown == (["d/gone/", "d/live/"] if target.has(DELETED_FOLDERS_LISTED) else ["d/live/"])


def test_restore_copies_an_old_version_over_the_current(target: Target) -> None:
    arranged = versioned(target)
    if arranged is None:
        return
    storage, versions, bucket = arranged
    for body in (b"first", b"second", b"third"):
        target.server.put(bucket, {"notes.txt": body})
    oldest = walks.object_versions(storage, bucket, "notes.txt")[-1]
    new_id = versions.restore_version(bucket, "notes.txt", oldest.version_id)
    assert body_of(storage, bucket, "notes.txt") == b"first"
    after = walks.object_versions(storage, bucket, "notes.txt")
    assert len(after) == 4 and after[0].version_id == new_id
    assert oldest.version_id in {v.version_id for v in after}


def test_deleting_versions_for_good(target: Target) -> None:
    arranged = versioned(target)
    if arranged is None:
        return
    storage, versions, bucket = arranged
    for body in (b"a", b"bb", b"ccc"):
        target.server.put(bucket, {"k.txt": body})
    latest, middle, _oldest = walks.object_versions(storage, bucket, "k.txt")
    versions.delete_version(bucket, "k.txt", middle.version_id)
    if target.has(GENERATION_DELETE_IGNORED):
        # The live object was deleted instead: a stand-in marker and all three generations.
        assert [v.size for v in walks.object_versions(storage, bucket, "k.txt")] == [0, 3, 2, 1]
        return
    assert [v.size for v in walks.object_versions(storage, bucket, "k.txt")] == [3, 1]
    assert versions.delete_versions(bucket, [("k.txt", latest.version_id)]) == []
    assert body_of(storage, bucket, "k.txt") == b"a"


def test_the_versioning_switch_turns_it_on_and_off_keeping_the_versions(target: Target) -> None:
    storage = target.storage()
    bucket = target.bucket("switch")
    if not isinstance(storage, VersioningSwitch):
        # Azure: the storage account keeps versions or not, set outside the blob service.
        assert target.name == "azurite"
        with pytest.raises(NotSupported, match="no versioning switch"):
            versioning_switch_of(storage)
        return
    switch = versioning_switch_of(storage)
    if not storage.features.versions:
        with pytest.raises(NoVersioning):
            switch.set_bucket_versioning(bucket, True)
        return
    versions = versions_of(storage)
    switch.set_bucket_versioning(bucket, True)
    assert versions.bucket_versioning(bucket) == "Enabled"
    target.server.put(bucket, {"k.txt": b"one"})
    target.server.put(bucket, {"k.txt": b"two"})
    assert len(walks.object_versions(storage, bucket, "k.txt")) == 2

    switch.set_bucket_versioning(bucket, False)
    # S3 suspends (it never turns versioning off again); GCS turns it off.
    assert versions.bucket_versioning(bucket) in ("Suspended", "")
    assert len(walks.object_versions(storage, bucket, "k.txt")) == 2, "kept versions stay"
    switch.set_bucket_versioning(bucket, True)
    assert versions.bucket_versioning(bucket) == "Enabled"


def test_the_versioning_switch_of_a_missing_bucket_says_so(target: Target) -> None:
    storage = target.storage()
    if not (isinstance(storage, VersioningSwitch) and storage.features.versions):
        return  # said by the test above
    with pytest.raises(BucketNotFound):
        versioning_switch_of(storage).set_bucket_versioning("no-such-bucket-here", True)
