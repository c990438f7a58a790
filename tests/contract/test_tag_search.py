"""Finding objects by their tags (``TagSearch``, ``core/prefix_scan.search_tagged``) on the
in-memory backend and on Azurite, whose Find Blobs by Tags (Filter Blobs, container
scope) parses and evaluates the ``where`` expression as Azure does (Azurite 3.35).

Azurite 3.35 pages Filter Blobs wrongly where some blobs do not match (FilterBlobPage.fill
reads ``maxresults`` blobs, keeps the matches, and ends the listing when fewer matched):
so its searches here use a page larger than the bucket, and its paging is tested on a
bucket whose every blob matches. The memory backend pages through mixed buckets.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cloudbrowser.core.errors import Cancelled, ConfigError, NotSupported, StorageError
from cloudbrowser.core.prefix_scan import SearchQuery, parse_search, search_tagged
from cloudbrowser.core.storage import (
    Storage,
    TagCondition,
    TaggedPage,
    properties_of,
    tag_search_of,
)
from tests.conftest import TestServer


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.server)])
def tagged(request: pytest.FixtureRequest) -> tuple[TestServer, Storage, str]:
    """A bucket of six objects, four of them tagged; a small page on memory, so that the
    search pages (Azurite's paging drops matches in such a bucket: see above)."""
    server: TestServer = request.getfixturevalue(f"{request.param}_server")
    bucket = server.bucket("tags")
    server.put(bucket, ["a/one.txt", "a/two.jpg", "a/sub/three.txt", "b/four.txt", "b/five", "c"])
    storage = server.backend(page_size=2 if server.kind == "memory" else 1000)
    props = properties_of(storage)
    props.put_tags(bucket, "a/one.txt", {"project": "apollo", "year": "2023"})
    props.put_tags(bucket, "a/two.jpg", {"project": "apollo", "year": "2024"})
    props.put_tags(bucket, "a/sub/three.txt", {"project": "apollo", "year": "2025"})
    props.put_tags(bucket, "b/four.txt", {"project": "gemini", "year": "2024"})
    return server, storage, bucket


def found(storage: Storage, bucket: str, prefix: str, text: str) -> list[str]:
    query = parse_search(text, tag_search=storage.features.tag_search)
    return [e.key for rows, _seen in search_tagged(storage, bucket, prefix, query) for e in rows]


def test_tags_are_found_below_the_folder_with_the_name_matched_too(
    tagged: tuple[TestServer, Storage, str],
) -> None:
    _server, storage, bucket = tagged
    assert found(storage, bucket, "", "tag:project=apollo") == [
        "a/one.txt",
        "a/sub/three.txt",
        "a/two.jpg",
    ]
    assert found(storage, bucket, "", "tag:project=apollo tag:year>=2024") == [
        "a/sub/three.txt",
        "a/two.jpg",
    ]
    assert found(storage, bucket, "", "tag:year<2025 tag:year>2023") == ["a/two.jpg", "b/four.txt"]
    # Below a folder only, and the rest of the text matched against the name.
    assert found(storage, bucket, "a/sub/", "tag:project=apollo") == ["a/sub/three.txt"]
    assert found(storage, bucket, "", "*.txt tag:year>=2024") == ["a/sub/three.txt", "b/four.txt"]
    assert found(storage, bucket, "", "tag:project=nobody") == []


def test_the_rows_are_the_objects_as_listed(tagged: tuple[TestServer, Storage, str]) -> None:
    """A found object's row has its size, time, revision and checksum, as a listing's."""
    _server, storage, bucket = tagged
    query = parse_search("tag:project=gemini", tag_search=True)
    (rows, seen), *_ = [page for page in search_tagged(storage, bucket, "", query) if page[0]]
    assert seen >= 1
    (row,) = rows
    info = storage.head_object(bucket, "b/four.txt")
    assert (row.key, row.size, row.etag, row.md5) == ("b/four.txt", 10, info.etag, info.md5)
    assert row.modified == info.modified > 0


def test_pages_follow_the_token(tagged: tuple[TestServer, Storage, str]) -> None:
    server, _storage, _bucket = tagged
    bucket = server.bucket("pages")
    names = [f"k{i}" for i in range(5)]
    server.put(bucket, names)
    storage = server.backend(page_size=2)
    for name in names:
        properties_of(storage).put_tags(bucket, name, {"batch": "1"})
    finder = tag_search_of(storage)
    keys: list[str] = []
    token, pages = "", 0
    while True:
        page = finder.find_tagged_page(bucket, [TagCondition("batch", "=", "1")], token)
        keys += page.keys
        pages += 1
        if not page.next_token:
            break
        token = page.next_token
    assert sorted(keys) == names
    assert pages >= 3  # two keys a page


def test_a_deleted_object_is_left_out_and_a_stop_stops(
    tagged: tuple[TestServer, Storage, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _server, storage, bucket = tagged
    find = tag_search_of(storage).find_tagged_page

    def found_then_deleted(*args: Any) -> TaggedPage:
        page = find(*args)
        if "a/two.jpg" in page.keys:  # found by the server, gone before its stat
            storage.delete_object(bucket, "a/two.jpg")
        return page

    monkeypatch.setattr(storage, "find_tagged_page", found_then_deleted)
    assert found(storage, bucket, "", "tag:project=apollo") == ["a/one.txt", "a/sub/three.txt"]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        next(search_tagged(storage, bucket, "", parse_search("tag:a=b", tag_search=True), cancel))


def test_a_filter_the_server_refuses_is_said_clearly(
    tagged: tuple[TestServer, Storage, str],
) -> None:
    server, storage, bucket = tagged
    finder = tag_search_of(storage)
    if server.kind == "azure":
        # A character no Azure tag can hold: refused here, before a request.
        with pytest.raises(ConfigError, match="Azure blob index tag"):
            finder.find_tagged_page(bucket, [TagCondition("pro'ject", "=", "x")])
        # Eleven tags in one filter: Azure takes at most ten, and so does Azurite.
        eleven = [TagCondition(f"t{i}", "=", "x") for i in range(11)]
        with pytest.raises(StorageError) as refused:
            finder.find_tagged_page(bucket, eleven)
        assert refused.value.code == "InvalidTagFilter"
        assert refused.value.message.startswith(
            "The storage account refused the tag filter “tag:t0=x tag:t1=x"
        )
        assert "at most 10 unique tags" in refused.value.message
    else:
        with pytest.raises(ConfigError, match="NAME=VALUE"):
            finder.find_tagged_page(bucket, [TagCondition("project", "!=", "x")])


def test_storage_without_a_tag_index_says_so(moto_server: TestServer) -> None:
    storage = moto_server.backend()
    assert not storage.features.tag_search
    # Without tag search the text is a name, "tag:" and all: nothing changes for S3.
    assert parse_search(" tag:a=b ", tag_search=False) == SearchQuery("tag:a=b")
    with pytest.raises(NotSupported, match="no search by tags"):
        next(search_tagged(storage, "any", "", SearchQuery("", (TagCondition("a", "=", "b"),))))


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("report", SearchQuery("report")),
        ("tag:project=apollo", SearchQuery("", (TagCondition("project", "=", "apollo"),))),
        (
            "*.jpg  TAG:year>=2024 tag:year<2026",
            SearchQuery(
                "*.jpg", (TagCondition("year", ">=", "2024"), TagCondition("year", "<", "2026"))
            ),
        ),
        (
            'tag:"cost center"="R 1" notes',
            SearchQuery("notes", (TagCondition("cost center", "=", "R 1"),)),
        ),
        ("tag:empty=", SearchQuery("", (TagCondition("empty", "=", ""),))),
        # "tag:" inside a word is a name.
        ("mytag:a=b", SearchQuery("mytag:a=b")),
    ],
)
def test_search_text_is_taken_apart(text: str, query: SearchQuery) -> None:
    assert parse_search(text, tag_search=True) == query


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tag:project", "“tag:project” compares the tag with nothing."),
        ("tag:=x", "“tag:=x” names no tag."),
        ('tag:"a b=c', 'A quote in “tag:"a b=c” is not closed.'),
    ],
)
def test_a_term_that_is_no_condition_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_search(text, tag_search=True)
    assert refused.value.message == message
    assert "tag:NAME=VALUE" in refused.value.hint
