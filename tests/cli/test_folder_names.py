"""A folder typed without its "/" and without -r: get, cp, mv and rm say it is a folder
and what to add, as they do for ``s3://b/dir/``, not that ``dir`` does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.conftest import S3Server


@pytest.mark.parametrize(
    ("command", "extra", "hint", "code"),
    [
        ("get", ["{tmp}/dl/"], "get -r", 2),
        ("cp", ["s3://{bucket}/copy/"], "cp -r", 2),
        ("mv", ["s3://{bucket}/moved/"], "mv -r", 2),
        # rm goes on with its other locations: this one fails, not the command line.
        ("rm", ["--yes"], "rm -r", 1),
    ],
)
def test_a_folder_without_its_slash_is_said_to_be_a_folder(
    cli: Cli,
    server: S3Server,
    tmp_path: Path,
    command: str,
    extra: list[str],
    hint: str,
    code: int,
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["photos/a.jpg", "photos/2024/b.jpg"])
    argv = [a.format(tmp=tmp_path, bucket=bucket) for a in extra]
    result = cli(command, f"s3://{bucket}/photos", *argv)
    assert result.code == code, result.err
    assert f"“s3://{bucket}/photos” is a folder." in result.err
    assert hint in result.err
    assert "does not exist" not in result.err
    assert sorted(o["Key"] for o in server.client.list_objects_v2(Bucket=bucket)["Contents"]) == [
        "photos/2024/b.jpg",
        "photos/a.jpg",
    ]


def test_a_name_that_is_neither_still_does_not_exist(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["photos/a.jpg", "photosynthesis.txt"])
    result = cli("get", f"s3://{bucket}/photo", str(tmp_path))
    assert result.code == 1
    assert "does not exist" in result.err
