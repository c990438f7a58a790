"""A listing reply without a Content-Length (chunked) is read only up to the bound.

The hostile front always declares a length (refused before the body is read: see
tests/contract/test_hostile_listings.py); a chunked reply is bounded while it is read.
"""

from __future__ import annotations

import io

import pytest
from botocore.awsrequest import AWSResponse
from urllib3 import HTTPResponse

from cloudbrowser.core.backends.s3 import client as s3
from cloudbrowser.core.errors import StorageError


class CountingBody(io.BytesIO):
    """A body that says how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def _reply(body: CountingBody) -> AWSResponse:
    raw = HTTPResponse(body=body, headers={}, status=200, preload_content=False)
    return AWSResponse("http://127.0.0.1/b", 200, {}, raw)


def test_a_reply_without_a_length_is_read_up_to_the_bound() -> None:
    limit = 1024 * 1024
    body = CountingBody(b"x" * (10 * limit))
    with pytest.raises(StorageError, match="larger than 1 MiB"):
        s3._read_bounded(_reply(body), limit, "http://127.0.0.1/b")
    assert body.taken <= limit + 2 * s3._READ_CHUNK  # nowhere near the 10 MiB sent


def test_a_reply_within_the_bound_is_read_whole() -> None:
    data = b"<ListBucketResult/>" * 1000
    assert s3._read_bounded(_reply(CountingBody(data)), len(data), "http://x") == data
