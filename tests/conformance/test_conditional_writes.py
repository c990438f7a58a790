"""Conditional writes: a put or a chunked upload's commit only over the revision named
(``if_match``), so that someone else's write between a check and the upload is never
overwritten unseen (Edit's uploads, docs/architecture.md §9)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.entries import ObjectInfo
from cloudbrowser.core.errors import KeyNotFound, ObjectChanged
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import MiB, Storage, chunked_uploads_of
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest
from tests.conformance.conftest import COMMIT_IF_MATCH_IGNORED, WRITE_IF_MATCH_IGNORED, Target


def _held(target: Target, bucket: str, key: str) -> bytes:
    with target.storage().get_object(bucket, key) as reader:
        return reader.read(-1)


def test_a_put_replaces_only_the_revision_named(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    # The features tell the truth: the engine relies on the server's check only then.
    assert storage.features.conditional_puts is not target.has(WRITE_IF_MATCH_IGNORED)
    first = storage.put_object(bucket, "doc.txt", b"one", content_md5="")
    mine = storage.put_object(bucket, "doc.txt", b"two", content_md5="", if_match=first)
    assert storage.head_object(bucket, "doc.txt").etag == mine != first

    theirs = storage.put_object(bucket, "doc.txt", b"someone else's", content_md5="")
    if target.has(WRITE_IF_MATCH_IGNORED):
        storage.put_object(bucket, "doc.txt", b"three", content_md5="", if_match=mine)
        assert _held(target, bucket, "doc.txt") == b"three"
        return
    with pytest.raises(ObjectChanged):
        storage.put_object(bucket, "doc.txt", b"three", content_md5="", if_match=mine)
    assert storage.head_object(bucket, "doc.txt").etag == theirs
    assert _held(target, bucket, "doc.txt") == b"someone else's"

    storage.delete_object(bucket, "doc.txt")
    with pytest.raises((ObjectChanged, KeyNotFound)):
        storage.put_object(bucket, "doc.txt", b"four", content_md5="", if_match=theirs)
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "doc.txt")


def test_a_commit_replaces_only_the_revision_named(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    first = storage.put_object(bucket, "big.bin", b"one", content_md5="")

    session = uploads.begin_upload(bucket, "big.bin", if_match=first)
    token = uploads.upload_chunk(bucket, "big.bin", session, 1, b"two", content_md5="")
    mine = uploads.commit_upload(bucket, "big.bin", session, [(1, token)], if_match=first)
    assert _held(target, bucket, "big.bin") == b"two"

    session = uploads.begin_upload(bucket, "big.bin", if_match=mine)
    token = uploads.upload_chunk(bucket, "big.bin", session, 1, b"three", content_md5="")
    storage.put_object(bucket, "big.bin", b"someone else's", content_md5="")
    if target.has(WRITE_IF_MATCH_IGNORED) or target.has(COMMIT_IF_MATCH_IGNORED):
        uploads.commit_upload(bucket, "big.bin", session, [(1, token)], if_match=mine)
        assert _held(target, bucket, "big.bin") == b"three"
        return
    with pytest.raises(ObjectChanged):
        uploads.commit_upload(bucket, "big.bin", session, [(1, token)], if_match=mine)
    assert _held(target, bucket, "big.bin") == b"someone else's"


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_an_upload_only_over_a_revision_fails_once_the_object_changed(
    target: Target, tmp_path: Path, size: int
) -> None:
    """The transfer engine's path (Edit's uploads): a stale revision fails the upload
    with ObjectChanged and leaves the other writer's object; the current one uploads."""
    bucket = target.bucket()
    storage = target.storage()
    stale = storage.put_object(bucket, "edited.bin", b"as downloaded", content_md5="")
    theirs = storage.put_object(bucket, "edited.bin", b"someone else's", content_md5="")
    path = tmp_path / "edited.bin"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))

    def lookup(name: str) -> Storage:
        return storage

    queue = TransferQueue(lookup, Journal(tmp_path / "journal.sqlite3"), TransferOptions())
    try:

        def send(if_match: str) -> Transfer:
            st = path.stat()
            request = TransferRequest(
                Direction.UPLOAD,
                storage.settings.name,
                bucket,
                "edited.bin",
                path,
                st.st_size,
                st.st_mtime,
                if_match=if_match,
            )
            [t] = queue.add([request], batch=if_match)
            assert queue.wait([t], timeout=60)
            return t

        refused = send(stale)
        assert refused.state is State.FAILED and isinstance(refused.error, ObjectChanged)
        assert _held(target, bucket, "edited.bin") == b"someone else's"

        done = send(theirs)
        assert done.state is State.DONE, done.error
        assert _held(target, bucket, "edited.bin") == path.read_bytes()
    finally:
        queue.shutdown()


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_a_write_between_the_engines_check_and_its_upload_is_refused_by_the_server(
    target: Target, tmp_path: Path, size: int
) -> None:
    """Someone writes right after the engine's HEAD: where the server checks the
    precondition the upload fails and their object stays; where it does not (the
    target's quirk, its features saying so) that moment is the gap left."""
    bucket = target.bucket()
    storage = target.storage()
    edited = storage.put_object(bucket, "edited.bin", b"as downloaded", content_md5="")
    head = storage.head_object

    def head_then_someone_writes(bucket: str, key: str, **kwargs: Any) -> ObjectInfo:
        info = head(bucket, key, **kwargs)
        storage.put_object(bucket, key, b"someone else's", content_md5="")
        return info

    storage.head_object = head_then_someone_writes  # type: ignore[method-assign]
    path = tmp_path / "edited.bin"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "j.sqlite3"), TransferOptions())
    try:
        st = path.stat()
        request = TransferRequest(
            Direction.UPLOAD,
            storage.settings.name,
            bucket,
            "edited.bin",
            path,
            st.st_size,
            st.st_mtime,
            if_match=edited,
        )
        [t] = queue.add([request], batch="b")
        assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    ignored = target.has(WRITE_IF_MATCH_IGNORED) or (
        size > 100 and target.has(COMMIT_IF_MATCH_IGNORED)
    )
    if ignored:
        assert t.state is State.DONE
        return
    assert t.state is State.FAILED and isinstance(t.error, ObjectChanged), t.error
    assert "this upload may replace" in t.error.message
    assert _held(target, bucket, "edited.bin") == b"someone else's"
