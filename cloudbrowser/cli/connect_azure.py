"""The Azure connection of a command: ``az://container/blob`` without ``-c`` follows the Azure
CLI's conventions, so that scripts and CI need no saved connection; ``-c NAME`` of a saved
Azure connection takes its secret from the keyring or signs in with Entra ID.

Without ``-c``, in this order (as ``az storage``):
``AZURE_STORAGE_CONNECTION_STRING``; else ``AZURE_STORAGE_ACCOUNT`` with ``AZURE_STORAGE_KEY``
or ``AZURE_STORAGE_SAS_TOKEN``; else Entra ID through azure-identity's default chain
(environment, workload and managed identity, the Azure CLI's login…) for
``AZURE_STORAGE_ACCOUNT``. ``AZURE_STORAGE_AUTH_MODE=login`` asks for Entra ID even when a
key is set, as ``az storage --auth-mode login`` does.

What the window asks with a dialog is asked on the terminal, only when stdin is one: a
script gets the error and its hint, never a hung prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cloudbrowser.cli.output import Output, UsageError
from cloudbrowser.core.backends.azure import addresses
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import ConfigError, InvalidCredentials

if TYPE_CHECKING:
    from cloudbrowser.core.profiles import Profile, ProfileStore

CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING"
ACCOUNT_ENV = "AZURE_STORAGE_ACCOUNT"
KEY_ENV = "AZURE_STORAGE_KEY"
SAS_ENV = "AZURE_STORAGE_SAS_TOKEN"
AUTH_MODE_ENV = "AZURE_STORAGE_AUTH_MODE"
#: The Azure CLI's ``--blob-endpoint`` (an emulator, a custom domain, a sovereign cloud)
#: for ``AZURE_STORAGE_ACCOUNT``; a connection string names its own.
ENDPOINT_ENV = "AZURE_STORAGE_SERVICE_ENDPOINT"
#: The name of an ``az://`` connection made from the environment (the journal keeps it,
#: with the account: "Azure (ACCOUNT)").
NAME = "Azure"

Resolution = tuple[ConnectionSettings, Credentials | None]


def from_environment(environ: Mapping[str, str] | None = None) -> Resolution:
    """The connection the Azure CLI's variables describe. Raises ConfigError."""
    env = os.environ if environ is None else environ
    login = env.get(AUTH_MODE_ENV, "").strip().lower() == "login"
    text = env.get(CONNECTION_STRING_ENV, "").strip()
    if text and not login:
        with _named(CONNECTION_STRING_ENV):
            address = addresses.read_connection_string(text)
        return _settings(address.account, "connection_string", address), Credentials(
            address.account, text
        )
    account = env.get(ACCOUNT_ENV, "").strip()
    if not account and text:  # login mode: the connection string still names the account
        account = addresses.read_connection_string(text).account
    if not account:
        raise ConfigError(
            "An az:// location needs an Azure storage account.",
            hint=(
                f"Set ${CONNECTION_STRING_ENV}, or ${ACCOUNT_ENV} (with ${KEY_ENV} or "
                f"${SAS_ENV}, else Entra ID signs in), or give -c NAME of a saved connection."
            ),
        )
    with _named(ACCOUNT_ENV):
        addresses.check_account_name(account)
    endpoint = _endpoint(env)
    key, sas = env.get(KEY_ENV, "").strip(), env.get(SAS_ENV, "").strip()
    if key and not login:
        with _named(KEY_ENV):
            addresses.check_account_key(key)
        return _settings(account, "key", endpoint=endpoint), Credentials(account, key)
    if sas and not login:
        with _named(SAS_ENV):
            token = addresses.read_sas(sas, account=account).secret
        return _settings(account, "sas", endpoint=endpoint), Credentials("sas", token)
    return _settings(account, "entra_default", endpoint=endpoint), None


@contextmanager
def _named(variable: str) -> Iterator[None]:
    """A ConfigError about a variable's value names the variable, as several may be set and
    the message alone does not say which one is wrong."""
    try:
        yield
    except ConfigError as error:
        error.message = f"${variable}: {error.message}"
        raise


def _endpoint(env: Mapping[str, str]) -> str:
    endpoint = env.get(ENDPOINT_ENV, "").strip().rstrip("/")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(
            f"${ENDPOINT_ENV} must start with http:// or https://.",
            hint="Write it like https://ACCOUNT.blob.core.windows.net or "
            "http://127.0.0.1:10000/devstoreaccount1.",
        )
    return endpoint


def _settings(
    account: str,
    auth: str,
    address: addresses.AzureAddress | None = None,
    *,
    endpoint: str = "",
) -> ConnectionSettings:
    if address is not None:
        endpoint = address.endpoint_url
    return ConnectionSettings(
        name=f"{NAME} ({account})" if account else NAME,
        kind="azure",
        endpoint_url=endpoint or None,
        auth=auth,
        account=account,
    )


def resolve_implicit(
    connection_id: str, environ: Mapping[str, str] | None = None
) -> Resolution | None:
    """The connection behind a journal's connection name given by :func:`from_environment`
    (``resume`` without options): the environment's connection when it has that name,
    None when the name is not one of those. Raises ConfigError when the name is, but the
    variables no longer describe that account."""
    if connection_id != NAME and not (
        connection_id.startswith(f"{NAME} (") and connection_id.endswith(")")
    ):
        return None
    resolution = from_environment(environ)
    if resolution[0].name != connection_id:
        raise ConfigError(
            f"The transfer was started on “{connection_id}”, but the Azure variables now "
            f"name “{resolution[0].name}”.",
            hint=f"Set ${CONNECTION_STRING_ENV} or ${ACCOUNT_ENV} as when it started.",
        )
    return resolution


def check_no_s3_flags(args: argparse.Namespace) -> None:
    """``--endpoint``, ``--profile``, ``--access-key-id``, ``--anonymous``, ``--region``
    and ``--addressing-style`` are S3's (the TLS flags apply to az:// too)."""
    if args.endpoint or args.profile or args.access_key_id or args.anonymous:
        raise UsageError(
            "--endpoint, --profile, --access-key-id and --anonymous are for s3:// locations.",
            hint=f"For az://, set ${CONNECTION_STRING_ENV} or ${ACCOUNT_ENV}, or give -c NAME.",
        )
    for flag, given in (("--region", args.region), ("--addressing-style", args.addressing_style)):
        if given:
            raise UsageError(
                f"{flag} is for s3:// locations: an az:// connection's storage account "
                "decides where its data is and how it is addressed.",
                hint=f"Leave out {flag}.",
            )


# ── saved Azure connections ────────────────────────────────────────────────────────────


def resolve_saved(profile: Profile, store: ProfileStore, out: Output) -> Resolution:
    """A saved Azure connection: its secret from the keyring (typed on a terminal when the
    keyring cannot give it), or an Entra ID sign-in. Raises KeyringUnavailable,
    InvalidCredentials, ConfigError."""
    settings = profile.settings()
    if profile.needs_secret:
        return settings, _secret(profile, store)
    from cloudbrowser.core.backends.azure import entra

    if entra.needs_sign_in(settings):
        _sign_in(settings, out)
    return settings, None


def _secret(profile: Profile, store: ProfileStore) -> Credentials:
    from cloudbrowser.core.secrets import KeyringUnavailable

    what = {"key": "account key", "connection_string": "connection string", "sas": "SAS token"}
    label = what.get(profile.auth or "key", "secret")
    try:
        creds = store.credentials(profile)
        problem: KeyringUnavailable | None = None
    except KeyringUnavailable as error:
        creds, problem = None, error
    if creds is not None:
        return creds
    if problem is None:
        problem = KeyringUnavailable(
            f"No {label} is stored for “{profile.name}”.",
            hint="Edit the connection in the window to store it.",
        )
    if not sys.stdin.isatty():
        raise problem
    # As the window's session-only secret: used for this command, stored nowhere.
    # label[0].upper(), not capitalize(): that writes "Sas token".
    import getpass  # here: it loads termios, a few ms of every command's start-up

    typed = getpass.getpass(
        f"{problem.message}\n{label[0].upper()}{label[1:]} for “{profile.name}”: "
    )
    if not typed:
        raise problem
    profile.check_secret(typed)
    if profile.auth == "sas":
        typed = addresses.read_sas(typed).secret
    return Credentials(profile.credential_id, typed)


def _sign_in(settings: ConnectionSettings, out: Output) -> None:
    from cloudbrowser.core.backends.azure import entra

    if not sys.stdin.isatty():
        raise InvalidCredentials(
            f"“{settings.name}” needs an Entra ID sign-in.",
            hint="Run this command once in a terminal to sign in.",
            code="SignInRequired",
        )

    def show(code: entra.DeviceCode) -> None:
        # Two notes: a note escapes every control character, the newline too.
        out.note(f"Sign in to Azure for “{settings.name}”: open {code.verification_uri}")
        out.note(f"and enter the code {code.user_code}. Waiting… (Ctrl-C to stop)")

    if settings.auth == "entra_browser":
        out.note(f"Sign in to Azure for “{settings.name}” in the browser window that opens…")
    record = entra.sign_in(settings, show, threading.Event())
    out.note(f"Signed in as {record.username}.")
