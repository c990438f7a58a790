"""Credentials come from the AWS shared config or the environment, through botocore."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.errors import ConfigError, InvalidCredentials
from tests.conftest import S3Server


def write_profiles(tmp_path: Path, profiles: dict[str, tuple[str, str]]) -> None:
    # The autouse fixture points AWS_SHARED_CREDENTIALS_FILE here.
    (tmp_path / "aws-credentials").write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
            for name, (key, secret) in profiles.items()
        )
    )


def test_aws_profile_signs_requests(rclone_server: S3Server, tmp_path: Path) -> None:
    # rclone checks signatures, so only the right profile can list.
    bucket = rclone_server.bucket("profile")
    creds = rclone_server.credentials
    write_profiles(
        tmp_path,
        {
            "work": (creds.access_key_id, creds.secret_access_key),
            "stale": ("stale-access-key-id", "not-the-secret-0123"),
        },
    )
    good = S3Backend(rclone_server.settings(aws_profile="work"))
    assert bucket in [b.name for b in good.list_buckets()]
    with pytest.raises(InvalidCredentials):
        S3Backend(rclone_server.settings(aws_profile="stale")).list_buckets()


def test_unknown_profile_is_a_config_error(rclone_server: S3Server) -> None:
    with pytest.raises(ConfigError, match="missing-profile"):
        S3Backend(rclone_server.settings(aws_profile="missing-profile")).list_buckets()


def test_environment_credentials(rclone_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = rclone_server.bucket("env")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", rclone_server.credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", rclone_server.credentials.secret_access_key)
    assert bucket in [b.name for b in S3Backend(rclone_server.settings()).list_buckets()]


def test_no_credentials_anywhere_says_what_to_do(rclone_server: S3Server) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        S3Backend(rclone_server.settings()).list_buckets()
    assert "AWS_ACCESS_KEY_ID" in caught.value.hint
