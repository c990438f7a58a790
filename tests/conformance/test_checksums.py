"""An object's checksums, as data apart from its revision: what ``head_object``, a
listing row and a read (whole or ranged) say of an object put through the interface.

Every target reports the MD5 of an object stored in one request; a chunked object's MD5
where the provider keeps one (GCS computes it, Azure stores the one the commit gives,
rclone keeps it as the ETag), none where its only checksum is S3's composite ETag. GCS
reports CRC32C besides.
"""

from __future__ import annotations

import base64
import hashlib

from cloudbrowser.core.checksums import Crc32c
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.storage import COMPOSITE, CRC32C, MD5, chunked_uploads_of
from tests.conformance.conftest import WHOLE_MD5_ETAGS, Target

BODY = bytes(range(256)) * 40 + b"the end"


def crc32c_hex(data: bytes) -> str:
    crc = Crc32c()
    crc.update(data)
    return crc.hexdigest()


def row(target: Target, bucket: str, key: str) -> Entry:
    [found] = [e for e in target.storage().list_page(bucket).objects if e.key == key]
    return found


def test_an_object_put_in_one_request_reports_its_checksums(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    md5 = hashlib.md5(BODY).hexdigest()
    storage.put_object(
        bucket,
        "one.bin",
        BODY,
        content_md5=base64.b64encode(hashlib.md5(BODY).digest()).decode(),
    )
    assert MD5 in storage.features.checksums
    crc = crc32c_hex(BODY) if CRC32C in storage.features.checksums else ""

    info = storage.head_object(bucket, "one.bin")
    assert (info.md5, info.crc32c) == (md5, crc)
    listed = row(target, bucket, "one.bin")
    assert (listed.md5, listed.crc32c) == (md5, crc)
    with storage.get_object(bucket, "one.bin") as whole:
        assert (whole.md5, whole.crc32c) == (md5, crc)
        assert whole.read(-1) == BODY
    # A range's reply names the whole object's checksums, not the range's.
    with storage.get_object(bucket, "one.bin", start=10, end=99, if_match=info.etag) as part:
        assert (part.md5, part.crc32c) == (md5, crc)
        assert part.read(-1) == BODY[10:100]


def test_a_chunked_object_reports_the_md5_its_provider_keeps(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    uploads = chunked_uploads_of(storage)
    first = b"a" * storage.features.limits.min_chunk
    last = b"the short last chunk"
    whole = hashlib.md5(first + last)
    session = uploads.begin_upload(bucket, "big.bin")
    tokens = [
        (1, uploads.upload_chunk(bucket, "big.bin", session, 1, first, content_md5="")),
        (2, uploads.upload_chunk(bucket, "big.bin", session, 2, last, content_md5="")),
    ]
    uploads.commit_upload(
        bucket, "big.bin", session, tokens, content_md5=base64.b64encode(whole.digest()).decode()
    )

    features = storage.features
    keeps_md5 = (
        features.md5_on_commit or target.has(WHOLE_MD5_ETAGS) or COMPOSITE not in features.checksums
    )
    expected = whole.hexdigest() if keeps_md5 else ""
    info = storage.head_object(bucket, "big.bin")
    assert info.md5 == expected
    assert row(target, bucket, "big.bin").md5 == expected
    with storage.get_object(bucket, "big.bin", start=1, end=5) as part:
        assert part.md5 == expected
        assert part.read(-1) == b"aaaaa"
    if CRC32C in features.checksums:
        assert info.crc32c == crc32c_hex(first + last)


def test_a_read_asked_for_its_ranges_md5_gets_it_where_the_provider_gives_one(
    target: Target,
) -> None:
    """``get_object(range_md5=True)``: the MD5 of the bytes sent, where the provider gives
    one (``features.range_md5_max``: Azure's x-ms-range-get-content-md5), else none; the
    reply still names the whole object's checksums, and a read that did not ask gets none."""
    bucket = target.bucket()
    storage = target.storage()
    storage.put_object(bucket, "r.bin", BODY, content_md5="")
    info = storage.head_object(bucket, "r.bin")
    gives = storage.features.range_md5_max > 0
    for first, last in [(10, 99), (0, len(BODY) - 1)]:
        expected = hashlib.md5(BODY[first : last + 1]).hexdigest() if gives else ""
        with storage.get_object(
            bucket, "r.bin", start=first, end=last, if_match=info.etag, range_md5=True
        ) as part:
            assert part.range_md5 == expected
            assert part.md5 == info.md5
            assert part.read(-1) == BODY[first : last + 1]
    with storage.get_object(bucket, "r.bin", start=10, end=99) as unasked:
        assert unasked.range_md5 == ""
        assert unasked.read(-1) == BODY[10:100]
    with storage.get_object(bucket, "r.bin", range_md5=True) as whole:
        assert whole.range_md5 == "", "no range: nothing asked"
        assert whole.read(-1) == BODY
