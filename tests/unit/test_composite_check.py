"""CompositeCheck: a stream's composite ETag (S3's multipart "md5-N") checked as the bytes
pass, for each part size that may have made it, whatever sizes the stream's chunks have."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from cloudbrowser.core.checksums import CompositeCheck


def etag_of(body: bytes, part: int) -> str:
    parts = [body[i : i + part] for i in range(0, len(body), part)]
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f"{hashlib.md5(joined).hexdigest()}-{len(parts)}"


@given(
    body=st.binary(min_size=1, max_size=400),
    part=st.integers(1, 64),
    chunk=st.integers(1, 100),
)
def test_the_right_part_size_matches_whatever_the_chunks(
    body: bytes, part: int, chunk: int
) -> None:
    check = CompositeCheck(etag_of(body, part).upper(), [part + 1, part])
    for i in range(0, len(body), chunk):
        check.update(body[i : i + chunk])
    assert check.matches()


def test_damaged_bytes_or_an_unknown_part_size_do_not_match() -> None:
    body = bytes(range(256)) * 10
    etag = etag_of(body, 100)
    damaged = CompositeCheck(etag, [100])
    damaged.update(body[:500] + b"\xff" + body[501:])
    assert not damaged.matches()
    unknown = CompositeCheck(etag, [99, 101, 128])
    unknown.update(body)
    assert not unknown.matches()
    # Only the first candidates are hashed: each costs a pass over the bytes.
    late = CompositeCheck(etag, [1, 2, 3, 100], limit=3)
    late.update(body)
    assert not late.matches()
    nothing = CompositeCheck(etag, [100])
    assert not nothing.matches()
