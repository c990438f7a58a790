"""``ls``, ``du``, ``mb``, ``rb``, ``presign``, ``connections`` and the failures every command
shares (bad location, unknown connection, wrong credentials, missing bucket), through the
real entry point on moto and rclone."""

from __future__ import annotations

import urllib.request

import pytest

from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.cli.helpers import Cli
from tests.conftest import REGION, S3Server


def test_ls_lists_buckets_then_a_folder_then_everything(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["top.txt", "dir/a.txt", "dir/sub/b.txt"])

    buckets = cli("ls")
    assert buckets.code == 0, buckets.err
    assert {"type": "bucket", "name": bucket} in [
        {k: r[k] for k in ("type", "name")} for r in buckets.records()
    ]

    root = cli("ls", f"s3://{bucket}")
    assert root.code == 0, root.err
    assert [(r["type"], r["key"]) for r in root.records()] == [
        ("prefix", "dir/"),
        ("object", "top.txt"),
    ]
    top = root.records()[1]
    assert top["size"] == len(b"top.txt") and top["modified"].endswith("Z")

    everything = cli("ls", "-r", f"s3://{bucket}/dir/")
    assert [r["key"] for r in everything.records()] == ["dir/a.txt", "dir/sub/b.txt"]


def test_ls_of_a_name_shows_the_object_or_the_folder(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["dir/a.txt", "dir2/c.txt", "file.txt"])
    assert [r["key"] for r in cli("ls", f"s3://{bucket}/file.txt").records()] == ["file.txt"]
    assert [r["key"] for r in cli("ls", f"s3://{bucket}/dir").records()] == ["dir/a.txt"]
    missing = cli("ls", f"s3://{bucket}/nothing-here")
    assert missing.code == 1
    assert "does not exist" in missing.err


def test_text_on_request_with_human_sizes_or_bytes(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"big.bin": b"x" * 3000, "dir/a": b"a"})
    text = cli("ls", "--text", f"s3://{bucket}")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].split() == ["DIR", "dir/"]
    assert lines[1].endswith("2.9 KiB  big.bin")
    raw = cli("ls", "--text", "--bytes", f"s3://{bucket}")
    assert raw.out.splitlines()[1].endswith("3000  big.bin")


def test_du_counts_objects_and_bytes(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"d/a": b"12345", "d/e/b": b"123", "dx": b"1"})
    [record] = cli("du", f"s3://{bucket}/d").records()
    assert (record["objects"], record["size"]) == (2, 8)


def test_mb_and_rb(cli: Cli, server: S3Server) -> None:
    name = f"made-by-cli-{server.kind}"
    made = cli("mb", f"s3://{name}")
    assert made.code == 0, made.err
    assert name in [b["Name"] for b in server.client.list_buckets()["Buckets"]]

    dry = cli("rb", "--dry-run", f"s3://{name}")
    assert dry.code == 0 and name in [b["Name"] for b in server.client.list_buckets()["Buckets"]]
    unconfirmed = cli("rb", f"s3://{name}")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err

    server.put(name, ["keep.txt"])
    full = cli("rb", "--yes", f"s3://{name}")
    assert full.code == 1 and "not empty" in full.err
    server.client.delete_object(Bucket=name, Key="keep.txt")
    gone = cli("rb", "--yes", f"s3://{name}")
    assert gone.code == 0, gone.err
    assert name not in [b["Name"] for b in server.client.list_buckets()["Buckets"]]


def test_presign_gives_a_link_that_works_without_credentials(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"share/report.txt": b"the report"})
    result = cli("presign", f"s3://{bucket}/share/report.txt", "--expires", "10m")
    assert result.code == 0, result.err
    url = result.out.strip()
    assert "X-Amz-Expires=600" in url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"the report"
    too_long = cli("presign", f"s3://{bucket}/share/report.txt", "--expires", "8d")
    assert too_long.code == 2 and "7 days" in too_long.err
    a_week = cli("presign", f"s3://{bucket}/share/report.txt", "--expires", "1w")
    assert a_week.code == 0 and "X-Amz-Expires=604800" in a_week.out, a_week.err
    missing = cli("presign", f"s3://{bucket}/share/nothing.txt")
    assert missing.code == 1 and "does not exist" in missing.err


# ── saved connections ───────────────────────────────────────────────────────────────────


def save_connection(server: S3Server, name: str = "local") -> Profile:
    store = ProfileStore()
    profile = store.add(
        Profile(
            name=name,
            preset="other",
            endpoint_url=server.endpoint_url,
            region=REGION,
            access_key_id=server.credentials.access_key_id,
        )
    )
    store.set_secret(profile, server.credentials.secret_access_key)
    return profile


def test_a_saved_connection_with_its_secret_from_the_keyring(
    cli: Cli, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDBROWSER_SECRET_ACCESS_KEY")
    save_connection(server)
    bucket = server.bucket()
    server.put(bucket, ["hello.txt"])
    result = cli("ls", "-c", "local", f"s3://{bucket}", connect=False)
    assert result.code == 0, result.err
    assert [r["key"] for r in result.records()] == ["hello.txt"]

    listed = cli("connections", connect=False)
    assert {"type": "saved", "name": "local"}.items() <= listed.records()[0].items()
    assert server.credentials.secret_access_key not in listed.out


def test_an_aws_profile_by_name(cli: Cli, server: S3Server, tmp_path: object) -> None:
    import os
    from pathlib import Path

    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        f"[profile dev]\nregion = {REGION}\nendpoint_url = {server.endpoint_url}\n"
        "s3 =\n  addressing_style = path\n",
        encoding="utf-8",
    )
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[dev]\naws_access_key_id = {server.credentials.access_key_id}\n"
        f"aws_secret_access_key = {server.credentials.secret_access_key}\n",
        encoding="utf-8",
    )
    bucket = server.bucket()
    server.put(bucket, ["p.txt"])
    result = cli("ls", "-c", "dev", f"s3://{bucket}", connect=False)
    assert result.code == 0, result.err
    assert [r["key"] for r in result.records()] == ["p.txt"]
    listed = cli("connections", connect=False).records()
    assert {"type": "aws", "name": "dev", "kind": "keys"}.items() <= listed[0].items()


# ── failures ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("location", ["s3:///key", "http://bucket/key", "s3:/x/y"])
def test_a_bad_location_is_a_usage_error(cli: Cli, location: str) -> None:
    result = cli("ls", location)
    assert result.code == 2
    assert result.err.startswith("cloudbrowser: ")
    assert "Traceback" not in result.err


def test_ls_of_the_scheme_alone_lists_the_buckets(cli: Cli, server: S3Server) -> None:
    """``ls s3://`` as ``aws s3 ls s3://``; other commands still need a bucket."""
    bucket = server.bucket()
    listed = cli("ls", "s3://")
    assert listed.code == 0, listed.err
    assert bucket in [r["name"] for r in listed.records()]
    assert cli("rm", "-r", "--yes", "s3://").code == 2


def test_ls_of_a_folder_that_holds_nothing_fails_unless_it_is_marked(
    cli: Cli, server: S3Server
) -> None:
    """``ls s3://b/logz/`` (a typo) exits 1 as ``ls s3://b/logz`` does (and as
    ``aws s3 ls`` and ``gsutil ls`` do), where it printed nothing and exited 0; a folder
    made in the window (its 0-byte "logs/" marker) and an empty bucket list fine."""
    bucket = server.bucket()
    for argv in (["ls", f"s3://{bucket}/logz/"], ["ls", "-r", f"s3://{bucket}/logz/"]):
        typo = cli(*argv)
        assert typo.code == 1, argv
        assert f"“s3://{bucket}/logz/” does not exist." in typo.err
    assert cli("ls", f"s3://{bucket}/").code == 0
    server.put(bucket, {"logs/": b""})
    listed = server.client.list_objects_v2(Bucket=bucket).get("Contents", [])
    kept = [o["Key"] for o in listed] == ["logs/"]  # rclone stores it as a file "logs"
    marked = cli("ls", f"s3://{bucket}/logs/")
    assert marked.code == (0 if kept else 1), marked.err
    if kept:
        as_text = cli("ls", "--text", f"s3://{bucket}/logs/")
        assert as_text.code == 0, as_text.err
        assert as_text.out == "", "the folder's own marker is no row with an empty name"
        assert [r["key"] for r in marked.records()] == ["logs/"], "JSON keeps the object"


def test_unknown_options_and_commands_are_usage_errors(cli: Cli) -> None:
    assert cli("ls", "--no-such-option").code == 2
    assert cli("put", connect=False).code == 2


def test_an_unknown_connection_is_a_configuration_error(cli: Cli) -> None:
    result = cli("ls", "-c", "nowhere", connect=False)
    assert result.code == 3
    assert "There is no saved connection or AWS profile named “nowhere”." in result.err
    # On a terminal the command that lists them, not the window's menu.
    assert "“cloudbrowser connections” lists" in result.err
    assert "Open Connections…" not in result.err
    listed = cli("connections", "--text", connect=False)
    assert listed.code == 0, listed.err


def test_a_missing_bucket_fails_with_the_windows_message(cli: Cli, server: S3Server) -> None:
    result = cli("ls", "s3://no-such-bucket-at-all")
    assert result.code == 1
    assert "The bucket “no-such-bucket-at-all” does not exist" in result.err
    assert "Traceback" not in result.err


def test_wrong_credentials_exit_3(rclone_server: S3Server, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # rclone only: moto accepts any signature, so it cannot tell a wrong secret.
    cli = Cli(rclone_server, capsys, monkeypatch)
    monkeypatch.setenv("CLOUDBROWSER_SECRET_ACCESS_KEY", "not-the-right-secret-key")
    result = cli("ls")
    assert result.code == 3, result.err
    assert "secret key does not match" in result.err or "does not know" in result.err
