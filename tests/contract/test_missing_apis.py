"""A server without ListParts / ListMultipartUploads / AbortMultipartUpload (hostile front).

An interrupted upload resumes as a fresh multipart upload instead of failing forever, and
the backend remembers what the server lacks: it asks once per connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.errors import ConfigError, NotSupported
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfers import (
    MiB,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.conftest import S3Server
from tests.hostile import MULTIPART_APIS, Forward, Reply, Request, error_reply, lacking

PART = 5 * MiB
OPTIONS = TransferOptions(part_size=PART, concurrency=2, part_concurrency=2)


@pytest.fixture
def backend(hostile_server: S3Server) -> S3Backend:
    return hostile_server.backend()


@pytest.fixture
def queue(backend: S3Backend, tmp_path: Path) -> Iterator[TransferQueue]:
    def lookup(name: str) -> S3Backend:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    # No waiting to be tried again: the refused part must stop the upload half-way.
    q = TransferQueue(lookup, Journal(tmp_path / "journal.sqlite3"), replace(OPTIONS, retries=0))
    yield q
    q.shutdown()


def refuse_last_part(request: Request, _forward: Forward) -> Reply | None:
    """Part 3 fails: the upload stops with its UploadId journalled (as after a crash)."""
    if request.method == "PUT" and request.query.get("partNumber") == "3":
        return error_reply(500, "InternalError")
    return None


def failed_upload(
    server: S3Server, queue: TransferQueue, bucket: str, path: Path, seed: int
) -> tuple[Transfer, bytes]:
    data = hashlib.shake_256(f"{seed}".encode()).digest(3 * PART - 1234)
    path.write_bytes(data)
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD, server.settings().name, bucket, path.name, path, st.st_size, st.st_mtime
    )
    assert server.hostile is not None
    server.hostile.rule(refuse_last_part)
    [t] = queue.add([request])
    assert queue.wait([t], timeout=60)
    assert t.state is State.FAILED and t.session, "the upload stopped half-way"
    server.hostile.clear_rules()
    return t, data


def test_resume_without_list_parts_starts_a_fresh_upload_and_remembers(
    hostile_server: S3Server, backend: S3Backend, queue: TransferQueue, tmp_path: Path
) -> None:
    hostile = hostile_server.hostile
    assert hostile is not None
    bucket = hostile_server.bucket()
    first, first_data = failed_upload(hostile_server, queue, bucket, tmp_path / "one.bin", 1)
    second, second_data = failed_upload(hostile_server, queue, bucket, tmp_path / "two.bin", 2)
    hostile.rule(lacking("ListParts", "ListMultipartUploads", "AbortMultipartUpload"))
    asked = len(hostile.requests_matching(MULTIPART_APIS["ListParts"]))

    queue.resume([first.id])
    assert queue.wait([first], timeout=60)
    assert (first.state, first.error) == (State.DONE, None)
    assert backend.lacks("ListParts") and backend.lacks("AbortMultipartUpload")

    queue.resume([second.id])
    assert queue.wait([second], timeout=60)
    assert (second.state, second.error) == (State.DONE, None)

    client = hostile_server.client
    assert client.get_object(Bucket=bucket, Key="one.bin")["Body"].read() == first_data
    assert client.get_object(Bucket=bucket, Key="two.bin")["Body"].read() == second_data
    list_parts = hostile.requests_matching(MULTIPART_APIS["ListParts"])
    aborts = hostile.requests_matching(MULTIPART_APIS["AbortMultipartUpload"])
    assert len(list_parts) - asked == 1, "asked once, then remembered"
    assert len(aborts) == 1, "the abort too"


@pytest.mark.parametrize(("status", "code"), [(501, "NotImplemented"), (405, "MethodNotAllowed")])
def test_listing_incomplete_uploads_says_the_server_cannot(
    hostile_server: S3Server, backend: S3Backend, status: int, code: str
) -> None:
    hostile = hostile_server.hostile
    assert hostile is not None
    bucket = hostile_server.bucket()
    hostile.rule(lacking("ListMultipartUploads", status=status, code=code))
    for _ in range(2):
        with pytest.raises(NotSupported, match="does not support listing incomplete uploads"):
            backend.list_unfinished_uploads(bucket)
    assert len(hostile.requests_matching(MULTIPART_APIS["ListMultipartUploads"])) == 1
