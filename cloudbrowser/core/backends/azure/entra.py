"""Signing in to Azure with Entra ID: the Azure sign-in door (like ``backends/s3/aws_auth``).

The backend asks :func:`credential` for an azure-identity credential when a connection's
``auth`` is "azure_cli" (the Azure CLI's ``az login``), "entra_default" (azure-identity's
default chain: environment, workload and managed identity, Azure CLI, PowerShell, azd…),
"entra_device" (device code) or "entra_browser" (interactive browser). The window and the
CLI call :func:`sign_in` on a worker to sign in for the first time or again.

Tokens are cached by azure-identity (``TokenCachePersistenceOptions``), encrypted by the
platform: DPAPI on Windows, the Keychain on macOS, libsecret on Linux. cloudbrowser never
writes a token itself; where the platform has no encrypted store the cache stays in memory
(:func:`token_cache` says so) rather than in a plain file. What azure-identity calls the
*authentication record* — the account, tenant and client ids, no secret — is kept in the
data dir so that the next start signs in silently from that cache.

The interactive credentials never start a sign-in on their own (a device code printed on a
terminal nobody reads, a browser opened by a worker): a request that needs one fails with
InvalidCredentials(code "SignInRequired"), and the window or the CLI calls :func:`sign_in`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import Cancelled, ConfigError, InvalidCredentials
from cloudbrowser.core.interrupt import interruptible
from cloudbrowser.core.paths import data_dir

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential
    from azure.identity import AuthenticationRecord, TokenCachePersistenceOptions

log = logging.getLogger(__name__)

#: The scope of Azure Storage's data plane (blobs), for every request and sign-in.
STORAGE_SCOPE = "https://storage.azure.com/.default"
#: The name of cloudbrowser's own token cache (kept apart from other tools').
CACHE_NAME = "cloudbrowser"
#: The folder of the authentication records, in the data dir.
RECORDS_DIR = "azure-sign-in"

#: The ways of signing in this module serves (``ConnectionSettings.auth``).
INTERACTIVE = ("entra_device", "entra_browser")
AUTHS = ("azure_cli", "entra_default", *INTERACTIVE)
#: How long a browser sign-in's wait for its redirect waits at a time before it looks
#: whether the sign-in was cancelled (seconds).
REDIRECT_TURN = 0.25


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the user must do to approve a device-code sign-in in a browser."""

    user_code: str
    verification_uri: str
    expires_on: datetime


# ── the token cache ────────────────────────────────────────────────────────────────────

_cache_lock = threading.Lock()
_cache_state: tuple[bool, str] | None = None


def token_cache() -> tuple[TokenCachePersistenceOptions | None, str]:
    """The persistent cache options, or None and a note saying why tokens stay in memory.

    Asked once per process: opening the platform's encrypted store may touch D-Bus or the
    Keychain (call on a worker).
    """
    global _cache_state
    from azure.identity import TokenCachePersistenceOptions

    options = TokenCachePersistenceOptions(name=CACHE_NAME, allow_unencrypted_storage=False)
    with _cache_lock:
        if _cache_state is None:
            _cache_state = _probe_cache(options)
        usable, note = _cache_state
    return (options if usable else None), note


def _probe_cache(options: TokenCachePersistenceOptions) -> tuple[bool, str]:
    """Whether azure-identity can open its encrypted cache here. It would only find out on
    the first token request and fail it; asking its own loader first lets us fall back to
    memory (never to its plain-text file: ``allow_unencrypted_storage`` stays False)."""
    try:
        from azure.identity._persistent_cache import _load_persistent_cache

        _load_persistent_cache(options)
    except Exception as exc:  # ValueError (no libsecret), NotImplementedError, ImportError…
        log.info("No encrypted token cache: %s", exc)
        return False, (
            "This system has no encrypted store for Azure sign-in tokens (on Linux: "
            "libsecret and a running keyring). Tokens are kept in memory only: you sign in "
            "again after cloudbrowser quits."
        )
    return True, ""


def reset_token_cache_probe() -> None:
    """Forget the probe's answer (tests; a keyring unlocked since)."""
    global _cache_state
    with _cache_lock:
        _cache_state = None


# ── authentication records (not secret) ────────────────────────────────────────────────


def record_path(settings: ConnectionSettings) -> Path:
    """Where the authentication record of this connection is kept (by name and account)."""
    key = f"{settings.name}\0{settings.account}\0{settings.auth}".encode()
    return data_dir() / RECORDS_DIR / f"{hashlib.sha256(key).hexdigest()[:32]}.json"


def load_record(settings: ConnectionSettings) -> AuthenticationRecord | None:
    """The saved record, or None (never signed in, or a record that cannot be read)."""
    from azure.identity import AuthenticationRecord

    path = record_path(settings)
    try:
        return AuthenticationRecord.deserialize(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # A damaged record only costs a new sign-in: say so in the log and go on.
        log.warning("Ignoring the unreadable Azure sign-in record %s: %s", path, exc)
        return None


def save_record(settings: ConnectionSettings, record: AuthenticationRecord) -> Path:
    """Keep ``record`` atomically (owner-only, though it holds ids, not secrets)."""
    path = record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(record.serialize())
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def forget_record(settings: ConnectionSettings) -> None:
    """Sign out: the next request needs a new sign-in (the cached tokens stay azure-identity's)."""
    path = record_path(settings)
    with _signed_in_lock:
        _signed_in.pop(path, None)
    path.unlink(missing_ok=True)


def needs_sign_in(settings: ConnectionSettings) -> bool:
    """Whether opening this connection must sign in first (device code or browser): never
    signed in, or signed in by an earlier run whose tokens were kept in memory only.
    Reads a small file and may probe the token cache: call on a worker."""
    if settings.auth not in INTERACTIVE:
        return False
    with _signed_in_lock:
        if record_path(settings) in _signed_in:
            return False
    if load_record(settings) is None:
        return True
    cache, _note = token_cache()
    return cache is None


def signed_in_as(settings: ConnectionSettings) -> str:
    """The user name of the saved record ("" when not signed in yet)."""
    record = load_record(settings)
    return record.username if record is not None else ""


# ── credentials ────────────────────────────────────────────────────────────────────────


#: The credentials signed in by :func:`sign_in` in this process, by record path: they hold
#: the tokens when the platform has no encrypted cache (memory only), and spare a silent
#: sign-in when it has one.
_signed_in: dict[Path, Any] = {}
_signed_in_lock = threading.Lock()


def credential(settings: ConnectionSettings) -> TokenCredential:
    """The azure-identity credential for ``settings.auth`` ("azure_cli", "entra_default",
    "entra_device", "entra_browser"), its failures translated to InvalidCredentials.
    Raises ConfigError for another auth."""
    with _signed_in_lock:
        inner = _signed_in.get(record_path(settings))
    if inner is None:
        inner = _build(settings, record=load_record(settings))
    return _Translated(inner, settings)


def _build(
    settings: ConnectionSettings,
    *,
    record: AuthenticationRecord | None,
    prompt: Callable[[str, str, datetime], None] | None = None,
    stop: threading.Event | None = None,
) -> Any:
    """The credential for ``settings.auth``; ``stop`` (a sign-in's) makes it send nothing
    more once set (:func:`stoppable_transport`)."""
    import azure.identity as identity

    auth = settings.auth
    if auth == "azure_cli":
        return identity.AzureCliCredential()
    if auth == "entra_default":
        return identity.DefaultAzureCredential()
    if auth not in INTERACTIVE:
        raise ConfigError(f"“{auth or 'key'}” is not a way to sign in with Entra ID.")
    options: dict[str, Any] = {"disable_automatic_authentication": True}
    cache, _note = token_cache()
    if cache is not None:
        options["cache_persistence_options"] = cache
    if record is not None:
        options["authentication_record"] = record
        options["tenant_id"] = record.tenant_id
    if stop is not None:
        options["transport"] = stoppable_transport(stop)
    if auth == "entra_device":
        return identity.DeviceCodeCredential(prompt_callback=prompt, **options)
    if stop is not None:
        # azure-identity's own seam for the server that awaits the redirect (its tests
        # use it): the only way to end that wait before its 5 minutes.
        options["_server_class"] = stoppable_redirect_server(stop)
    return identity.InteractiveBrowserCredential(**options)


class SignInAbandoned(Exception):
    """Raised instead of sending a request of a sign-in the user cancelled. Not an
    azure-core error, so that no retry policy tries the request again."""


def stoppable_transport(stop: threading.Event, **options: Any) -> Any:
    """azure-core's requests transport (``options`` are its own: ``connection_verify``…),
    refusing to send anything once ``stop`` is set.

    Why: azure-identity's DeviceCodeCredential polls Entra ID for the token (MSAL's
    ``acquire_token_by_device_flow``, a request every few seconds) until the user approves
    or the code expires, 15 minutes later, and offers no way to stop it: MSAL ends its
    poll when the flow's ``expires_at`` is set to 0, but the credential keeps the flow to
    itself, and its ``timeout`` is fixed when it is made. So a cancelled sign-in's
    credential is given a transport that sends nothing more: the poll's next request fails
    here, without reaching the network, and ends the poll and its thread (within the
    poll's interval: MSAL sleeps a second at a time between requests, and a sleep cannot
    be broken off). A browser sign-in's token request after a late redirect is refused
    the same way."""
    from azure.core.pipeline.transport import RequestsTransport

    class Stoppable(RequestsTransport):  # type: ignore[misc]  # azure-core: untyped here
        def send(self, request: Any, **kwargs: Any) -> Any:
            if stop.is_set():
                raise SignInAbandoned("The sign-in was cancelled: nothing more is sent.")
            return super().send(request, **kwargs)

    return Stoppable(**options)


def stoppable_redirect_server(stop: threading.Event) -> type:
    """azure-identity's server for a browser sign-in's redirect (``AuthCodeRedirectServer``,
    made by ``InteractiveBrowserCredential`` on a local port), ending its wait once
    ``stop`` is set.

    Why: the credential blocks in the server's ``wait_for_redirect`` until the browser
    comes back or its ``timeout`` (5 minutes) passes, in one ``handle_request`` whose
    wait nothing can break off (closing the socket from another thread does not wake a
    ``select`` on it). So this server waits :data:`REDIRECT_TURN` at a time and looks at
    ``stop`` between turns, within the same ``timeout`` in all: a cancelled sign-in's
    wait ends within a turn, its port is closed, and the credential ends as at a
    timeout (its token request, were it to come, is refused: :func:`stoppable_transport`).
    """
    from azure.identity._internal import AuthCodeRedirectServer

    class StoppableRedirectServer(AuthCodeRedirectServer):
        def __init__(self, hostname: str, port: int, timeout: int) -> None:
            super().__init__(hostname, port, timeout)
            self.ends = time.monotonic() + timeout
            self.timeout = REDIRECT_TURN  # each handle_request's wait

        def handle_timeout(self) -> None:
            """A turn passed with no request: the loop looks at the stop (azure-identity's
            closes the server here, its one turn being the whole wait)."""

        def wait_for_redirect(self) -> Any:
            try:
                while not (self.auth_response or stop.is_set() or time.monotonic() >= self.ends):
                    self.handle_request()
            except (OSError, ValueError):
                pass  # the socket is closed: nothing more can come
            finally:
                self.server_close()
            return {} if stop.is_set() else self.auth_response

    return StoppableRedirectServer


class _Translated:
    """A TokenCredential whose failures say what to do next (InvalidCredentials), for the
    backend to show like any other; it adds nothing else."""

    def __init__(self, inner: Any, settings: ConnectionSettings) -> None:
        self.inner = inner
        self.settings = settings

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import AuthenticationRequiredError, CredentialUnavailableError

        try:
            token: AccessToken = self.inner.get_token(*scopes, **kwargs)
        except AuthenticationRequiredError:
            raise sign_in_required(self.settings) from None
        except CredentialUnavailableError as exc:
            raise unavailable(self.settings, exc) from None
        except ClientAuthenticationError as exc:
            raise InvalidCredentials(
                f"Entra ID refused the sign-in for “{self.settings.name}”.",
                hint="Sign in again, or check the account's role assignments.",
                detail=_first_lines(exc),
                code="EntraAuthenticationFailed",
            ) from None
        return token

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> _Translated:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def sign_in_required(settings: ConnectionSettings) -> InvalidCredentials:
    how = "a device code" if settings.auth == "entra_device" else "the browser"
    return InvalidCredentials(
        f"“{settings.name}” needs an Entra ID sign-in.",
        hint=f"Connect again to sign in with {how}.",
        code="SignInRequired",
    )


def unavailable(settings: ConnectionSettings, exc: Exception) -> InvalidCredentials:
    if settings.auth == "azure_cli":
        message = "The Azure CLI is not signed in, or not installed."
        hint = "Run “az login” in a terminal, then connect again."
    else:
        message = "No Azure sign-in was found on this machine."
        hint = (
            "Run “az login”, set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, "
            "or choose another way to sign in."
        )
    return InvalidCredentials(message, hint=hint, detail=_first_lines(exc), code="NoAzureSignIn")


def _first_lines(exc: Exception) -> str:
    """azure-identity's messages run to paragraphs of troubleshooting links."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return "\n".join(lines[:6])


# ── signing in ─────────────────────────────────────────────────────────────────────────


def sign_in(
    settings: ConnectionSettings,
    show_code: Callable[[DeviceCode], None],
    cancel: threading.Event,
    *,
    build: Callable[..., Any] = _build,
) -> AuthenticationRecord:
    """Sign in interactively (device code or browser) and keep the record; call on a worker.

    ``show_code`` is called on the sign-in's own thread with the code to show and the
    page to open (device code only; the browser flow opens the browser itself). ``cancel``
    stops waiting at once and no record of the sign-in is kept; its credential sends
    nothing more, so its poll for the token ends at its next request instead of asking
    until the code expires (:func:`stoppable_transport`), and a browser sign-in's wait
    for its redirect ends within a turn (:func:`stoppable_redirect_server`). Tests pass
    ``build`` to put another credential in azure-identity's place.

    Raises Cancelled, InvalidCredentials (refused, timed out), ConfigError.
    """
    from azure.core.exceptions import ClientAuthenticationError

    if settings.auth not in INTERACTIVE:
        raise ConfigError(f"“{settings.name}” does not sign in interactively.")

    def prompt(uri: str, code: str, expires_on: datetime) -> None:
        if not cancel.is_set():
            show_code(DeviceCode(code, uri, expires_on))

    #: Set once the sign-in is given up: its credential's transport then sends nothing.
    abandoned = threading.Event()
    cred = build(settings, record=None, prompt=prompt, stop=abandoned)
    try:
        record: AuthenticationRecord = interruptible(
            lambda: cred.authenticate(scopes=[STORAGE_SCOPE]), cancel
        )
    except Cancelled:
        # The device code's poll, left on its runner, ends at its next request; the
        # browser's wait for its redirect within a turn.
        abandoned.set()
        raise
    except ClientAuthenticationError as exc:
        raise InvalidCredentials(
            "The Entra ID sign-in did not complete.",
            hint="Try again; approve the request before the code expires.",
            detail=_first_lines(exc),
            code="EntraAuthenticationFailed",
        ) from None
    save_record(settings, record)
    with _signed_in_lock:
        _signed_in[record_path(settings)] = cred
    return record


def record_summary(record: AuthenticationRecord) -> dict[str, str]:
    """The record's fields, for a status line or a test."""
    return dict(json.loads(record.serialize()))
