"""Wildcards in ``ls``, ``du``, ``rm`` and ``get`` on moto and rclone."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from cloudbrowser.cli.locations import Remote
from cloudbrowser.cli.wildcards import is_pattern
from cloudbrowser.core.errors import AccessDenied
from cloudbrowser.core.storage import Storage
from tests.cli.helpers import Cli
from tests.conftest import S3Server

KEYS = ["logs/2024-01/app.gz", "logs/2024-02/app.gz", "logs/2024-02/app.txt", "logs/2023-12/app.gz"]


def remaining(server: S3Server, bucket: str) -> list[str]:
    reply = server.client.list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in reply.get("Contents", []))


def test_ls_and_du_match_a_pattern(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, KEYS)
    listed = cli("ls", f"s3://{bucket}/logs/2024-*.gz")
    assert listed.code == 0, listed.err
    assert [r["key"] for r in listed.records()] == ["logs/2024-01/app.gz", "logs/2024-02/app.gz"]
    [du] = cli("du", f"s3://{bucket}/logs/*/app.gz").records()
    assert du["objects"] == 3
    none = cli("ls", f"s3://{bucket}/logs/*.zip")
    assert none.code == 1 and "Nothing matches" in none.err


def test_rm_a_pattern_dry_run_first(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, KEYS)
    dry = cli("rm", "--dry-run", f"s3://{bucket}/logs/2024-0?/app.gz")
    assert sorted(r["key"] for r in dry.records() if "key" in r) == [
        "logs/2024-01/app.gz",
        "logs/2024-02/app.gz",
    ]
    assert remaining(server, bucket) == sorted(KEYS)
    done = cli("rm", "--yes", f"s3://{bucket}/logs/2024-0?/app.gz")
    assert done.code == 0, done.err
    assert remaining(server, bucket) == ["logs/2023-12/app.gz", "logs/2024-02/app.txt"]


def test_get_a_pattern_keeps_the_structure_below_the_literal_folder(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, KEYS)
    dest = tmp_path / "dl"
    result = cli("get", f"s3://{bucket}/logs/2024-*.gz", str(dest) + "/")
    assert result.code == 0, result.err
    got = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert got == ["2024-01/app.gz", "2024-02/app.gz"]


def test_a_key_holding_wildcard_characters_is_addressed_as_itself(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """``report[1].pdf`` is an object's name, not only a pattern: where an object has that
    very key, get, ls, du and rm name it (the pattern alone would match ``report1.pdf``)."""
    bucket = server.bucket()
    server.put(bucket, ["docs/report[1].pdf", "docs/report1.pdf", "docs/what?.txt"])
    dest = tmp_path / "dl"
    got = cli("get", f"s3://{bucket}/docs/report[1].pdf", str(dest) + "/")
    assert got.code == 0, got.err
    assert (dest / "report[1].pdf").read_bytes() == b"docs/report[1].pdf"
    assert not (dest / "report1.pdf").exists()
    listed = cli("ls", f"s3://{bucket}/docs/report[1].pdf")
    assert [r["key"] for r in listed.records()] == ["docs/report[1].pdf"]
    [du] = cli("du", f"s3://{bucket}/docs/report[1].pdf").records()
    assert du["objects"] == 1
    done = cli("rm", "--yes", f"s3://{bucket}/docs/report[1].pdf")
    assert done.code == 0, done.err
    assert remaining(server, bucket) == ["docs/report1.pdf", "docs/what?.txt"]
    # Without an object of that name it is a pattern again.
    pattern = cli("ls", f"s3://{bucket}/docs/report[1].pdf")
    assert [r["key"] for r in pattern.records()] == ["docs/report1.pdf"]


class _ListOnly:
    """A connection whose key may list but not read (no s3:GetObject): its HEAD is denied."""

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> None:
        raise AccessDenied("Access denied.")


def test_a_pattern_stays_a_pattern_where_the_key_may_not_read() -> None:
    """The HEAD that looks for an object named like the pattern must not make a wildcard
    ``ls`` fail for a key that may list the bucket but not read its objects."""
    backend = cast(Storage, _ListOnly())
    assert is_pattern(backend, Remote("b", "logs/*.gz"))
    assert not is_pattern(backend, Remote("b", "logs/plain.gz"))
