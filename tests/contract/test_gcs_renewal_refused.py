"""Google refusing to renew a connection's access token (``invalid_grant``: a person's
sign-in revoked or expired, a service-account key deleted or disabled), as its token
endpoint answers (``tests/gcs_stub.SoftDeleteGcs.refuse_grants``): what the user is told
says how to sign in again for the credentials the connection has — not "unreachable" —
and no storage request goes out with a token that is not there. The command line's
message: tests/cli/test_gcs_links.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.oauth2 import credentials as user_credentials

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.gcs.sign_in import ADC_COMMAND
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import InvalidCredentials
from cloudbrowser.core.storage import Storage
from tests.conftest import service_account_json
from tests.gcs_stub import SoftDeleteGcs

#: What Google says of a refresh token that was revoked, or expired (a test app's after 7
#: days, a Workspace session's policy), and of a JWT signed by a key that was deleted.
REVOKED = "Token has been expired or revoked."
KEY_GONE = "Invalid JWT Signature."

#: A person's sign-in, as gcloud and the browser sign-in write it.
USER = {
    "type": "authorized_user",
    "client_id": "cid.apps.googleusercontent.com",
    "client_secret": "client-secret",
    "refresh_token": "1//revoked-refresh",
}


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftDeleteGcs]:
    """Google's token endpoint and the storage API, stubbed; every grant refused."""
    with SoftDeleteGcs() as stub:
        stub.refuse_grants = REVOKED
        # google-auth sends a person's renewal to Google's endpoint whatever the record says.
        monkeypatch.setattr(user_credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", f"{stub.url}/token")
        monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
        yield stub


def key_of(stub: SoftDeleteGcs) -> dict[str, Any]:
    key: dict[str, Any] = json.loads(service_account_json())
    key["token_uri"] = f"{stub.url}/token"
    return key


def adc_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: dict[str, Any]) -> None:
    path = tmp_path / "application_default_credentials.json"
    path.write_text(json.dumps(content))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))


def connection(stub: SoftDeleteGcs, auth: str, secret: dict[str, Any] | None) -> Storage:
    settings = ConnectionSettings(
        name="refused", kind="gcs", endpoint_url=stub.url, auth=auth, max_attempts=1
    )
    credentials = None if secret is None else Credentials("someone", json.dumps(secret))
    return open_storage(settings, credentials, page_size=1000)


Make = Callable[[SoftDeleteGcs, Path, pytest.MonkeyPatch], Storage]


def adc_user(stub: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    adc_file(tmp_path, monkeypatch, USER)
    return connection(stub, "adc", None)


def adc_key(stub: SoftDeleteGcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Storage:
    stub.refuse_grants = KEY_GONE
    adc_file(tmp_path, monkeypatch, key_of(stub))
    return connection(stub, "adc", None)


def browser(stub: SoftDeleteGcs, _tmp_path: Path, _monkeypatch: pytest.MonkeyPatch) -> Storage:
    return connection(stub, "oauth", USER)


def saved_key(stub: SoftDeleteGcs, _tmp_path: Path, _monkeypatch: pytest.MonkeyPatch) -> Storage:
    stub.refuse_grants = KEY_GONE
    return connection(stub, "service_account", key_of(stub))


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        pytest.param(adc_user, f"Sign in again: run “{ADC_COMMAND}”.", id="adc-person"),
        pytest.param(browser, "“Sign in in the browser…”", id="browser-sign-in"),
        pytest.param(saved_key, "choose a current service-account key file", id="key"),
        pytest.param(adc_key, "choose a current service-account key file", id="adc-key"),
    ],
)
def test_a_refused_renewal_says_how_to_sign_in_again_for_those_credentials(
    google: SoftDeleteGcs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Make,
    hint: str,
) -> None:
    storage = make(google, tmp_path, monkeypatch)
    google.bucket("bkt")
    # A listing and a read (the fast path renews on its own: fast.py) say the same.
    for request in (
        lambda: storage.list_page("bkt", ""),
        lambda: storage.get_object("bkt", "k.txt"),
    ):
        with pytest.raises(InvalidCredentials) as raised:
            request()
        error = raised.value
        assert error.message == (
            "Google refused to renew the sign-in: the credentials are expired or revoked."
        )
        assert hint in error.hint
        assert "invalid_grant" in error.detail and error.code == "RefreshError"
    assert google.token_requests, "the renewal was asked for"
    assert [path for _method, path in google.requests if path != "/token"] == []
