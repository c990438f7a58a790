"""``storage-class`` and ``restore`` through the real entry point, on moto (which keeps
storage classes and answers RestoreObject; it restores at once, see the conformance
suite's RESTORED_AT_ONCE)."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server

pytestmark = pytest.mark.server


@pytest.fixture
def moto_cli(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(moto_server, capsys, monkeypatch)


def classes(server: S3Server, bucket: str) -> dict[str, str]:
    reply = server.client.list_objects_v2(Bucket=bucket)
    return {o["Key"]: o.get("StorageClass", "STANDARD") for o in reply.get("Contents", [])}


def test_storage_class_of_one_object_and_of_a_prefix(moto_cli: Cli, moto_server: S3Server) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, ["one.txt", "dir/a", "dir/sub/b", "dirt/keep"])
    one = moto_cli("storage-class", f"s3://{bucket}/one.txt", "standard_ia")
    assert one.code == 0, one.err
    assert one.records() == [
        {"result": "changed", "storage_class": "STANDARD_IA", "objects": 1, "failed": 0}
    ]
    folder = moto_cli("storage-class", f"s3://{bucket}/dir/", "GLACIER")
    assert folder.code == 2 and "-r" in folder.err
    done = moto_cli("storage-class", "-r", f"s3://{bucket}/dir", "GLACIER")
    assert done.code == 0, done.err
    assert done.records()[-1]["objects"] == 2
    assert classes(moto_server, bucket) == {
        "one.txt": "STANDARD_IA",
        "dir/a": "GLACIER",
        "dir/sub/b": "GLACIER",
        "dirt/keep": "STANDARD",
    }


def test_an_unknown_class_is_a_usage_error_naming_the_classes(
    moto_cli: Cli, moto_server: S3Server
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, ["x"])
    result = moto_cli("storage-class", f"s3://{bucket}/x", "NEARLINE")
    assert result.code == 2
    assert "DEEP_ARCHIVE" in result.err


def test_restore_asks_for_archived_objects_and_passes_over_the_rest(
    moto_cli: Cli, moto_server: S3Server
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, ["cold/a", "cold/b"])
    assert moto_cli("storage-class", f"s3://{bucket}/cold/a", "DEEP_ARCHIVE").code == 0
    refused = moto_cli("get", f"s3://{bucket}/cold/a", "-")
    assert refused.code != 0 and "restore" in refused.err.lower()
    result = moto_cli("restore", "-r", f"s3://{bucket}/cold/", "--days", "2", "--priority", "bulk")
    assert result.code == 0, result.err
    assert result.records() == [
        {"result": "restore asked", "passed_over": 1, "objects": 1, "failed": 0}
    ]
    head = moto_server.client.head_object(Bucket=bucket, Key="cold/a")
    assert 'ongoing-request="false"' in head["Restore"]  # (moto restores at once)
    bad = moto_cli("restore", f"s3://{bucket}/cold/a", "--priority", "High")
    assert bad.code == 2 and "Expedited" in bad.err
