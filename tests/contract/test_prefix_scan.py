"""core.prefix_scan on both servers: a prefix's size across many list pages (the fan-out
over sub-prefixes, and the fall-back to one recursive listing), cancelling with a consistent
partial count, and the name search."""

from __future__ import annotations

import threading

import pytest

from cloudbrowser.core import prefix_scan
from cloudbrowser.core.errors import BucketNotFound, Cancelled
from cloudbrowser.core.prefix_scan import NameMatcher, PrefixTotals, scan_prefix, search_prefix
from tests.conftest import S3Server

#: Keys and bodies of a small tree: files at the top, in one folder, and nested deeper.
TREE = {
    "top/a.txt": b"a" * 10,
    "top/b.txt": b"b" * 20,
    **{f"top/one/f{i:02d}.bin": b"x" * i for i in range(1, 8)},
    **{f"top/one/deep/g{i}.log": b"y" * 3 for i in range(4)},
    **{f"top/two/h{i}.txt": b"z" * 100 for i in range(5)},
    "top/three/": b"",  # a folder placeholder counts as an object, like in `du`
    "other/not-counted.txt": b"n" * 1000,
    "topper.txt": b"not below top/",
}
EXPECTED_OBJECTS = 2 + 7 + 4 + 5 + 1
EXPECTED_BYTES = 30 + sum(range(1, 8)) + 12 + 500


@pytest.fixture
def tree(server: S3Server) -> str:
    bucket = server.bucket("scan")
    server.put(bucket, TREE)
    return bucket


def test_size_of_a_prefix_across_many_pages(server: S3Server, tree: str) -> None:
    backend = server.backend(page_size=2)
    seen: list[PrefixTotals] = []
    totals = scan_prefix(backend, tree, "top/", progress=seen.append)
    assert totals == PrefixTotals(EXPECTED_OBJECTS, EXPECTED_BYTES, complete=True)
    # Progress came page by page, never went backwards, and ended at the total.
    assert len(seen) >= EXPECTED_OBJECTS // 2
    assert all(not t.complete for t in seen)
    assert [t.objects for t in seen] == sorted(t.objects for t in seen)
    assert (seen[-1].objects, seen[-1].bytes) == (EXPECTED_OBJECTS, EXPECTED_BYTES)


def test_size_of_a_whole_bucket_and_of_an_empty_prefix(server: S3Server, tree: str) -> None:
    backend = server.backend(page_size=3)
    everything = scan_prefix(backend, tree, "")
    assert everything.objects == len(TREE)
    assert everything.bytes == sum(len(b) for b in TREE.values())
    assert scan_prefix(backend, tree, "nothing-here/") == PrefixTotals(0, 0, complete=True)


@pytest.mark.parametrize("workers", [1, 3])
def test_many_sub_prefixes_fall_back_to_one_recursive_listing(
    server: S3Server, tree: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More folders on one level than the fan-out takes: the level's first pages are counted,
    # taken back, and the whole prefix is listed once; the total must not double-count.
    monkeypatch.setattr(prefix_scan, "FANOUT_LIMIT", 1)
    backend = server.backend(page_size=2)
    totals = scan_prefix(backend, tree, "top/", workers=workers)
    assert totals == PrefixTotals(EXPECTED_OBJECTS, EXPECTED_BYTES, complete=True)


def test_cancel_stops_early_with_a_consistent_partial_count(server: S3Server) -> None:
    bucket = server.bucket("scan")
    # 60 keys of 7 bytes each in 3 folders, 2 keys a page: 30 pages.
    server.put(bucket, {f"big/d{i % 3}/k{i:03d}.bin": b"1234567" for i in range(60)})
    backend = server.backend(page_size=2)
    cancel = threading.Event()
    seen: list[PrefixTotals] = []

    def progress(totals: PrefixTotals) -> None:
        seen.append(totals)
        if totals.objects >= 6:
            cancel.set()

    totals = scan_prefix(backend, bucket, "big/", cancel, progress, workers=2)
    assert not totals.complete
    assert 6 <= totals.objects < 60
    # Whole pages only: every counted key is 7 bytes, and the count is what was reported.
    assert totals.bytes == 7 * totals.objects
    assert (totals.objects, totals.bytes) == (seen[-1].objects, seen[-1].bytes)


def test_a_missing_bucket_is_an_error_not_a_zero(server: S3Server) -> None:
    with pytest.raises(BucketNotFound):
        scan_prefix(server.backend(), "no-such-bucket-scan", "")


def test_search_streams_matches_from_nested_prefixes(server: S3Server, tree: str) -> None:
    backend = server.backend(page_size=3)
    pages = list(search_prefix(backend, tree, "top/", NameMatcher("G")))
    found = [e.key for matches, _ in pages for e in matches]
    assert found == [f"top/one/deep/g{i}.log" for i in range(4)]
    # A (maybe empty) list per page, and how many keys each page held.
    assert len(pages) == -(-(EXPECTED_OBJECTS) // 3)
    assert sum(n for _, n in pages) == EXPECTED_OBJECTS


def test_search_with_wildcards_and_paths(server: S3Server, tree: str) -> None:
    backend = server.backend(page_size=4)

    def keys(text: str, prefix: str = "top/") -> list[str]:
        matcher = NameMatcher(text)
        pages = search_prefix(backend, tree, prefix, matcher)
        return [e.key for matches, _ in pages for e in matches]

    assert keys("*.TXT") == ["top/a.txt", "top/b.txt"] + [f"top/two/h{i}.txt" for i in range(5)]
    assert keys("f0?.bin") == [f"top/one/f{i:02d}.bin" for i in range(1, 8)]
    assert keys("one/*.log") == [f"top/one/deep/g{i}.log" for i in range(4)]
    # The placeholder of a folder is not a file (rclone serve s3 turns "top/three/" into
    # an empty directory it then lists as an object "top/three": a file, to any client).
    assert keys("three") == ([] if server.kind == "moto" else ["top/three"])
    assert keys("a.txt", "") == ["top/a.txt"]


def test_search_cancels_between_pages(server: S3Server, tree: str) -> None:
    backend = server.backend(page_size=2)
    cancel = threading.Event()
    pages = search_prefix(backend, tree, "top/", NameMatcher("t"), cancel)
    next(pages)
    cancel.set()
    with pytest.raises(Cancelled):
        next(pages)


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("Report", "2024/q1/annual-report.PDF", True),
        ("2024", "2024/q1/annual-report.pdf", False),  # the folder is not the name
        ("2024/", "2024/q1/annual-report.pdf", True),
        ("*.pdf", "x/annual-report.PDF", True),
        ("*.pdf", "x/annual-report.pdf.bak", False),
        ("report-202?.pdf", "report-2025.pdf", True),
        ("report-202?.pdf", "report-20255.pdf", False),
        ("a+b (1).txt", "dir/a+b (1).txt", True),  # regex characters are literal
        ("[ab]", "x/[ab]", True),
        ("[ab]", "x/a", False),
    ],
)
def test_name_matcher(text: str, path: str, expected: bool) -> None:
    assert NameMatcher(text).matches(path) is expected
