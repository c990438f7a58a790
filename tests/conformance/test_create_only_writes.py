"""Create-only writes: a put or a chunked upload's commit that may only create its object
(``create_only``: S3's and Azure's If-None-Match: *, GCS's ifGenerationMatch=0), so that
an object someone else made after the name was found free is never overwritten unseen
("keep both" names, uploads planned where nothing was; docs/architecture.md §9)."""

from __future__ import annotations

import pytest

from cloudbrowser.core.errors import CreatedMeanwhile
from cloudbrowser.core.storage import chunked_uploads_of
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
