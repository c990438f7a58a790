"""The streamed plan of a recursive download plans what the whole plan plans (issue 13).

Over listings in S3's order cut into pages of any size, :func:`stream_downloads` must queue
the same keys to the same files, and refuse the same keys, as :func:`plan_downloads` does
with the whole listing in hand: no two planned writes share a path, nothing lands outside
the destination, and every key is either planned or refused. Both read a listing from the
same in-memory pages here (the paging itself is tested against real servers elsewhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbrowser.core.download_stream import TargetClaims, digest, stream_downloads
from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.core.transfer_plan import Plan, plan_downloads

DEST = Path("/nonexistent-cb-stream-test/dl")


class Pages:
    """A bucket's keys listed in S3's order (UTF-8 bytes), ``size`` keys a page."""

    def __init__(self, keys: set[str], size: int) -> None:
        self.keys = sorted(keys, key=lambda k: k.encode())
        self.size = size
        self.requests = 0

    def list_page(
        self,
        bucket: str,
        prefix: str = "",
        token: str = "",
        *,
        recursive: bool = False,
        ahead: bool = False,
    ) -> ListPage:
        keys = [k for k in self.keys if k.startswith(prefix)]
        starts = range(0, max(len(keys), 1), self.size)
        n = int(token[1:]) + 1 if token else 0
        i = starts[n]
        self.requests += 1
        objects = [Entry(k, size=len(k), modified=1.0, etag="e") for k in keys[i : i + self.size]]
        last = n == len(starts) - 1
        return ListPage(objects=objects, next_token="" if last else f"t{n}")


def streamed(keys: set[str], size: int) -> tuple[dict[str, Path], set[str], list[Path]]:
    backend = cast(Any, Pages(keys, size))
    plans = list(stream_downloads(backend, "c", "b", "p/", "", DEST, TargetClaims(DEST)))
    return outcome(plans)


def whole(keys: set[str]) -> tuple[dict[str, Path], set[str], list[Path]]:
    backend = cast(Any, Pages(keys, 1000))
    return outcome([plan_downloads(backend, "c", "b", [Entry("p/", is_prefix=True)], "", DEST)])


def outcome(plans: list[Plan]) -> tuple[dict[str, Path], set[str], list[Path]]:
    planned = {i.request.key: i.request.local_path for p in plans for i in p.items}
    refused = {key for p in plans for key, _ in p.refused}
    folders = sorted(f for p in plans for f in p.folders)
    return planned, refused, folders


#: Names that meet each other: a file and a folder of one name, names between "dir" and
#: "dir/" in S3's order, reserved temporary names, unsafe segments.
SEGMENT = st.sampled_from(["dir", "dir-x", "dir.txt", "a", "b", ".a.cbpart-1", "..", ""])
KEY = st.lists(SEGMENT, min_size=1, max_size=3).map(lambda parts: "p/" + "/".join(parts))
#: Files only: the whole plan does not count the parents of a folder placeholder
#: ("dir/sub/") as folders, the stream does (see the test below).
FILE_KEY = KEY.filter(lambda k: not k.endswith("/"))


@settings(max_examples=300, deadline=None)
@given(keys=st.sets(FILE_KEY, max_size=14), size=st.integers(1, 5))
def test_the_stream_plans_what_the_whole_plan_plans(keys: set[str], size: int) -> None:
    planned, refused, folders = streamed(keys, size)
    assert (planned, refused, folders) == whole(keys)
    assert planned.keys().isdisjoint(refused)
    assert set(planned) | refused == keys
    assert len(set(planned.values())) == len(planned), "two keys write one file"
    assert all(path.is_relative_to(DEST) for path in planned.values())


def test_an_object_and_its_folder_on_different_pages() -> None:
    keys = {"p/dir", *(f"p/dir-x/{i}" for i in range(5)), "p/dir/in.txt", "p/z"}
    for size in (1, 2, 3, 100):
        planned, refused, _ = streamed(keys, size)
        assert refused == {"p/dir"}
        assert set(planned) == keys - {"p/dir"}


def test_a_folder_placeholder_below_an_object_of_its_name_refuses_the_object() -> None:
    for size in (1, 2):
        planned, refused, folders = streamed({"p/dir", "p/dir/sub/"}, size)
        assert planned == {} and refused == {"p/dir"}
        assert folders == [DEST / "p" / "dir" / "sub"]


def test_an_object_whose_folder_holds_only_refused_keys_is_planned() -> None:
    planned, refused, _ = streamed({"p/dir", "p/dir/.x.cbpart-2"}, 1)
    assert set(planned) == {"p/dir"} and refused == {"p/dir/.x.cbpart-2"}


def test_claims_are_eight_byte_digests() -> None:
    claims = TargetClaims(DEST)
    assert claims.claim(DEST / "a" / "b.txt") == ""
    assert claims.files == {digest(str(DEST / "a" / "b.txt"))}
    assert all(0 <= d < 2**64 for d in claims.files | claims.folders)
    assert "same file" in claims.claim(DEST / "a" / "b.txt")
    assert "same name as a folder" in claims.claim(DEST / "a")
    assert "has the name of a file" in claims.claim(DEST / "a" / "b.txt" / "c")
