"""An S3-compatible endpoint with the keys in AWS's usual variables: the command takes
them as botocore's chain would (its environment provider comes first), so that it can run
without loading botocore; a named profile, or keys only half given, stay botocore's."""

from __future__ import annotations

import argparse

import pytest

from cloudbrowser.cli.app import build_parser
from cloudbrowser.cli.connect import resolve_flags

AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["ls", "s3://bucket/key", *argv])


def test_the_environments_keys_are_the_connections_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-0123")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    credentials = resolve_flags(parse("--endpoint", "http://127.0.0.1:9000")).credentials
    assert credentials is not None
    assert credentials.access_key_id == "env-key"
    assert credentials.secret_access_key == "env-secret-0123"
    assert credentials.session_token == "env-token"


@pytest.mark.parametrize(
    ("variables", "argv"),
    [
        ({"AWS_PROFILE": "work"}, ["--endpoint", "http://127.0.0.1:9000"]),
        ({"AWS_DEFAULT_PROFILE": "work"}, ["--endpoint", "http://127.0.0.1:9000"]),
        ({"AWS_SECRET_ACCESS_KEY": ""}, ["--endpoint", "http://127.0.0.1:9000"]),
        ({}, ["--endpoint", "http://127.0.0.1:9000", "--anonymous"]),
        ({}, []),  # AWS itself: endpoint rules, regions and the config are botocore's
    ],
)
def test_otherwise_the_keys_are_botocores_to_find(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], argv: list[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-0123")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert resolve_flags(parse(*argv)).credentials is None


def test_keys_given_with_the_flag_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-0123")
    monkeypatch.setenv("CLOUDBROWSER_SECRET_ACCESS_KEY", "flag-secret-0123")
    argv = ["--endpoint", "http://127.0.0.1:9000", "--access-key-id", "flag-key"]
    credentials = resolve_flags(parse(*argv)).credentials
    assert credentials is not None
    assert (credentials.access_key_id, credentials.secret_access_key) == (
        "flag-key",
        "flag-secret-0123",
    )
