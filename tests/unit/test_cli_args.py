"""The command line: secrets never come from arguments; bad combinations are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cloudbrowser import __version__
from cloudbrowser.__main__ import (
    SECRET_ENV,
    build_parser,
    main,
    names_a_connection,
    settings_from_args,
)
from cloudbrowser.core.errors import ConfigError


def parse(*argv: str) -> object:
    return build_parser().parse_args(list(argv))


def test_endpoint_defaults_to_path_style_and_a_region() -> None:
    settings, credentials = settings_from_args(parse("--endpoint", "http://127.0.0.1:9000"))
    assert settings.endpoint_url == "http://127.0.0.1:9000"
    assert settings.addressing_style == "path"
    assert settings.region == "us-east-1"
    assert credentials is None  # botocore's chain (environment, AWS config) decides


def test_access_key_id_takes_the_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-the-environment-0123")
    _, credentials = settings_from_args(parse("--access-key-id", "my-access-key-id"))
    assert credentials is not None
    assert credentials.secret_access_key == "from-the-environment-0123"
    assert "from-the-environment" not in repr(credentials)


def test_access_key_id_without_secret_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=SECRET_ENV):
        settings_from_args(parse("--access-key-id", "my-access-key-id"))
    assert main(["--access-key-id", "my-access-key-id"]) == 2


def test_profile_and_tls_options() -> None:
    settings, _ = settings_from_args(parse("--profile", "work", "--ca-bundle", "/tmp/ca.pem"))
    assert settings.aws_profile == "work" and settings.verify_tls == "/tmp/ca.pem"
    settings, _ = settings_from_args(parse("--no-verify-tls", "--anonymous"))
    assert settings.verify_tls is False and settings.anonymous


def test_demo_refuses_another_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--demo", "--endpoint", "http://127.0.0.1:1"])
    assert caught.value.code == 2
    assert "--demo brings its own server" in capsys.readouterr().err


def test_help_and_version_do_not_import_qt() -> None:
    code = (
        "import sys; from cloudbrowser.__main__ import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('PySide6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [f"cloudbrowser {__version__}", "False"]


def test_connection_by_name_is_not_a_connection_description(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = parse("-c", "work", "bucket/prefix/")
    assert args.connection == "work" and args.location == "bucket/prefix/"
    assert not names_a_connection(args)
    assert not names_a_connection(parse())  # the window restores the last session instead
    assert names_a_connection(parse("--endpoint", "http://127.0.0.1:9000"))
    monkeypatch.setenv("AWS_PROFILE", "set-in-every-shell")
    assert not names_a_connection(parse())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    assert names_a_connection(parse())  # Amazon S3 with these keys, as before
    assert not names_a_connection(args)
    assert not names_a_connection(parse("--demo"))  # the demo still wins


@pytest.mark.parametrize(
    "argv",
    [
        ["--connection", "work", "--endpoint", "http://127.0.0.1:1"],
        ["-c", "work", "--profile", "p"],
        ["--demo", "-c", "work"],
    ],
)
def test_connection_by_name_excludes_other_sources(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "leave out" in capsys.readouterr().err
