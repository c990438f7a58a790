"""``get -r`` / ``put -r`` where one file meets a local error: it alone fails, named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server

LONG = "x" * 300


@pytest.fixture
def moto_cli(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    # moto only: rclone serve s3 keeps objects as files, so it cannot hold a 300-byte name.
    return Cli(moto_server, capsys, monkeypatch)


def test_get_r_with_a_name_too_long_delivers_the_rest(
    moto_cli: Cli, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    good = {"d/ok.txt": os.urandom(2000), "d/sub/z.bin": os.urandom(5000)}
    moto_server.put(bucket, {**good, f"d/{LONG}": b"long", "d/blocked/in.txt": b"in"})
    dest = tmp_path / "out"
    (dest / "d").mkdir(parents=True)  # as on a second run: the folder is there already
    (dest / "d" / "blocked").write_bytes(b"mine")

    result = moto_cli("get", "-r", f"s3://{bucket}/d/", str(dest))

    assert result.code == 1, "some files failed: a partial failure, not a crash"
    assert "failed unexpectedly" not in result.err
    for key, data in good.items():
        assert (dest / key).read_bytes() == data
    records = {r["key"]: r for r in result.records()}
    assert records[f"d/{LONG}"]["state"] == "failed"
    assert "too long for this disk" in records[f"d/{LONG}"]["error"]
    assert records["d/blocked/in.txt"]["state"] == "failed"
    assert "A file is in the way" in records["d/blocked/in.txt"]["error"]
    assert f"failed: s3://{bucket}/d/{LONG}" in result.err
    assert (dest / "d" / "blocked").read_bytes() == b"mine"


def test_get_of_one_object_to_a_name_too_long_says_so(
    moto_cli: Cli, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"d/a.txt": b"a"})
    result = moto_cli("get", f"s3://{bucket}/d/a.txt", str(tmp_path / LONG))
    assert result.code == 1
    assert "too long for this disk" in result.err
    assert "failed unexpectedly" not in result.err


def test_sync_down_with_bad_local_names_delivers_the_rest(
    moto_cli: Cli, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(
        bucket, {"p/a.txt": b"alpha", f"p/{LONG}": b"long", "p/in/c.txt": b"c", "p/b.txt": b"b"}
    )
    dst = tmp_path / "mirror"
    dst.mkdir()
    (dst / "in").write_bytes(b"a file where the folder must be")

    result = moto_cli("sync", f"s3://{bucket}/p/", str(dst))

    assert result.code == 1, result.err
    assert "failed unexpectedly" not in result.err
    assert (dst / "a.txt").read_bytes() == b"alpha"
    assert (dst / "b.txt").read_bytes() == b"b"
    failed = {r["key"]: r["error"] for r in result.records() if r.get("state") == "failed"}
    assert "too long for this disk" in failed[f"p/{LONG}"]
    assert "A file is in the way" in failed["p/in/c.txt"]


def test_put_r_with_an_unreadable_file_sends_the_rest(
    moto_cli: Cli, moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    (src / "dangling").symlink_to(tmp_path / "nowhere")
    (src / "z.txt").write_bytes(b"z")

    result = moto_cli("put", "-r", str(src), f"s3://{bucket}/up/")

    assert result.code == 1
    assert "failed unexpectedly" not in result.err
    got = moto_server.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in got) == ["up/src/a.txt", "up/src/z.txt"]
    assert "dangling" in result.err
