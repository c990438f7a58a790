"""``cloudbrowser get`` against colliding names, planted files and a lying server (issue 13)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cloudbrowser.core.downloads import is_temporary_name
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, opaque_etags

MiB = 1024 * 1024


def stored_keys(server: S3Server, bucket: str) -> list[str]:
    reply = server.client.list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in reply.get("Contents", [])]


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if is_temporary_name(p.name))


def test_get_r_delivers_doc_and_doc_part_and_names_the_reserved_key(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    objects = {"c/doc": b"D" * 3000, "c/doc.part": b"P" * 2000, "c/.doc.cbpart-1": b"T" * 10}
    server.put(bucket, objects)
    result = cli("get", "-r", f"s3://{bucket}/c/", str(tmp_path / "dl"))
    assert result.code == 1, "a refused key is a failure, named"
    assert ".doc.cbpart-1" in result.err and "reserves for temporary files" in result.err
    records = {r["key"]: r for r in result.records()}
    assert set(records) == {"c/doc", "c/doc.part"}
    assert all(
        (r["state"], r["verified"], r["reason"]) == ("done", True, "") for r in records.values()
    )
    assert (tmp_path / "dl/c/doc").read_bytes() == objects["c/doc"]
    assert (tmp_path / "dl/c/doc.part").read_bytes() == objects["c/doc.part"]
    assert temporary_files(tmp_path / "dl") == []


def test_get_never_writes_through_a_planted_link_nor_a_users_part_file(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"hello.txt": b"hello from the bucket", "movie.mkv": b"M" * 5000})
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / "hello.txt.part").symlink_to(outside)
    (dest / "movie.mkv.part").write_bytes(b"mine")

    for key in ("hello.txt", "movie.mkv"):
        result = cli("get", f"s3://{bucket}/{key}", str(dest) + "/")
        assert result.code == 0, result.err
    assert outside.read_bytes() == b"precious"
    hello = dest / "hello.txt"
    assert not hello.is_symlink() and hello.read_bytes() == b"hello from the bucket"
    assert (dest / "movie.mkv.part").read_bytes() == b"mine"
    assert (dest / "movie.mkv").read_bytes() == b"M" * 5000


def test_sync_refuses_the_reserved_name_and_delivers_the_rest(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    objects = {"s/doc": b"D" * 300, "s/doc.part": b"P" * 200, "s/.doc.cbpart-1": b"T"}
    server.put(bucket, objects)
    dest = tmp_path / "mirror"
    result = cli("sync", f"s3://{bucket}/s/", str(dest))
    assert result.code == 1
    assert ".doc.cbpart-1" in result.err and "reserves for temporary files" in result.err
    assert (dest / "doc").read_bytes() == objects["s/doc"]
    assert (dest / "doc.part").read_bytes() == objects["s/doc.part"]
    assert not (dest / ".doc.cbpart-1").exists()


def test_sync_delete_keeps_a_download_in_progress(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"s/doc": b"D" * 300})
    dest = tmp_path / "mirror"
    dest.mkdir()
    # Another download's temporary file in the folder: --delete must not take it away.
    in_progress = dest / ".big.iso.cbpart-9"
    in_progress.write_bytes(b"half")
    (dest / "stale.txt").write_bytes(b"gone from the bucket")
    result = cli("sync", "--delete", "-y", f"s3://{bucket}/s/", str(dest))
    assert result.code == 0, result.err
    assert not (dest / "stale.txt").exists()
    assert in_progress.read_bytes() == b"half"
    assert (dest / "doc").read_bytes() == b"D" * 300


def test_put_r_and_sync_up_skip_a_download_in_progress_and_say_so(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "doc").write_bytes(b"D" * 30)
    (src / "sub" / "b").write_bytes(b"B" * 20)
    # A download still writing into the folder that is being uploaded.
    half = src / "sub" / ".big.iso.cbpart-9"
    half.write_bytes(b"half")
    said = f"cloudbrowser: skipped: {half}: a download still in progress"

    put = cli("put", "-r", "--text", str(src), f"s3://{bucket}/up/")
    assert put.code == 0, put.err
    assert said in put.err
    assert "uploaded 2 files" in put.err and "1 in-progress download file skipped" in put.err
    assert sorted(stored_keys(server, bucket)) == ["up/src/doc", "up/src/sub/b"]

    server.put(bucket, {"mirror/sub/.big.iso.cbpart-9": b"old", "mirror/orphan": b"o"})
    sync = cli("sync", "--delete", "-y", str(src), f"s3://{bucket}/mirror/")
    assert sync.code == 0, sync.err
    assert said in sync.err
    assert sorted(r["key"] for r in sync.records() if r.get("state") == "done") == [
        "mirror/doc",
        "mirror/sub/b",
    ]
    # The object of that name stays: the source has such a file, it just was not sent.
    assert sorted(k for k in stored_keys(server, bucket) if k.startswith("mirror/")) == [
        "mirror/doc",
        "mirror/sub/.big.iso.cbpart-9",
        "mirror/sub/b",
    ]
    assert half.read_bytes() == b"half"


# ── a lying server ──────────────────────────────────────────────────────────────────────


@pytest.fixture
def hostile_cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(hostile_server, capsys, monkeypatch)


def head_claims(key: str, size: int) -> object:
    """A rule: HEAD of ``key`` says it has ``size`` bytes."""

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method != "HEAD" or request.key != key:
            return None
        reply = forward()
        reply.length = size
        return reply

    return rule


def test_a_head_claiming_more_than_the_disk_fails_at_once(
    hostile_cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"x.bin": b"x" * 1000})
    assert hostile_server.hostile is not None
    claimed = shutil.disk_usage(tmp_path).free + 1024**4
    hostile_server.hostile.rule(head_claims("x.bin", claimed))  # type: ignore[arg-type]
    dest = tmp_path / "dl"
    dest.mkdir()
    result = hostile_cli("get", f"s3://{bucket}/x.bin", str(dest) + "/")
    assert result.code == 1
    assert re.search(
        r"The disk is full: “x\.bin” needs [\d.]+ TiB, [\d.]+ [GT]iB free\.", result.err
    )
    assert "continues from" not in result.err
    assert list(dest.iterdir()) == [], "no sparse file of the claimed size"


def test_a_head_claiming_a_larger_object_leaves_no_sparse_file(
    hostile_cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"x.bin": b"x" * 1000})
    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(head_claims("x.bin", 64 * MiB))  # type: ignore[arg-type]
    dest = tmp_path / "dl"
    dest.mkdir()
    result = hostile_cli("get", f"s3://{bucket}/x.bin", str(dest) + "/")
    assert result.code == 1
    assert f"a reply of 1000 bytes for an object of {64 * MiB} bytes" in result.err
    assert "continues from what was received" not in result.err
    assert list(dest.iterdir()) == []


def test_not_verified_is_a_visible_warning_in_json_and_text(
    hostile_cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"n/a.txt": b"aaaa", "n/b.txt": b"bbbb"})
    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(opaque_etags)

    result = hostile_cli("get", "-r", f"s3://{bucket}/n/", str(tmp_path / "json"))
    assert result.code == 0, result.err
    for record in result.records():
        assert (record["state"], record["verified"]) == ("done", False)
        assert record["reason"] == "Not verified: the server gives no MD5 checksum for this object."

    text = hostile_cli("get", "-r", "--text", f"s3://{bucket}/n/", str(tmp_path / "text"))
    assert text.code == 0, text.err
    assert "downloaded 2 files" in text.err and "2 not verified" in text.err
    assert "all verified" not in text.err
    assert (tmp_path / "text/n/a.txt").read_bytes() == b"aaaa"


def test_get_of_a_key_with_the_reserved_form_is_refused(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"f/.x.cbpart-1": b"looks like ours"})
    result = cli("get", f"s3://{bucket}/f/.x.cbpart-1", str(tmp_path) + "/")
    assert result.code == 1
    assert "reserves for temporary files" in result.err
    assert not (tmp_path / ".x.cbpart-1").exists()
