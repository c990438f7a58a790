"""Empty folders: a folder placeholder ("name/", empty) made by New folder and by an upload of a
folder tree with empty folders in it, checked where the server keeps none (rclone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbrowser.core.folders import FileInTheWay, FolderNotKept, make_folder, make_folders
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfer_plan import plan_uploads
from tests.conformance.conftest import EMPTY_FOLDERS_NOT_KEPT, Target


def keys(storage: Storage, bucket: str) -> list[str]:
    return sorted(e.key for p in iter_pages(storage, bucket, "", recursive=True) for e in p.objects)


def project(root: Path) -> Path:
    """project/a.txt, project/build/ (empty), project/logs/2026/ (empty, in a folder that
    holds nothing else), project/docs/x.md."""
    top = root / "project"
    (top / "build").mkdir(parents=True)
    (top / "logs" / "2026").mkdir(parents=True)
    (top / "docs").mkdir()
    (top / "a.txt").write_bytes(b"a")
    (top / "docs" / "x.md").write_bytes(b"x")
    return top


def test_a_new_folder_is_a_placeholder_or_refused_and_taken_back(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    if target.has(EMPTY_FOLDERS_NOT_KEPT):
        with pytest.raises(FolderNotKept):
            make_folder(storage, bucket, "reports/")
        assert keys(storage, bucket) == []  # no stray file "reports" left
        return
    make_folder(storage, bucket, "reports/")
    assert keys(storage, bucket) == ["reports/"]
    assert [p.key for p in storage.list_page(bucket, "").prefixes] == ["reports/"]
    assert storage.head_object(bucket, "reports/").size == 0


def test_empty_folders_of_an_upload_become_folders_once(target: Target, tmp_path: Path) -> None:
    bucket = target.bucket()
    storage = target.storage()
    top = project(tmp_path)
    plan = plan_uploads(storage, "c", [top], bucket, "in/")
    # Only the empty ones: docs/ is made by its file, logs/ by logs/2026/.
    assert [(f.prefix, f.local_path) for f in plan.empty_folders] == [
        ("in/project/build/", top / "build"),
        ("in/project/logs/2026/", top / "logs" / "2026"),
    ]
    target.server.put(
        bucket, {i.request.key: i.request.local_path.read_bytes() for i in plan.items}
    )
    made = make_folders(lambda _c: storage, plan.empty_folders)
    files = ["in/project/a.txt", "in/project/docs/x.md"]
    if target.has(EMPTY_FOLDERS_NOT_KEPT):
        # Found at the first folder, the second not tried; nothing stray beside the files.
        assert made.made == [] and made.failed == []
        assert made.not_kept == plan.empty_folders
        assert keys(storage, bucket) == files
        return
    assert made.made == plan.empty_folders and not made.not_kept and not made.failed
    assert keys(storage, bucket) == sorted([*files, "in/project/build/", "in/project/logs/2026/"])
    again = plan_uploads(storage, "c", [top], bucket, "in/")
    assert again.empty_folders == []  # already there: nothing made twice


def test_an_empty_folder_with_objects_in_the_cloud_needs_no_placeholder(
    target: Target, tmp_path: Path
) -> None:
    bucket = target.bucket()
    storage = target.storage()
    top = project(tmp_path)
    target.server.put(bucket, {"in/project/logs/2026/old.log": b"old"})
    plan = plan_uploads(storage, "c", [top], bucket, "in/")
    assert [f.prefix for f in plan.empty_folders] == ["in/project/build/"]


def test_an_empty_folder_dropped_alone_is_made(target: Target, tmp_path: Path) -> None:
    bucket = target.bucket()
    storage = target.storage()
    (tmp_path / "empty").mkdir()
    plan = plan_uploads(storage, "c", [tmp_path / "empty"], bucket, "")
    assert plan.items == [] and [f.prefix for f in plan.empty_folders] == ["empty/"]


def test_a_file_with_the_folders_name_is_never_replaced(target: Target, tmp_path: Path) -> None:
    """An object "build" beside an empty folder "build/" to make: nothing is written. On
    rclone serve s3 (objects kept as files) the placeholder replaced the file, and taking it
    back (the server keeps no empty folder) then deleted it: the object was lost, by New
    folder and by an upload's empty folders alike."""
    bucket = target.bucket()
    storage = target.storage()
    target.server.put(bucket, {"in/project/build": b"precious"})
    with pytest.raises(FileInTheWay):
        make_folder(storage, bucket, "in/project/build/")
    top = project(tmp_path)
    plan = plan_uploads(storage, "c", [top], bucket, "in/")
    build = [f for f in plan.empty_folders if f.prefix == "in/project/build/"]
    made = make_folders(lambda _c: storage, build)
    assert [(f, type(e)) for f, e in made.failed] == [(build[0], FileInTheWay)]
    assert made.made == [] and made.not_kept == []
    with storage.get_object(bucket, "in/project/build") as reader:
        assert reader.read(-1) == b"precious"
    assert keys(storage, bucket) == ["in/project/build"]
