"""Listings a hostile server cannot make endless or huge, nor widen (issue 13).

Every listing request is answered by a rule on the hostile front; each test ends after a
bounded number of requests, which it checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3 import client as s3
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import StorageError
from cloudbrowser.core.paging import MAX_EMPTY_PAGES, MAX_PAGE_ROWS, iter_pages
from cloudbrowser.core.sync import DownloadSync
from cloudbrowser.core.transfer_plan import plan_downloads
from cloudbrowser.core.versions import iter_deleted, iter_versions
from tests.conftest import S3Server
from tests.hostile import (
    Forward,
    HostileS3,
    Reply,
    Request,
    ignore_prefix,
    is_versions_listing,
    listing_body,
    versions_body,
    xml_reply,
)


def _front(server: S3Server) -> HostileS3:
    assert server.hostile is not None
    return server.hostile


def _listings(front: HostileS3) -> int:
    return len(front.requests_matching(Request.is_listing))


def test_the_same_token_forever_stops_the_listing(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def same_token(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        return xml_reply(listing_body(bucket, [("a/x", 1)], prefix="a/", next_token="again"))

    backend = hostile_server.backend()
    with pytest.raises(StorageError) as caught:
        for _page in iter_pages(backend, bucket, "a/", recursive=True):
            assert _listings(front) < 10  # never endless, even if the guard were gone
    error = caught.value
    assert error.code == "ListingStopped"
    assert f"The server keeps returning the same page of “{bucket}/a/”" in error.message
    assert "the listing was stopped after 1 object." in error.message
    assert error.hint
    assert _listings(front) == 2


def test_fresh_tokens_with_empty_pages_forever_stop_the_listing(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def empty_pages(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        fresh = f"token-{len(front.requests)}"
        return xml_reply(listing_body(bucket, [], prefix="a/", next_token=fresh))

    backend = hostile_server.backend()
    with pytest.raises(StorageError) as caught:
        for _page in iter_pages(backend, bucket, "a/"):
            assert _listings(front) <= MAX_EMPTY_PAGES + 5
    assert "keeps returning empty pages" in caught.value.message
    assert _listings(front) == MAX_EMPTY_PAGES


def test_empty_pages_between_full_ones_are_fine(hostile_server: S3Server) -> None:
    """A real server may send some empty pages that are not the last."""
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def some_empty(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        n = int(request.query.get("continuation-token", "0") or 0)
        if n == 30:
            return xml_reply(listing_body(bucket, [("last", 1)]))
        keys = [(f"k{n:03d}", 1)] if n % 10 == 0 else []
        return xml_reply(listing_body(bucket, keys, next_token=str(n + 1)))

    rows = [e.key for page in iter_pages(hostile_server.backend(), bucket) for e in page.objects]
    assert rows == ["k000", "k010", "k020", "last"]


def test_a_repeated_key_marker_stops_a_versions_listing(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def same_marker(request: Request, forward: Forward) -> Reply | None:
        if not is_versions_listing(request):
            return None
        body = versions_body(bucket, [("v", "1", 3)], next_key_marker="v", next_version_marker="1")
        return xml_reply(body)

    backend = hostile_server.backend()
    with pytest.raises(StorageError, match="same page"):
        for _rows in iter_versions(backend, bucket):
            assert len(front.requests_matching(is_versions_listing)) < 10
    with pytest.raises(StorageError, match="same page"):
        list(iter_deleted(backend, bucket))
    assert len(front.requests_matching(is_versions_listing)) == 4


def test_a_repeated_marker_stops_the_unfinished_uploads_listing(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def same_marker(request: Request, forward: Forward) -> Reply | None:
        if request.method != "GET" or "uploads" not in request.query:
            return None
        return xml_reply(
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            + f"<Bucket>{bucket}</Bucket>".encode()
            + b"<IsTruncated>true</IsTruncated><NextKeyMarker>k</NextKeyMarker>"
            b"<NextUploadIdMarker>u</NextUploadIdMarker><MaxUploads>1000</MaxUploads>"
            b"</ListMultipartUploadsResult>"
        )

    with pytest.raises(StorageError, match="same page"):
        hostile_server.backend().list_unfinished_uploads(bucket)


def test_an_oversize_page_is_refused_unread(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()
    huge = listing_body(bucket, [("k", 1)]).replace(
        b"<Name>", b"<Owner>" + b"x" * (s3.MAX_LISTING_BYTES + 1) + b"</Owner><Name>"
    )

    @front.rule
    def oversize(request: Request, forward: Forward) -> Reply | None:
        return xml_reply(huge) if request.is_listing() else None

    with pytest.raises(StorageError) as caught:
        list(iter_pages(hostile_server.backend(max_attempts=3), bucket, "a/"))
    assert caught.value.code == "ListingStopped"
    assert "larger than 32 MiB" in caught.value.message
    assert f"“{bucket}/a/”" in caught.value.message
    assert _listings(front) == 1  # not retried, though retries are allowed


def test_a_page_of_too_many_keys_is_refused(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()
    many = listing_body(bucket, [(f"k{i}", 1) for i in range(MAX_PAGE_ROWS + 1)])

    @front.rule
    def too_many(request: Request, forward: Forward) -> Reply | None:
        return xml_reply(many) if request.is_listing() else None

    with pytest.raises(StorageError, match="more than 10,000 keys"):
        list(iter_pages(hostile_server.backend(max_attempts=3), bucket))
    assert _listings(front) == 1


def test_keys_outside_the_prefix_are_refused_and_named(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, ["want/a.txt", "want/sub/b.txt", "other/x", "wantX/y", "top"])
    front.rule(ignore_prefix)
    backend = hostile_server.backend()

    page = backend.list_page(bucket, "want/")
    assert [e.key for e in page.objects] == []
    assert [e.key for e in page.prefixes] == []  # "want/" itself, echoed, is dropped
    assert set(page.refused) == {"other/", "wantX/", "top"}

    flat = [p for p in iter_pages(backend, bucket, "want/", recursive=True)]
    assert [e.key for p in flat for e in p.objects] == ["want/a.txt", "want/sub/b.txt"]
    assert {k for p in flat for k in p.refused} == {"other/x", "wantX/y", "top"}


def test_downloads_and_sync_refuse_keys_outside_the_prefix(
    hostile_server: S3Server, tmp_path: Path
) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, ["want/a.txt", "other/x", "wantX/y"])
    front.rule(ignore_prefix)
    backend = hostile_server.backend()

    plan = plan_downloads(
        backend, "c", bucket, [Entry("want/", is_prefix=True)], "", tmp_path / "get"
    )
    assert [i.request.key for i in plan.items] == ["want/a.txt"]
    assert {name for name, _why in plan.refused} == {"other/x", "wantX/y"}
    assert all("“want/”" in why for _name, why in plan.refused)

    plans = list(DownloadSync(backend, "c", bucket, "want/", tmp_path / "sync").pages())
    assert [r.key for p in plans for r in p.transfers] == ["want/a.txt"]
    assert {name for p in plans for name, _why in p.refused} == {"other/x", "wantX/y"}


def test_a_repeated_part_marker_stops_the_parts_listing(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()

    @front.rule
    def same_marker(request: Request, forward: Forward) -> Reply | None:
        if request.method != "GET" or "uploadId" not in request.query:
            return None
        return xml_reply(
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            + f"<Bucket>{bucket}</Bucket><Key>big</Key><UploadId>u</UploadId>".encode()
            + b"<IsTruncated>true</IsTruncated><NextPartNumberMarker>1</NextPartNumberMarker>"
            b'<Part><PartNumber>1</PartNumber><ETag>"e"</ETag><Size>5</Size></Part>'
            b"</ListPartsResult>"
        )

    with pytest.raises(StorageError) as caught:
        hostile_server.backend().list_chunks(bucket, "big", "u")
    assert "the same page" in caught.value.message
    assert "stopped after 1 part." in caught.value.message
    assert len(front.requests_matching(lambda r: "uploadId" in r.query)) == 2


def test_a_versions_page_of_too_many_rows_is_refused(hostile_server: S3Server) -> None:
    front = _front(hostile_server)
    bucket = hostile_server.bucket()
    many = versions_body(bucket, [("other/v", str(i), 1) for i in range(MAX_PAGE_ROWS + 1)])

    @front.rule
    def too_many(request: Request, forward: Forward) -> Reply | None:
        return xml_reply(many) if is_versions_listing(request) else None

    with pytest.raises(StorageError, match="sent a page of 10,001 rows"):
        next(iter_versions(hostile_server.backend(), bucket, "a/"))
