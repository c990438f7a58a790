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
    assert b"verified" in proc.stderr
    assert list(here.iterdir()) == []  # no file called "-"


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


def test_put_of_stdin_is_a_usage_error(
    cli: Cli, server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = server.bucket()
    monkeypatch.chdir(tmp_path)  # no file called "-" here
    result = cli("put", "-", f"s3://{bucket}/k")
    assert result.code == 2
    assert "not standard input" in result.err
    assert "does not exist" not in result.err
