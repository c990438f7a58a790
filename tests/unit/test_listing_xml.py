"""The fast ListObjectsV2 parser reads what S3 servers really send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudbrowser.core.backends.s3.listing import (
    MAX_ROW_ELEMENTS,
    WHOLE_TREE_MAX,
    TooManyRows,
    parse_list_objects_v2,
)

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def test_url_encoded_page_with_prefixes_and_continuation() -> None:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult {NS}><Name>b</Name><Prefix>a%20b/</Prefix><KeyCount>3</KeyCount>
<MaxKeys>3</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
<EncodingType>url</EncodingType>
<Contents><Key>a+b/100%25+%231.txt</Key><LastModified>2024-05-01T12:30:00.000Z</LastModified>
<ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1234</Size>
<StorageClass>GLACIER</StorageClass></Contents>
<CommonPrefixes><Prefix>a+b/sub/</Prefix></CommonPrefixes>
<NextContinuationToken>tok+en==</NextContinuationToken></ListBucketResult>""".encode()
    page = parse_list_objects_v2(body)
    (obj,) = page.objects
    assert obj.key == "a b/100% #1.txt"  # unquote_plus, exactly like botocore
    assert obj.size == 1234 and obj.storage_class == "GLACIER"
    assert obj.etag == "0cc175b9c0f1b6a831c399e269772661"
    assert obj.modified == datetime(2024, 5, 1, 12, 30, tzinfo=UTC).timestamp()
    assert [p.key for p in page.prefixes] == ["a b/sub/"] and page.prefixes[0].is_prefix
    assert page.next_token == "tok+en==" and not page.is_last


def test_plain_page_without_namespace_or_encoding() -> None:
    body = b"""<ListBucketResult><IsTruncated>false</IsTruncated>
<Contents><Key>x+y.txt</Key><LastModified>2024-05-01T12:30:00Z</LastModified>
<ETag>"abc"</ETag><Size>0</Size></Contents></ListBucketResult>"""
    page = parse_list_objects_v2(body)
    assert [e.key for e in page.objects] == ["x+y.txt"]  # not URL-encoded: taken as is
    assert page.objects[0].storage_class == "" and page.is_last


def _encoded_page(rows: int, *, encoding_last: bool) -> bytes:
    contents = "".join(
        f"<Contents><Key>k+{i:05d}%2F%C3%A9{'x' * 900}</Key><Size>{i}</Size></Contents>"
        for i in range(rows)
    )
    encoding = "<EncodingType>url</EncodingType>"
    head, tail = ("", encoding) if encoding_last else (encoding, "")
    return (
        f"<ListBucketResult {NS}>{head}<IsTruncated>true</IsTruncated>"
        f"<NextContinuationToken>t</NextContinuationToken>{contents}"
        f"<CommonPrefixes><Prefix>p+q/</Prefix></CommonPrefixes>{tail}</ListBucketResult>"
    ).encode()


def test_a_body_above_the_whole_tree_bound_reads_the_same() -> None:
    """Bodies past WHOLE_TREE_MAX take the incremental path; the page is the same, with
    EncodingType before or after the rows."""
    for encoding_last in (False, True):
        small = parse_list_objects_v2(_encoded_page(10, encoding_last=encoding_last))
        big_body = _encoded_page(WHOLE_TREE_MAX // 900 + 10, encoding_last=encoding_last)
        assert len(big_body) > WHOLE_TREE_MAX
        big = parse_list_objects_v2(big_body)
        assert big.objects[:10] == small.objects
        assert big.objects[0].key == "k 00000/é" + "x" * 900
        assert [p.key for p in big.prefixes] == ["p q/"]
        assert big.next_token == "t"


def test_more_rows_than_allowed_stop_the_parse_on_either_path() -> None:
    for rows in (20, WHOLE_TREE_MAX // 900 + 10):
        body = _encoded_page(rows, encoding_last=False)
        assert len(parse_list_objects_v2(body, max_rows=rows + 1).objects) == rows
        with pytest.raises(TooManyRows, match="more than 10 keys and prefixes"):
            parse_list_objects_v2(body, max_rows=10)


def test_one_giant_row_stops_the_incremental_parse() -> None:
    """A page past WHOLE_TREE_MAX cannot grow the kept tree with one endless row."""
    padding = "<Owner>" + "<ID>x</ID>" * (WHOLE_TREE_MAX // 10 + 1) + "</Owner>"
    body = f"<ListBucketResult {NS}><Contents><Key>k</Key>{padding}</Contents>"
    body += "</ListBucketResult>"
    with pytest.raises(TooManyRows, match=f"more than {MAX_ROW_ELEMENTS:,} XML elements"):
        parse_list_objects_v2(body.encode(), max_rows=10)


def test_an_md5_etag_is_kept_once_per_row() -> None:
    """A listed object's ``md5`` is its ETag where the ETag is an MD5: the same string, so
    a million rows keep the 32 digits once (~80 bytes a row). An ETag in upper case gives
    its MD5 in lower case; a multipart ETag gives none."""
    body = f"""<ListBucketResult {NS}><IsTruncated>false</IsTruncated>
<Contents><Key>plain</Key><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>
<Size>1</Size></Contents>
<Contents><Key>upper</Key><ETag>&quot;0CC175B9C0F1B6A831C399E269772661&quot;</ETag>
<Size>1</Size></Contents>
<Contents><Key>parts</Key><ETag>&quot;0cc175b9c0f1b6a831c399e269772661-3&quot;</ETag>
<Size>1</Size></Contents></ListBucketResult>""".encode()
    plain, upper, parts = parse_list_objects_v2(body).objects
    assert plain.md5 == "0cc175b9c0f1b6a831c399e269772661"
    assert plain.md5 is plain.etag
    assert (upper.etag, upper.md5) == (
        "0CC175B9C0F1B6A831C399E269772661",
        "0cc175b9c0f1b6a831c399e269772661",
    )
    assert (parts.etag, parts.md5) == ("0cc175b9c0f1b6a831c399e269772661-3", "")
