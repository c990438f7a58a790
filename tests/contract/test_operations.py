"""core.operations on both servers: copy, move (rename) and delete of keys and prefixes over
several listing pages, cancellation that leaves every object in exactly one place, failures
named per key, copies in parts and copies between two connections."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cloudbrowser.core import deletes, operations
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.errors import BucketNotFound, CloudBrowserError, ConfigError
from cloudbrowser.core.journal import State
from cloudbrowser.core.operations import Operation, OpItem, OpKind, tally
from tests.conftest import S3Server


def keys_under(server: S3Server, bucket: str, prefix: str = "") -> list[str]:
    found: list[str] = []
    for page in server.client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    ):
        found.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(found)


def body(server: S3Server, bucket: str, key: str) -> bytes:
    return bytes(server.client.get_object(Bucket=bucket, Key=key)["Body"].read())


def seed(server: S3Server, bucket: str, prefix: str, n: int) -> dict[str, bytes]:
    files = {f"{prefix}{i // 10:02d}/file-{i:04d}.txt": f"body {i}".encode() for i in range(n)}
    server.put(bucket, files)
    return files


def test_delete_a_prefix_over_several_pages(server: S3Server) -> None:
    bucket = server.bucket()
    seed(server, bucket, "old/", 45)
    server.put(bucket, {"keep/me.txt": b"stay"})
    op = Operation(server.backend(page_size=10), OpKind.DELETE, bucket, [OpItem("old/")])
    result = op.run()
    assert result.ok and result.done == 45 and op.state is State.DONE
    progress = op.progress()
    assert (progress.found, progress.done, progress.counted) == (45, 45, True)
    assert keys_under(server, bucket) == ["keep/me.txt"]


def test_tally_counts_objects_and_bytes_page_by_page(server: S3Server) -> None:
    bucket = server.bucket()
    files = seed(server, bucket, "t/", 25)
    seen: list[int] = []
    counted = tally(
        server.backend(page_size=10), bucket, [OpItem("t/"), OpItem("x.bin", size=7)],
        progress=lambda t: seen.append(t.objects),
    )  # fmt: skip
    assert counted.objects == 26
    assert counted.bytes == sum(len(b) for b in files.values()) + 7
    # One report per page; the sub-prefixes are listed in parallel, so in any order.
    assert len(seen) == 3 and seen == sorted(seen) and seen[-1] == 25


def test_rename_a_prefix_moves_every_key_with_its_bytes(server: S3Server) -> None:
    bucket = server.bucket()
    files = seed(server, bucket, "reports/2024/", 35)
    op = Operation(
        server.backend(page_size=10), OpKind.MOVE, bucket, [OpItem("reports/2024/", "reports/old/")]
    )
    result = op.run()
    assert result.ok and result.done == 35
    assert keys_under(server, bucket, "reports/2024/") == []
    moved = keys_under(server, bucket, "reports/old/")
    assert moved == sorted(k.replace("reports/2024/", "reports/old/") for k in files)
    assert body(server, bucket, moved[7]) == files[moved[7].replace("/old/", "/2024/")]


def test_copy_keys_and_a_prefix_into_another_bucket(server: S3Server) -> None:
    bucket, other = server.bucket("src"), server.bucket("dst")
    files = seed(server, bucket, "a/", 12)
    server.put(bucket, {"single.txt": b"one"})
    items = [OpItem("a/", "in/a/"), OpItem("single.txt", "in/single.txt")]
    result = Operation(
        server.backend(page_size=5), OpKind.COPY, bucket, items, dest_bucket=other
    ).run()
    assert result.ok and result.done == 13
    assert len(keys_under(server, bucket)) == 13  # the originals stay
    assert keys_under(server, other) == sorted(["in/single.txt"] + [f"in/{k}" for k in files])
    assert body(server, other, "in/single.txt") == b"one"


def test_a_folder_cannot_go_into_itself(server: S3Server) -> None:
    bucket = server.bucket()
    seed(server, bucket, "f/", 3)
    op = Operation(server.backend(), OpKind.COPY, bucket, [OpItem("f/", "f/sub/f/")])
    with pytest.raises(ConfigError, match="into itself"):
        op.run()
    assert len(keys_under(server, bucket)) == 3


def test_every_key_that_failed_is_named(server: S3Server) -> None:
    bucket = server.bucket()
    seed(server, bucket, "p/", 4)
    op = Operation(
        server.backend(), OpKind.MOVE, bucket, [OpItem("p/", "q/")], dest_bucket="no-such-bkt-xyz"
    )
    result = op.run()
    assert not result.ok and op.state is State.FAILED and result.done == 0
    assert len(result.failed) == 4
    assert all(isinstance(error, BucketNotFound) for _, error in result.failed)
    assert len(keys_under(server, bucket, "p/")) == 4  # a failed move deletes nothing


class CancelAfter(S3Backend):
    """Cancels the operation once ``after`` requests of one kind were answered."""

    def __init__(self, *args: Any, after: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after = after
        self.calls = 0
        self.operation: Operation | None = None
        self._lock = threading.Lock()

    def _count(self) -> None:
        with self._lock:
            self.calls += 1
            if self.calls == self.after and self.operation is not None:
                self.operation.cancel()

    def delete_objects(self, bucket: str, keys: Any) -> list[tuple[str, CloudBrowserError]]:
        failed = super().delete_objects(bucket, keys)
        self._count()
        return failed

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        etag = super().copy_object(src_bucket, src_key, bucket, key, create_only=create_only)
        self._count()
        return etag


def test_cancel_mid_delete_reports_what_was_deleted(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deletes, "BATCHES_AT_ONCE", 1)
    bucket = server.bucket()
    seed(server, bucket, "big/", 60)
    backend = CancelAfter(server.settings(), server.credentials, page_size=10, after=2)
    limits = backend.features.limits._replace(max_delete_batch=10)
    small = backend.features._replace(limits=limits)
    monkeypatch.setattr(CancelAfter, "features", property(lambda _self: small))
    op = Operation(backend, OpKind.DELETE, bucket, [OpItem("big/")])
    backend.operation = op
    result = op.run()
    assert result.cancelled and not result.ok and op.state is State.CANCELLED
    left = keys_under(server, bucket)
    assert 0 < len(left) < 60
    assert result.done == 60 - len(left)  # the report matches the bucket


def test_cancel_mid_move_leaves_every_object_in_exactly_one_place(server: S3Server) -> None:
    bucket = server.bucket()
    files = seed(server, bucket, "src/", 40)
    backend = CancelAfter(server.settings(), server.credentials, page_size=10, after=5)
    op = Operation(backend, OpKind.MOVE, bucket, [OpItem("src/", "dst/")], workers=2)
    backend.operation = op
    result = op.run()
    assert result.cancelled and op.state is State.CANCELLED
    left = set(keys_under(server, bucket, "src/"))
    moved = {k.replace("dst/", "src/", 1) for k in keys_under(server, bucket, "dst/")}
    assert left | moved == set(files) and not left & moved
    assert 5 <= len(moved) < 40 and result.done == len(moved)


def test_objects_above_the_copy_limit_are_copied_in_parts(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "COPY_PART_SIZE", 5 * 1024 * 1024)
    bucket = server.bucket()
    data = bytes(range(256)) * (11 * 4096)  # 11 MiB: three parts of 5, 5 and 1 MiB
    server.put(bucket, {"big.bin": data})
    op = Operation(
        server.backend(), OpKind.COPY, bucket, [OpItem("big.bin", "copy.bin")], max_copy=1024
    )
    result = op.run()
    if server.kind == "rclone":
        # rclone serve s3 answers UploadPartCopy with an empty part: refused, and said so.
        [(key, error)] = result.failed
        assert key == "big.bin" and "5 GiB" in error.message
        assert "copy.bin" not in keys_under(server, bucket)
        assert server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        return
    assert result.ok
    assert body(server, bucket, "copy.bin") == data
    etag = server.client.head_object(Bucket=bucket, Key="copy.bin")["ETag"]
    assert etag.strip('"').endswith("-3")


def test_copy_between_two_connections_streams_and_verifies(
    server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "STREAM_PART_SIZE", 5 * 1024 * 1024)
    bucket, other = server.bucket("from"), server.bucket("to")
    big = bytes(range(251)) * (12 * 4177)  # ~12 MiB: a multipart upload of three parts
    server.put(bucket, {"d/big.bin": big, "d/small.txt": b"small"}, content_type="text/plain")
    source, dest = server.backend(), server.backend()  # two connections, as in the window
    op = Operation(
        source, OpKind.COPY, bucket, [OpItem("d/", "d/")], dest_backend=dest, dest_bucket=other
    )
    assert op.streams
    result = op.run()
    assert result.ok and result.done == 2
    assert body(server, other, "d/big.bin") == big
    assert body(server, other, "d/small.txt") == b"small"
    head = server.client.head_object(Bucket=other, Key="d/small.txt")
    assert head["ContentType"] == "text/plain"
    assert op.progress().done_bytes == len(big) + 5


def test_create_a_bucket_in_a_chosen_region_and_delete_it(server: S3Server) -> None:
    backend = server.backend()
    name = f"regional-{server.kind}-bucket"
    backend.create_bucket(name, "eu-west-1")
    try:
        if server.kind == "moto":  # rclone serve s3 has one region and reports none
            location = server.client.get_bucket_location(Bucket=name)["LocationConstraint"]
            assert location == "eu-west-1"
        with pytest.raises(CloudBrowserError) as taken:
            backend.create_bucket(name, "eu-west-1")
        assert "exist" in taken.value.message.lower() or "own" in taken.value.message.lower()
    finally:
        backend.delete_bucket(name)
    assert name not in [b.name for b in backend.list_buckets()]


def test_a_count_made_for_the_question_is_the_progress_total_from_the_start(
    server: S3Server,
) -> None:
    bucket = server.bucket()
    seed(server, bucket, "x/", 30)
    backend = server.backend(page_size=10)
    counted = tally(backend, bucket, [OpItem("x/")])
    op = Operation(backend, OpKind.DELETE, bucket, [OpItem("x/")], expected=counted)
    before = op.progress()
    assert (before.found, before.counted, before.done) == (30, True, 0)
    assert op.run().ok and op.progress().done == 30
