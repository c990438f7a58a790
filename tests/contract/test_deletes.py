"""core.deletes on both servers: DeleteObjects in batches, single deletes where the
provider has none (or the server says so), and every refused key reported."""

from __future__ import annotations

from typing import Any

from cloudbrowser.core import deletes
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.errors import CloudBrowserError, StorageError
from cloudbrowser.core.storage import Features
from tests.conftest import S3Server


class Counting(S3Backend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []
        self.singles = 0
        #: The most keys per batch delete this test's storage claims (the limit is a feature).
        self.max_batch = 0

    @property
    def features(self) -> Features:
        features = super().features
        if not self.max_batch:
            return features
        limits = features.limits._replace(max_delete_batch=self.max_batch)
        return features._replace(limits=limits)

    def delete_objects(self, bucket: str, keys: Any) -> list[tuple[str, CloudBrowserError]]:
        self.batches.append(len(keys))
        return super().delete_objects(bucket, keys)

    def delete_object(self, bucket: str, key: str) -> None:
        self.singles += 1
        super().delete_object(bucket, key)


def remaining(server: S3Server, bucket: str) -> list[str]:
    reply = server.client.list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in reply.get("Contents", [])]


def test_batches_of_at_most_the_limit(server: S3Server) -> None:
    bucket = server.bucket()
    keys = [f"d/{i:03d}" for i in range(25)]
    server.put(bucket, keys)
    backend = Counting(server.settings(), server.credentials)
    backend.max_batch = 10
    done: list[int] = []
    result = deletes.delete_keys(backend, bucket, iter(keys), progress=done.append)
    assert result.ok and result.deleted == 25
    assert sorted(backend.batches) == [5, 10, 10] and backend.singles == 0
    assert sum(done) == 25
    assert remaining(server, bucket) == []


def test_without_multi_object_delete_each_key_goes_alone(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a", "b", "c"])
    backend = Counting(server.settings(), server.credentials)
    result = deletes.delete_keys(backend, bucket, ["a", "b", "c"], multi_delete=False)
    assert result.ok and result.deleted == 3
    assert backend.batches == [] and backend.singles == 3
    assert remaining(server, bucket) == []


def test_a_server_without_delete_objects_falls_back_and_says_so(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a", "b"])

    class NoMultiDelete(Counting):
        def delete_objects(self, bucket: str, keys: Any) -> list[tuple[str, CloudBrowserError]]:
            self.batches.append(len(keys))
            raise StorageError("not here", code="NotImplemented")

    backend = NoMultiDelete(server.settings(), server.credentials)
    result = deletes.delete_keys(backend, bucket, ["a", "b"])
    assert result.ok and result.deleted == 2 and result.multi_delete_unsupported
    assert backend.singles == 2
    assert remaining(server, bucket) == []


def test_a_request_that_fails_as_a_whole_fails_each_of_its_keys(server: S3Server) -> None:
    backend = server.backend()
    result = deletes.delete_keys(backend, "no-such-bucket-for-deletes", ["x", "y"])
    assert result.deleted == 0
    assert [key for key, _ in result.failed] == ["x", "y"]
    assert all("does not exist" in error.message for _, error in result.failed)
