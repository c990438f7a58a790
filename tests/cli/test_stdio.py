"""``-`` on the command line: ``get s3://b/k -`` writes the object to stdout (as
``aws s3 cp s3://b/k -``); ``put -`` says that standard input is not uploaded, where it
said that a file “-” does not exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server


def test_get_to_stdout_writes_the_bytes_and_only_them(server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    body = bytes(range(256)) * 4096 + b"\r\n\x00 end"  # ~1 MiB, not text
    server.put(bucket, {"data/blob.bin": body})
    here = tmp_path / "here"
    here.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cloudbrowser",
            "get",
            f"s3://{bucket}/data/blob.bin",
            "-",
            *flags(server),
        ],
        cwd=here,
        env={**child_env(server), "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == body
    assert b"; verified" in proc.stderr
    assert list(here.iterdir()) == []  # no file called "-"


def upload_in_parts(server: S3Server, bucket: str, key: str, parts: list[bytes]) -> None:
    client = server.client
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = [
        {
            "PartNumber": n,
            "ETag": client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=part
            )["ETag"],
        }
        for n, part in enumerate(parts, 1)
    ]
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
    )


def test_get_to_stdout_verifies_an_object_uploaded_in_parts(cli: Cli, server: S3Server) -> None:
    """An object uploaded in parts has a composite ETag and no MD5 of its own (S3, moto):
    its bytes are checked against it with the part sizes uploaders use, as a download to a
    file is; a part size none of them gives leaves it "not verified", saying why."""
    mib = 1024 * 1024
    bucket = server.bucket()
    five = [bytes([n]) * (5 * mib) for n in (1, 2)] + [b"tail"]
    upload_in_parts(server, bucket, "five.bin", five)
    got = cli("get", f"s3://{bucket}/five.bin", "-")
    assert got.code == 0, got.err
    assert got.out == b"".join(five).decode()
    assert got.err.rstrip().endswith("; verified"), got.err
    six = [bytes([n]) * (6 * mib) for n in (1, 2)] + [b"tail"]
    upload_in_parts(server, bucket, "six.bin", six)
    got = cli("get", f"s3://{bucket}/six.bin", "-")
    assert got.code == 0, got.err
    assert got.out == b"".join(six).decode()
    etag = server.client.head_object(Bucket=bucket, Key="six.bin")["ETag"]
    if "-" in etag:
        unknown = "not verified (the object was uploaded in parts of a size that is not known)"
        assert unknown in got.err
    else:  # rclone serve s3 keeps the whole file's MD5 as the ETag of any upload
        assert got.err.rstrip().endswith("; verified"), got.err


def test_get_to_stdout_takes_one_object(
    cli: Cli, server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a file "-" would have been written
    bucket = server.bucket()
    server.put(bucket, ["dir/a.txt"])
    text = cli("get", f"s3://{bucket}/dir/a.txt", "-", "-q")
    assert (text.code, text.out, text.err) == (0, "dir/a.txt", "")
    for argv in (["-r", f"s3://{bucket}/dir/"], [f"s3://{bucket}/dir/*.txt"]):
        many = cli("get", *argv, "-")
        assert many.code == 2 and "Only one object can be written to stdout" in many.err
    folder = cli("get", f"s3://{bucket}/dir", "-")
    assert folder.code == 2 and "is a folder" in folder.err and folder.out == ""
    missing = cli("get", f"s3://{bucket}/dir/nope.txt", "-")
    assert missing.code == 1 and "does not exist" in missing.err and missing.out == ""


def test_get_to_stdout_of_a_key_with_wildcard_characters_is_that_object(
    cli: Cli, server: S3Server
) -> None:
    """A key may hold "*?[" itself: where an object has the very key typed, it is that
    object (as for get to a folder), not a pattern refused for stdout."""
    bucket = server.bucket()
    server.put(bucket, {"dir/odd#?%+[1].txt": b"literal", "dir/oddX.txt": b"other"})
    one = cli("get", f"s3://{bucket}/dir/odd#?%+[1].txt", "-", "-q")
    assert (one.code, one.out, one.err) == (0, "literal", "")
    pattern = cli("get", f"s3://{bucket}/dir/odd?.txt", "-")
    assert pattern.code == 2 and "Only one object can be written to stdout" in pattern.err


def test_put_of_stdin_is_a_usage_error(
    cli: Cli, server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = server.bucket()
    monkeypatch.chdir(tmp_path)  # no file called "-" here
    result = cli("put", "-", f"s3://{bucket}/k")
    assert result.code == 2
    assert "not standard input" in result.err
    assert "does not exist" not in result.err
