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
