"""The S3 hot path (core/backends/s3/fast.py): GetObject, PutObject and the CLI's listing
signed and sent without botocore's per-request machinery, against real servers.

rclone checks every signature, moto keeps keys no filesystem could: between them a request
the fast path signs or addresses wrongly fails here. What botocore still does (retries,
redirects) is checked on the hostile front by counting what arrived.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.backends.s3 import backend as s3_backend
from cloudbrowser.core.backends.s3 import fast
from cloudbrowser.core.errors import (
    BucketNotFound,
    CloudBrowserError,
    CreatedMeanwhile,
    KeyNotFound,
    NotSupported,
    ObjectChanged,
)
from cloudbrowser.core.paging import iter_pages
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, error_reply

#: Keys every server stores: spaces, non-ASCII, the characters SigV4 and URLs escape.
KEYS = ["plain.txt", "a b/ü+x%20y.txt", "q&=;,$@!'().bin", "tilde~star*.md", "ä/ö/ü"]
#: Keys only an object store keeps (a filesystem behind rclone cannot): path segments a
#: URL library would "normalise" away.
PATH_LIKE_KEYS = ["dot/./x", "dot/../y", "dbl//z", "end/.", ".."]


def _md5(data: bytes) -> tuple[str, str]:
    digest = hashlib.md5(data).digest()
    return digest.hex(), base64.b64encode(digest).decode()


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many requests the fast path itself made, by method (botocore's are not counted)."""
    counts = {"GET": 0, "PUT": 0}
    send_once = fast.FastPath._send_once

    def counting(self: fast.FastPath, method: str, *args: Any, **kwargs: Any) -> Any:
        counts[method] = counts.get(method, 0) + 1
        return send_once(self, method, *args, **kwargs)

    monkeypatch.setattr(fast.FastPath, "_send_once", counting)
    return counts


def _round_trip(server: S3Server, keys: list[str], fast_calls: dict[str, int]) -> None:
    backend = server.backend()
    bucket = server.bucket()
    for i, key in enumerate(keys):
        data = f"{i}:{key}".encode() * 10
        hexdigest, b64 = _md5(data)
        assert backend.put_object(bucket, key, data, content_md5=b64) == hexdigest
        with backend.get_object(bucket, key) as reader:
            assert reader.size == len(data)
            assert reader.etag == hexdigest
            assert reader.read(1 << 20) == data
    listed = {
        o["Key"]
        for page in server.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
    assert listed == set(keys)
    assert fast_calls == {"GET": len(keys), "PUT": len(keys)}


def test_awkward_keys_go_and_come_back_byte_for_byte(
    server: S3Server, fast_calls: dict[str, int]
) -> None:
    _round_trip(server, KEYS, fast_calls)


def test_path_like_keys_are_sent_as_they_are(
    moto_server: S3Server, fast_calls: dict[str, int]
) -> None:
    _round_trip(moto_server, PATH_LIKE_KEYS, fast_calls)


def test_ranged_read_reports_its_content_range(server: S3Server) -> None:
    backend = server.backend()
    bucket = server.bucket()
    server.put(bucket, {"r.bin": b"0123456789"})
    with backend.get_object(bucket, "r.bin", start=2, end=5) as reader:
        assert reader.content_range == (2, 5, 10)
        assert reader.size == 4
        assert reader.read(100) == b"2345"


def test_if_match_of_another_version_is_object_changed(moto_server: S3Server) -> None:
    """(rclone serve s3 ignores If-Match, with botocore as without it.)"""
    backend = moto_server.backend()
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"v.txt": b"new"})
    with pytest.raises(ObjectChanged):
        backend.get_object(bucket, "v.txt", if_match=hashlib.md5(b"old").hexdigest())


def test_a_missing_key_is_key_not_found(server: S3Server) -> None:
    backend = server.backend()
    bucket = server.bucket()
    with pytest.raises(KeyNotFound):
        backend.get_object(bucket, "nothing-here")


def test_a_put_is_sent_no_more_often_than_max_attempts(
    hostile_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 is retried by the fast path itself, as botocore would, and then reported: the
    fast attempts and botocore's together never exceed the connection's max_attempts."""
    monkeypatch.setattr(fast, "_MAX_BACKOFF", 0)  # no sleeping between the attempts
    backend = hostile_server.backend(max_attempts=3)
    bucket = hostile_server.bucket()

    def unavailable(request: Request, _forward: Forward) -> Reply | None:
        if request.method == "PUT" and request.key == "busy.txt":
            return error_reply(503, "SlowDown", "Please reduce your request rate.")
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(unavailable)
    _, b64 = _md5(b"x")
    with pytest.raises(CloudBrowserError):
        backend.put_object(bucket, "busy.txt", b"x", content_md5=b64)
    puts = hostile_server.hostile.requests_matching(
        lambda r: r.method == "PUT" and r.key == "busy.txt"
    )
    assert len(puts) == 3


def test_a_failed_attempt_then_success_stores_the_object(hostile_server: S3Server) -> None:
    backend = hostile_server.backend(max_attempts=2)
    bucket = hostile_server.bucket()
    failed: list[bool] = []

    def once(request: Request, _forward: Forward) -> Reply | None:
        if request.method == "PUT" and request.key == "flaky.txt" and not failed:
            failed.append(True)
            return error_reply(500, "InternalError", "We encountered an internal error.")
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(once)
    hexdigest, b64 = _md5(b"payload")
    assert backend.put_object(bucket, "flaky.txt", b"payload", content_md5=b64) == hexdigest
    with backend.get_object(bucket, "flaky.txt") as reader:
        assert reader.read(100) == b"payload"


_NO_SDK = """
import json, sys
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.paging import iter_pages

url, key, secret, bucket = sys.argv[1:5]
settings = ConnectionSettings(name="t", endpoint_url=url, region="us-east-1")
storage = open_storage(settings, Credentials(key, secret))
storage.put_object(bucket, "k/one.txt", b"one", content_md5="")
keys = [e.key for page in iter_pages(storage, bucket, "k/", recursive=True) for e in page.objects]
with storage.get_object(bucket, "k/one.txt") as reader:
    body = reader.read(100).decode()
refused = storage.delete_objects(bucket, ["k/one.txt", "k/never-there.txt"])
left = [e.key for page in iter_pages(storage, bucket, "k/", recursive=True) for e in page.objects]
print(json.dumps({"keys": keys, "body": body, "refused": refused, "left": left,
                  "botocore": "botocore" in sys.modules}))
"""


def test_listing_reading_and_writing_load_no_botocore(rclone_server: S3Server) -> None:
    """A connection with keys, an endpoint on an IP address and a region leaves botocore
    nothing to decide: the CLI's ``ls``/``get``/``put``/``rm`` of small files never import
    it."""
    bucket = rclone_server.bucket()
    creds = rclone_server.credentials
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _NO_SDK,
            rclone_server.endpoint_url,
            creds.access_key_id,
            creds.secret_access_key,
            bucket,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout) == {
        "keys": ["k/one.txt"],
        "body": "one",
        "refused": [],
        "left": [],
        "botocore": False,
    }


def test_a_batch_delete_carries_awkward_keys_and_hands_unwritable_ones_to_botocore(
    server: S3Server, fast_calls: dict[str, int]
) -> None:
    backend = server.backend()
    bucket = server.bucket()
    awkward = ["a b+ü%.txt", "c&d<e>'\"f.txt", "ünï/cödé"]
    server.put(bucket, {key: b"x" for key in [*awkward, "kept.txt"]})
    assert backend.delete_objects(bucket, [*awkward, "never-there"]) == []
    assert fast_calls.get("POST") == 1
    assert _keys(backend, bucket) == ["kept.txt"]
    # A control character XML cannot carry as it is: botocore's request, as before.
    assert backend.delete_objects(bucket, ["tab\there", "kept.txt"]) == []
    assert fast_calls.get("POST") == 1
    assert _keys(backend, bucket) == []


def _keys(backend: Any, bucket: str) -> list[str]:
    return sorted(
        e.key for page in iter_pages(backend, bucket, "", recursive=True) for e in page.objects
    )


def test_a_server_copy_keeps_awkward_keys(server: S3Server, fast_calls: dict[str, int]) -> None:
    backend = server.backend()
    bucket = server.bucket()
    source, target = "src/a b+ü%.txt", "dst/c&d=é.txt"
    server.put(bucket, {source: b"copied"})
    fast_calls.update(GET=0, PUT=0)  # the seeding PUT went the fast way too
    etag = backend.copy_object(bucket, source, bucket, target)
    assert etag == hashlib.md5(b"copied").hexdigest()
    with backend.get_object(bucket, target) as reader:
        assert reader.read(100) == b"copied"
    assert fast_calls["PUT"] == 1
    with pytest.raises(KeyNotFound):
        backend.copy_object(bucket, "src/missing", bucket, "dst/x")


def test_a_copy_answered_200_with_an_error_is_retried_then_reported(
    hostile_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 may fail a copy after its 200 status went out: botocore retries that as a 500,
    and so does the fast path, within max_attempts."""
    monkeypatch.setattr(fast, "_MAX_BACKOFF", 0)
    backend = hostile_server.backend(max_attempts=2)
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"s.txt": b"s"})
    body = b"<Error><Code>InternalError</Code><Message>We encountered an error.</Message></Error>"

    def failed_copy(request: Request, _forward: Forward) -> Reply | None:
        if request.method == "PUT" and request.key == "t.txt":
            return Reply(200, {"Content-Type": "application/xml"}, body)
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(failed_copy)
    with pytest.raises(CloudBrowserError):
        backend.copy_object(bucket, "s.txt", bucket, "t.txt")
    copies = hostile_server.hostile.requests_matching(
        lambda r: r.method == "PUT" and r.key == "t.txt"
    )
    assert len(copies) == 2


def test_an_error_reply_to_a_put_is_read_for_its_code(server: S3Server) -> None:
    """The fast path reads the <Error> of a refused PUT: a missing bucket is named as such,
    not taken for a missing key (its status alone, 404, says neither)."""
    backend = server.backend()
    _, b64 = _md5(b"x")
    with pytest.raises(BucketNotFound):
        backend.put_object("no-such-bucket-here", "k.txt", b"x", content_md5=b64)


@pytest.mark.parametrize("path", ["fast", "botocore"])
@pytest.mark.parametrize("server_says", [412, 501])
def test_a_create_only_copy_sends_the_condition_and_reads_the_answer(
    hostile_server: S3Server, monkeypatch: pytest.MonkeyPatch, path: str, server_says: int
) -> None:
    """CopyObject with If-None-Match: *, on both paths. A front answers as Amazon S3 does
    where the name is taken (412: CreatedMeanwhile), or as a server that does not take the
    condition on a copy (501: NotSupported, so that the engine looks at the name first)."""
    if path == "botocore":
        monkeypatch.setattr(s3_backend, "FAST_PATH_ON", False)
    backend = hostile_server.backend(max_attempts=1)
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"s.txt": b"s", "taken.txt": b"someone else's"})
    code = "PreconditionFailed" if server_says == 412 else "NotImplemented"

    def checks(request: Request, _forward: Forward) -> Reply | None:
        conditional = request.method == "PUT" and request.headers.get("if-none-match") == "*"
        if conditional and (request.key == "taken.txt" or server_says == 501):
            return error_reply(server_says, code)
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(checks)
    expected = CreatedMeanwhile if server_says == 412 else NotSupported
    with pytest.raises(expected):
        backend.copy_object(bucket, "s.txt", bucket, "taken.txt", create_only=True)
    copies = hostile_server.hostile.requests_matching(
        lambda r: r.key == "taken.txt" and "x-amz-copy-source" in r.headers
    )
    assert [r.headers.get("if-none-match") for r in copies] == ["*"]
    if server_says == 412:
        assert backend.copy_object(bucket, "s.txt", bucket, "free.txt", create_only=True)
        with backend.get_object(bucket, "free.txt") as reader:
            assert reader.read(-1) == b"s"
