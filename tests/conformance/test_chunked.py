"""Chunked uploads: sessions, chunk tokens, the smallest chunk, commit, abort, listing."""

from __future__ import annotations

import hashlib

import pytest

from cloudbrowser.core.checksums import is_plain_md5
from cloudbrowser.core.errors import NotSupported, StorageError, UploadNotFound
from cloudbrowser.core.storage import chunked_uploads_of
from tests.conformance.conftest import (
    ABORTED_SESSION_500,
    BLOCKS_OUTLIVE_ABORT,
    MIN_CHUNK_UNCHECKED,
    NO_UPLOAD_LISTING,
    OPAQUE_ETAGS,
    WHOLE_MD5_ETAGS,
    WHOLE_MD5_REVISIONS,
    Target,
)


def composite(*chunks: bytes) -> str:
    """The ETag of a chunked object: the MD5 of its chunks' MD5s, and their count."""
    digests = b"".join(hashlib.md5(c).digest() for c in chunks)
    return f"{hashlib.md5(digests).hexdigest()}-{len(chunks)}"


def test_chunks_are_listed_then_committed_into_one_object(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    first = b"a" * storage.features.limits.min_chunk
    last = b"the short last chunk"
    session = uploads.begin_upload(bucket, "big.bin", content_type="application/x-test")
    token1 = uploads.upload_chunk(bucket, "big.bin", session, 1, first, content_md5="")
    token2 = uploads.upload_chunk(bucket, "big.bin", session, 2, last, content_md5="")
    assert (token1, token2) == (hashlib.md5(first).hexdigest(), hashlib.md5(last).hexdigest())
    chunks = uploads.list_chunks(bucket, "big.bin", session)
    assert [(c.number, c.token, c.size) for c in chunks] == [
        (1, token1, len(first)),
        (2, token2, len(last)),
    ]

    etag = uploads.commit_upload(bucket, "big.bin", session, [(2, token2), (1, token1)])
    info = storage.head_object(bucket, "big.bin")
    if target.has(OPAQUE_ETAGS):
        assert etag == info.etag and not is_plain_md5(etag)
    elif target.has(WHOLE_MD5_REVISIONS):
        assert etag == hashlib.md5(first + last).hexdigest()
    else:
        assert etag == composite(first, last)
    stored = hashlib.md5(first + last).hexdigest() if target.has(WHOLE_MD5_ETAGS) else etag
    assert (info.size, info.etag) == (len(first) + len(last), stored)
    assert info.content_type == "application/x-test"
    with storage.get_object(bucket, "big.bin", start=len(first) - 2) as reader:
        assert reader.read(-1) == b"aa" + last
    if not target.has(NO_UPLOAD_LISTING):
        assert uploads.list_unfinished_uploads(bucket) == []


def test_unfinished_uploads_are_listed_until_aborted(target: Target) -> None:
    bucket = target.bucket()
    uploads = chunked_uploads_of(target.storage())
    one = uploads.begin_upload(bucket, "dir/one.bin")
    two = uploads.begin_upload(bucket, "other.bin")
    uploads.upload_chunk(bucket, "dir/one.bin", one, 1, b"x", content_md5="")
    if target.has(BLOCKS_OUTLIVE_ABORT):
        # A session the server has no block of is unknown to it; an abort drops nothing.
        uploads.upload_chunk(bucket, "other.bin", two, 1, b"y", content_md5="")
    if target.has(NO_UPLOAD_LISTING):
        with pytest.raises(NotSupported):
            uploads.list_unfinished_uploads(bucket)
        uploads.abort_upload(bucket, "dir/one.bin", one)
        uploads.abort_upload(bucket, "dir/one.bin", one)  # again: not an error
        with pytest.raises(UploadNotFound):
            uploads.upload_chunk(bucket, "dir/one.bin", one, 2, b"y", content_md5="")
        uploads.abort_upload(bucket, "other.bin", two)
        return
    found = uploads.list_unfinished_uploads(bucket)
    assert [(u.key, u.session) for u in found] == [("dir/one.bin", one), ("other.bin", two)]
    assert all(u.bucket == bucket for u in found)
    assert [u.key for u in uploads.list_unfinished_uploads(bucket, "dir/")] == ["dir/one.bin"]

    uploads.abort_upload(bucket, "dir/one.bin", one)
    uploads.abort_upload(bucket, "dir/one.bin", one)  # again: not an error
    if target.has(BLOCKS_OUTLIVE_ABORT):
        assert [u.session for u in uploads.list_unfinished_uploads(bucket)] == [one, two]
        # Committing the blob (as the next upload of it does) drops the staged blocks.
        target.server.put(bucket, {"dir/one.bin": b"stored", "other.bin": b"stored"})
        assert uploads.list_unfinished_uploads(bucket) == []
        return
    assert [u.session for u in uploads.list_unfinished_uploads(bucket)] == [two]
    gone = StorageError if target.has(ABORTED_SESSION_500) else UploadNotFound
    with pytest.raises(gone):
        uploads.upload_chunk(bucket, "dir/one.bin", one, 2, b"y", content_md5="")
    uploads.abort_upload(bucket, "other.bin", two)
    assert uploads.list_unfinished_uploads(bucket) == []


def test_a_chunk_smaller_than_the_limit_may_only_be_the_last(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    small = b"s" * (storage.features.limits.min_chunk - 1)
    session = uploads.begin_upload(bucket, "k.bin")
    t1 = uploads.upload_chunk(bucket, "k.bin", session, 1, small, content_md5="")
    t2 = uploads.upload_chunk(bucket, "k.bin", session, 2, b"end", content_md5="")
    if target.has(MIN_CHUNK_UNCHECKED):
        uploads.commit_upload(bucket, "k.bin", session, [(1, t1), (2, t2)])
        assert storage.head_object(bucket, "k.bin").size == len(small) + 3
        return
    with pytest.raises(StorageError) as refused:
        uploads.commit_upload(bucket, "k.bin", session, [(1, t1), (2, t2)])
    assert refused.value.code == "EntityTooSmall"
    uploads.abort_upload(bucket, "k.bin", session)


def test_a_commit_naming_a_wrong_token_is_refused(target: Target) -> None:
    bucket = target.bucket()
    uploads = chunked_uploads_of(target.storage())
    session = uploads.begin_upload(bucket, "k.bin")
    uploads.upload_chunk(bucket, "k.bin", session, 1, b"only", content_md5="")
    with pytest.raises(StorageError) as refused:
        uploads.commit_upload(bucket, "k.bin", session, [(1, hashlib.md5(b"other").hexdigest())])
    assert refused.value.code == "InvalidPart"
    uploads.abort_upload(bucket, "k.bin", session)
