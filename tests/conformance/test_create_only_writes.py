"""Create-only writes: a put or a chunked upload's commit that may only create its object
(``create_only``: S3's and Azure's If-None-Match: *, GCS's ifGenerationMatch=0), so that
an object someone else made after the name was found free is never overwritten unseen
("keep both" names, uploads planned where nothing was; docs/architecture.md §9)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.errors import CreatedMeanwhile, RequestTimeout
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import MiB, Storage, chunked_uploads_of
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest
from tests.conformance.conftest import (
    COMMIT_CREATE_ONLY_IGNORED,
    WRITE_CREATE_ONLY_IGNORED,
    Target,
)


def _held(target: Target, bucket: str, key: str) -> bytes:
    with target.storage().get_object(bucket, key) as reader:
        return reader.read(-1)


def test_a_create_only_put_creates_but_never_replaces(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    # The features tell the truth: the engine relies on the server's check only then.
    assert storage.features.conditional_puts is not target.has(WRITE_CREATE_ONLY_IGNORED)
    storage.put_object(bucket, "new.txt", b"mine", content_md5="", create_only=True)
    assert _held(target, bucket, "new.txt") == b"mine"

    storage.put_object(bucket, "taken.txt", b"someone else's", content_md5="")
    if target.has(WRITE_CREATE_ONLY_IGNORED):
        storage.put_object(bucket, "taken.txt", b"mine", content_md5="", create_only=True)
        assert _held(target, bucket, "taken.txt") == b"mine"
        return
    with pytest.raises(CreatedMeanwhile):
        storage.put_object(bucket, "taken.txt", b"mine", content_md5="", create_only=True)
    assert _held(target, bucket, "taken.txt") == b"someone else's"


def test_a_create_only_commit_creates_but_never_replaces(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    session = uploads.begin_upload(bucket, "new.bin", create_only=True)
    token = uploads.upload_chunk(bucket, "new.bin", session, 1, b"mine", content_md5="")
    uploads.commit_upload(bucket, "new.bin", session, [(1, token)], create_only=True)
    assert _held(target, bucket, "new.bin") == b"mine"

    session = uploads.begin_upload(bucket, "taken.bin", create_only=True)
    token = uploads.upload_chunk(bucket, "taken.bin", session, 1, b"mine", content_md5="")
    storage.put_object(bucket, "taken.bin", b"someone else's", content_md5="")
    if target.has(WRITE_CREATE_ONLY_IGNORED) or target.has(COMMIT_CREATE_ONLY_IGNORED):
        uploads.commit_upload(bucket, "taken.bin", session, [(1, token)], create_only=True)
        assert _held(target, bucket, "taken.bin") == b"mine"
        return
    with pytest.raises(CreatedMeanwhile):
        uploads.commit_upload(bucket, "taken.bin", session, [(1, token)], create_only=True)
    assert _held(target, bucket, "taken.bin") == b"someone else's"


def _queue(
    storage: Storage, tmp_path: Path, options: TransferOptions | None = None
) -> TransferQueue:
    journal = Journal(tmp_path / "j.sqlite3")
    return TransferQueue(lambda _name: storage, journal, options or TransferOptions())


def _send(queue: TransferQueue, storage: Storage, bucket: str, path: Path, key: str) -> Transfer:
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD,
        storage.settings.name,
        bucket,
        key,
        path,
        st.st_size,
        st.st_mtime,
        create_only=True,
    )
    [t] = queue.add([request], batch=key)
    assert queue.wait([t], timeout=60)
    return t


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_a_create_only_upload_leaves_an_object_made_since_the_plan(
    target: Target, tmp_path: Path, size: int
) -> None:
    """The engine's path ("keep both" while another writer takes the name): the name is
    free, the upload creates it; made by someone before the upload ran, the upload fails
    with CreatedMeanwhile and leaves their object, on every server (the engine's HEAD
    catches it where the server ignores the condition)."""
    bucket = target.bucket()
    storage = target.storage()
    path = tmp_path / "photo.jpg"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    queue = _queue(storage, tmp_path)
    try:
        done = _send(queue, storage, bucket, path, "photo (1).jpg")
        assert done.state is State.DONE and done.verified, done.error
        assert _held(target, bucket, "photo (1).jpg") == path.read_bytes()

        storage.put_object(bucket, "photo (2).jpg", b"someone else's", content_md5="")
        refused = _send(queue, storage, bucket, path, "photo (2).jpg")
    finally:
        queue.shutdown()
    assert refused.state is State.FAILED and isinstance(refused.error, CreatedMeanwhile)
    assert "someone created" in refused.error.message
    assert _held(target, bucket, "photo (2).jpg") == b"someone else's"


@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_an_object_made_between_the_engines_check_and_its_write_is_refused_by_the_server(
    target: Target, tmp_path: Path, size: int
) -> None:
    """Someone creates the name just before the engine's write (after its HEAD, where it
    makes one: before a commit, or where the server does not check): where the server
    checks the condition the upload fails and their object stays; where it does not (the
    target's quirk, its features saying so) that moment is the gap left."""
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    writer: Any = storage if size == 100 else uploads
    name = "put_object" if size == 100 else "commit_upload"
    write = getattr(writer, name)
    put = storage.put_object

    def someone_writes_first(*args: Any, **kwargs: Any) -> str:
        put(bucket, "photo (1).jpg", b"someone else's", content_md5="")
        return str(write(*args, **kwargs))

    setattr(writer, name, someone_writes_first)
    path = tmp_path / "photo.jpg"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    queue = _queue(storage, tmp_path)
    try:
        t = _send(queue, storage, bucket, path, "photo (1).jpg")
    finally:
        queue.shutdown()
    ignored = target.has(WRITE_CREATE_ONLY_IGNORED) or (
        size > 100 and target.has(COMMIT_CREATE_ONLY_IGNORED)
    )
    if ignored:
        assert t.state is State.DONE
        return
    assert t.state is State.FAILED and isinstance(t.error, CreatedMeanwhile), t.error
    assert _held(target, bucket, "photo (1).jpg") == b"someone else's"


@pytest.mark.parametrize("by_itself", [True, False], ids=["by-itself", "by-the-user"])
@pytest.mark.parametrize("size", [100, 9 * MiB], ids=["whole", "chunked"])
def test_a_retry_after_a_write_whose_answer_was_lost_is_done(
    target: Target, tmp_path: Path, size: int, by_itself: bool
) -> None:
    """The write made the object but its answer never came (a timeout): retried (by the
    queue itself after a passing failure, or by the user once the retries are spent), the
    name is taken by this upload's own bytes, which the engine recognises by the
    server's checksum (an MD5, S3's composite ETag, Azure's Content-MD5)."""
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    writer: Any = storage if size == 100 else uploads
    name = "put_object" if size == 100 else "commit_upload"
    write = getattr(writer, name)

    def written_but_timed_out(*args: Any, **kwargs: Any) -> str:
        write(*args, **kwargs)
        raise RequestTimeout("The request timed out on the server.")

    setattr(writer, name, written_but_timed_out)
    path = tmp_path / "photo.jpg"
    path.write_bytes(hashlib.shake_256(b"mine").digest(size))
    options = TransferOptions(retries=1 if by_itself else 0, retry_waits=(0.05,))
    queue = _queue(storage, tmp_path, options)
    try:
        t = _send(queue, storage, bucket, path, "photo (1).jpg")
        if by_itself:
            # Every write still times out: the retry must not need one.
            assert t.retries == 1
        else:
            assert t.state is State.FAILED and isinstance(t.error, RequestTimeout)
            setattr(writer, name, write)
            queue.retry([t.id])
            assert queue.wait([t], timeout=60)
    finally:
        queue.shutdown()
    assert t.state is State.DONE and t.verified, t.error
    assert _held(target, bucket, "photo (1).jpg") == path.read_bytes()
