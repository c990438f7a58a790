"""Where the command line gets a connection's secret, and what it says when it cannot:
never a prompt in a script, always the window's message and a hint that works here."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from cloudbrowser.cli.progress import format_eta, format_line
from tests.cli.helpers import Cli
from tests.cli.test_ls import save_connection
from tests.conftest import REGION, S3Server


def test_no_keyring_a_script_gets_the_reason_and_the_variable_to_set(
    cli: Cli, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_connection(server)  # the secret goes into the in-memory keyring...
    keyring.set_keyring(FailKeyring())  # ...which is then gone, as on a bare server
    monkeypatch.delenv("CLOUDBROWSER_SECRET_ACCESS_KEY")
    result = cli("ls", "-c", "local", connect=False)
    assert result.code == 3
    assert "No usable system keyring" in result.err
    assert "CLOUDBROWSER_SECRET_ACCESS_KEY" in result.err

    monkeypatch.setenv("CLOUDBROWSER_SECRET_ACCESS_KEY", server.credentials.secret_access_key)
    bucket = server.bucket()
    assert cli("ls", "-c", "local", f"s3://{bucket}", connect=False).code == 0


def test_a_saved_connection_without_a_stored_secret(
    cli: Cli, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = save_connection(server)
    from cloudbrowser.core.profiles import ProfileStore

    ProfileStore().secrets.delete(f"profile:{profile.id}")
    monkeypatch.delenv("CLOUDBROWSER_SECRET_ACCESS_KEY")
    result = cli("ls", "-c", "local", connect=False)
    assert result.code == 3
    assert "No secret key is stored for “local”." in result.err


def test_an_sso_profile_without_a_sign_in_fails_in_a_script(cli: Cli) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\n"
        f"sso_role_name = Reader\nregion = {REGION}\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        f"sso_region = {REGION}\n",
        encoding="utf-8",
    )
    result = cli("ls", "-c", "corp", connect=False)
    assert result.code == 3
    assert "needs an IAM Identity Center (SSO) sign-in" in result.err
    assert "aws sso login --profile corp" in result.err


def test_connection_and_flags_together_are_a_usage_error(cli: Cli, server: S3Server) -> None:
    save_connection(server)
    result = cli("ls", "-c", "local")  # plus --endpoint from the fixture
    assert result.code == 2 and "leave out --endpoint" in result.err


def test_progress_line() -> None:
    line = format_line(12 * 2**20, 40 * 2**20, 8 * 2**20, 3, 10)
    assert line == "12.0 MiB / 40.0 MiB   30%  8.0 MiB/s  ETA 0:04  3/10 files"
    assert format_eta(3725) == "1:02:05"
    assert "ETA -:--" in format_line(0, 100, 0.0, 0, 1)


def test_no_keyring_on_a_terminal_asks_for_the_secret_once(
    cli: Cli, server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass
    import sys

    save_connection(server)
    keyring.set_keyring(FailKeyring())
    monkeypatch.delenv("CLOUDBROWSER_SECRET_ACCESS_KEY")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []

    def typed(prompt: str) -> str:
        asked.append(prompt)
        return server.credentials.secret_access_key

    monkeypatch.setattr(getpass, "getpass", typed)
    bucket = server.bucket()
    result = cli("ls", "-c", "local", f"s3://{bucket}", connect=False)
    assert result.code == 0, result.err
    assert len(asked) == 1 and "Secret access key for “local”" in asked[0]
