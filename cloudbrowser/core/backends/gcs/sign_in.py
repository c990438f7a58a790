"""Google credentials for a GCS connection: what the connection dialog and the CLI show.

The sign-in door of the GCS backend (like ``backends/s3/aws_auth.py``): the window and the
CLI may import it, nothing else of the package. Standard library only, so that the
connection dialog loads no Google SDK; the backend itself hands the JSON to google-auth.

* **Application default credentials** (:func:`find_adc`): the file
  ``gcloud auth application-default login`` writes, found where google-auth looks
  (``GOOGLE_APPLICATION_CREDENTIALS``, else ``application_default_credentials.json`` in
  gcloud's config dir), described for the dialog (user or service account, project).
* **Service-account keys** (:func:`read_service_account_key`): the JSON file the user
  picks, checked with a precise message for a file that is not one; its text then goes to
  the keyring (``ProfileStore.set_secret``), never into ``connections.json``.
* **Browser sign-in with the user's own OAuth client** (:func:`browser_sign_in`): the
  installed-app flow (RFC 8252) with PKCE (RFC 7636) and a loopback redirect on 127.0.0.1;
  its result is an ``authorized_user`` record, the same JSON gcloud writes for ADC.
  cloudbrowser ships no OAuth client of its own: Google may block a shared one for every
  user at once (it did to Cyberduck's in 2024).

Functions that read files or wait for the browser block: call them on a worker.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudbrowser.core.errors import (
    Cancelled,
    ConfigError,
    EndpointUnreachable,
    InvalidCredentials,
    RequestTimeout,
)

#: What google-auth reads first, then gcloud's well-known file.
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
#: gcloud's config dir when set (google-auth honours it too).
CLOUDSDK_CONFIG_ENV = "CLOUDSDK_CONFIG"
ADC_FILE = "application_default_credentials.json"
#: How to create application default credentials, for messages.
ADC_COMMAND = "gcloud auth application-default login"

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
#: Storage, and the IAM signBlob call that signs share links for user credentials; "email"
#: names the account in the dialog.
OAUTH_SCOPES = ("openid", "email", "https://www.googleapis.com/auth/cloud-platform")
#: A credentials file is a few kilobytes; anything much larger is not one (a wrong pick).
_MAX_FILE = 256 * 1024
_SIGN_IN_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class GoogleCredentials:
    """A Google credentials JSON and what it says about itself (for the dialog).

    ``type`` is the file's own: "authorized_user" (a person, from gcloud or our sign-in),
    "service_account", "external_account" (workload identity federation),
    "impersonated_service_account". ``account`` is the email (or client id) where the file
    names one, ``project`` its project (``project_id``, else ``quota_project_id``).
    """

    type: str
    account: str = ""
    project: str = ""
    #: Where it was read ("" when it did not come from a file).
    path: str = ""
    text: str = field(default="", repr=False)

    @property
    def is_service_account(self) -> bool:
        return self.type in ("service_account", "impersonated_service_account")

    @property
    def kind_label(self) -> str:
        """The kind of account, in words."""
        return {
            "authorized_user": "user account",
            "service_account": "service account",
            "impersonated_service_account": "impersonated service account",
            "external_account": "workload identity federation",
            "external_account_authorized_user": "workforce identity federation",
        }.get(self.type, self.type)


# ── application default credentials ─────────────────────────────────────────────────────


def gcloud_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """gcloud's config dir as google-auth computes it: ``CLOUDSDK_CONFIG``, else
    ``%APPDATA%\\gcloud`` on Windows, ``~/.config/gcloud`` elsewhere."""
    env = os.environ if env is None else env
    configured = env.get(CLOUDSDK_CONFIG_ENV, "")
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        appdata = env.get("APPDATA") or env.get("SystemDrive", "C:") + "\\"
        return Path(appdata) / "gcloud"
    return Path("~/.config/gcloud").expanduser()


def adc_path(env: Mapping[str, str] | None = None) -> Path:
    """The file application default credentials come from: ``GOOGLE_APPLICATION_CREDENTIALS``
    when set, else gcloud's well-known file (which may not exist)."""
    env = os.environ if env is None else env
    explicit = env.get(CREDENTIALS_ENV, "")
    if explicit:
        return Path(explicit).expanduser()
    return gcloud_config_dir(env) / ADC_FILE


def find_adc(env: Mapping[str, str] | None = None) -> GoogleCredentials | None:
    """The application default credentials file, described; None when there is none.

    Raises ConfigError when ``GOOGLE_APPLICATION_CREDENTIALS`` names a file that does not
    exist (google-auth refuses then too, rather than fall back), or the file is damaged.
    On Google Cloud (a VM, Cloud Run) without a file, google-auth asks the metadata server:
    None here means only "no file".
    """
    env = os.environ if env is None else env
    path = adc_path(env)
    if not path.is_file():
        if env.get(CREDENTIALS_ENV):
            raise ConfigError(
                f"{CREDENTIALS_ENV} names {path}, which does not exist.",
                hint=f"Point it at a credentials JSON file, or unset it to use “{ADC_COMMAND}”.",
            )
        return None
    return parse_credentials(_read(path), str(path))


def no_adc_hint(env: Mapping[str, str] | None = None) -> str:
    """What to do when there are no application default credentials."""
    return (
        f"Run “{ADC_COMMAND}” (it writes {adc_path(env)}), or set {CREDENTIALS_ENV} to a "
        "credentials file."
    )


# ── credentials files ───────────────────────────────────────────────────────────────────


def _read(path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_FILE + 1)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read {path}.", hint="Check that the file exists and you may read it.",
            detail=str(exc),
        ) from None  # fmt: skip
    if len(data) > _MAX_FILE:
        raise ConfigError(
            f"{path.name} is not a Google credentials file: it is far too large.",
            hint="Choose the JSON key file you downloaded from the Google Cloud console.",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path.name} is not a JSON file (it is binary).",
            hint="A .p12 key cannot be used: create a JSON key for the service account "
            "(IAM & Admin → Service accounts → Keys → Add key → JSON).",
        ) from None


def parse_credentials(text: str, path: str = "") -> GoogleCredentials:
    """A Google credentials JSON of any type, described. Raises ConfigError saying what is
    wrong with it (not JSON, cut short, not credentials)."""
    name = Path(path).name if path else "The credentials"
    try:
        data = json.loads(text)
    except ValueError as exc:
        body = text.strip()
        # Cut short: an object that never closes (the error may point inside a string).
        truncated = body.startswith("{") and not body.endswith("}")
        if truncated:
            raise ConfigError(
                f"{name} ends too early: the file was cut short.",
                hint="Download the key again, or copy the whole file.",
                detail=str(exc),
            ) from None
        raise ConfigError(
            f"{name} is not JSON.",
            hint="Choose the JSON file Google Cloud gave you (it starts with “{”).",
            detail=str(exc),
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ConfigError(
            f"{name} is JSON but not Google credentials (it has no “type”).",
            hint="Choose a service-account key or an application default credentials file.",
        )
    kind = data["type"]
    if kind == "service_account":
        _check_service_account(data, name)
    elif kind == "authorized_user":
        missing = [k for k in ("client_id", "client_secret", "refresh_token") if not data.get(k)]
        if missing:
            raise ConfigError(
                f"{name} is a user's credentials file without {_words(missing)}.",
                hint=f"Sign in again (“{ADC_COMMAND}”).",
            )
    return GoogleCredentials(
        type=kind, account=_account(data), project=_project(data), path=path, text=text
    )


def read_service_account_key(path: str | Path) -> GoogleCredentials:
    """The service-account key in the JSON file ``path``, checked. Raises ConfigError with
    what is wrong: unreadable, not JSON, cut short, another kind of credentials, a field
    missing."""
    path = Path(path)
    found = parse_credentials(_read(path), str(path))
    if found.type != "service_account":
        hint = "Choose the key of a service account (IAM & Admin → Service accounts → Keys)."
        if found.type == "authorized_user":
            hint = (
                "This is a person's sign-in, as gcloud writes it: choose “Application default "
                "credentials” for it, or pick a service account's key."
            )
        raise ConfigError(
            f"{path.name} is not a service-account key but {found.kind_label} credentials.",
            hint=hint,
        )
    return found


def _check_service_account(data: dict[str, Any], name: str) -> None:
    missing = [k for k in ("client_email", "private_key") if not isinstance(data.get(k), str)]
    if missing:
        raise ConfigError(
            f"{name} is a service-account key without {_words(missing)}.",
            hint="The file was edited or is incomplete: download a new key.",
        )
    key = data["private_key"].strip()
    if not (key.startswith("-----BEGIN") and key.endswith("PRIVATE KEY-----")):
        raise ConfigError(
            f"The private key in {name} is damaged (it is not a PEM block).",
            hint="The file was edited or is incomplete: download a new key.",
        )
    # A block whose inside was cut or edited has the right first and last lines: only
    # loading it tells (google-auth loads it so, at the first request; ~1 ms).
    from google.auth import crypt

    try:
        crypt.RSASigner.from_string(key)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, IndexError) as exc:
        raise ConfigError(
            f"The private key in {name} is damaged: it cannot be read.",
            hint="The file was edited or is incomplete: download a new key.",
            detail=str(exc)[:200],
        ) from None


def _words(names: list[str]) -> str:
    return " and ".join(f"“{n}”" for n in names)


def _account(data: dict[str, Any]) -> str:
    for key in ("client_email", "account"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    url = data.get("service_account_impersonation_url")
    if isinstance(url, str) and "serviceAccounts/" in url:
        # …/serviceAccounts/NAME@PROJECT.iam.gserviceaccount.com:generateAccessToken
        return url.rsplit("serviceAccounts/", 1)[1].split(":", 1)[0]
    return ""


def _project(data: dict[str, Any]) -> str:
    for key in ("project_id", "quota_project_id"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


# ── browser sign-in with the user's OAuth client ────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """The user's own OAuth client (a "Desktop app" client of their Google Cloud project).

    The endpoints are Google's; tests point them at a stub on 127.0.0.1.
    """

    client_id: str
    client_secret: str = field(repr=False)
    auth_uri: str = GOOGLE_AUTH_URI
    token_uri: str = GOOGLE_TOKEN_URI


def read_oauth_client(path: str | Path) -> OAuthClient:
    """The client in a ``client_secret_….json`` downloaded from the Google Cloud console
    (an "installed" or "web" client). Raises ConfigError."""
    path = Path(path)
    text = _read(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path.name} is not JSON.", detail=str(exc)) from None
    section = data.get("installed") or data.get("web") if isinstance(data, dict) else None
    if not isinstance(section, dict) or not section.get("client_id"):
        raise ConfigError(
            f"{path.name} is not an OAuth client file.",
            hint="Download it from APIs & Services → Credentials → your Desktop client.",
        )
    return OAuthClient(
        client_id=str(section["client_id"]),
        client_secret=str(section.get("client_secret", "")),
        auth_uri=str(section.get("auth_uri") or GOOGLE_AUTH_URI),
        token_uri=str(section.get("token_uri") or GOOGLE_TOKEN_URI),
    )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The result of a browser sign-in: an ``authorized_user`` record to keep in the
    keyring (the connection's secret) and the account it signs in as."""

    client_id: str
    account: str
    record: str = field(repr=False)


@dataclass
class _Answer:
    """What the browser brought back to the loopback server."""

    params: dict[str, str] = field(default_factory=dict)


def browser_sign_in(
    client: OAuthClient,
    *,
    cancel: threading.Event,
    open_browser: Callable[[str], object] = webbrowser.open,
    on_url: Callable[[str], None] | None = None,
    timeout: float = _SIGN_IN_TIMEOUT,
    scopes: tuple[str, ...] = OAUTH_SCOPES,
) -> SignedIn:
    """Sign in in the browser with ``client``; returns the ``authorized_user`` record.

    Listens on 127.0.0.1 (a free port) for Google's redirect, opens the consent page with
    ``open_browser`` and tells ``on_url`` its address (to show or open again), then
    exchanges the code (with the PKCE verifier) at the token endpoint. Stops when ``cancel``
    is set or after ``timeout`` seconds.

    Raises Cancelled, InvalidCredentials (refused in the browser, wrong client, no refresh
    token), RequestTimeout (no answer from the browser), EndpointUnreachable.
    """
    if not client.client_id.strip():
        raise ConfigError("Type your OAuth client ID first.")
    verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43 to 128
    challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
    state = secrets.token_urlsafe(24)
    answer = _Answer()
    server = _loopback_server(answer, state)
    try:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
        url = _consent_url(client, redirect_uri, scopes, state, challenge)
        if on_url is not None:
            on_url(url)
        open_browser(url)
        _wait_for_redirect(server, answer, cancel, timeout)
    finally:
        server.server_close()
    params = answer.params
    if params.get("error"):
        raise _refused(params)
    tokens = _exchange_code(client, params.get("code", ""), redirect_uri, verifier)
    return _signed_in(client, tokens)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _consent_url(
    client: OAuthClient, redirect_uri: str, scopes: tuple[str, ...], state: str, challenge: str
) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            # A refresh token, so that the connection keeps working after today.
            "access_type": "offline",
            "prompt": "consent",
        }
    )
    separator = "&" if "?" in client.auth_uri else "?"
    return f"{client.auth_uri}{separator}{query}"


_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>cloudbrowser</title>"
    "<body style='font-family:sans-serif'><h2>{title}</h2><p>{text}</p>"
)


def _loopback_server(answer: _Answer, state: str) -> http.server.HTTPServer:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.urlsplit(self.path).query
            params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
            if params.get("state") != state or not ("code" in params or "error" in params):
                # A favicon, a stray or forged request: not the sign-in's answer.
                self.send_error(404)
                return
            answer.params = params
            ok = "code" in params
            page = _DONE_PAGE.format(
                title="Signed in" if ok else "Sign-in refused",
                text="You can close this tab and go back to cloudbrowser."
                if ok
                else "cloudbrowser was not given access. You can close this tab.",
            ).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            # The query holds the authorization code: never on stderr.
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    server.timeout = 0.2  # handle_request returns this often, to look at ``cancel``
    return server


def _wait_for_redirect(
    server: http.server.HTTPServer, answer: _Answer, cancel: threading.Event, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not answer.params:
        if cancel.is_set():
            raise Cancelled("Sign-in cancelled.")
        if time.monotonic() > deadline:
            raise RequestTimeout(
                "The browser sign-in did not finish in time.",
                hint="Try again, and approve the request in the browser window that opens.",
            )
        server.handle_request()


def _refused(params: dict[str, str]) -> InvalidCredentials:
    error = params.get("error", "")
    if error == "access_denied":
        return InvalidCredentials(
            "The sign-in was refused in the browser.",
            hint="Sign in again and allow cloudbrowser access, or choose another way to sign in.",
            code=error,
        )
    return InvalidCredentials(
        f"Google refused the sign-in ({error}).",
        hint="Check the OAuth client: it must be a “Desktop app” client of your project.",
        detail=params.get("error_description", ""),
        code=error,
    )


def _exchange_code(
    client: OAuthClient, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode("ascii")
    request = urllib.request.Request(
        client.token_uri,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return _json_object(reply.read())
    except urllib.error.HTTPError as exc:
        raise _token_error(_json_object(exc.read())) from None
    except (urllib.error.URLError, OSError) as exc:
        raise EndpointUnreachable(
            f"Cannot reach Google's sign-in service ({client.token_uri}).",
            hint="Check the network connection and try again.",
            detail=str(exc),
        ) from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _token_error(reply: dict[str, Any]) -> InvalidCredentials:
    error = str(reply.get("error", ""))
    detail = str(reply.get("error_description", ""))
    if error in ("invalid_client", "unauthorized_client"):
        return InvalidCredentials(
            "Google does not accept the OAuth client ID or secret.",
            hint="Copy both again from APIs & Services → Credentials (a Desktop app client).",
            detail=detail,
            code=error,
        )
    return InvalidCredentials(
        f"Google refused to finish the sign-in ({error or 'no reason given'}).",
        hint="Sign in again.",
        detail=detail,
        code=error,
    )


def _signed_in(client: OAuthClient, tokens: dict[str, Any]) -> SignedIn:
    refresh = tokens.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise InvalidCredentials(
            "Google signed you in but gave no refresh token, so the connection would stop "
            "working within the hour.",
            hint="Remove cloudbrowser's access in your Google account's security settings, "
            "then sign in again.",
        )
    account = _id_token_email(tokens.get("id_token"))
    record: dict[str, str] = {
        "type": "authorized_user",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "refresh_token": refresh,
        "token_uri": client.token_uri,
    }
    if account:
        record["account"] = account
    return SignedIn(client.client_id, account, json.dumps(record))


def _id_token_email(id_token: object) -> str:
    """The email in the ID token, for display only: it came straight from the token
    endpoint over TLS, so its signature is not checked (RFC 6749 §10.12 allows this)."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return ""
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return ""
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) else ""
