"""The connection a command uses: ``-c NAME`` (saved connection or AWS profile), or flags.

The same saved connections (``connections.json``) and keyring secrets as the window, found
by ``core.sources`` like the window's connector. What the window asks for with a dialog is
asked on the terminal here (a secret the keyring cannot give, an SSO sign-in), and only
when stdin is a terminal: a script gets the error and its hint, never a hung prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from cloudbrowser.cli.connect_gcs import resolve_gcs, wants_gcs
from cloudbrowser.cli.locations import LOCATION_ARGS, schemes_named
from cloudbrowser.cli.output import Output, UsageError
from cloudbrowser.core.connection import ConnectionSettings, Credentials, looks_like_email
from cloudbrowser.core.errors import InvalidCredentials
from cloudbrowser.flags import SECRET_ENV, SESSION_TOKEN_ENV, settings_from_args

if TYPE_CHECKING:
    # Imported where used: profiles pulls in keyring, which commands without a saved
    # connection never need (start-up time).
    from cloudbrowser.core.connections import Connection, Connections
    from cloudbrowser.core.profiles import Profile, ProfileStore
    from cloudbrowser.core.storage import Storage

#: The same variables as the window's ``--access-key-id`` (see ``cloudbrowser.__main__``):
#: secrets never come from the command line, where ``ps`` and shell history show them.


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "-c",
        "--connection",
        metavar="NAME",
        help="a saved connection (secret from the keyring) or an AWS profile, by name",
    )
    group.add_argument("--endpoint", metavar="URL", help="S3-compatible endpoint URL")
    group.add_argument("--region", help="region (default: from the AWS config, else us-east-1)")
    group.add_argument("--profile", metavar="NAME", help="AWS shared config profile")
    group.add_argument(
        "--access-key-id", metavar="ID", help=f"access key id (secret from ${SECRET_ENV})"
    )
    group.add_argument(
        "--addressing-style", choices=["auto", "path", "virtual"], default=None,
        help="bucket addressing (default: path with --endpoint, auto otherwise)",
    )  # fmt: skip
    group.add_argument("--anonymous", action="store_true", help="unsigned requests")
    group.add_argument("--no-verify-tls", action="store_true", help="skip TLS checks (unsafe)")
    group.add_argument("--ca-bundle", metavar="PATH", help="CA certificates to trust")
    group.add_argument(
        "--project", metavar="ID",
        help="Google Cloud project whose buckets gs:// lists and creates (default: the "
        "credentials' own)",
    )  # fmt: skip
    group.add_argument("--name", help=argparse.SUPPRESS)


class Resolved(NamedTuple):
    """The connection a command line names, and its credentials (None: the backend's own
    chain finds them). NamedTuples here, not dataclasses: each costs ~1 ms to build, at
    every command's start."""

    settings: ConnectionSettings
    credentials: Credentials | None


#: Flags that describe a connection of their own: beside ``-c NAME`` they would replace
#: what the saved connection (or AWS profile) is, so they are refused, each with why.
_OTHER_CONNECTION = (
    ("endpoint", "--endpoint", "its own endpoint"),
    ("profile", "--profile", "its own credentials"),
    ("access_key_id", "--access-key-id", "its own credentials"),
    ("anonymous", "--anonymous", "its own way of signing requests"),
)
#: Flags that change how an S3 connection reaches its server, meaningful for one command
#: (``-c NAME --region X``: the saved connection's requests go to another region). Other
#: clouds have no such setting: given for one of theirs, they are refused.
_S3_SETTINGS = (
    ("region", "--region", "its requests go where the service says"),
    ("addressing_style", "--addressing-style", "its addresses are the service's own"),
)
_KIND_NAMES = {"gcs": "Google Cloud Storage", "azure": "Azure Blob Storage"}


class Overrides(NamedTuple):
    """What the command line changes of a named connection (``-c NAME``, or one made from
    the environment), for this command only: nothing is saved."""

    region: str = ""
    addressing_style: str = ""
    ca_bundle: str = ""
    no_verify_tls: bool = False

    @classmethod
    def of(cls, args: argparse.Namespace) -> Overrides:
        return cls(
            region=args.region or "",
            addressing_style=args.addressing_style or "",
            ca_bundle=args.ca_bundle or "",
            no_verify_tls=bool(args.no_verify_tls),
        )

    def profile(self, profile: Profile) -> Profile:
        """``profile`` as this command uses it (a preset's endpoint follows the region)."""
        changes: dict[str, object] = {}
        if self.region:
            changes["region"] = self.region
        if self.addressing_style:
            changes["addressing_style"] = self.addressing_style
        if self.ca_bundle:  # as the flags read alone: a CA bundle is a verification
            changes.update(verify_tls=True, ca_bundle=self.ca_bundle)
        elif self.no_verify_tls:
            changes["verify_tls"] = False
        from dataclasses import replace  # a saved connection's Profile: not at every start

        return replace(profile, **changes) if changes else profile  # type: ignore[arg-type]

    def settings(self, settings: ConnectionSettings) -> ConnectionSettings:
        """``settings`` as this command uses them."""
        changes: dict[str, Any] = {}
        if self.region:
            changes["region"] = self.region
        if self.addressing_style:
            changes["addressing_style"] = self.addressing_style
        if self.ca_bundle or self.no_verify_tls:
            changes["verify_tls"] = self.ca_bundle or False
        return settings._replace(**changes) if changes else settings


def resolve(args: argparse.Namespace, out: Output) -> Resolved:
    """The settings and credentials the command line names. Raises ConfigError,
    UsageError, InvalidCredentials, KeyringUnavailable."""
    _check_sign_as(args)
    return _with_sign_as(_resolve(args, out), args)


def _resolve(args: argparse.Namespace, out: Output) -> Resolved:
    if args.connection:
        _check_saved(args)
        resolved = resolve_name(args.connection, out, Overrides.of(args))
        return _with_project(resolved, args)
    if wants_gcs(args):
        return Resolved(*resolve_gcs(args))
    if names_azure(args):  # az:// without -c: the Azure CLI's variables
        from cloudbrowser.cli import connect_azure

        connect_azure.check_no_s3_flags(args)
        settings, credentials = connect_azure.from_environment()
        return Resolved(Overrides.of(args).settings(settings), credentials)
    return resolve_flags(args)


def _check_saved(args: argparse.Namespace) -> None:
    """``-c NAME`` with flags it cannot take (another connection's, another cloud's
    setting) or a location of another cloud: said before its secret is asked for (the
    keyring, a terminal prompt, a sign-in). The flags it takes apply to this command."""
    from cloudbrowser.core.backends import features_of
    from cloudbrowser.core.errors import ConfigError
    from cloudbrowser.core.profiles import ProfileStore

    name = args.connection
    for attr, flag, why in _OTHER_CONNECTION:
        if getattr(args, attr, None):
            raise UsageError(
                f"-c {name} names a connection, which has {why}: leave out {flag}.",
                hint=f"Or leave out -c {name} to connect with the flags alone.",
            )
    profile = next((p for p in ProfileStore().load() if p.name == name), None)
    # Not saved: an AWS profile (S3), or a name resolving says is unknown.
    kind = profile.kind if profile is not None else "s3"
    if kind != "s3":
        for attr, flag, why in _S3_SETTINGS:
            if getattr(args, attr, None):
                raise UsageError(
                    f"{flag} is for S3 connections, and “{name}” is a "
                    f"{_KIND_NAMES.get(kind, kind)} connection: {why}.",
                    hint=f"Leave out {flag}."
                    + (
                        " A new bucket's location is mb's -l/--location."
                        if attr == "region" and kind == "gcs"
                        else ""
                    ),
                )
    if profile is None:
        return
    try:
        scheme = features_of(profile.settings()).uri_scheme
    except ConfigError:  # a kind of a newer version: resolving it says so
        return
    check_schemes(args, scheme, profile.name)


def _with_project(resolved: Resolved, args: argparse.Namespace) -> Resolved:
    """``-c NAME --project ID``: another project for a saved GCS connection."""
    project = getattr(args, "project", None)
    if not project:
        return resolved
    if resolved.settings.kind != "gcs":
        raise UsageError("--project is for Google Cloud Storage connections.")
    return Resolved(resolved.settings._replace(project=project), resolved.credentials)


def _check_sign_as(args: argparse.Namespace) -> None:
    """``presign --sign-as EMAIL``: for ``gs://`` links, an email; said before any secret
    is asked for."""
    email = getattr(args, "sign_as", None)
    if email is None:
        return
    schemes = schemes_named(args)
    if schemes and "gs" not in schemes:
        others = ", ".join(f"{s}://" for s in sorted(schemes))
        raise UsageError(
            f"--sign-as is for Google Cloud Storage (gs://) links, not {others}.",
            hint="Leave --sign-as out: those links are signed with the connection's own "
            "credentials.",
        )
    if not looks_like_email(email.strip()):
        raise UsageError(
            f"--sign-as takes a service account's email, not “{email}”.",
            hint="Write it as NAME@PROJECT.iam.gserviceaccount.com.",
        )


def _with_sign_as(resolved: Resolved, args: argparse.Namespace) -> Resolved:
    """``--sign-as EMAIL``: the service account a GCS link is signed as through IAM (in
    place of a saved connection's “Sign links as”)."""
    email = (getattr(args, "sign_as", None) or "").strip()
    if not email:
        return resolved
    if resolved.settings.kind != "gcs":
        raise UsageError("--sign-as is for Google Cloud Storage (gs://) links.")
    return Resolved(resolved.settings._replace(sign_links_as=email), resolved.credentials)


def names_azure(args: argparse.Namespace) -> bool:
    """Whether the command names an ``az://`` location (checked without importing the
    Azure modules: an S3 command's start-up pays nothing for them)."""
    return "az" in schemes_named(args)


def resolve_flags(args: argparse.Namespace) -> Resolved:
    """``--endpoint``/``--profile``/``--access-key-id``..., as the window reads them; a
    contradiction is a usage error (exit 2) here."""
    if args.profile and args.access_key_id:
        raise UsageError("Use either --profile or --access-key-id, not both.")
    if args.endpoint and not args.endpoint.startswith(("http://", "https://")):
        raise UsageError(
            "The endpoint URL must start with http:// or https://.",
            hint="Write it like https://s3.example.com or http://127.0.0.1:9000.",
        )
    settings, credentials = settings_from_args(args)
    if credentials is None and settings.endpoint_url and not settings.anonymous:
        credentials = aws_keys_from_environment()
    return Resolved(settings, credentials)


def aws_keys_from_environment() -> Credentials | None:
    """The keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, where they are what botocore's
    chain would take (its first provider is the environment's; a profile named in
    AWS_PROFILE is left to botocore). Given as the connection's keys, a command on an
    S3-compatible endpoint then needs no botocore at all (backends/s3/lazy.py): ~0.2 s of
    start-up less for a script that sets the usual variables."""
    if os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE"):
        return None
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return None
    token = os.environ.get("AWS_SESSION_TOKEN") or os.environ.get("AWS_SECURITY_TOKEN") or ""
    return Credentials(key, secret, token)


def resolve_name(name: str, out: Output, overrides: Overrides | None = None) -> Resolved:
    """A saved connection or an AWS profile named ``name`` (saved ones win), changed by
    ``overrides`` for this command."""
    from cloudbrowser.core.profiles import ProfileStore
    from cloudbrowser.core.sources import AWS, UnknownConnection, find_source

    store = ProfileStore()
    try:
        source = find_source(name, store)
    except UnknownConnection as error:
        # On a terminal, the window's menu is not where to look.
        error.hint = (
            "“cloudbrowser connections” lists the saved connections and AWS profiles;"
            " add one in the window, or give --endpoint and --access-key-id."
        )
        raise
    if source.startswith(AWS):
        return _resolve_aws(source.removeprefix(AWS), out, overrides)
    return _resolve_saved(name, store, out, overrides)


def resolve_source(source: str, out: Output) -> Resolved:
    """A source as ``core.sources`` writes it (``saved:NAME`` or ``aws:NAME``)."""
    from cloudbrowser.core.profiles import ProfileStore
    from cloudbrowser.core.sources import AWS, SAVED

    if source.startswith(AWS):
        return _resolve_aws(source.removeprefix(AWS), out)
    return _resolve_saved(source.removeprefix(SAVED), ProfileStore(), out)


def _resolve_saved(
    name: str, store: ProfileStore, out: Output, overrides: Overrides | None = None
) -> Resolved:
    from cloudbrowser.core.secrets import KeyringUnavailable

    profile = store.get(name)
    if overrides is not None:
        profile = overrides.profile(profile)  # the same id: the same secret
    if profile.kind == "azure":
        from cloudbrowser.cli import connect_azure

        return Resolved(*connect_azure.resolve_saved(profile, store, out))
    settings = profile.settings()
    if not profile.needs_secret:
        return Resolved(settings, None)
    if profile.kind == "gcs":
        return _resolve_saved_gcs(profile, store)
    # A server without a keyring: the same variable as --access-key-id's secret.
    from_env = os.environ.get(SECRET_ENV, "")
    if from_env:
        token = os.environ.get(SESSION_TOKEN_ENV, "")
        return Resolved(settings, Credentials(profile.access_key_id, from_env, token))
    try:
        creds = store.credentials(profile)
        problem = None
    except KeyringUnavailable as error:
        creds, problem = None, error
    if creds is not None:
        return Resolved(settings, creds)
    if problem is None:
        problem = KeyringUnavailable(
            f"No secret key is stored for “{profile.name}”.",
            hint=f"Edit the connection in the window to store it, or set ${SECRET_ENV}.",
        )
    else:
        problem.hint = f"{problem.hint} Or set ${SECRET_ENV} for this command."
    if not sys.stdin.isatty():
        raise problem
    # As the window's session-only secret: used for this command, stored nowhere.
    import getpass  # here: it loads termios, a few ms of every command's start-up

    secret = getpass.getpass(
        f"{problem.message}\nSecret access key for “{profile.name}” ({profile.access_key_id}): "
    )
    if not secret:
        raise problem
    return Resolved(settings, Credentials(profile.access_key_id, secret))


def _resolve_saved_gcs(profile: Profile, store: ProfileStore) -> Resolved:
    """A saved GCS connection's key or sign-in, from the keyring. Nothing to type on a
    terminal (a JSON key is not typed): the error says what works instead."""
    from cloudbrowser.core.secrets import KeyringUnavailable

    creds = store.credentials(profile)  # KeyringUnavailable says why, with its hint
    if creds is not None:
        return Resolved(profile.settings(), creds)
    raise KeyringUnavailable(
        f"No key or sign-in is stored for “{profile.name}”.",
        hint="Edit the connection in the window to store it, or set "
        "GOOGLE_APPLICATION_CREDENTIALS to the key file and use gs:// without -c.",
    )


def _resolve_aws(name: str, out: Output, overrides: Overrides | None = None) -> Resolved:
    from cloudbrowser.core.backends.s3.aws_auth import (
        DeviceCode,
        aws_profile,
        sso_device_login,
        sso_session,
        sso_token_valid,
    )

    settings = aws_profile(name).settings()
    if overrides is not None:
        settings = overrides.settings(settings)
    sso = sso_session(name)
    if sso is None or sso_token_valid(sso):
        return Resolved(settings, None)
    if not sys.stdin.isatty():
        raise InvalidCredentials(
            f"The AWS profile “{name}” needs an IAM Identity Center (SSO) sign-in.",
            hint=f"Run this command once in a terminal, or “aws sso login --profile {name}”.",
            code="SSOLoginRequired",
        )

    def show(code: DeviceCode) -> None:
        # Two notes: a note escapes every control character, the newline too.
        out.note(f"Sign in for the AWS profile “{name}”: open {code.verification_uri_complete}")
        out.note(f"and confirm the code {code.user_code}. Waiting… (Ctrl-C to stop)")

    sso_device_login(sso, on_code=show, cancel=threading.Event())
    out.note("Signed in.")
    return Resolved(settings, None)


#: What to do when a transfer's connection is not open (``resume`` of another's transfer).
UNKNOWN_CONNECTION_HINT = "Give its options (-c NAME, or --endpoint …) to continue it."


def new_connections() -> Connections:
    """The open connections of one command (the transfer queue looks them up here)."""
    from cloudbrowser.core.connections import Connections  # the SDK: once a request is coming

    return Connections(mfa_prompter=_ask_mfa, unknown_hint=UNKNOWN_CONNECTION_HINT)


def open_connection(
    args: argparse.Namespace, out: Output, connections: Connections | None = None
) -> Connection:
    """Open the connection the command line names, in ``connections`` (default: new ones)."""
    resolved = resolve(args, out)
    opened = connections if connections is not None else new_connections()
    connection = opened.open(resolved.settings, resolved.credentials)
    scheme = connection.storage.features.uri_scheme
    check_schemes(args, scheme, resolved.settings.name)
    out.use_scheme(scheme, connection.id)
    return connection


def check_schemes(args: argparse.Namespace, scheme: str, name: str) -> None:
    """A location written ``gs://`` names Google Cloud Storage: on a connection of another
    kind (``-c NAME`` of an S3 or Azure connection) it is a usage error, not a request to
    the wrong cloud. Bare ``bucket/key`` locations take the connection's own scheme."""
    wrong = sorted(schemes_named(args) - {scheme})
    if wrong:
        written = ", ".join(f"{s}://" for s in wrong)
        raise UsageError(
            f"“{name}” holds {scheme}:// locations: {written} locations are not on it.",
            hint=f"Write the locations as {scheme}://bucket/key, or choose the connection "
            "that holds them with -c NAME.",
        )


def open_backend(args: argparse.Namespace, out: Output) -> Storage:
    """The storage of the connection the command line names."""
    return open_connection(args, out).storage


def open_source(args: argparse.Namespace, out: Output, connections: Connections) -> Connection:
    """The connection of a copy's source (``args.source``) when its destination is on
    another one: the one the command line's connection options name, as for any command,
    judged by the source's location alone."""
    return open_connection(_at(args, "source", args.source), out, connections)


def open_destination(
    args: argparse.Namespace, name: str | None, out: Output, connections: Connections
) -> Connection:
    """The connection of a copy's destination (``args.destination``) when it is not the
    source's: the saved connection or AWS profile ``name``, else what the destination's
    scheme finds by itself (AWS's variables and config, Google's application default
    credentials or ``STORAGE_EMULATOR_HOST``, the Azure CLI's variables). The command
    line's connection options are the source's: none of them applies here."""
    defaults = argparse.ArgumentParser(add_help=False)
    add_connection_options(defaults)
    at = _at(args, "destination", args.destination)
    values = {**vars(at), **vars(defaults.parse_args([])), "connection": name}
    return open_connection(argparse.Namespace(**values), out, connections)


def _at(args: argparse.Namespace, attribute: str, location: str) -> argparse.Namespace:
    """``args`` holding only the one location ``location`` (as ``attribute``)."""
    values = {**vars(args), **dict.fromkeys(LOCATION_ARGS)}
    values[attribute] = location
    return argparse.Namespace(**values)


def _ask_mfa(serial: str) -> str:
    """An assumed role with ``mfa_serial``: ask on the terminal, never block a script."""
    if not sys.stdin.isatty():
        raise InvalidCredentials(
            "The AWS profile's role needs an MFA code.",
            hint="Run the command in a terminal to type it.",
        )
    return input(f"MFA code for {serial}: ").strip()
