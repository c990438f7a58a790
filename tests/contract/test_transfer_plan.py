"""Planning transfers on both servers: folder structure, conflicts, renames, refused keys."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from cloudbrowser.core import transfer_plan
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.journal import Direction
from cloudbrowser.core.localfs import LINK_LOOP
from cloudbrowser.core.sync import plan_upload_sync
from cloudbrowser.core.transfer_plan import ConflictPolicy, plan_downloads, plan_uploads
from tests.conftest import S3Server


def tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_a_dropped_folder_keeps_its_structure_under_the_prefix(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    tree(tmp_path / "album", {"a.jpg": b"a", "2024/b.jpg": b"bb", "2024/deep/c.txt": b"ccc"})
    tree(tmp_path, {"single.txt": b"s"})
    plan = plan_uploads(
        server.backend(), "c", [tmp_path / "album", tmp_path / "single.txt"], bucket, "in/"
    )
    assert plan.refused == []
    assert plan.conflicts == []
    assert sorted((i.request.key, i.request.size) for i in plan.items) == [
        ("in/album/2024/b.jpg", 2),
        ("in/album/2024/deep/c.txt", 3),
        ("in/album/a.jpg", 1),
        ("in/single.txt", 1),
    ]
    assert {i.request.direction for i in plan.items} == {Direction.UPLOAD}


@pytest.mark.parametrize("singles", [1, 25])  # HEAD per file, or one listing of the folder
def test_upload_conflicts_are_found_with_a_free_rename(
    server: S3Server, tmp_path: Path, singles: int
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["in/f0.txt", "in/f0 (1).txt", "in/album/a.jpg"])
    names = {f"f{i}.txt": b"new" for i in range(singles)}
    tree(tmp_path, names)
    tree(tmp_path / "album", {"a.jpg": b"new", "b.jpg": b"new"})
    sources = [tmp_path / n for n in names] + [tmp_path / "album"]
    plan = plan_uploads(server.backend(), "c", sources, bucket, "in/")
    conflicts = {c.request.key: c for c in plan.conflicts}
    assert sorted(conflicts) == ["in/album/a.jpg", "in/f0.txt"]
    f0 = conflicts["in/f0.txt"]
    assert f0.existing is not None and f0.existing.size == len(b"in/f0.txt")
    assert f0.renamed is not None and f0.renamed.key == "in/f0 (2).txt"
    assert f0.resolve(ConflictPolicy.SKIP) is None
    assert f0.resolve(ConflictPolicy.OVERWRITE) == f0.request
    # The "keep both" name was found free: it is only created, never written over.
    assert f0.resolve(ConflictPolicy.RENAME) == replace(f0.renamed, create_only=True)
    # "Only if newer" by the times themselves (set here: on a loaded machine the file and
    # the object may be written seconds apart).
    older = f0.existing.mtime - 60
    os.utime(tmp_path / "f0.txt", (older, older))
    again = plan_uploads(server.backend(), "c", [tmp_path / "f0.txt"], bucket, "in/")
    assert again.conflicts[0].resolve(ConflictPolicy.NEWER) is None
    os.utime(tmp_path / "f0.txt", (f0.existing.mtime + 60, f0.existing.mtime + 60))
    again = plan_uploads(server.backend(), "c", [tmp_path / "f0.txt"], bucket, "in/")
    assert again.conflicts[0].resolve(ConflictPolicy.NEWER) is not None


def test_download_of_a_prefix_maps_keys_below_the_current_folder(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["top/docs/a.txt", "top/docs/sub/b.txt", "top/other.txt"])
    plan = plan_downloads(
        server.backend(),
        "c",
        bucket,
        [Entry("top/docs/", is_prefix=True), Entry("top/other.txt", size=13)],
        "top/",
        tmp_path / "dl",
    )
    assert plan.refused == []
    assert sorted(str(i.request.local_path.relative_to(tmp_path)) for i in plan.items) == [
        "dl/docs/a.txt",
        "dl/docs/sub/b.txt",
        "dl/other.txt",
    ]
    a = next(i.request for i in plan.items if i.request.key == "top/docs/a.txt")
    assert (a.size, a.direction) == (len(b"top/docs/a.txt"), Direction.DOWNLOAD)
    assert a.etag and a.mtime > 0


def test_download_refuses_keys_that_would_escape_or_collide(
    moto_server: S3Server, tmp_path: Path
) -> None:
    # moto stores any key; rclone maps keys to files and refuses these (so only moto here).
    bucket = moto_server.bucket()
    moto_server.put(bucket, ["p/../evil.txt", "p/ok.txt", "p/dir", "p/dir/inside.txt", "p/empty/"])
    plan = plan_downloads(
        moto_server.backend(), "c", bucket, [Entry("p/", is_prefix=True)], "p/", tmp_path / "dl"
    )
    refused = dict(plan.refused)
    assert set(refused) == {"p/../evil.txt", "p/dir"}
    assert "“..”" in refused["p/../evil.txt"]
    assert "same name as a folder" in refused["p/dir"]
    assert sorted(i.request.key for i in plan.items) == ["p/dir/inside.txt", "p/ok.txt"]
    assert plan.folders == [tmp_path / "dl" / "empty"]
    assert not (tmp_path / "evil.txt").exists()


def test_download_conflict_offers_a_free_local_name(server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    server.put(bucket, ["report.pdf"])
    (tmp_path / "report.pdf").write_bytes(b"mine")
    (tmp_path / "report (1).pdf").write_bytes(b"mine too")
    plan = plan_downloads(
        server.backend(), "c", bucket, [Entry("report.pdf", size=10)], "", tmp_path
    )
    [conflict] = plan.conflicts
    assert conflict.existing is not None and conflict.existing.size == 4
    assert conflict.renamed is not None
    assert conflict.renamed.local_path == tmp_path / "report (2).pdf"


@pytest.mark.parametrize("ignores_case", [True, False])
def test_keep_both_never_picks_another_planned_target_whatever_its_case(
    server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ignores_case: bool
) -> None:
    """On a case-insensitive disk (Windows, macOS) "report (1).pdf" is the file the object
    "REPORT (1).pdf" of the same plan writes: keeping both must pick another name."""
    monkeypatch.setattr(transfer_plan, "disk_ignores_case", lambda: ignores_case)
    bucket = server.bucket()
    server.put(bucket, ["d/report.pdf", "d/REPORT (1).pdf"])
    dest = tmp_path / "dl"
    tree(dest / "d", {"report.pdf": b"mine"})
    # A dangling link is a taken name too: renaming onto it would replace the link.
    (dest / "d" / "report (2).pdf").symlink_to(tmp_path / "nowhere")
    plan = plan_downloads(server.backend(), "c", bucket, [Entry("d/", is_prefix=True)], "", dest)
    assert plan.refused == []
    [conflict] = plan.conflicts
    assert conflict.request.local_path == dest / "d" / "report.pdf"
    assert conflict.renamed is not None
    free = "report (3).pdf" if ignores_case else "report (1).pdf"
    assert conflict.renamed.local_path == dest / "d" / free
    assert not (tmp_path / "nowhere").exists()


def test_names_that_differ_only_in_case_are_one_file_on_a_case_insensitive_disk(
    moto_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_plan, "disk_ignores_case", lambda: True)
    bucket = moto_server.bucket()
    moto_server.put(bucket, ["Notes.txt", "notes.TXT"])
    plan = plan_downloads(
        moto_server.backend(), "c", bucket, [Entry("", is_prefix=True)], "", tmp_path
    )
    assert [i.request.key for i in plan.items] == ["Notes.txt"]
    assert plan.refused == [
        ("notes.TXT", "the object “Notes.txt” is saved to the same file (“notes.TXT”)")
    ]


def test_an_upload_never_picks_up_a_downloads_temporary_file(
    server: S3Server, tmp_path: Path
) -> None:
    """A download still writing ``.big.iso.cbpart-9`` in a dropped folder: that half file is
    not uploaded, and the plan says so (skipped, not refused: it is not a failure)."""
    bucket = server.bucket()
    tree(
        tmp_path / "album",
        {"a.jpg": b"a", ".big.iso.cbpart-9": b"half", "sub/.b.jpg.CBPART-3-1": b"h", "sub/b": b"b"},
    )
    plan = plan_uploads(server.backend(), "c", [tmp_path / "album"], bucket, "in/")
    assert sorted(i.request.key for i in plan.items) == ["in/album/a.jpg", "in/album/sub/b"]
    assert plan.refused == []
    assert plan.skipped == [
        (str(tmp_path / "album" / ".big.iso.cbpart-9"), transfer_plan.IN_PROGRESS),
        (str(tmp_path / "album" / "sub" / ".b.jpg.CBPART-3-1"), transfer_plan.IN_PROGRESS),
    ]


def test_upload_sync_skips_a_downloads_temporary_file_and_keeps_its_object(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    tree(tmp_path / "src", {"doc": b"doc", ".movie.mkv.cbpart-4": b"half"})
    # An object of that name (an older upload): the source does have such a file, so
    # --delete keeps the object rather than deleting it as an orphan.
    server.put(bucket, {"p/.movie.mkv.cbpart-4": b"old", "p/orphan": b"o"})
    plan = plan_upload_sync(server.backend(), "c", tmp_path / "src", bucket, "p/", delete=True)
    assert [r.key for r in plan.transfers] == ["p/doc"]
    assert plan.skipped == [
        (str(tmp_path / "src" / ".movie.mkv.cbpart-4"), transfer_plan.IN_PROGRESS)
    ]
    assert plan.refused == []
    assert plan.delete_keys == ["p/orphan"]


def test_keep_both_never_picks_a_key_another_upload_of_the_plan_writes(
    server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["in/album/a.txt"])
    tree(tmp_path / "album", {"a.txt": b"new a", "a (1).txt": b"mine too"})
    plan = plan_uploads(server.backend(), "c", [tmp_path / "album"], bucket, "in/")
    [conflict] = plan.conflicts
    assert conflict.request.key == "in/album/a.txt"
    assert conflict.renamed is not None
    assert conflict.renamed.key == "in/album/a (2).txt", "a (1).txt is uploaded by the plan"


def test_a_linked_folder_is_uploaded_and_a_link_loop_is_named_not_followed(
    server: S3Server, tmp_path: Path
) -> None:
    """As aws s3 cp and a file manager: a link to a folder uploads what it shows (it was
    left out without a word, so a sync --delete deleted its objects); a link back up the
    tree is not walked again and again but named."""
    bucket = server.bucket()
    elsewhere = tmp_path / "elsewhere"
    tree(elsewhere, {"linked.txt": b"l", "deep/d.txt": b"d"})
    album = tmp_path / "album"
    tree(album, {"a.jpg": b"a"})
    (album / "shared").symlink_to(elsewhere, target_is_directory=True)
    (album / "loop").symlink_to(album, target_is_directory=True)
    plan = plan_uploads(server.backend(), "c", [album], bucket, "in/")
    assert sorted(i.request.key for i in plan.items) == [
        "in/album/a.jpg",
        "in/album/shared/deep/d.txt",
        "in/album/shared/linked.txt",
    ]
    assert plan.refused == [(str(album / "loop"), LINK_LOOP)]

    server.put(bucket, {"up/shared/linked.txt": b"l", "up/gone.txt": b"g"})
    sync = plan_upload_sync(server.backend(), "c", album, bucket, "up/", delete=True)
    assert sync.delete_keys == ["up/gone.txt"], "the linked folder's objects are kept"


def test_a_downloads_sync_never_deletes_through_a_link(server: S3Server, tmp_path: Path) -> None:
    from cloudbrowser.core.sync import DownloadSync

    bucket = server.bucket()
    server.put(bucket, {"p/kept.txt": b"k"})
    outside = tmp_path / "outside"
    tree(outside, {"precious.txt": b"mine"})
    root = tmp_path / "root"
    tree(root, {"kept.txt": b"k", "stale.txt": b"s"})
    (root / "link").symlink_to(outside, target_is_directory=True)
    sync = DownloadSync(server.backend(), "c", bucket, "p/", root)
    for _page in sync.pages():
        pass
    refused: list[tuple[str, str]] = []
    assert sync.orphans(refused) == [root / "stale.txt"]
    assert refused == []


def test_upload_sync_keeps_the_objects_of_what_could_not_be_read(
    server: S3Server, tmp_path: Path
) -> None:
    """A file that cannot be read (a broken link) or a folder not walked (a link loop) is
    still in the source as far as anyone knows: --delete keeps its objects (it deleted
    them as orphans, the whole folder's for a folder)."""
    bucket = server.bucket()
    album = tmp_path / "album"
    tree(album, {"a.jpg": b"a"})
    (album / "loop").symlink_to(album, target_is_directory=True)
    (album / "broken").symlink_to(tmp_path / "nowhere")
    server.put(
        bucket, {"up/loop/a.jpg": b"a", "up/broken": b"b", "up/loops.txt": b"l", "up/gone": b"g"}
    )
    sync = plan_upload_sync(server.backend(), "c", album, bucket, "up/", delete=True)
    assert sorted(name for name, _ in sync.refused) == [str(album / "broken"), str(album / "loop")]
    assert sorted(sync.delete_keys) == ["up/gone", "up/loops.txt"]
