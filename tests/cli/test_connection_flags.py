"""Connection flags beside ``-c NAME``: each one either changes the named connection for
this command (what a saved S3 connection or AWS profile may take: a region, an addressing
style, TLS checks) or is refused as a usage error naming the flag and why, never ignored.
So are they without -c where nothing would take them (``resume``, which continues each
transfer on its own connection)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.cli.helpers import Run
from tests.cli.test_ls import save_connection
from tests.conftest import REGION, S3Server

ELSEWHERE = "eu-west-1"


def location_of(server: S3Server, bucket: str) -> str:
    return str(server.client.get_bucket_location(Bucket=bucket)["LocationConstraint"] or "")


@pytest.mark.parametrize("server", ["moto"], indirect=True)  # moto keeps a bucket's region
def test_region_beside_a_saved_s3_connection_is_this_commands_region(
    run: Run, server: S3Server
) -> None:
    """A new bucket goes where the connection's requests go: the region given, this once."""
    save_connection(server)  # its region: REGION
    name = f"made-elsewhere-{os.getpid()}"
    made = run("mb", "-c", "local", "--region", ELSEWHERE, f"s3://{name}")
    try:
        assert made.code == 0, made.err
        assert location_of(server, name) == ELSEWHERE
    finally:
        server.client.delete_bucket(Bucket=name)
    assert ProfileStore().get("local").region == REGION, "nothing saved"


@pytest.mark.parametrize("server", ["moto"], indirect=True)
def test_region_beside_an_aws_profile_is_this_commands_region(
    run: Run, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        f"[profile dev]\nregion = {REGION}\nendpoint_url = {server.endpoint_url}\n"
        f"aws_access_key_id = {server.credentials.access_key_id}\n"
        f"aws_secret_access_key = {server.credentials.secret_access_key}\n",
        encoding="utf-8",
    )
    name = f"made-by-profile-{os.getpid()}"
    made = run("mb", "-c", "dev", "--region", ELSEWHERE, f"s3://{name}")
    try:
        assert made.code == 0, made.err
        assert location_of(server, name) == ELSEWHERE
    finally:
        server.client.delete_bucket(Bucket=name)


def save_other(kind: str) -> None:
    """A saved connection of another cloud (nothing is sent: refused before)."""
    if kind == "gcs":
        profile = Profile(name="other", kind="gcs", auth="adc", project="p")
    else:
        profile = Profile(name="other", kind="azure", auth="key", account="someaccount")
    ProfileStore().add(profile)


@pytest.mark.parametrize(
    ("kind", "flag", "value", "scheme", "named"),
    [
        ("gcs", "--region", "europe-west1", "gs", "Google Cloud Storage"),
        ("gcs", "--addressing-style", "path", "gs", "Google Cloud Storage"),
        ("azure", "--region", "westeurope", "az", "Azure Blob Storage"),
        ("azure", "--addressing-style", "virtual", "az", "Azure Blob Storage"),
    ],
)
def test_an_s3_setting_beside_another_clouds_connection_is_a_usage_error(
    run: Run, kind: str, flag: str, value: str, scheme: str, named: str
) -> None:
    save_other(kind)
    result = run("ls", "-c", "other", flag, value, f"{scheme}://bucket")
    assert result.code == 2, result.err
    assert f"{flag} is for S3 connections, and “other” is a {named} connection" in result.err
    assert f"Leave out {flag}." in result.err


@pytest.mark.parametrize(
    ("flag", "value", "why"),
    [
        ("--endpoint", "http://127.0.0.1:9", "its own endpoint"),
        ("--profile", "dev", "its own credentials"),
        ("--access-key-id", "AKIAEXAMPLE", "its own credentials"),
        ("--anonymous", None, "its own way of signing requests"),
    ],
)
def test_another_connections_flag_beside_c_is_named_with_why(
    run: Run, flag: str, value: str | None, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDBROWSER_SECRET_ACCESS_KEY", "secret")
    ProfileStore().add(
        Profile(name="local", endpoint_url="http://127.0.0.1:9", access_key_id="AKIAEXAMPLE")
    )
    given = [flag] if value is None else [flag, value]
    result = run("ls", "-c", "local", *given, "s3://bucket")
    assert result.code == 2, result.err
    assert f"-c local names a connection, which has {why}: leave out {flag}." in result.err


def test_region_with_az_from_the_environment_is_a_usage_error(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "someaccount")
    monkeypatch.setenv("AZURE_STORAGE_KEY", "a2V5")
    result = run("ls", "--region", "westeurope", "az://bucket")
    assert result.code == 2, result.err
    assert "--region is for s3:// locations" in result.err


def unfinished_upload(connection: str, tmp_path: Path) -> int:
    """An unfinished upload of ``connection`` in the journal; its id."""
    from cloudbrowser.core.journal import Direction, Journal, JournalRecord, State

    journal = Journal()
    record = JournalRecord(
        0, Direction.UPLOAD, connection, "b", "k", tmp_path / "x", 1, 0.0, "", 0, "",
        State.PAUSED, "", "",
    )  # fmt: skip
    [tid] = journal.add([record])
    journal.close()
    return tid


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--region", ELSEWHERE),
        ("--addressing-style", "path"),
        ("--no-verify-tls", None),
        ("--ca-bundle", "/etc/ssl/certs/ca.pem"),
        ("--project", "p"),
    ],
)
@pytest.mark.parametrize("listing", [True, False], ids=["listing", "continuing"])
def test_a_connection_flag_resume_would_ignore_is_a_usage_error(
    run: Run, tmp_path: Path, flag: str, value: str | None, listing: bool
) -> None:
    """Without -c, resume continues each transfer on its own connection (here a saved
    S3 one), which the flag would not change: named, not ignored."""
    ProfileStore().add(
        Profile(name="local", endpoint_url="http://127.0.0.1:9", access_key_id="AKIAEXAMPLE")
    )
    tid = unfinished_upload("local", tmp_path)
    given = [flag] if value is None else [flag, value]
    result = run("resume", *given) if listing else run("resume", str(tid), *given)
    assert result.code == 2, result.err
    assert f"{flag} without -c changes nothing here" in result.err
    assert f"-c NAME {flag}" in result.err


def test_resume_of_gs_from_the_environment_takes_its_project(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gs:// connection made from the environment is made again from the command line
    and the environment: --project is its, not a flag resume ignores."""
    from cloudbrowser.cli.connect_gcs import NAME

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    tid = unfinished_upload(f"{NAME} (emulator http://127.0.0.1:9)", tmp_path)
    result = run("resume", str(tid), "--project", "p", "--region", ELSEWHERE)
    assert result.code == 2 and "--region without -c" in result.err
    result = run("resume", str(tid), "--project", "p")
    assert "without -c" not in result.err
    assert result.code != 2, result.err
