"""The S3 backend's error tables: each S3 code, HTTP status and botocore exception becomes
the error a user can act on (core/backends/s3/errors.py)."""

from __future__ import annotations

import botocore.exceptions as bx
import pytest

from cloudbrowser.core.backends.s3.errors import translate_error
from cloudbrowser.core.errors import (
    AccessDenied,
    BucketNotFound,
    CloudBrowserError,
    ConfigError,
    EndpointUnreachable,
    InvalidCredentials,
    KeyNotFound,
    NotFound,
    ObjectChanged,
    StorageError,
    Throttled,
    UploadNotFound,
)


def _reply(code: str, status: int, message: str = "") -> bx.ClientError:
    return bx.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "r-1"},
        },
        "AnyOperation",
    )


@pytest.mark.parametrize(
    ("code", "status", "key", "expected"),
    [
        ("SignatureDoesNotMatch", 403, "k", InvalidCredentials),
        ("NoSuchUpload", 404, "k", UploadNotFound),
        ("PreconditionFailed", 412, "k", ObjectChanged),
        ("", 412, "k", ObjectChanged),
        ("NoSuchBucket", 404, "k", BucketNotFound),
        ("404", 404, "", BucketNotFound),  # a HEAD of the bucket: no body, no key
        ("404", 404, "k", KeyNotFound),
        ("NoSuchKey", 404, "k", KeyNotFound),
        ("AccessDenied", 403, "k", AccessDenied),
        ("", 403, "k", AccessDenied),
        ("SlowDown", 503, "k", Throttled),
        ("", 429, "k", Throttled),
        # A server's own passing fault is waited out (retryable), as AWS asks.
        ("InternalError", 500, "k", Throttled),
        ("ServiceUnavailable", 503, "k", Throttled),
        ("", 500, "k", Throttled),
        ("", 502, "k", Throttled),
        ("", 504, "k", Throttled),
        # Two conditional writes of one key at once: AWS asks for a retry.
        ("ConditionalRequestConflict", 409, "k", Throttled),
    ],
)
def test_codes_then_statuses(
    code: str, status: int, key: str, expected: type[CloudBrowserError]
) -> None:
    error = translate_error(_reply(code, status), bucket="b", key=key)
    assert type(error) is expected
    assert error.retryable is (expected is Throttled)
    assert isinstance(error, StorageError) and error.code == code
    assert "r-1" in error.detail


def test_no_such_key_without_a_key_names_nothing_better() -> None:
    error = translate_error(_reply("NoSuchKey", 404), bucket="b")
    assert type(error) is NotFound and error.message == "bucket “b” was not found."


def test_a_bucket_in_another_region_is_a_setting_to_change() -> None:
    error = translate_error(_reply("PermanentRedirect", 301), bucket="b")
    assert type(error) is ConfigError and "region" in error.hint


def test_an_unknown_code_keeps_the_servers_message() -> None:
    error = translate_error(_reply("Odd", 400, "it is odd"), bucket="b", key="k")
    assert type(error) is StorageError and error.code == "Odd"
    assert error.message == "The server refused the request for “b/k”: it is odd"


def test_exceptions_before_any_reply() -> None:
    down = translate_error(bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert type(down) is EndpointUnreachable and "127.0.0.1:1" in down.detail
    sso = translate_error(bx.UnauthorizedSSOTokenError())
    assert type(sso) is InvalidCredentials and sso.code == "SSOLoginRequired"
    assert type(translate_error(bx.NoRegionError())) is ConfigError
    assert "unexpectedly" in translate_error(RuntimeError("x")).message


def test_the_request_id_is_named_only_when_the_server_sent_one() -> None:
    with_id = translate_error(_reply("NoSuchBucket", 404, "gone"), bucket="b")
    assert with_id.detail == "NoSuchBucket: gone (request id r-1)"
    reply = _reply("NoSuchBucket", 404, "gone")
    reply.response["ResponseMetadata"]["RequestId"] = ""  # rclone serve s3 sends it empty
    assert translate_error(reply, bucket="b").detail == "NoSuchBucket: gone"
