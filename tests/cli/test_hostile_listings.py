"""``ls``, ``get -r``, ``versions`` and ``sync`` against listings a hostile server forges
(issue 13): endless listings stop with the reason, keys outside the prefix are named and
never written, the good files arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbrowser.cli.output import Exit
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import (
    Forward,
    HostileS3,
    Reply,
    Request,
    Rule,
    ignore_prefix,
    is_versions_listing,
    listing_body,
    versions_body,
    xml_reply,
)


@pytest.fixture
def front(hostile_server: S3Server) -> HostileS3:
    assert hostile_server.hostile is not None
    return hostile_server.hostile


@pytest.fixture
def cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(hostile_server, capsys, monkeypatch)


def _same_token(bucket: str) -> Rule:
    def rule(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        prefix = request.query.get("prefix", "")
        return xml_reply(
            listing_body(bucket, [(f"{prefix}x", 1)], prefix=prefix, next_token="again")
        )

    return rule


def test_ls_stops_when_the_server_repeats_its_token(
    cli: Cli, hostile_server: S3Server, front: HostileS3
) -> None:
    bucket = hostile_server.bucket()
    front.rule(_same_token(bucket))
    for argv in ([f"s3://{bucket}/d/"], ["-r", f"s3://{bucket}/d/"]):
        result = cli("ls", *argv)
        assert result.code == Exit.FAILED, result.err
        assert f"The server keeps returning the same page of “{bucket}/d/”" in result.err
        assert "the listing was stopped after 1 object." in result.err
        assert "Traceback" not in result.err
    assert len(front.requests_matching(Request.is_listing)) == 4


def test_get_r_stops_planning_on_endless_empty_pages(
    cli: Cli, hostile_server: S3Server, front: HostileS3, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()

    @front.rule
    def empty_pages(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        token = f"t{len(front.requests)}"
        return xml_reply(listing_body(bucket, [], next_token=token))

    result = cli("get", "-r", f"s3://{bucket}/d/", str(tmp_path / "out"))
    assert result.code == Exit.FAILED
    assert "keeps returning empty pages" in result.err
    assert not (tmp_path / "out").exists()


def test_get_r_refuses_keys_outside_the_prefix(
    cli: Cli, hostile_server: S3Server, front: HostileS3, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"want/a.txt": b"good", "other/x": b"outside", "wantX/y": b"beside"})
    front.rule(ignore_prefix)
    out = tmp_path / "out"
    result = cli("get", "-r", f"s3://{bucket}/want/", str(out))
    assert result.code == Exit.FAILED
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "want/a.txt"
    ]
    assert (out / "want" / "a.txt").read_bytes() == b"good"
    for key in ("other/x", "wantX/y"):
        assert f"cloudbrowser: failed: {key}: the server listed it under “want/”" in result.err


def test_versions_stops_when_the_key_marker_repeats(
    cli: Cli, hostile_server: S3Server, front: HostileS3
) -> None:
    bucket = hostile_server.bucket()

    @front.rule
    def same_marker(request: Request, forward: Forward) -> Reply | None:
        if not is_versions_listing(request):
            return None
        body = versions_body(bucket, [("v", "1", 3)], next_key_marker="v", next_version_marker="1")
        return xml_reply(body)

    result = cli("versions", f"s3://{bucket}/")
    assert result.code == Exit.FAILED
    assert "The server keeps returning the same page" in result.err
    assert "stopped after 1 version." in result.err
    assert len(front.requests_matching(is_versions_listing)) == 2


def test_sync_down_refuses_keys_outside_the_prefix(
    cli: Cli, hostile_server: S3Server, front: HostileS3, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"want/a.txt": b"good", "wantX/y": b"beside", "top": b"t"})
    front.rule(ignore_prefix)
    out = tmp_path / "mirror"
    result = cli("sync", f"s3://{bucket}/want/", str(out))
    assert result.code == Exit.FAILED
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["a.txt"]
    assert (out / "a.txt").read_bytes() == b"good"
    assert "cloudbrowser: failed: wantX/y:" in result.err
    assert "cloudbrowser: failed: top:" in result.err


def test_sync_stops_on_a_repeated_token(
    cli: Cli, hostile_server: S3Server, front: HostileS3, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    front.rule(_same_token(bucket))
    result = cli("sync", f"s3://{bucket}/d/", str(tmp_path / "mirror"))
    assert result.code == Exit.FAILED
    assert "keeps returning the same page" in result.err


def test_rm_r_never_deletes_keys_listed_outside_the_prefix(
    cli: Cli, hostile_server: S3Server, front: HostileS3
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"want/a.txt": b"1", "other/x": b"2", "wantX/y": b"3"})
    front.rule(ignore_prefix)
    result = cli("rm", "-r", "--yes", f"s3://{bucket}/want/")
    assert result.code == Exit.OK, result.err
    front.clear_rules()
    left = hostile_server.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in left) == ["other/x", "wantX/y"]
