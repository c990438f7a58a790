"""Storage classes (access tiers): a class changed in place, an archived object refused
and restored, on every backend (``StorageClasses``)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from cloudbrowser.core.details import restore_state
from cloudbrowser.core.errors import CloudBrowserError, NotSupported
from cloudbrowser.core.storage import properties_of, storage_classes_of
from tests.conformance.conftest import CLASS_REWRITE_IGNORED, RESTORED_AT_ONCE, Target

BODY = b"cold data\n" * 20


def test_a_class_change_keeps_bytes_and_metadata(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    if not storage.features.storage_classes:
        # rclone serve s3 ("Other S3-compatible") has no classes: the window offers none.
        assert target.name == "rclone"
        return
    storage.put_object(bucket, "c.txt", BODY, content_md5="", content_type="text/plain")
    props = properties_of(storage)
    details = props.object_details(bucket, "c.txt")
    props.replace_metadata(replace(details, metadata={"team": "finance"}))
    classes = storage_classes_of(storage)
    offer = classes.storage_class_offer()
    wanted = next(n for n in offer.names[1:] if n not in offer.archive)
    classes.set_storage_class(bucket, "c.txt", wanted)
    after = props.object_details(bucket, "c.txt")
    if target.has(CLASS_REWRITE_IGNORED):
        wanted = offer.names[0]
    assert after.storage_class == wanted
    assert storage.head_object(bucket, "c.txt").storage_class == wanted
    assert after.metadata == {"team": "finance"}
    assert after.content_type == "text/plain"
    with storage.get_object(bucket, "c.txt") as reader:
        assert reader.read(-1) == BODY
    # Asked again: nothing to do.
    classes.set_storage_class(bucket, "c.txt", wanted)
    assert props.object_details(bucket, "c.txt").storage_class == wanted


def test_an_unknown_class_is_refused(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    storage.put_object(bucket, "u.txt", BODY, content_md5="")
    with pytest.raises(CloudBrowserError):
        storage_classes_of(storage).set_storage_class(bucket, "u.txt", "NO_SUCH_CLASS")


def test_a_readable_object_is_not_restored(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    storage.put_object(bucket, "r.txt", BODY, content_md5="")
    if not storage.features.storage_classes:
        with pytest.raises(NotSupported):  # rclone: no RestoreObject
            storage_classes_of(storage).restore_archived(bucket, "r.txt", days=1)
        return
    assert storage_classes_of(storage).restore_archived(bucket, "r.txt", days=1) is False


def test_an_archived_object_is_refused_then_restored(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    if not storage.features.storage_classes:
        assert target.name == "rclone"
        return
    storage.put_object(bucket, "a.txt", BODY, content_md5="", content_type="text/plain")
    classes = storage_classes_of(storage)
    offer = classes.storage_class_offer()
    props = properties_of(storage)
    if not offer.archive:
        # GCS: ARCHIVE objects are read like any other; nothing needs restoring.
        classes.set_storage_class(bucket, "a.txt", offer.names[-1])
        kept = offer.names[0] if target.has(CLASS_REWRITE_IGNORED) else offer.names[-1]
        assert props.object_details(bucket, "a.txt").storage_class == kept
        with storage.get_object(bucket, "a.txt") as reader:
            assert reader.read(-1) == BODY
        assert classes.restore_archived(bucket, "a.txt") is False
        return
    archive = sorted(offer.archive)[-1]
    classes.set_storage_class(bucket, "a.txt", archive)
    details = props.object_details(bucket, "a.txt")
    assert details.storage_class == archive
    assert details.is_archived(offer.archive)
    assert restore_state(details.restore) is None
    with pytest.raises(CloudBrowserError) as refused:
        storage.get_object(bucket, "a.txt").read(-1)
    assert refused.value.code in ("InvalidObjectState", "BlobArchived")
    assert "Restore…" in refused.value.hint  # says why, and what to do
    priority = offer.priorities[-1]
    target_tier = offer.restore_targets[0] if offer.restore_targets else ""
    assert classes.restore_archived(bucket, "a.txt", days=2, priority=priority, target=target_tier)
    after = props.object_details(bucket, "a.txt")
    state = restore_state(after.restore)
    if not target.has(RESTORED_AT_ONCE):
        # The memory backend models the hours a restore takes on its clock.
        assert state is not None and state.in_progress
        assert after.is_archived(offer.archive)
        assert classes.restore_archived(bucket, "a.txt", days=2)  # under way: accepted
        store = target.server.store  # type: ignore[attr-defined]
        now = store.clock()
        store.clock = lambda: now + store.restore_seconds + 1
        after = props.object_details(bucket, "a.txt")
        state = restore_state(after.restore)
    if offer.restore_targets:  # Azure: out of the archive for good, in the tier chosen
        assert after.storage_class == target_tier and state is None
    else:  # S3: a readable copy for the days asked; the object stays in its class
        assert after.storage_class == archive
        assert state is not None and not state.in_progress
        assert 1 * 86400 < state.ready_until - time.time() < 3 * 86400
    assert not after.is_archived(offer.archive)
    with storage.get_object(bucket, "a.txt") as reader:
        assert reader.read(-1) == BODY
