"""The AWS shared config as a source of connections, and IAM Identity Center (SSO) sign-in.

The second module allowed to import botocore (see pyproject's import-linter contract): it
reads the AWS config the way botocore does (``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE``, ``[sso-session]`` sections) and talks to the ``sso-oidc``
service, which has nothing to do with S3Backend's storage calls. Credentials themselves are
always resolved by botocore's own providers (S3Backend with ``aws_profile``); this module
only lists profiles and, when an SSO profile has no valid cached token, runs the OAuth
device authorization flow and writes the token where the AWS CLI does
(``~/.aws/sso/cache/<sha1>.json``, same fields), so that botocore's SSO provider then works.

Nothing here touches the keyring: the SSO token cache is the AWS CLI's own, shared with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import Cancelled, CloudBrowserError, ConfigError, InvalidCredentials

# botocore (and the backend module, which loads boto3) are imported inside the functions that call
# them: the window imports this module to build its menus, and importing botocore costs
# ~0.1 s that would otherwise delay the first paint (docs/architecture.md §7 start-up bar).

ProfileKind = Literal["keys", "sso", "assume-role", "process", "other"]


def sso_cache_dir() -> Path:
    """Where botocore's SSO providers read tokens: its own setting, read at each call so
    that the token is written exactly where botocore will look (``~/.aws/sso/cache``)."""
    import botocore.credentials

    configured = getattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", "")
    return Path(configured) if configured else Path("~/.aws/sso/cache").expanduser()


#: A token this close to expiry counts as expired (botocore refreshes 15 min ahead).
_EXPIRY_MARGIN = timedelta(minutes=5)
_DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628: on slow_down, poll 5 seconds less often.
_SLOW_DOWN_STEP = 5.0


@dataclass(frozen=True, slots=True)
class AwsProfile:
    """A profile of the AWS shared config, as a read-only connection source."""

    name: str
    kind: ProfileKind
    region: str = ""
    #: The profile's own ``endpoint_url`` (botocore uses it itself), for display.
    endpoint_url: str = ""

    @property
    def kind_label(self) -> str:
        return {
            "keys": "access keys",
            "sso": "IAM Identity Center (SSO)",
            "assume-role": "assume role",
            "process": "credential process",
            "other": "AWS profile",
        }[self.kind]

    def settings(self) -> ConnectionSettings:
        # endpoint_url stays None: botocore applies the profile's endpoint_url, region and
        # s3 addressing style itself, exactly as the AWS CLI would.
        return ConnectionSettings(
            name=f"{self.name} (AWS)",
            aws_profile=self.name,
            region=self.region or None,
            provider="aws" if not self.endpoint_url else "other",
        )


@dataclass(frozen=True, slots=True)
class SsoSession:
    """Where and how an SSO profile signs in."""

    start_url: str
    region: str
    #: The ``[sso-session NAME]`` a profile refers to; "" for a legacy profile.
    session_name: str = ""
    scopes: tuple[str, ...] = ()

    def cache_path(self, cache_dir: Path | None = None) -> Path:
        """The token file botocore reads: sha1 of the session name, else of the start URL."""
        key = self.session_name or self.start_url
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        return (cache_dir or sso_cache_dir()) / f"{digest}.json"


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the user must do to approve the sign-in in a browser."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: float


def _full_config() -> dict[str, Any]:
    import botocore.exceptions as bx
    import botocore.session

    try:
        config: dict[str, Any] = botocore.session.Session().full_config
    except bx.BotoCoreError as exc:
        raise ConfigError(
            "The AWS config files cannot be read.",
            hint="Check ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE).",
            detail=str(exc),
        ) from None
    return config


def _kind(values: dict[str, Any]) -> ProfileKind:
    if "sso_session" in values or "sso_start_url" in values:
        return "sso"
    if "role_arn" in values:
        return "assume-role"
    if "credential_process" in values:
        return "process"
    if "aws_access_key_id" in values:
        return "keys"
    return "other"


def list_aws_profiles() -> list[AwsProfile]:
    """Every profile of the AWS config and credentials files, sorted by name."""
    profiles: dict[str, dict[str, Any]] = _full_config().get("profiles", {})
    return [
        AwsProfile(
            name,
            _kind(values),
            str(values.get("region", "")),
            str(values.get("endpoint_url", "")),
        )
        for name, values in sorted(profiles.items())
    ]


def aws_profile(name: str) -> AwsProfile:
    """The AWS profile ``name``. Raises ConfigError."""
    for profile in list_aws_profiles():
        if profile.name == name:
            return profile
    raise ConfigError(
        f"The AWS profile “{name}” was not found.",
        hint="Check the profile name in ~/.aws/config (or AWS_CONFIG_FILE).",
    )


def sso_session(profile_name: str) -> SsoSession | None:
    """The SSO settings of a profile, or None if it does not sign in with SSO."""
    config = _full_config()
    values: dict[str, Any] = config.get("profiles", {}).get(profile_name, {})
    session_name = str(values.get("sso_session", ""))
    if session_name:
        section: dict[str, Any] = config.get("sso_sessions", {}).get(session_name, {})
        if not section.get("sso_start_url") or not section.get("sso_region"):
            raise ConfigError(
                f"The sso-session “{session_name}” of the AWS profile “{profile_name}” "
                "needs sso_start_url and sso_region.",
                hint="Fix the [sso-session] section in ~/.aws/config.",
            )
        scopes = str(section.get("sso_registration_scopes", ""))
        return SsoSession(
            str(section["sso_start_url"]),
            str(section["sso_region"]),
            session_name,
            tuple(s.strip() for s in scopes.split(",") if s.strip()),
        )
    if values.get("sso_start_url"):
        return SsoSession(str(values["sso_start_url"]), str(values.get("sso_region", "")))
    return None


def sso_token_valid(sso: SsoSession, *, cache_dir: Path | None = None) -> bool:
    """True when botocore will find a usable cached token (or can refresh one itself)."""
    try:
        token = json.loads(sso.cache_path(cache_dir).read_text(encoding="utf-8"))
        expires = _parse_time(token["expiresAt"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if expires - _EXPIRY_MARGIN > datetime.now(UTC):
        return True
    # An sso-session token with a refresh token is renewed by botocore without the user.
    return bool(sso.session_name and token.get("refreshToken"))


def sso_device_login(
    sso: SsoSession,
    *,
    on_code: Callable[[DeviceCode], None],
    cancel: threading.Event,
    client: Any = None,
    cache_dir: Path | None = None,
    wait: Callable[[float], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Path:
    """Sign in with the OAuth device authorization flow; returns the token file written.

    ``on_code`` is called once with the code to show and the URL to open. Polls
    ``CreateToken`` every ``interval`` seconds (slower after ``slow_down``) until the user
    approves, the code expires or ``cancel`` is set. ``wait(seconds)`` returns True when
    cancelled (default: ``cancel.wait``); tests pass a clock and a wait that do not sleep.

    Raises: Cancelled, InvalidCredentials (denied or expired), EndpointUnreachable and
    other StorageErrors.
    """
    import botocore.exceptions as bx
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    from cloudbrowser.core.backends.s3.errors import translate_error

    wait = wait or cancel.wait
    if client is None:
        client = botocore.session.Session().create_client(
            "sso-oidc", region_name=sso.region, config=Config(signature_version=UNSIGNED)
        )
    try:
        register: dict[str, Any] = {"clientName": "cloudbrowser", "clientType": "public"}
        if sso.scopes:
            register["scopes"] = list(sso.scopes)
        registration = client.register_client(**register)
        client_id, client_secret = registration["clientId"], registration["clientSecret"]
        auth = client.start_device_authorization(
            clientId=client_id, clientSecret=client_secret, startUrl=sso.start_url
        )
        interval = float(auth.get("interval") or 5)
        deadline = clock() + float(auth["expiresIn"])
        on_code(
            DeviceCode(
                auth["userCode"],
                auth["verificationUri"],
                auth.get("verificationUriComplete") or auth["verificationUri"],
                float(auth["expiresIn"]),
            )
        )
        while True:
            if cancel.is_set() or wait(interval):
                raise Cancelled("Sign-in cancelled.")
            if clock() >= deadline:
                raise _expired()
            try:
                token = client.create_token(
                    grantType=_DEVICE_GRANT,
                    deviceCode=auth["deviceCode"],
                    clientId=client_id,
                    clientSecret=client_secret,
                )
                break
            except bx.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "AuthorizationPendingException":
                    continue
                if code == "SlowDownException":
                    interval += _SLOW_DOWN_STEP
                    continue
                if code == "ExpiredTokenException":
                    raise _expired() from None
                if code == "AccessDeniedException":
                    raise InvalidCredentials(
                        "The sign-in was denied in the browser.",
                        hint="Connect again and approve the request.",
                        code=code,
                    ) from None
                raise
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_error(exc) from exc
    return _write_token(sso, registration, token, cache_dir)


def _write_token(
    sso: SsoSession, registration: dict[str, Any], token: dict[str, Any], cache_dir: Path | None
) -> Path:
    """Write the token as the AWS CLI does (botocore's SSOTokenLoader reads these fields)."""
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "startUrl": sso.start_url,
        "region": sso.region,
        "accessToken": token["accessToken"],
        "expiresAt": _format_time(now + timedelta(seconds=float(token["expiresIn"]))),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
    }
    expires = registration.get("clientSecretExpiresAt")
    if expires:
        data["registrationExpiresAt"] = _format_time(datetime.fromtimestamp(int(expires), UTC))
    if token.get("refreshToken"):
        data["refreshToken"] = token["refreshToken"]
    path = sso.cache_path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Private to the user, written atomically: the file holds a bearer token.
    fd, tmp = tempfile.mkstemp(prefix=".sso-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _expired() -> InvalidCredentials:
    return InvalidCredentials(
        "The sign-in code expired before it was approved.",
        hint="Connect again and approve the request in the browser within a few minutes.",
        code="ExpiredTokenException",
    )


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
