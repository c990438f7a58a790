"""GCS credentials: which Google credentials each ``auth`` loads (from files and keys made
here, no Google account), the emulator's address, and the messages for bad key files and
refused replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from google.auth import exceptions as gauth
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from cloudbrowser.core.backends.gcs import auth
from cloudbrowser.core.backends.gcs.errors import reply_error, translate_exception
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import (
    AccessDenied,
    CloudBrowserError,
    InvalidCredentials,
    Throttled,
)
from tests.conftest import GCS_PROJECT, service_account_json

AUTHORIZED_USER = {
    "type": "authorized_user",
    "client_id": "client.apps.googleusercontent.com",
    "client_secret": "client-secret",
    "refresh_token": "refresh-token",
    "quota_project_id": "user-project",
}


def settings(**values: object) -> ConnectionSettings:
    return ConnectionSettings(kind="gcs", **values)  # type: ignore[arg-type]


def test_adc_reads_the_file_google_application_credentials_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "adc.json"
    key_file.write_text(service_account_json())
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    who = auth.identity(settings(auth="adc"), None, emulator=False)
    assert isinstance(who.credentials, service_account.Credentials)
    assert who.project == GCS_PROJECT
    assert who.signer is who.credentials  # a service account signs links itself


def test_adc_reads_the_well_known_file_gcloud_writes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "gcloud"
    config.mkdir()
    (config / "application_default_credentials.json").write_text(json.dumps(AUTHORIZED_USER))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(config))
    who = auth.identity(settings(), None, emulator=False)
    assert isinstance(who.credentials, user_credentials.Credentials)
    assert who.signer is None


def test_without_any_credentials_adc_says_what_to_run() -> None:
    with pytest.raises(InvalidCredentials, match="No Google credentials") as raised:
        auth.identity(settings(auth="adc"), None, emulator=False)
    assert "gcloud auth application-default login" in raised.value.hint


def damaged_private_key() -> str:
    key = json.loads(service_account_json())
    pem = key["private_key"]
    key["private_key"] = pem[:200] + "AAAA" + pem[204:]  # still a PEM block, not a key
    return json.dumps(key)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "which does not exist"),
        ('{"type": "authorized_user", "client_id": ', "cut short"),
        (damaged_private_key(), "private key in adc.json is damaged"),
    ],
    ids=["missing", "cut short", "damaged key"],
)
def test_a_bad_adc_file_is_named_rather_than_called_missing(
    text: str | None, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # google-auth calls each of these "not found", and the hint then said to set the very
    # variable that was set.
    key_file = tmp_path / "adc.json"
    if text is not None:
        key_file.write_text(text)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    with pytest.raises(CloudBrowserError) as raised:
        auth.identity(settings(auth="adc"), None, emulator=False)
    assert said in raised.value.message
    assert "No Google credentials" not in raised.value.message
    assert "set GOOGLE_APPLICATION_CREDENTIALS" not in raised.value.hint
    assert raised.value.detail  # google-auth's own words, for the details


def test_a_service_account_key_from_the_keyring(tmp_path: Path) -> None:
    secret = Credentials("tester@test-project.iam.gserviceaccount.com", service_account_json())
    who = auth.identity(settings(auth="service_account", project="other"), secret, emulator=False)
    assert isinstance(who.credentials, service_account.Credentials)
    assert who.project == "other"  # the connection's project wins over the key's


def test_an_oauth_sign_in_record(tmp_path: Path) -> None:
    secret = Credentials(AUTHORIZED_USER["client_id"], json.dumps(AUTHORIZED_USER))
    who = auth.identity(settings(auth="oauth"), secret, emulator=False)
    assert isinstance(who.credentials, user_credentials.Credentials)
    assert who.project == "user-project"


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"type": "service_account"}'])
def test_a_bad_key_file_is_named_as_such(text: str) -> None:
    with pytest.raises(InvalidCredentials) as raised:
        auth.identity(settings(auth="service_account"), Credentials("x", text), emulator=False)
    assert raised.value.code == "BadKeyFile"


def test_the_emulator_host_is_honoured_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")
    assert auth.endpoint(settings()) == ("http://127.0.0.1:4443", True)
    assert auth.identity(settings(), None, emulator=True).credentials is None  # unsigned
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    assert auth.endpoint(settings()) == ("https://storage.googleapis.com", False)


def reply(status: int, reason: str, message: str) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
    made._content = json.dumps(body).encode()
    return made


def test_refused_bucket_listing_suggests_a_default_bucket() -> None:
    error = reply_error(reply(403, "forbidden", "no storage.buckets.list"), listing_buckets=True)
    assert isinstance(error, AccessDenied)
    assert "default bucket" in error.hint


def test_expired_credentials_say_so() -> None:
    error = reply_error(reply(401, "authError", "Invalid Credentials"), bucket="b")
    assert isinstance(error, InvalidCredentials)
    assert "expired or revoked" in error.message


def test_an_anonymous_request_refused_says_so_rather_than_blame_credentials() -> None:
    """GCS answers 401 to an unsigned request for what is not public: it was called
    credentials that are "not valid, expired or revoked", on a connection without any."""
    refused = reply(401, "required", "Anonymous caller does not have storage.objects.list access")
    error = reply_error(refused, bucket="private-bkt")
    assert isinstance(error, AccessDenied)
    assert "without credentials" in error.message and "not public" in error.message
    assert "expired" not in error.message
    listing = reply_error(refused, listing_buckets=True)
    assert "a project's buckets" in listing.message


def test_a_token_endpoint_that_is_down_is_a_passing_failure_not_a_revoked_sign_in() -> None:
    """google-auth marks a renewal that met a 5xx (after its own tries) retryable: the
    sign-in is fine, and the transfer is tried again by itself."""
    down = gauth.RefreshError("Internal error", {"error": "internal_failure"}, retryable=True)
    error = translate_exception(down, renew_hint=auth.RENEW_ADC)
    assert isinstance(error, Throttled) and error.retryable
    assert "expired" not in error.message and "Sign in" not in error.hint
    refused = gauth.RefreshError("invalid_grant: Token has been expired or revoked.")
    error = translate_exception(refused, renew_hint=auth.RENEW_ADC)
    assert isinstance(error, InvalidCredentials) and not error.retryable
    assert error.hint == auth.RENEW_ADC
