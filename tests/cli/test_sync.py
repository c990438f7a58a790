"""``sync`` both ways on moto and rclone: a second run transfers nothing, ``--delete``
removes orphans only after everything arrived, ``--dry-run`` changes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server

MiB = 1024 * 1024


def keys(server: S3Server, bucket: str) -> dict[str, bytes]:
    client = server.client
    reply = client.list_objects_v2(Bucket=bucket)
    return {
        o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        for o in reply.get("Contents", [])
    }


def transferred(records: list[dict[str, object]]) -> list[object]:
    return sorted(r["key"] for r in records if r.get("state") == "done")


def test_sync_up_is_idempotent_and_deletes_orphans(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    src = tmp_path / "site"
    (src / "css").mkdir(parents=True)
    (src / "index.html").write_bytes(b"<h1>hi</h1>")
    (src / "css" / "a.css").write_bytes(b"body{}")
    server.put(bucket, {"www/old.html": b"orphan", "elsewhere.txt": b"not below"})

    dry = cli("sync", "--delete", "--dry-run", str(src), f"s3://{bucket}/www")
    assert dry.code == 0, dry.err
    assert {"result": "would delete", "bucket": bucket, "key": "www/old.html"} in dry.records()
    assert keys(server, bucket) == {"www/old.html": b"orphan", "elsewhere.txt": b"not below"}

    first = cli("sync", "--delete", "--yes", str(src), f"s3://{bucket}/www/")
    assert first.code == 0, first.err
    assert transferred(first.records()) == ["www/css/a.css", "www/index.html"]
    assert keys(server, bucket) == {
        "www/index.html": b"<h1>hi</h1>",
        "www/css/a.css": b"body{}",
        "elsewhere.txt": b"not below",
    }

    second = cli("sync", "--delete", "--yes", str(src), f"s3://{bucket}/www/")
    assert second.code == 0, second.err
    assert second.records() == [], "a second run transfers and deletes nothing"

    (src / "index.html").write_bytes(b"<h1>hello</h1>")
    third = cli("sync", str(src), f"s3://{bucket}/www/")
    assert transferred(third.records()) == ["www/index.html"]


def test_checksum_finds_a_change_that_size_and_time_miss(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    src = tmp_path / "data"
    src.mkdir()
    small, big = src / "small.bin", src / "big.bin"
    small.write_bytes(b"A" * 100)
    big.write_bytes(os.urandom(6 * MiB))  # two parts of 5 MiB: a multipart ETag
    first = cli("sync", "--part-size", "5M", str(src), f"s3://{bucket}/")
    assert first.code == 0, first.err

    assert cli("sync", "--checksum", str(src), f"s3://{bucket}/").records() == []
    # Same size, older time: size-and-time says equal, the checksum knows better.
    small.write_bytes(b"B" * 100)
    old = time.time() - 3600
    os.utime(small, (old, old))
    assert cli("sync", str(src), f"s3://{bucket}/").records() == []
    fixed = cli("sync", "--checksum", str(src), f"s3://{bucket}/")
    assert transferred(fixed.records()) == ["small.bin"]
    assert keys(server, bucket)["small.bin"] == b"B" * 100


def test_sync_down_is_idempotent_and_deletes_local_orphans(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"alpha", "p/sub/b.txt": b"beta"})
    dst = tmp_path / "mirror"
    dst.mkdir()
    (dst / "stale.txt").write_bytes(b"gone soon")

    first = cli("sync", "--delete", "--yes", f"s3://{bucket}/p/", str(dst))
    assert first.code == 0, first.err
    assert (dst / "a.txt").read_bytes() == b"alpha"
    assert (dst / "sub" / "b.txt").read_bytes() == b"beta"
    assert not (dst / "stale.txt").exists()

    second = cli("sync", "--delete", "--yes", f"s3://{bucket}/p/", str(dst))
    assert second.code == 0, second.err
    assert second.records() == []


def test_sync_down_with_delete_removes_the_folders_gone_from_the_cloud(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """A local folder whose objects are all gone from the prefix goes with its files (as
    rclone's sync leaves it); a folder the prefix still holds something in, one holding a
    file the sync keeps, or one a download's temporary file is in, stays."""
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"alpha", "p/kept/b.txt": b"beta"})
    dst = tmp_path / "mirror"
    for folder in ("old/deeper", "old/empty", "kept/gone", "mixed", "resuming"):
        (dst / folder).mkdir(parents=True)
    (dst / "old" / "x.txt").write_bytes(b"x")
    (dst / "old" / "deeper" / "y.txt").write_bytes(b"y")
    (dst / "kept" / "gone" / "z.txt").write_bytes(b"z")
    (dst / "resuming" / ".c.bin.cbpart-7").write_bytes(b"half")

    dry = cli("sync", "--delete", "--dry-run", f"s3://{bucket}/p/", str(dst))
    assert dry.code == 0, dry.err
    folders = {r["local"] for r in dry.records() if r.get("folder")}
    expected = {str(dst / f) for f in ("old/deeper", "old/empty", "old", "kept/gone", "mixed")}
    assert folders == expected
    assert (dst / "old" / "deeper").is_dir(), "a dry run removes nothing"

    synced = cli("sync", "--delete", "--yes", f"s3://{bucket}/p/", str(dst))
    assert synced.code == 0, synced.err
    gone = {"result": "deleted", "local": str(dst / "old"), "folder": True}
    assert gone in synced.records()
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")) == [
        "a.txt",
        "kept",
        "kept/b.txt",
        "resuming",
        "resuming/.c.bin.cbpart-7",
    ]
    again = cli("sync", "--delete", "--yes", f"s3://{bucket}/p/", str(dst))
    assert again.code == 0 and again.records() == []
    (dst / "old").mkdir()
    said = cli("sync", "--text", "--delete", "--yes", f"s3://{bucket}/p/", str(dst))
    assert f"deleted: {dst / 'old'}{os.sep}" in said.out.splitlines()


def test_sync_down_makes_the_empty_folders_a_bucket_keeps(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """A folder placeholder ("p/empty/") becomes a local folder, as get -r makes it."""
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"alpha", "p/empty/": b"", "p/x/deeper/": b""})
    dst = tmp_path / "mirror"
    dry = cli("sync", "--dry-run", f"s3://{bucket}/p/", str(dst))
    assert dry.code == 0, dry.err
    assert not (dst / "empty").exists(), "a dry run makes nothing"
    synced = cli("sync", f"s3://{bucket}/p/", str(dst))
    assert synced.code == 0, synced.err
    assert (dst / "a.txt").read_bytes() == b"alpha"
    if server.kind == "rclone":
        return  # rclone serve s3 keeps folders, not placeholder objects: it lists none
    assert (dst / "empty").is_dir() and not any((dst / "empty").iterdir())
    assert (dst / "x" / "deeper").is_dir()


def test_sync_needs_one_local_and_one_remote_side(cli: Cli, tmp_path: Path) -> None:
    assert cli("sync", str(tmp_path), str(tmp_path)).code == 2
    assert cli("sync", "s3://a/", "s3://b/").code == 2
    unconfirmed = cli("sync", "--delete", str(tmp_path), "s3://a/")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err


def test_sync_down_from_a_prefix_that_holds_nothing_deletes_nothing(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """A mistyped source (``s3://b/sitee/``) lists nothing; with ``--delete --yes`` that
    emptied the local folder. It is an error, as ``get -r`` of it is (and rclone's
    "directory not found"), and nothing local is touched."""
    bucket = server.bucket()
    server.put(bucket, ["site/index.html"])
    local = tmp_path / "mirror"
    local.mkdir()
    (local / "important.txt").write_bytes(b"keep me")
    for extra in (["--delete", "--yes"], [], ["--delete", "--dry-run"]):
        result = cli("sync", f"s3://{bucket}/sitee/", str(local), *extra)
        assert result.code == 1, (extra, result.err)
        assert f"There is nothing below “s3://{bucket}/sitee/”." in result.err
        assert (local / "important.txt").read_bytes() == b"keep me"
    # The bucket's root holds what it holds, even nothing: an empty bucket is a source.
    empty = server.bucket()
    assert cli("sync", f"s3://{empty}/", str(tmp_path / "other")).code == 0


def test_sync_up_makes_empty_folders_once_and_keeps_the_placeholders_of_local_folders(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """An empty local folder becomes a folder placeholder; a second run plans nothing; with
    --delete a placeholder goes only when its folder is gone locally, never when it is there
    (empty or not)."""
    bucket = server.bucket()
    src = tmp_path / "site"
    (src / "css").mkdir(parents=True)
    (src / "css" / "a.css").write_bytes(b"body{}")
    (src / "empty").mkdir()
    (src / "gone").mkdir()
    if server.kind != "rclone":  # which would keep it as a file "css", in the way
        server.put(bucket, {"www/css/": b""})  # the placeholder of a folder that has files

    first = cli("sync", "--delete", "--yes", str(src), f"s3://{bucket}/www/")
    assert first.code == 0, first.err
    if server.kind == "rclone":
        # No empty folder kept: the files are synchronised all the same, nothing stray.
        assert [r["state"] for r in first.records() if r.get("folder")] == ["skipped"] * 2
        assert set(keys(server, bucket)) == {"www/css/a.css"}
        return
    assert set(keys(server, bucket)) == {"www/css/", "www/css/a.css", "www/empty/", "www/gone/"}

    second = cli("sync", "--delete", "--yes", str(src), f"s3://{bucket}/www/")
    assert second.code == 0, second.err
    assert second.records() == [], "a second run makes, transfers and deletes nothing"

    (src / "gone").rmdir()
    third = cli("sync", "--delete", "--yes", str(src), f"s3://{bucket}/www/")
    assert third.code == 0, third.err
    assert {"result": "deleted", "bucket": bucket, "key": "www/gone/"} in third.records()
    assert set(keys(server, bucket)) == {"www/css/", "www/css/a.css", "www/empty/"}


@pytest.mark.parametrize("server", ["moto"], indirect=True)  # rclone keeps no placeholders
def test_sync_down_of_a_new_empty_folder_alone_says_it_made_it(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"alpha"})
    dst = tmp_path / "mirror"
    assert cli("sync", f"s3://{bucket}/p/", str(dst)).code == 0
    server.put(bucket, {"p/empty/": b""})
    dry = cli("sync", "--dry-run", "--text", f"s3://{bucket}/p/", str(dst))
    assert f"would make folder: {dst / 'empty'}" in dry.out, dry.out
    synced = cli("sync", "--text", f"s3://{bucket}/p/", str(dst))
    assert synced.code == 0, synced.err
    assert "1 empty folder made" in synced.err and "nothing to transfer" not in synced.err
    assert (dst / "empty").is_dir()
    again = cli("sync", "--text", f"s3://{bucket}/p/", str(dst))
    assert "nothing to transfer, 1 file up to date" in again.err, again.err
