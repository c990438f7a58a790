"""``rm`` through the real entry point on moto and rclone."""

from __future__ import annotations

from tests.cli.helpers import Cli
from tests.conftest import S3Server


def keys(server: S3Server, bucket: str) -> list[str]:
    reply = server.client.list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in reply.get("Contents", [])]


def test_rm_one_object(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a.txt", "b.txt"])
    result = cli("rm", "--yes", f"s3://{bucket}/a.txt")
    assert result.code == 0, result.err
    assert result.records() == [{"result": "deleted", "objects": 1, "failed": 0}]
    assert keys(server, bucket) == ["b.txt"]


def test_rm_recursive_dry_run_changes_nothing_then_deletes(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    # (No object named "dir" beside "dir/...": rclone stores keys as files and folders.)
    server.put(bucket, ["dir/a", "dir/sub/b", "dirt/keep", "other"])
    dry = cli("rm", "-r", "--dry-run", f"s3://{bucket}/dir")
    assert dry.code == 0, dry.err
    listed = [r["key"] for r in dry.records() if "key" in r]
    assert sorted(listed) == ["dir/a", "dir/sub/b"]
    assert len(keys(server, bucket)) == 4, "a dry run deletes nothing"

    done = cli("rm", "-r", "--yes", f"s3://{bucket}/dir")
    assert done.code == 0, done.err
    assert done.records()[-1] == {"result": "deleted", "objects": 2, "failed": 0}
    assert sorted(keys(server, bucket)) == ["dirt/keep", "other"]


def test_rm_needs_yes_in_a_script_and_r_for_a_folder(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["dir/a"])
    unconfirmed = cli("rm", f"s3://{bucket}/dir/a")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err
    folder = cli("rm", "--yes", f"s3://{bucket}/dir/")
    assert folder.code == 2 and "rm -r" in folder.err
    assert keys(server, bucket) == ["dir/a"]


def test_a_partial_failure_exits_1_naming_each_failed_key(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["here.txt"])
    result = cli("rm", "--yes", f"s3://{bucket}/here.txt", f"s3://{bucket}/missing.txt")
    assert result.code == 1
    assert f"cloudbrowser: failed: s3://{bucket}/missing.txt: " in result.err
    assert "here.txt" not in result.err
    assert result.records()[-1] == {"result": "deleted", "objects": 1, "failed": 1}
    assert keys(server, bucket) == []
