"""``versions``: moto keeps versions; rclone serve s3 does not, and says so."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server


def test_versions_of_an_object_newest_first(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(moto_server, capsys, monkeypatch)
    bucket = moto_server.bucket()
    client = moto_server.client
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket=bucket, Key="doc.txt", Body=b"one")
    client.put_object(Bucket=bucket, Key="doc.txt", Body=b"two!")
    client.put_object(Bucket=bucket, Key="doc.txt2", Body=b"other")
    client.delete_object(Bucket=bucket, Key="doc.txt")

    result = cli("versions", f"s3://{bucket}/doc.txt")
    assert result.code == 0, result.err
    rows = result.records()
    assert {r["key"] for r in rows} == {"doc.txt"}
    assert [(r["delete_marker"], r["size"]) for r in rows] == [(True, 0), (False, 4), (False, 3)]
    assert rows[0]["latest"] is True
    everything = cli("versions", f"s3://{bucket}/")
    assert len(everything.records()) == 4


def test_versions_on_a_server_without_them(
    rclone_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(rclone_server, capsys, monkeypatch)
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, ["a.txt"])
    result = cli("versions", f"s3://{bucket}/a.txt")
    assert result.code == 1
    assert "This server does not keep object versions." in result.err
    assert "Traceback" not in result.err


def test_versioning_shows_and_switches_a_buckets_versioning(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(moto_server, capsys, monkeypatch)
    bucket = moto_server.bucket()
    status = moto_server.client.get_bucket_versioning

    assert cli("versioning", f"s3://{bucket}").records() == [
        {"bucket": bucket, "versioning": "off"}
    ]
    on = cli("versioning", f"s3://{bucket}", "--on")
    assert on.code == 0, on.err
    assert on.records() == [{"bucket": bucket, "versioning": "on"}]
    assert status(Bucket=bucket)["Status"] == "Enabled"
    off = cli("versioning", f"s3://{bucket}/", "--off", "--text")
    assert off.code == 0, off.err
    assert off.out == f"s3://{bucket}\tversioning suspended\n"
    assert status(Bucket=bucket)["Status"] == "Suspended"


def test_versioning_refuses_a_key_and_both_switches(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(moto_server, capsys, monkeypatch)
    bucket = moto_server.bucket()
    assert cli("versioning", f"s3://{bucket}/a.txt", "--on").code == 2
    assert cli("versioning", f"s3://{bucket}", "--on", "--off").code == 2
    assert "Status" not in moto_server.client.get_bucket_versioning(Bucket=bucket)


def test_versioning_on_a_server_without_versions_says_so(
    rclone_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(rclone_server, capsys, monkeypatch)
    bucket = rclone_server.bucket()
    result = cli("versioning", f"s3://{bucket}", "--on")
    assert result.code == 1
    assert "This server does not keep object versions." in result.err
