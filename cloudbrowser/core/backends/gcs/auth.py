"""Who a GCS connection is: google-auth credentials from the connection's ``auth``, and the
HTTP session that signs requests with them (or sends them unsigned).

``auth`` (ConnectionSettings): "adc" (the default) is google.auth.default() — the file
``gcloud auth application-default login`` writes, GOOGLE_APPLICATION_CREDENTIALS, a
metadata server; "service_account" and "oauth" take the Google credentials JSON in
``Credentials.secret_access_key`` (a service-account key, an authorized-user record);
"anonymous" sends unsigned requests (an emulator, public buckets).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import google.auth
import requests
from google.auth.credentials import Credentials as GoogleCredentials
from google.auth.exceptions import DefaultCredentialsError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.util.retry import Retry

from cloudbrowser.core.backends.gcs.errors import translate_exception
from cloudbrowser.core.backends.gcs.sign_in import ADC_COMMAND, find_adc
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import CloudBrowserError, ConfigError, InvalidCredentials

#: Read and write objects and buckets (what a file manager does).
SCOPES = ("https://www.googleapis.com/auth/devstorage.full_control",)
GOOGLE_ENDPOINT = "https://storage.googleapis.com"


@dataclass(frozen=True, slots=True)
class Identity:
    """The credentials of a connection (None: unsigned) and the project they name."""

    credentials: GoogleCredentials | None
    project: str
    #: A service-account key's signer (share links): the credentials themselves, or a key
    #: given beside unsigned requests (an emulator).
    signer: service_account.Credentials | None
    #: What to do when Google refuses to renew the access token (``invalid_grant``: a
    #: sign-in revoked or expired, a key deleted), for these credentials.
    renew_hint: str = ""


#: What to do when a token's renewal is refused, by who the credentials are.
RENEW_ADC = f"Sign in again: run “{ADC_COMMAND}”."
RENEW_BROWSER = (
    "Sign in again: edit the connection in the window and choose “Sign in in the browser…”."
)
RENEW_KEY = (
    "The key may have been deleted or disabled: choose a current service-account key file "
    "(Google Cloud console → IAM → Service accounts → Keys)."
)
RENEW_OTHER = (
    f"Sign in again (“{ADC_COMMAND}”), or check the credentials "
    "GOOGLE_APPLICATION_CREDENTIALS names."
)


def endpoint(settings: ConnectionSettings) -> tuple[str, bool]:
    """(base URL, is an emulator): the connection's endpoint, else STORAGE_EMULATOR_HOST as
    Google's client libraries honour it, else Google's."""
    if settings.endpoint_url:
        return settings.endpoint_url.rstrip("/"), True
    emulator = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
    if emulator:
        if "://" not in emulator:
            emulator = f"http://{emulator}"
        return emulator.rstrip("/"), True
    return GOOGLE_ENDPOINT, False


def identity(
    settings: ConnectionSettings, secret: Credentials | None, *, emulator: bool
) -> Identity:
    """The credentials ``settings.auth`` names. Raises InvalidCredentials, ConfigError."""
    auth = settings.auth or ("anonymous" if settings.anonymous else "")
    info = _info(secret)
    if auth == "" and info is not None:
        auth = "service_account" if info.get("type") == "service_account" else "oauth"
    if auth == "" and emulator and secret is None:
        auth = "anonymous"  # as Google's libraries do with STORAGE_EMULATOR_HOST
    auth = auth or "adc"
    if auth == "anonymous":
        signer = _service_account(info) if info and info.get("type") == "service_account" else None
        return Identity(None, settings.project, signer)
    if auth == "adc":
        try:
            found, project = google.auth.default(scopes=SCOPES)
        except Exception as exc:
            raise _adc_problem(exc) from exc
        signer = found if isinstance(found, service_account.Credentials) else None
        return Identity(found, settings.project or project or "", signer, _renew_hint(found))
    if info is None:
        raise InvalidCredentials(
            "This connection has no Google credentials (key file or sign-in) stored.",
            hint="Edit the connection and choose the service-account key file again, or sign in.",
            code="NoCredentials",
        )
    if auth == "service_account":
        sa = _service_account(info)
        return Identity(sa, settings.project or str(info.get("project_id", "")), sa, RENEW_KEY)
    if auth == "oauth":
        try:
            user = user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
        except (ValueError, KeyError) as exc:
            raise _bad_file("sign-in record", exc) from exc
        project = settings.project or str(info.get("quota_project_id", ""))
        return Identity(user, project, None, RENEW_BROWSER)
    raise ConfigError(
        f"This version of cloudbrowser does not know the Google sign-in “{auth}”.",
        hint="Edit the connection and choose how to sign in.",
    )


def _renew_hint(found: GoogleCredentials) -> str:
    """What renews application default credentials of ``found``'s kind."""
    if isinstance(found, service_account.Credentials):
        return RENEW_KEY
    if isinstance(found, user_credentials.Credentials):
        return RENEW_ADC
    return RENEW_OTHER


class _Retry(Retry):
    """urllib3's retry, with a server's Retry-After waited for a minute at most: a longer
    one (an hour, from a proxy or a misbehaving server) would look like a hang; the user
    would rather see the error and decide."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, _RETRY_AFTER_LONGEST)


_RETRY_AFTER_LONGEST = 60.0


def session(settings: ConnectionSettings, who: Identity) -> requests.Session:
    """An HTTP session that signs with ``who`` (renewing tokens itself), retries what is
    safe to retry ``settings.max_attempts`` times in all, pools connections."""
    http: requests.Session = (
        AuthorizedSession(who.credentials)  # type: ignore[no-untyped-call]
        if who.credentials is not None
        else requests.Session()
    )
    retry = _Retry(
        total=max(0, settings.max_attempts - 1),
        # Google asks for exponential backoff on 429 and 5xx, from about a second: 1 s,
        # then 2 s… (plus up to 1 s of jitter, so that clients refused together do not
        # come back together), or the Retry-After the answer gives (urllib3 honours it).
        # 0.2 s and 0.4 s came back before a rate limit could ease.
        backoff_factor=1.0,
        backoff_jitter=1.0,
        backoff_max=30.0,
        status_forcelist=(429, 500, 502, 503, 504),
        # Uploads are retried by the engine, which knows where a session stands.
        allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
        raise_on_status=False,
    )
    adapter = HTTPAdapter(
        pool_connections=4, pool_maxsize=max(4, settings.max_pool_connections), max_retries=retry
    )
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    http.verify = settings.verify_tls
    return http


def _info(secret: Credentials | None) -> dict[str, Any] | None:
    """The Google credentials JSON in a connection's secret, or None."""
    if secret is None or not secret.secret_access_key.strip():
        return None
    try:
        info = json.loads(secret.secret_access_key)
    except ValueError as exc:
        raise _bad_file("key file", exc) from exc
    if not isinstance(info, dict):
        raise _bad_file("key file", ValueError("not a JSON object"))
    return info


def _service_account(info: dict[str, Any]) -> service_account.Credentials:
    try:
        found: service_account.Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
        return found
    except (ValueError, KeyError) as exc:
        raise _bad_file("service-account key file", exc) from exc


def _adc_problem(exc: Exception) -> CloudBrowserError:
    """What is wrong with the application default credentials. google-auth says "not
    found" for a file it found but could not use too (GOOGLE_APPLICATION_CREDENTIALS naming
    a missing file, a file cut short, a damaged private key), which sent the user to set the
    very variable already set: the file is read again here to name what is wrong with it."""
    if isinstance(exc, DefaultCredentialsError):
        try:
            found = find_adc()
        except ConfigError as problem:
            problem.detail = problem.detail or str(exc)
            return problem
        if found is not None:
            return InvalidCredentials(
                f"The application default credentials in {found.path} cannot be used.",
                hint="Download the key file again (Google Cloud console → IAM → Service "
                f"accounts → Keys), or sign in again (“{ADC_COMMAND}”).",
                detail=str(exc),
                code="BadKeyFile",
            )
    return translate_exception(exc)


def _bad_file(what: str, exc: Exception) -> InvalidCredentials:
    return InvalidCredentials(
        f"The Google {what} of this connection cannot be read.",
        hint="Choose the JSON key file again (Google Cloud console → IAM → Service "
        "accounts → Keys), or sign in again.",
        detail=f"{type(exc).__name__}: {exc}",
        code="BadKeyFile",
    )
