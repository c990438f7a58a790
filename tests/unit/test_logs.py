"""The log file: where it goes, what level, and that no secret is ever written to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.logs import (
    REDACTED,
    log_path,
    redact,
    register_secret,
    remove_handlers,
    setup_logging,
)
from cloudbrowser.core.secrets import SecretStore

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN"


@pytest.fixture
def logging_to_file() -> Iterator[Path]:
    saved = (logging.getLogger().level, logging.getLogger("cloudbrowser").level)
    path = setup_logging(2, stderr=False)
    yield path
    remove_handlers()
    logging.getLogger().setLevel(saved[0])
    logging.getLogger("cloudbrowser").setLevel(saved[1])


def test_the_log_file_is_in_the_log_dir_from_the_environment(tmp_path: Path) -> None:
    # conftest points CLOUDBROWSER_LOG_DIR at tmp_path/cb-log.
    assert log_path() == tmp_path / "cb-log" / "cloudbrowser.log"


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/"
        "aws4_request, SignedHeaders=host, Signature=" + "ab12" * 16,
        "{'Authorization': b'AWS4-HMAC-SHA256 Credential=AKID/x, Signature=" + "cd34" * 16 + "'}",
        "{'X-Amz-Security-Token': b'" + TOKEN + "', 'x-amz-date': b'20240101T000000Z'}",
        "https://b.s3.amazonaws.com/k?X-Amz-Signature=" + "ef56" * 16 + "&X-Amz-Expires=60",
        "https://b.s3.amazonaws.com/k?Signature=abcDEF123%2B&Expires=1700000000",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SessionToken": "x1"}',
    ],
)
def test_secret_looking_values_are_redacted(text: str) -> None:
    out = redact(text)
    assert REDACTED in out
    for secret in ("ab12ab12", "cd34cd34", TOKEN, "ef56ef56", "abcDEF123", "wJalrXUtn", '"x1"'):
        assert secret not in out


def test_what_is_not_secret_stays_readable() -> None:
    text = "listing demo-logs/events/ page 3 (1000 keys) in 0.12 s; SignedHeaders=host"
    assert redact(text) == text


def test_every_credentials_secret_is_registered_wherever_it_appears() -> None:
    Credentials("AKIDREGISTERED", "a-secret-without-a-name-0123", "a-session-token-0123")
    out = redact("boom: a-secret-without-a-name-0123 / a-session-token-0123")
    assert "a-secret-without" not in out and "a-session-token" not in out
    assert out == f"boom: {REDACTED} / {REDACTED}"


def test_keyring_secrets_are_registered() -> None:
    SecretStore().set("lab", "stored-in-the-keyring-4567")
    assert "stored-in-the-keyring" not in redact("value stored-in-the-keyring-4567")


def test_register_ignores_empty_and_tiny_strings() -> None:
    register_secret("")
    register_secret("ab")
    assert redact("a tab b") == "a tab b"


def test_nothing_secret_reaches_the_file_even_in_a_traceback(logging_to_file: Path) -> None:
    creds = Credentials("AKIDTRACE", SECRET, TOKEN)
    log = logging.getLogger("cloudbrowser.test")
    log.info("connecting with %r", creds)  # the repr masks it already
    log.debug("headers: %s", {"Authorization": "AWS4-HMAC-SHA256 Signature=deadbeef" * 2})
    try:
        raise ValueError(f"bad secret {SECRET} and token {TOKEN}")
    except ValueError:
        log.exception("it failed")
    logging.getLogger("botocore.endpoint").debug("aws_session_token=%s", TOKEN)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = logging_to_file.read_text(encoding="utf-8")
    assert "ValueError: bad secret [redacted] and token [redacted]" in text
    assert "it failed" in text and "AKIDTRACE" in text
    for secret in (SECRET, TOKEN, "deadbeef"):
        assert secret not in text


def test_default_level_is_warning(tmp_path: Path) -> None:
    saved = (logging.getLogger().level, logging.getLogger("cloudbrowser").level)
    path = setup_logging(0, stderr=False)
    try:
        logging.getLogger("cloudbrowser.x").info("an info line")
        logging.getLogger("cloudbrowser.x").warning("a warning line")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
    finally:
        remove_handlers()
        logging.getLogger().setLevel(saved[0])
        logging.getLogger("cloudbrowser").setLevel(saved[1])
    assert "a warning line" in text and "an info line" not in text
