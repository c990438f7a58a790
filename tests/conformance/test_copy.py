"""Server-side copy: whole objects, and chunks of one into a chunked upload."""

from __future__ import annotations

import hashlib

import pytest

from cloudbrowser.core.errors import CreatedMeanwhile, ObjectChanged, StorageError
from cloudbrowser.core.storage import chunked_uploads_of, server_copy_of
from tests.conformance.conftest import (
    COPY_CREATE_ONLY_IGNORED,
    COPY_IF_MATCH_IGNORED,
    NO_CHUNK_COPY,
    WRITE_CREATE_ONLY_IGNORED,
    Target,
    check_etag,
)


def test_a_copy_has_the_same_bytes_and_type(target: Target) -> None:
    bucket = target.bucket()
    other = target.bucket("dest")
    storage = target.storage()
    storage.put_object(bucket, "src.txt", b"copy me", content_md5="", content_type="text/plain")
    etag = server_copy_of(storage).copy_object(bucket, "src.txt", other, "dst/copy.txt")
    check_etag(target, etag, b"copy me")
    with storage.get_object(other, "dst/copy.txt") as reader:
        assert reader.read(-1) == b"copy me"
        assert reader.content_type == "text/plain"
    assert storage.head_object(bucket, "src.txt").size == len(b"copy me")


def test_chunks_copied_on_the_server_make_the_object(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    size = storage.features.limits.min_chunk
    body = bytes(range(256)) * (size // 256) + b"tail"
    source_etag = storage.put_object(bucket, "src.bin", body, content_md5="")
    copy, uploads = server_copy_of(storage), chunked_uploads_of(storage)
    session = uploads.begin_upload(bucket, "copy.bin")
    if target.has(NO_CHUNK_COPY):
        with pytest.raises(StorageError) as refused:
            copy.copy_chunk(bucket, "src.bin", bucket, "copy.bin", session, 1, 0, size - 1)
        assert refused.value.code == "NotImplemented"
        uploads.abort_upload(bucket, "copy.bin", session)
        return
    t1 = copy.copy_chunk(
        bucket, "src.bin", bucket, "copy.bin", session, 1, 0, size - 1, if_match=source_etag
    )
    t2 = copy.copy_chunk(bucket, "src.bin", bucket, "copy.bin", session, 2, size, len(body) - 1)
    assert t1 == hashlib.md5(body[:size]).hexdigest()
    uploads.commit_upload(bucket, "copy.bin", session, [(1, t1), (2, t2)])
    with storage.get_object(bucket, "copy.bin") as reader:
        assert reader.read(-1) == body


def test_a_chunk_copy_of_a_changed_source_is_refused(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    old = storage.put_object(bucket, "src.bin", b"old bytes", content_md5="")
    storage.put_object(bucket, "src.bin", b"new bytes!", content_md5="")
    uploads = chunked_uploads_of(storage)
    session = uploads.begin_upload(bucket, "copy.bin")
    copy = server_copy_of(storage)
    if target.has(NO_CHUNK_COPY):
        with pytest.raises(StorageError) as refused:
            copy.copy_chunk(bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 3, if_match=old)
        assert refused.value.code == "NotImplemented"
    elif target.has(COPY_IF_MATCH_IGNORED):
        token = copy.copy_chunk(
            bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 3, if_match=old
        )
        assert token == hashlib.md5(b"new ").hexdigest()  # the current bytes, not refused
    else:
        with pytest.raises(ObjectChanged):
            copy.copy_chunk(bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 3, if_match=old)
    uploads.abort_upload(bucket, "copy.bin", session)


def test_a_create_only_copy_creates_but_never_replaces(target: Target) -> None:
    """A copy to a name found free (a pasted "keep both" name, a rename) that someone took
    meanwhile: refused where the server checks the condition, and what is there stays."""
    bucket = target.bucket()
    storage = target.storage()
    copy = server_copy_of(storage)
    storage.put_object(bucket, "src.txt", b"mine", content_md5="")
    copy.copy_object(bucket, "src.txt", bucket, "new.txt", create_only=True)
    with storage.get_object(bucket, "new.txt") as reader:
        assert reader.read(-1) == b"mine"

    storage.put_object(bucket, "taken.txt", b"someone else's", content_md5="")
    if target.has(WRITE_CREATE_ONLY_IGNORED) or target.has(COPY_CREATE_ONLY_IGNORED):
        copy.copy_object(bucket, "src.txt", bucket, "taken.txt", create_only=True)
        expected = b"mine"
    else:
        with pytest.raises(CreatedMeanwhile):
            copy.copy_object(bucket, "src.txt", bucket, "taken.txt", create_only=True)
        expected = b"someone else's"
    with storage.get_object(bucket, "taken.txt") as reader:
        assert reader.read(-1) == expected
