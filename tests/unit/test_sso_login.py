"""IAM Identity Center sign-in: the device authorization flow against a stubbed sso-oidc.

botocore's Stubber replays the service's answers; a fake clock and wait stand in for time,
so no test sleeps. The token file must be the one botocore's own SSO token loader reads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import ANY, Stubber
from botocore.utils import JSONFileCache, SSOTokenLoader

from cloudbrowser.core.backends.s3.aws_auth import (
    DeviceCode,
    SsoSession,
    sso_device_login,
    sso_session,
    sso_token_valid,
)
from cloudbrowser.core.errors import Cancelled, InvalidCredentials

START_URL = "https://corp.awsapps.com/start"
SSO = SsoSession(START_URL, "eu-west-1", "corp", ("sso:account:access",))


class Flow:
    """A stubbed sso-oidc client plus a fake clock; ``wait`` records each poll interval."""

    def __init__(self, expires_in: int = 600, interval: int = 2) -> None:
        self.client = botocore.session.Session().create_client(
            "sso-oidc", region_name="eu-west-1", config=Config(signature_version=UNSIGNED)
        )
        self.stub = Stubber(self.client)
        self.now = 1000.0
        self.waits: list[float] = []
        self.codes: list[DeviceCode] = []
        self.cancel = threading.Event()
        self.stub.add_response(
            "register_client",
            {"clientId": "cid", "clientSecret": "csecret", "clientSecretExpiresAt": 4102444800},
            {
                "clientName": "cloudbrowser",
                "clientType": "public",
                "scopes": ["sso:account:access"],
            },
        )
        self.stub.add_response(
            "start_device_authorization",
            {
                "deviceCode": "dev-code",
                "userCode": "ABCD-EFGH",
                "verificationUri": "https://device.sso.eu-west-1.amazonaws.com/",
                "verificationUriComplete": "https://device.sso.eu-west-1.amazonaws.com/?code=X",
                "expiresIn": expires_in,
                "interval": interval,
            },
            {"clientId": "cid", "clientSecret": "csecret", "startUrl": START_URL},
        )

    def pending(self, code: str = "AuthorizationPendingException") -> None:
        self.stub.add_client_error("create_token", service_error_code=code, http_status_code=400)

    def token(self) -> None:
        self.stub.add_response(
            "create_token",
            {"accessToken": "the-access-token", "expiresIn": 28800, "refreshToken": "refresh"},
            {
                "grantType": "urn:ietf:params:oauth:grant-type:device_code",
                "deviceCode": "dev-code",
                "clientId": "cid",
                "clientSecret": ANY,
            },
        )

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return self.cancel.is_set()

    def run(self, cache_dir: Path | None) -> Path:
        with self.stub:
            return sso_device_login(
                SSO,
                on_code=self.codes.append,
                cancel=self.cancel,
                client=self.client,
                cache_dir=cache_dir,
                wait=self.wait,
                clock=lambda: self.now,
            )


@pytest.fixture
def cache_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "sso-cache"


def test_success_writes_the_token_where_botocore_reads_it(cache_dir: Path) -> None:
    flow = Flow()
    flow.token()
    path = flow.run(cache_dir)
    assert path == cache_dir / (hashlib.sha1(b"corp").hexdigest() + ".json")
    assert flow.codes[0].user_code == "ABCD-EFGH"
    assert flow.codes[0].verification_uri_complete.endswith("?code=X")
    data: dict[str, Any] = json.loads(path.read_text())
    assert data["startUrl"] == START_URL and data["region"] == "eu-west-1"
    assert data["accessToken"] == "the-access-token" and data["refreshToken"] == "refresh"
    assert data["expiresAt"].endswith("Z") and data["registrationExpiresAt"].startswith("2100")
    assert path.stat().st_mode & 0o077 == 0  # a bearer token: private to the user
    # botocore's own loader accepts it, keyed by the session name.
    loaded = SSOTokenLoader(JSONFileCache(str(cache_dir)))(START_URL, session_name="corp")
    assert loaded["accessToken"] == "the-access-token"
    assert sso_token_valid(SSO, cache_dir=cache_dir)


def test_authorization_pending_then_success(cache_dir: Path) -> None:
    flow = Flow(interval=3)
    flow.pending()
    flow.pending()
    flow.token()
    flow.run(cache_dir)
    assert flow.waits == [3, 3, 3]
    flow.stub.assert_no_pending_responses()


def test_slow_down_polls_less_often(cache_dir: Path) -> None:
    flow = Flow(interval=2)
    flow.pending("SlowDownException")
    flow.token()
    flow.run(cache_dir)
    assert flow.waits == [2, 7]


def test_code_expiry_is_a_clear_error(cache_dir: Path) -> None:
    flow = Flow(expires_in=5, interval=2)
    flow.pending()
    flow.pending()
    with pytest.raises(InvalidCredentials, match="expired") as caught:
        flow.run(cache_dir)
    assert "approve" in caught.value.hint
    assert not cache_dir.exists()


def test_service_says_expired(cache_dir: Path) -> None:
    flow = Flow()
    flow.pending("ExpiredTokenException")
    with pytest.raises(InvalidCredentials, match="expired"):
        flow.run(cache_dir)


def test_cancel_stops_polling(cache_dir: Path) -> None:
    flow = Flow()
    flow.pending()
    flow.cancel.set()
    with pytest.raises(Cancelled):
        flow.run(cache_dir)
    assert not cache_dir.exists()


def test_denied_in_the_browser(cache_dir: Path) -> None:
    flow = Flow()
    flow.pending("AccessDeniedException")
    with pytest.raises(InvalidCredentials, match="denied"):
        flow.run(cache_dir)


def test_sso_settings_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "aws-config").write_text(
        "[profile new]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
        f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n"
        f"[profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
        "sso_account_id = 1\nsso_role_name = R\n"
        "[profile plain]\nregion = us-east-1\n"
    )
    assert sso_session("new") == SSO
    legacy = sso_session("legacy")
    assert legacy == SsoSession(START_URL, "us-east-1")
    assert legacy is not None
    assert (
        legacy.cache_path(tmp_path).name == hashlib.sha1(START_URL.encode()).hexdigest() + ".json"
    )
    assert sso_session("plain") is None
    assert not sso_token_valid(legacy, cache_dir=tmp_path)
