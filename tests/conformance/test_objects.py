"""Objects: head, whole and ranged reads with a revision precondition, put, delete."""

from __future__ import annotations

import base64
import hashlib

import pytest

from cloudbrowser.core.errors import Cancelled, IntegrityError, KeyNotFound, ObjectChanged
from tests.conformance.conftest import (
    IF_MATCH_IGNORED,
    MD5_UNCHECKED,
    Target,
    check_etag,
)

BODY = bytes(range(256)) * 40  # 10 KiB


def test_head_reports_size_revision_type_and_time(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    etag = storage.put_object(
        bucket, "data.json", b'{"a": 1}', content_md5="", content_type="application/json"
    )
    info = storage.head_object(bucket, "data.json")
    assert (info.bucket, info.key, info.size) == (bucket, "data.json", 8)
    assert info.etag == etag
    check_etag(target, etag, b'{"a": 1}')
    assert info.content_type == "application/json"
    assert info.modified > 0


def test_a_missing_key_is_key_not_found(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "absent.txt")
    with pytest.raises(KeyNotFound):
        storage.get_object(bucket, "absent.txt")


def test_ranged_reads_say_what_range_they_carry(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, {"blob.bin": BODY})
    storage = target.storage()
    with storage.get_object(bucket, "blob.bin") as whole:
        assert whole.size == len(BODY) and whole.content_range is None
        check_etag(target, whole.etag, BODY)
        assert b"".join(iter(lambda: whole.read(3000), b"")) == BODY
    with storage.get_object(bucket, "blob.bin", start=100, end=1099) as part:
        assert part.size == 1000
        assert part.content_range == (100, 1099, len(BODY))
        assert part.read(-1) == BODY[100:1100]
    with storage.get_object(bucket, "blob.bin", start=len(BODY) - 10) as tail:
        assert tail.read(-1) == BODY[-10:]
        assert tail.content_range == (len(BODY) - 10, len(BODY) - 1, len(BODY))


def test_if_match_refuses_a_changed_object(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    first = storage.put_object(bucket, "k.bin", BODY, content_md5="")
    with storage.get_object(bucket, "k.bin", start=10, end=19, if_match=first) as reader:
        assert reader.read(-1) == BODY[10:20]
    second = storage.put_object(bucket, "k.bin", b"another body", content_md5="")
    if target.has(IF_MATCH_IGNORED):
        with storage.get_object(bucket, "k.bin", start=0, end=4, if_match=first) as reader:
            assert reader.etag == second != first  # what the caller must compare
        return
    with pytest.raises(ObjectChanged):
        storage.get_object(bucket, "k.bin", start=10, end=19, if_match=first)


def test_a_body_that_does_not_match_its_md5_is_refused(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    right = base64.b64encode(hashlib.md5(BODY).digest()).decode()
    check_etag(target, storage.put_object(bucket, "good.bin", BODY, content_md5=right), BODY)
    if target.has(MD5_UNCHECKED):
        # Stored as sent: the returned ETag (the MD5 of what arrived) is the caller's check.
        etag = storage.put_object(bucket, "bad.bin", BODY, content_md5=wrong)
        assert etag == hashlib.md5(BODY).hexdigest()
        return
    with pytest.raises(IntegrityError):
        storage.put_object(bucket, "bad.bin", BODY, content_md5=wrong)
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "bad.bin")


def test_a_put_replaces_and_a_delete_removes(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    storage.put_object(bucket, "k.txt", b"one", content_md5="")
    storage.put_object(bucket, "k.txt", b"second", content_md5="")
    with storage.get_object(bucket, "k.txt") as reader:
        assert reader.read(-1) == b"second"
    storage.delete_object(bucket, "k.txt")
    storage.delete_object(bucket, "k.txt")  # deleting what is gone is no error
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "k.txt")
    assert storage.list_page(bucket, "").objects == []


def test_an_aborted_read_is_cancelled(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, {"big.bin": BODY * 50})
    with target.storage().get_object(bucket, "big.bin") as reader:
        assert reader.read(1000) == BODY[:1000]
        reader.abort()
        with pytest.raises(Cancelled):
            reader.read(1000)
