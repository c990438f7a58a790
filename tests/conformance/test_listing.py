"""Listing: delimited and recursive, paging, UTF-8 byte order, awkward keys."""

from __future__ import annotations

import pytest

from cloudbrowser.core.entries import ListPage
from cloudbrowser.core.errors import BucketNotFound, KeyNotFound, StorageError
from cloudbrowser.core.storage import Storage
from tests.conformance.conftest import (
    EMPTY_SEGMENTS_REFUSED,
    FOLDERS_NOT_PAGINATED,
    UTF16_ORDER,
    Target,
    check_etag,
)


def all_pages(
    storage: Storage, bucket: str, prefix: str = "", *, recursive: bool = False
) -> list[ListPage]:
    """Every page, through the interface's own token (not the engine's paging loop)."""
    pages = [storage.list_page(bucket, prefix, recursive=recursive)]
    while pages[-1].next_token:
        assert len(pages) < 1000, "the listing never ends"
        pages.append(storage.list_page(bucket, prefix, pages[-1].next_token, recursive=recursive))
    return pages


def listed(
    storage: Storage, bucket: str, prefix: str = "", *, recursive: bool = False
) -> list[str]:
    pages = all_pages(storage, bucket, prefix, recursive=recursive)
    return [e.key for p in pages for e in p.objects]


def test_a_delimited_listing_separates_folders_from_objects(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["top.txt", "docs/a.txt", "docs/deep/b.txt", "img/c.png"])
    storage = target.storage()
    page = storage.list_page(bucket, "")
    assert [e.key for e in page.prefixes] == ["docs/", "img/"]
    assert all(e.is_prefix and e.size == 0 for e in page.prefixes)
    [top] = page.objects
    assert (top.key, top.size, top.is_prefix) == ("top.txt", len(b"top.txt"), False)
    check_etag(target, top.etag, b"top.txt")
    assert top.modified > 0
    assert page.is_last and page.refused == []

    sub = storage.list_page(bucket, "docs/")
    assert [e.key for e in sub.prefixes] == ["docs/deep/"]
    assert [e.key for e in sub.objects] == ["docs/a.txt"]
    assert sub.objects[0].name("docs/") == "a.txt"


def test_a_recursive_listing_has_every_key_below_and_no_folders(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["r/a", "r/b/c", "r/b/d/e", "other", "r-sibling"])
    pages = all_pages(target.storage(page_size=2), bucket, "r/", recursive=True)
    assert [e.key for p in pages for e in p.objects] == ["r/a", "r/b/c", "r/b/d/e"]
    assert not any(p.prefixes for p in pages)


def test_pages_hold_at_most_page_size_rows_and_every_key_once(target: Target) -> None:
    bucket = target.bucket()
    keys = [f"many/k{i:03d}.txt" for i in range(23)] + ["many/sub1/x", "many/sub2/y"]
    target.server.put(bucket, keys)
    pages = all_pages(target.storage(page_size=5), bucket, "many/")
    assert len(pages) >= 5
    if target.has(FOLDERS_NOT_PAGINATED):
        assert all(len(p.objects) <= 5 for p in pages)
    else:
        assert all(len(p.objects) + len(p.prefixes) <= 5 for p in pages)
    assert [e.key for p in pages for e in p.objects] == sorted(k for k in keys if k.count("/") == 1)
    if target.has(FOLDERS_NOT_PAGINATED):
        assert all([e.key for e in p.prefixes] == ["many/sub1/", "many/sub2/"] for p in pages)
    else:
        assert [e.key for p in pages for e in p.prefixes] == ["many/sub1/", "many/sub2/"]
    assert pages[-1].is_last and not any(p.is_last for p in pages[:-1])


def test_keys_come_in_utf8_byte_order(target: Target) -> None:
    # Upper before lower case; "-" < "/" < "0"; U+FF5E before U+1F600 (in UTF-16 the
    # emoji's surrogates would sort first).
    keys = ["a0", "B", "a-b", "a/c", "～tilde", "😀smile", "é-accent", "Z"]
    bucket = target.bucket()
    target.server.put(bucket, keys)
    order = _utf16 if target.has(UTF16_ORDER) else str.encode
    assert listed(target.storage(page_size=3), bucket, recursive=True) == sorted(keys, key=order)


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be")


LONG_KEY = "long/" + "/".join(["x" * 200] * 4) + "/end.txt"  # ~1,000 bytes, short segments
AWKWARD = [
    "with space.txt",
    "plus+sign.txt",
    "100% done #1.txt",
    "pct%2Fencoded.txt",
    "Résumé – 日本語.txt",
    "question?and=equals&amp.txt",
    LONG_KEY,
]


@pytest.mark.parametrize("key", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_keys_round_trip(target: Target, key: str) -> None:
    bucket = target.bucket()
    storage = target.storage()
    body = f"body of {key}".encode()
    etag = storage.put_object(bucket, key, body, content_md5="")
    check_etag(target, etag, body)
    assert storage.head_object(bucket, key).size == len(body)
    with storage.get_object(bucket, key) as reader:
        assert reader.read(-1) == body
    assert listed(storage, bucket, recursive=True) == [key]
    storage.delete_object(bucket, key)
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, key)


@pytest.mark.parametrize("key", ["/leading-slash.txt", "double//slash.txt"])
def test_keys_with_an_empty_segment(target: Target, key: str) -> None:
    bucket = target.bucket()
    storage = target.storage()
    if target.has(EMPTY_SEGMENTS_REFUSED):
        with pytest.raises(StorageError) as refused:
            storage.put_object(bucket, key, b"x", content_md5="")
        assert refused.value.code == "InvalidArgument"
        return
    storage.put_object(bucket, key, b"x", content_md5="")
    assert listed(storage, bucket, recursive=True) == [key]
    first = key[: key.index("/") + 1]
    assert [e.key for e in storage.list_page(bucket, "").prefixes] == [first]
    assert storage.head_object(bucket, key).size == 1


def test_a_missing_bucket_is_bucket_not_found(target: Target) -> None:
    with pytest.raises(BucketNotFound) as caught:
        target.storage().list_page("no-such-bucket-here", "")
    assert "no-such-bucket-here" in caught.value.message and caught.value.hint


def test_an_empty_prefix_lists_one_empty_last_page(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["elsewhere/x"])
    page = target.storage().list_page(bucket, "nothing-here/")
    assert page.objects == [] and page.prefixes == [] and page.is_last
