"""A 200 whose body is not S3's XML says so at once: no retries, no "Internal Server Error"."""

from __future__ import annotations

import pytest

from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.versions import iter_versions
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, entity_bomb, error_reply, listing_body

#: An entity-expansion bomb ("billion laughs").
BOMB = entity_bomb()
TRUNCATED = b'<?xml version="1.0"?><ListBucketResult><Contents><Key>a.txt</Key><Si'
PROXY_PAGE = b"<html><body><h1>Welcome to nginx!</h1></body></html>"


def _answer_with(server: S3Server, body: bytes, method: str = "GET") -> None:
    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method == method and not request.key and request.bucket:
            return Reply(200, {"Content-Type": "application/xml"}, body)
        return None

    assert server.hostile is not None
    server.hostile.rule(rule)


def _bucket_requests(server: S3Server, bucket: str) -> int:
    assert server.hostile is not None
    return len(
        server.hostile.requests_matching(
            lambda r: r.method == "GET" and r.bucket == bucket and not r.key
        )
    )


@pytest.mark.parametrize("body", [BOMB, TRUNCATED, PROXY_PAGE], ids=["bomb", "cut", "html"])
def test_an_unreadable_listing_fails_at_once(hostile_server: S3Server, body: bytes) -> None:
    bucket = hostile_server.bucket()
    backend = hostile_server.backend(max_attempts=5)
    _answer_with(hostile_server, body)
    with pytest.raises(StorageError) as caught:
        backend.list_page(bucket)
    error = caught.value
    assert error.code == "UnreadableReply"
    assert "reply to ListObjectsV2" in error.message and "could not be read" in error.message
    assert bucket in error.message
    assert "Internal Server Error" not in str(error)
    assert error.hint and error.detail
    # The same request would get the same body: asked once, not five times with backoff.
    assert _bucket_requests(hostile_server, bucket) == 1


def test_other_operations_fail_at_once_too(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    backend = hostile_server.backend(max_attempts=5)
    _answer_with(hostile_server, BOMB)  # ListObjectVersions, ListMultipartUploads: GET bucket
    with pytest.raises(StorageError) as caught:
        next(iter(iter_versions(backend, bucket)))
    assert caught.value.code == "UnreadableReply"
    assert "ListObjectVersions" in caught.value.message
    assert _bucket_requests(hostile_server, bucket) == 1


def test_a_200_error_body_is_still_retried_as_s3_means_it(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    backend = hostile_server.backend(max_attempts=2)

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.is_listing() and request.bucket == bucket:
            reply = error_reply(200, "InternalError", "We encountered an internal error.")
            return reply
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(rule)
    with pytest.raises(StorageError) as caught:
        backend.list_page(bucket)
    assert caught.value.code == "InternalError"
    # botocore's max_attempts counts the retries after the first request.
    assert _bucket_requests(hostile_server, bucket) == 3


def test_cli_says_what_happened(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = hostile_server.bucket()
    _answer_with(hostile_server, BOMB)
    result = Cli(hostile_server, capsys, monkeypatch)("ls", f"s3://{bucket}/")
    assert result.code == 1
    assert "The server's reply to ListObjectsV2 for bucket" in result.err
    assert "could not be read" in result.err and "Internal Server Error" not in result.err


def test_a_reply_cut_short_is_still_retried(hostile_server: S3Server) -> None:
    """A body shorter than its Content-Length (the connection dropped) is the network's
    fault, not the server's answer: asked again, as botocore does."""
    bucket = hostile_server.bucket()
    backend = hostile_server.backend(max_attempts=2)
    whole = listing_body(bucket, [("a-listed-object.txt", 5)])

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.is_listing() and request.bucket == bucket:
            return Reply(200, {"Content-Type": "application/xml"}, whole[:80], length=len(whole))
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(rule)
    with pytest.raises(StorageError) as caught:
        backend.list_page(bucket)
    assert caught.value.code != "UnreadableReply"
    assert _bucket_requests(hostile_server, bucket) == 3
