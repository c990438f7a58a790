"""Buckets: create, list, delete only when empty."""

from __future__ import annotations

import pytest

from cloudbrowser.core.errors import AlreadyExists, BucketNotFound, StorageError
from tests.conformance.conftest import RECREATE_SUCCEEDS, Target


def test_created_buckets_are_listed_by_name(target: Target) -> None:
    second = target.bucket("zeta")
    first = target.bucket("alpha")
    names = [b.name for b in target.storage().list_buckets()]
    assert first in names and second in names
    assert names == sorted(names)


def test_creating_a_bucket_that_exists(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["kept.txt"])
    storage = target.storage()
    if target.has(RECREATE_SUCCEEDS):
        storage.create_bucket(bucket)
    else:
        with pytest.raises(AlreadyExists):
            storage.create_bucket(bucket)
    assert [e.key for e in storage.list_page(bucket, "").objects] == ["kept.txt"]


def test_only_an_empty_bucket_is_deleted(target: Target) -> None:
    storage = target.storage()
    bucket = target.bucket()
    target.server.put(bucket, ["a/b.txt"])
    with pytest.raises(StorageError) as refused:
        storage.delete_bucket(bucket)
    assert refused.value.code == "BucketNotEmpty"
    storage.delete_object(bucket, "a/b.txt")
    storage.delete_bucket(bucket)
    assert bucket not in [b.name for b in storage.list_buckets()]
    with pytest.raises(BucketNotFound):
        storage.delete_bucket(bucket)
    with pytest.raises(BucketNotFound):
        storage.put_object(bucket, "x", b"x", content_md5="")
