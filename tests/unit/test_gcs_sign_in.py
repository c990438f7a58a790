"""GCS sign-in door: application default credentials found where google-auth looks,
service-account keys checked with precise messages, and the browser sign-in with the user's
own OAuth client (PKCE, loopback redirect) against a stub token endpoint on 127.0.0.1.

Keys are made in the test; what the door accepts is loaded by google-auth itself, so the
text that goes to the keyring is known to be usable by the backend.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from cloudbrowser.core.backends.gcs.sign_in import (
    OAuthClient,
    adc_path,
    browser_sign_in,
    find_adc,
    gcloud_config_dir,
    parse_credentials,
    read_oauth_client,
    read_service_account_key,
)
from cloudbrowser.core.errors import Cancelled, ConfigError, InvalidCredentials

EMAIL = "robot@my-project.iam.gserviceaccount.com"


def service_account_key(project: str = "my-project") -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0123abcd",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


#: As ``gcloud auth application-default login`` writes it.
USER_ADC = {
    "account": "",
    "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
    "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
    "quota_project_id": "quota-project",
    "refresh_token": "1//refresh-token",
    "type": "authorized_user",
    "universe_domain": "googleapis.com",
}


# ── application default credentials ─────────────────────────────────────────────────────


def test_adc_is_looked_for_where_google_auth_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path("~").expanduser()
    assert adc_path({}) == home / ".config/gcloud/application_default_credentials.json"
    assert adc_path({"CLOUDSDK_CONFIG": "/etc/gc"}) == Path(
        "/etc/gc/application_default_credentials.json"
    )
    assert adc_path({"GOOGLE_APPLICATION_CREDENTIALS": "/k.json", "CLOUDSDK_CONFIG": "/x"}) == (
        Path("/k.json")
    )
    monkeypatch.setattr(sys, "platform", "win32")
    windows = gcloud_config_dir({"APPDATA": "C:\\Users\\me\\AppData\\Roaming"})
    assert str(windows).replace("\\", "/").endswith("C:/Users/me/AppData/Roaming/gcloud")


def test_no_adc_file_is_none_and_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    assert find_adc({"CLOUDSDK_CONFIG": str(tmp_path)}) is None
    with pytest.raises(ConfigError, match="does not exist") as caught:
        find_adc({"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "gone.json")})
    assert "gcloud auth application-default login" in caught.value.hint


def test_a_user_adc_file_is_described(tmp_path: Path) -> None:
    (tmp_path / "application_default_credentials.json").write_text(json.dumps(USER_ADC))
    found = find_adc({"CLOUDSDK_CONFIG": str(tmp_path)})
    assert found is not None
    assert (found.type, found.kind_label, found.project) == (
        "authorized_user",
        "user account",
        "quota-project",
    )
    assert found.path == str(tmp_path / "application_default_credentials.json")
    assert not found.is_service_account


def test_a_service_account_named_by_the_variable_is_described(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(service_account_key("sa-project")))
    found = find_adc({"GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    assert found is not None
    assert (found.kind_label, found.account, found.project) == (
        "service account",
        EMAIL,
        "sa-project",
    )


def test_impersonation_names_the_impersonated_account() -> None:
    found = parse_credentials(
        json.dumps(
            {
                "type": "impersonated_service_account",
                "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
                f"projects/-/serviceAccounts/{EMAIL}:generateAccessToken",
                "source_credentials": USER_ADC,
            }
        )
    )
    assert found.account == EMAIL
    assert found.is_service_account


# ── service-account keys ────────────────────────────────────────────────────────────────


def test_a_service_account_key_is_accepted_and_usable_by_google_auth(tmp_path: Path) -> None:
    path = tmp_path / "my-project-0123abcd.json"
    path.write_text(json.dumps(service_account_key(), indent=2))
    found = read_service_account_key(path)
    assert (found.account, found.project) == (EMAIL, "my-project")
    assert found.text == path.read_text()
    loaded = service_account.Credentials.from_service_account_info(json.loads(found.text))
    assert loaded.service_account_email == EMAIL
    assert "BEGIN" not in repr(found)


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "picked.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def damaged_key() -> str:
    """A real key's PEM block with a stretch of its inside left out."""
    lines = service_account_key()["private_key"].strip().splitlines()
    return "\n".join([lines[0], *lines[1:4], *lines[8:]]) + "\n"


def test_bad_key_files_say_what_is_wrong(tmp_path: Path) -> None:
    good = json.dumps(service_account_key(), indent=2)
    cases: list[tuple[str | bytes, str]] = [
        ("hello, world", "is not JSON"),
        (good[: len(good) // 2], "ends too early: the file was cut short"),
        (b"0\x82\x0a\x1f\x02\x01\x03\xff\xfe", "is not a JSON file \\(it is binary\\)"),
        ("[1, 2]", "not Google credentials"),
        ('{"client_email": "x"}', "not Google credentials"),
        (json.dumps(USER_ADC), "not a service-account key but user account credentials"),
        (json.dumps({"type": "service_account", "client_email": EMAIL}), "without “private_key”"),
        (
            json.dumps({**service_account_key(), "private_key": "-----BEGIN PRIVATE KEY-----\nab"}),
            "private key in picked.json is damaged",
        ),
        (
            # The right first and last lines, its inside cut: readable only by loading it.
            json.dumps({**service_account_key(), "private_key": damaged_key()}),
            "private key in picked.json is damaged: it cannot be read",
        ),
        (" " * (300 * 1024), "far too large"),
    ]
    for content, message in cases:
        with pytest.raises(ConfigError, match=message):
            read_service_account_key(write(tmp_path, content))
    with pytest.raises(ConfigError, match="Cannot read"):
        read_service_account_key(tmp_path / "nothing-here.json")


def test_a_user_file_picked_as_a_key_points_at_application_default_credentials(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        read_service_account_key(write(tmp_path, json.dumps(USER_ADC)))
    assert "Application default credentials" in caught.value.hint


def test_an_oauth_client_file_from_the_console_is_read(tmp_path: Path) -> None:
    path = tmp_path / "client_secret_1.json"
    path.write_text(
        json.dumps({"installed": {"client_id": "cid", "client_secret": "cs", "token_uri": "t"}})
    )
    client = read_oauth_client(path)
    assert (client.client_id, client.client_secret, client.token_uri) == ("cid", "cs", "t")
    path.write_text(json.dumps(service_account_key()))
    with pytest.raises(ConfigError, match="not an OAuth client file"):
        read_oauth_client(path)


# ── browser sign-in ─────────────────────────────────────────────────────────────────────


class Google:
    """A stub of Google's token endpoint on 127.0.0.1 and a browser that approves (or
    refuses) the consent page by following the redirect, as a person would."""

    def __init__(self) -> None:
        self.challenge = ""
        self.exchanges: list[dict[str, str]] = []
        self.reply: tuple[int, dict[str, Any]] = (200, {})
        self.redirect_params: dict[str, str] = {"code": "the-code"}
        self.redirect_status: list[int] = []
        google = self

        class Token(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                google.exchanges.append({k: v[0] for k, v in form.items()})
                status, body = google.reply
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Token)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.client = OAuthClient(
            "my-client.apps.googleusercontent.com",
            "my-client-secret",
            auth_uri="https://accounts.example.test/o/oauth2/auth",
            token_uri=f"http://127.0.0.1:{self.server.server_address[1]}/token",
        )
        self.browser_threads: list[threading.Thread] = []

    def open_browser(self, url: str) -> bool:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        self.consent = query
        self.challenge = query["code_challenge"]

        def approve() -> None:
            redirect = query["redirect_uri"]
            # A stray request (a favicon) and a forged state come first: both are ignored.
            for extra in ("favicon.ico", "?state=forged&code=evil"):
                self.redirect_status.append(_get(redirect + extra))
            params = {**self.redirect_params, "state": query["state"]}
            self.redirect_status.append(_get(f"{redirect}?{urllib.parse.urlencode(params)}"))

        thread = threading.Thread(target=approve, daemon=True)
        thread.start()
        self.browser_threads.append(thread)
        return True

    def browser_done(self) -> None:
        """Wait until the browser has read every answer it was sent: the sign-in ends as
        soon as the redirect came, before the browser has read the page sent back."""
        for thread in self.browser_threads:
            thread.join(10)

    def close(self) -> None:
        self.browser_done()
        self.server.shutdown()
        self.server.server_close()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def id_token(email: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part({'email': email})}.signature"


@pytest.fixture
def google() -> Iterator[Google]:
    stub = Google()
    yield stub
    stub.close()


def test_browser_sign_in_with_pkce_gives_an_authorized_user_record(google: Google) -> None:
    google.reply = (
        200,
        {
            "access_token": "ya29.access",
            "refresh_token": "1//the-refresh-token",
            "id_token": id_token("me@example.com"),
            "expires_in": 3599,
        },
    )
    shown: list[str] = []
    signed_in = browser_sign_in(
        google.client,
        cancel=threading.Event(),
        open_browser=google.open_browser,
        on_url=shown.append,
        timeout=30,
    )
    consent = google.consent
    assert shown and shown[0].startswith("https://accounts.example.test/o/oauth2/auth?")
    assert consent["client_id"] == "my-client.apps.googleusercontent.com"
    assert consent["code_challenge_method"] == "S256"
    assert consent["access_type"] == "offline"
    assert "https://www.googleapis.com/auth/cloud-platform" in consent["scope"].split()
    assert consent["redirect_uri"].startswith("http://127.0.0.1:")
    # The stray and the forged requests were refused; the real redirect was answered.
    google.browser_done()
    assert google.redirect_status == [404, 404, 200]
    (exchange,) = google.exchanges
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code"] == "the-code"
    assert exchange["redirect_uri"] == consent["redirect_uri"]
    assert exchange["client_secret"] == "my-client-secret"
    verifier = exchange["code_verifier"]
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert digest.decode() == google.challenge
    assert (signed_in.client_id, signed_in.account) == (google.client.client_id, "me@example.com")
    record = json.loads(signed_in.record)
    assert record["type"] == "authorized_user"
    assert record["refresh_token"] == "1//the-refresh-token"
    assert record["token_uri"] == google.client.token_uri
    loaded = user_credentials.Credentials.from_authorized_user_info(record)
    assert (loaded.refresh_token, loaded.account) == ("1//the-refresh-token", "me@example.com")
    assert parse_credentials(signed_in.record).account == "me@example.com"


def test_refused_in_the_browser(google: Google) -> None:
    google.redirect_params = {"error": "access_denied"}
    with pytest.raises(InvalidCredentials, match="refused in the browser"):
        browser_sign_in(
            google.client, cancel=threading.Event(), open_browser=google.open_browser, timeout=30
        )
    assert google.exchanges == []


def test_a_wrong_client_secret_is_named(google: Google) -> None:
    google.reply = (401, {"error": "invalid_client", "error_description": "Unauthorized"})
    with pytest.raises(InvalidCredentials, match="OAuth client ID or secret") as caught:
        browser_sign_in(
            google.client, cancel=threading.Event(), open_browser=google.open_browser, timeout=30
        )
    assert caught.value.code == "invalid_client"


def test_no_refresh_token_is_an_error_not_a_connection_that_dies_in_an_hour(
    google: Google,
) -> None:
    google.reply = (200, {"access_token": "ya29.only", "expires_in": 3599})
    with pytest.raises(InvalidCredentials, match="no refresh token"):
        browser_sign_in(
            google.client, cancel=threading.Event(), open_browser=google.open_browser, timeout=30
        )


def test_cancel_stops_waiting_for_the_browser() -> None:
    cancel = threading.Event()
    client = OAuthClient("cid", "secret", token_uri="http://127.0.0.1:9/token")
    opened: list[str] = []

    def open_browser(url: str) -> bool:
        opened.append(url)
        cancel.set()  # the user pressed Cancel while the browser page was open
        return True

    with pytest.raises(Cancelled):
        browser_sign_in(client, cancel=cancel, open_browser=open_browser, timeout=60)
    # The loopback port is closed again: the redirect can no longer reach anything.
    redirect = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(opened[0]).query))
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(redirect["redirect_uri"], timeout=5)


def test_the_door_loads_no_sdk() -> None:
    """The connection dialog imports the door at start-up: no Google SDK, no boto3, no Qt
    (with the backend package's ``__init__`` too, which must stay as light)."""
    import subprocess

    code = (
        "import sys, cloudbrowser.core.backends.gcs.sign_in\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    top_level = set(json.loads(proc.stdout.replace("'", '"')))
    assert not top_level & {"google", "boto3", "botocore", "PySide6", "requests", "keyring"}
