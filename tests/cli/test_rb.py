"""``rb`` never trusts the server to refuse a non-empty bucket: it looks first, and only
``--force`` empties one (objects, old versions, unfinished uploads), counted and confirmed."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest

from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request


def _buckets(server: S3Server) -> list[str]:
    return [b["Name"] for b in server.client.list_buckets()["Buckets"]]


def test_a_server_that_would_delete_everything_is_never_asked(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, ["precious/data.bin"])

    def obliging(request: Request, forward: Forward) -> Reply | None:
        if request.method == "DELETE" and request.bucket == bucket and not request.key:
            return Reply(204)  # "deleted", objects and all, as some servers do by default
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(obliging)
    result = Cli(hostile_server, capsys, monkeypatch)("rb", "--yes", f"s3://{bucket}")
    assert result.code == 1
    assert f"The bucket “{bucket}” is not empty: it holds objects." in result.err
    assert "--force" in result.err
    deletes = hostile_server.hostile.requests_matching(lambda r: r.method == "DELETE")
    assert deletes == []


def test_force_empties_a_bucket_then_deletes_it(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a/one.txt": b"1", "a/b/two.txt": b"22", "three.txt": b"333"})

    refused = cli("rb", "--yes", f"s3://{bucket}")
    assert refused.code == 1 and "is not empty" in refused.err
    assert bucket in _buckets(server)

    dry = cli("rb", "--force", "--dry-run", f"s3://{bucket}")
    assert dry.code == 0, dry.err
    [record] = dry.records()
    assert (record["objects"], record["size"], record["result"]) == (3, 6, "would delete")
    assert (record["versions"], record["uploads"]) == (0, 0)
    assert bucket in _buckets(server)

    unconfirmed = cli("rb", "--force", f"s3://{bucket}")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err
    assert bucket in _buckets(server)

    gone = cli("rb", "--force", "--yes", f"s3://{bucket}")
    assert gone.code == 0, gone.err
    assert bucket not in _buckets(server)


def test_only_an_unfinished_upload_is_not_empty(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto only: rclone cannot list unfinished uploads (it then refuses DeleteBucket).
    cli = Cli(moto_server, capsys, monkeypatch)
    bucket = moto_server.bucket()
    moto_server.client.create_multipart_upload(Bucket=bucket, Key="big/file.iso")
    refused = cli("rb", "--yes", f"s3://{bucket}")
    assert refused.code == 1 and "unfinished multipart uploads" in refused.err
    gone = cli("rb", "--force", "--yes", f"s3://{bucket}")
    assert gone.code == 0, gone.err
    assert bucket not in _buckets(moto_server)


def test_old_versions_and_delete_markers_count(
    moto_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(moto_server, capsys, monkeypatch)
    bucket = moto_server.bucket()
    client = moto_server.client
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket=bucket, Key="doc.txt", Body=b"v1")
    client.put_object(Bucket=bucket, Key="doc.txt", Body=b"v2")
    client.delete_object(Bucket=bucket, Key="doc.txt")  # no current object, 3 versions left

    refused = cli("rb", "--yes", f"s3://{bucket}")
    assert refused.code == 1
    assert "old versions or delete markers" in refused.err and "holds objects" not in refused.err

    [record] = cli("rb", "--force", "--dry-run", f"s3://{bucket}").records()
    assert (record["objects"], record["versions"]) == (0, 3)

    gone = cli("rb", "--force", "--yes", f"s3://{bucket}")
    assert gone.code == 0, gone.err
    assert bucket not in _buckets(moto_server)


def _rb_on_a_terminal(server: S3Server, bucket: str, typed: bytes) -> tuple[int, str]:
    """``rb --force`` with a terminal for stdin and stderr: answers the question with
    ``typed`` once it is asked."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", "rb", "--force", f"s3://{bucket}", *flags(server)],
        cwd=REPO,
        env=child_env(server),
        stdin=secondary,
        stdout=subprocess.DEVNULL,  # the questions and messages go to stderr
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while b"to confirm: " not in seen and time.monotonic() < deadline:
        seen += os.read(main, 4096)
    os.write(main, typed + b"\n")
    proc.wait(timeout=60)
    try:
        while chunk := os.read(main, 4096):
            seen += chunk
    except OSError:  # EIO: the child closed the terminal
        pass
    os.close(main)
    return proc.returncode, seen.decode(errors="replace")


def test_force_on_a_terminal_asks_for_the_name(moto_server: S3Server) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"a/one.txt": b"1", "two.txt": b"22"})

    code, said = _rb_on_a_terminal(moto_server, bucket, b"not-the-name")
    assert "holds 2 objects (3 B)" in said and f"Type the name “{bucket}”" in said
    assert code == 1 and "nothing was deleted" in said
    assert bucket in _buckets(moto_server)

    code, said = _rb_on_a_terminal(moto_server, bucket, bucket.encode())
    assert code == 0, said
    assert bucket not in _buckets(moto_server)
