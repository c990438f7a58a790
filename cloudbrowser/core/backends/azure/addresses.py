"""What a user pastes to reach Azure Blob Storage, read into connection fields and a secret.

A connection string (``AccountName=…;AccountKey=…``, ``UseDevelopmentStorage=true``…) or a
shared access signature (a SAS URL from the portal, Storage Explorer or ``az storage …
generate-sas``, or the bare token) becomes an :class:`AzureAddress`: the connection's
``auth``, ``account``, ``endpoint_url``, where to open (a container-scoped SAS opens at its
container, a directory-scoped one at its folder) and the secret that goes to the keyring.
Bad input gets a message saying what is wrong and what to paste instead.

Plain text in, plain data out: no SDK, no Qt, no I/O. It is the connection set-up door of
the Azure backend (like ``backends/s3/presets``): the engine, the window and the CLI may
import it.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.storage import GRANT_WORDS, LinkGrant

#: Azure's public cloud; other clouds (China, US Government) have their own suffix.
DEFAULT_SUFFIX = "core.windows.net"

#: Azurite's well-known development account: public, the same on every machine
#: (https://learn.microsoft.com/azure/storage/common/storage-use-azurite).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_ENDPOINT = f"http://127.0.0.1:10000/{AZURITE_ACCOUNT}"
AZURITE_LABEL = "Azure emulator (Azurite)"

#: ``ConnectionSettings.auth`` of an Azure connection ("" is "key"): how requests are signed.
AUTHS = (
    "key", "connection_string", "sas", "azure_cli", "entra_default", "entra_device",
    "entra_browser", "anonymous",
)  # fmt: skip
#: The ways that keep a secret in the keyring (the rest sign in through Entra ID or not at all).
SECRET_AUTHS = ("key", "connection_string", "sas")
#: The ways that sign in through azure-identity (``backends/azure/entra.py``).
ENTRA_AUTHS = ("azure_cli", "entra_default", "entra_device", "entra_browser")

#: A SAS expiring sooner than this is warned about when it is pasted or tested.
EXPIRY_WARNING = timedelta(days=7)

_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER = re.compile(r"^(\$root|\$web|\$logs|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$")
#: Signed resources of a service SAS (``sr``): what it gives access to.
_RESOURCES = {
    "c": "container",
    "d": "directory",
    "b": "blob",
    "bs": "blob snapshot",
    "bv": "blob version",
}


@dataclass(frozen=True, slots=True)
class Sas:
    """The fields of a shared access signature a connection cares about."""

    #: The token as stored: the query string without "?".
    token: str = field(repr=False)
    expires: datetime | None
    starts: datetime | None
    #: ``sp``: r(ead) a(dd) c(reate) w(rite) d(elete) l(ist) t(ags) …
    permissions: str
    #: ``sr`` of a service SAS ("c", "d", "b"…); "" for an account SAS (``ss``/``srt``).
    resource: str
    #: ``ss`` of an account SAS: the services it covers ("b" = Blob).
    services: str = ""

    @property
    def can_list(self) -> bool:
        return "l" in self.permissions

    @property
    def can_write(self) -> bool:
        return any(p in self.permissions for p in "wacd")

    @property
    def scope(self) -> str:
        """ "account", "container", "directory", "blob"…: what the SAS was issued for."""
        return _RESOURCES.get(self.resource, "account") if self.resource else "account"


@dataclass(frozen=True, slots=True)
class AzureAddress:
    """Connection fields read from pasted text; ``secret`` goes to the keyring only."""

    #: ``ConnectionSettings.auth``: "key", "connection_string", "sas" or "anonymous".
    auth: str
    account: str = ""
    #: "" means the account's own endpoint in Azure's public cloud.
    endpoint_url: str = ""
    default_bucket: str = ""
    default_prefix: str = ""
    secret: str = field(default="", repr=False)
    #: Set for a SAS (alone or in a connection string).
    sas: Sas | None = None
    #: Things the user should know that do not stop the connection (near expiry, no list).
    warnings: tuple[str, ...] = ()


# ── names and endpoints ────────────────────────────────────────────────────────────────


def check_account_name(name: str) -> None:
    """Raises ConfigError unless ``name`` is a valid storage account name."""
    if not _ACCOUNT.match(name):
        raise ConfigError(
            f"“{name}” is not a storage account name." if name else "No storage account name.",
            hint=(
                "An account name is 3 to 24 lowercase letters and digits, as in "
                "https://NAME.blob.core.windows.net."
            ),
        )


def is_container_name(name: str) -> bool:
    """Azure's rules for a container: 3–63 of a-z, 0-9 and single hyphens (or $root…)."""
    return bool(_CONTAINER.match(name))


def account_url(account: str, endpoint_url: str = "") -> str:
    """The blob endpoint of ``account``: ``endpoint_url`` if given, else Azure's public one."""
    return endpoint_url or f"https://{account}.blob.{DEFAULT_SUFFIX}"


def check_account_key(key: str) -> None:
    """Raises ConfigError unless ``key`` looks like an account key (base64, 64 bytes)."""
    try:
        raw = base64.b64decode(key.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 32:
        raise ConfigError(
            "This is not a storage account key.",
            hint=(
                "Copy key1 or key2 from the account's “Access keys” in the Azure portal "
                "(88 characters ending in “==”)."
            ),
        )


def _endpoint_parts(url: str) -> tuple[str, str, list[str]]:
    """``(account, endpoint_url, path segments after the account)`` of a blob URL.

    ``https://acct.blob.core.windows.net/c/d`` → ``("acct", "", ["c", "d"])``;
    ``http://127.0.0.1:10000/devstoreaccount1/c`` (Azurite, path style) →
    ``("devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1", ["c"])``; another
    host (custom domain, private endpoint) keeps its address and no account name.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"“{_short(url)}” is not a web address.",
            hint="Paste the whole SAS URL, starting with https://.",
        )
    segments = [unquote(s) for s in parts.path.split("/") if s]
    host = parts.hostname.lower()
    base = f"{parts.scheme}://{parts.netloc}"
    label, dot, rest = host.partition(".")
    if dot and rest.startswith("blob."):
        suffix = rest.removeprefix("blob.")
        standard = parts.scheme == "https" and suffix == DEFAULT_SUFFIX and not parts.port
        return label, "" if standard else base, segments
    if _path_style(host) and segments:
        # The emulator and IP addresses put the account first in the path.
        return segments[0], f"{base}/{segments[0]}", segments[1:]
    return "", base, segments


def _path_style(host: str) -> bool:
    return host in ("localhost", "host.docker.internal") or bool(
        re.match(r"^[0-9.]+$|^\[?[0-9a-f:]+\]?$", host)
    )


# ── shared access signatures ───────────────────────────────────────────────────────────


def parse_sas(text: str, *, now: datetime | None = None) -> Sas:
    """The fields of a SAS token (with or without "?"). Raises ConfigError when it has no
    signature or expired (its date in the message)."""
    token = text.strip().removeprefix("?")
    query = parse_qs(token, keep_blank_values=True)
    if "sig" not in query or not query["sig"][0]:
        raise ConfigError(
            "This is not a shared access signature: it has no signature (“sig=”).",
            hint="Copy the whole SAS token or URL, from “sv=” to the end of “sig=…”.",
        )
    sas = Sas(
        token=token,
        expires=_sas_time(query, "se"),
        starts=_sas_time(query, "st"),
        permissions=_one(query, "sp"),
        resource=_one(query, "sr"),
        services=_one(query, "ss"),
    )
    if sas.services and "b" not in sas.services:
        raise ConfigError(
            "This account SAS does not cover Blob storage.",
            hint="Generate one with “Blob” ticked under allowed services (ss=b).",
        )
    moment = now or datetime.now(UTC)
    if sas.expires is not None and sas.expires <= moment:
        raise ConfigError(
            f"This shared access signature expired on {_date(sas.expires)}.",
            hint="Ask for a new SAS URL (or generate one).",
        )
    return sas


def sas_warnings(sas: Sas, *, now: datetime | None = None, expiry: bool = True) -> tuple[str, ...]:
    """What to tell the user about a valid SAS: near expiry (unless ``expiry`` is False:
    said elsewhere), not yet valid, cannot list."""
    moment = now or datetime.now(UTC)
    found: list[str] = []
    if expiry and sas.expires is not None and sas.expires - moment < EXPIRY_WARNING:
        found.append(f"This shared access signature expires on {_date(sas.expires)}.")
    if sas.starts is not None and sas.starts > moment:
        found.append(f"This shared access signature is valid only from {_date(sas.starts)}.")
    if not sas.can_list:
        found.append(
            (
                "This shared access signature can read but not list: "
                if "r" in sas.permissions
                else "This shared access signature can neither list nor read: "
            )
            + "open a container/blob directly (its address), since its contents cannot be "
            "shown."
        )
    return tuple(found)


#: What each letter of a SAS's ``sp`` lets its holder do, in the engine's words
#: (``core/storage.GRANT_WORDS``), as Microsoft's "Create a service SAS" and "Create an
#: account SAS" list them. "p" is "permissions" in a service SAS, "process" (queue
#: messages) in an account SAS: :data:`_ACCOUNT_LETTERS` overrides.
_PERMISSION_LETTERS = {
    "r": "read",
    "a": "add",
    "c": "create",
    "w": "write",
    "u": "update",
    "d": "delete",
    "x": "delete versions",
    "y": "delete permanently",
    "l": "list",
    "t": "read and write tags",
    "f": "find by tags",
    "m": "move",
    "e": "execute",
    "o": "change owner",
    "p": "change permissions",
    "i": "set immutability policy",
}
_ACCOUNT_LETTERS = {"p": "process messages"}
#: What a service SAS's ``sr`` covers, in LinkGrant's words.
_GRANT_SCOPES = {"c": "bucket", "d": "folder", "b": "object", "bs": "object", "bv": "object"}


def link_grant(token: str, *, bucket: str = "", prefix: str = "") -> LinkGrant:
    """What a link carrying the SAS ``token`` grants whoever holds it: its ``sp`` in
    words (a letter this table does not know is named as it is, so that it is never
    taken for reading), its ``sr`` (none: an account SAS), ``se``, ``si``, ``sip`` and
    ``spr``. Lenient: a token the service would refuse still says what it claims.
    ``bucket`` and ``prefix`` are where the connection opens (a SAS URL says what it is
    for, the token does not): the container of a container SAS, the folder of a
    directory SAS."""
    query = parse_qs(token.strip().removeprefix("?"), keep_blank_values=True)
    letters, resource = _one(query, "sp"), _one(query, "sr")
    table = _PERMISSION_LETTERS if resource else {**_PERMISSION_LETTERS, **_ACCOUNT_LETTERS}
    words = {table[c] for c in letters if c in table}
    unknown = [f"“{c}” (unknown to cloudbrowser)" for c in dict.fromkeys(letters) if c not in table]
    try:
        ends = _sas_time(query, "se")
    except ConfigError:
        ends = None
    spelled = " ".join(
        f"{name}={_one(query, name)}"
        for name in ("sp", "sr", "ss", "srt", "si")
        if _one(query, name)
    )
    scope = _GRANT_SCOPES.get(resource, "object") if resource else "account"
    scope_name = {"bucket": bucket, "folder": f"{bucket}/{prefix}" if bucket else ""}
    return LinkGrant(
        permissions=(*(w for w in GRANT_WORDS if w in words), *unknown),
        scope=scope,
        scope_name=scope_name.get(scope, ""),
        ends=ends.timestamp() if ends is not None else 0.0,
        policy=_one(query, "si"),
        addresses=_one(query, "sip"),
        protocols=_one(query, "spr"),
        spelled=spelled,
    )


def read_sas(text: str, *, account: str = "", now: datetime | None = None) -> AzureAddress:
    """A SAS URL (account, container, directory or blob scope) or a bare token → fields.

    A bare token needs ``account`` (or an endpoint, given separately). Raises ConfigError.
    """
    text = text.strip()
    if not text:
        raise ConfigError("Paste a SAS URL or token.")
    if "://" not in text:
        if "=" not in text:
            raise ConfigError(
                f"“{_short(text)}” is neither a SAS URL nor a SAS token.",
                hint="Paste the SAS URL (https://ACCOUNT.blob.core.windows.net/…?sv=…&sig=…).",
            )
        sas = parse_sas(text, now=now)
        return AzureAddress(
            "sas", account=account, secret=sas.token, sas=sas, warnings=sas_warnings(sas, now=now)
        )
    base, _, query = text.partition("?")
    acct, endpoint, segments = _endpoint_parts(base)
    if not query:
        raise ConfigError(
            "This address has no shared access signature (nothing after “?”).",
            hint="Copy the SAS URL the portal shows after “Generate SAS token and URL”.",
        )
    sas = parse_sas(query, now=now)
    bucket, prefix = _scope(sas, segments)
    return AzureAddress(
        "sas",
        account=acct or account,
        endpoint_url=endpoint,
        default_bucket=bucket,
        default_prefix=prefix,
        secret=sas.token,
        sas=sas,
        warnings=sas_warnings(sas, now=now),
    )


def _scope(sas: Sas, segments: list[str]) -> tuple[str, str]:
    """Where a SAS URL opens: its container, and a directory's or a blob's folder."""
    if not segments:
        if sas.resource in ("c", "d", "b", "bs", "bv"):
            raise ConfigError(
                f"This {sas.scope} SAS comes without its {sas.scope}'s address.",
                hint="Paste the whole SAS URL, with the container's name before “?”.",
            )
        return "", ""
    container, rest = segments[0], segments[1:]
    if sas.resource in ("b", "bs", "bv"):
        rest = rest[:-1]  # the blob's folder: the blob itself is not a place to open
    prefix = "/".join(rest)
    return container, f"{prefix}/" if prefix else ""


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def _sas_time(query: dict[str, list[str]], name: str) -> datetime | None:
    """``se``/``st``: ISO 8601 in UTC, to the second or the day (``2026-12-31``)."""
    value = _one(query, name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"The shared access signature's {'expiry' if name == 'se' else 'start'} "
            f"“{value}” is not a date.",
            hint="Copy the SAS again: it looks cut or edited.",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# ── connection strings ─────────────────────────────────────────────────────────────────


def read_connection_string(text: str, *, now: datetime | None = None) -> AzureAddress:
    """``AccountName=…;AccountKey=…`` (or with a SAS, a BlobEndpoint, a suffix…, or
    ``UseDevelopmentStorage=true``) → fields; the whole string is the secret. Raises
    ConfigError."""
    text = text.strip()
    values = _pairs(text)
    if values.get("usedevelopmentstorage", "").lower() == "true":
        proxy = values.get("developmentstorageproxyuri", "").rstrip("/")
        endpoint = f"{proxy}/{AZURITE_ACCOUNT}" if proxy else AZURITE_ENDPOINT
        return AzureAddress(
            "connection_string", account=AZURITE_ACCOUNT, endpoint_url=endpoint, secret=text
        )
    account = values.get("accountname", "")
    blob_endpoint = values.get("blobendpoint", "").rstrip("/")
    endpoint = ""
    if blob_endpoint:
        found, endpoint, _segments = _endpoint_parts(blob_endpoint)
        endpoint = endpoint or ""
        account = account or found
    elif account:
        protocol = values.get("defaultendpointsprotocol", "https").lower()
        suffix = values.get("endpointsuffix", DEFAULT_SUFFIX).lower()
        if protocol not in ("http", "https"):
            raise ConfigError(
                f"DefaultEndpointsProtocol must be https or http, not “{protocol}”.",
                hint="Copy the connection string again from the portal.",
            )
        if (protocol, suffix) != ("https", DEFAULT_SUFFIX):
            endpoint = f"{protocol}://{account}.blob.{suffix}"
    else:
        raise ConfigError(
            "This connection string names no account (AccountName=) and no BlobEndpoint=.",
            hint="Copy it from the account's “Access keys” in the Azure portal.",
        )
    if account:
        check_account_name(account)
    key, sas_text = values.get("accountkey", ""), values.get("sharedaccesssignature", "")
    if key:
        check_account_key(key)
    sas = parse_sas(sas_text, now=now) if sas_text else None
    if not key and sas is None:
        raise ConfigError(
            "This connection string has neither AccountKey= nor SharedAccessSignature=.",
            hint="Copy the whole connection string from the account's “Access keys”.",
        )
    warnings = sas_warnings(sas, now=now) if sas is not None else ()
    return AzureAddress(
        "connection_string",
        account=account,
        endpoint_url=endpoint,
        secret=text,
        sas=sas,
        warnings=warnings,
    )


def connection_string_sas(text: str) -> str:
    """The SAS token a connection string signs with (``SharedAccessSignature=``, without
    "?"), where it has no AccountKey; "" otherwise, and for text that is not one."""
    try:
        values = _pairs(text.strip())
    except ConfigError:
        return ""
    if values.get("accountkey"):
        return ""
    return values.get("sharedaccesssignature", "").lstrip("?")


def _pairs(text: str) -> dict[str, str]:
    """``Key=Value;…`` with keys in lower case; values keep their "=" (base64, SAS)."""
    if "=" not in text:
        raise ConfigError(
            "This is not a connection string.",
            hint="It looks like “DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…”.",
        )
    values: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(
                "A part of the connection string is not “Name=value”.",
                hint="Copy the connection string again: it looks cut or edited.",
            )
        values[name.strip().lower()] = value.strip()
    return values


def azurite_address(endpoint_url: str = AZURITE_ENDPOINT) -> AzureAddress:
    """The Azure emulator's well-known account and key (public, not a secret)."""
    return AzureAddress(
        "key", account=AZURITE_ACCOUNT, endpoint_url=endpoint_url.rstrip("/"), secret=AZURITE_KEY
    )


def read_secret(auth: str, secret: str, *, now: datetime | None = None) -> AzureAddress:
    """Checks the secret typed for ``auth`` ("key", "connection_string", "sas"): what it
    says, with its warnings. Raises ConfigError (not a key, expired SAS…)."""
    if auth == "key":
        check_account_key(secret)
        return AzureAddress("key", secret=secret.strip())
    if auth == "connection_string":
        return read_connection_string(secret, now=now)
    return read_sas(secret, now=now)


def read_any(text: str, *, account: str = "", now: datetime | None = None) -> AzureAddress:
    """Whatever was pasted: a connection string, a SAS URL or a SAS token."""
    stripped = text.strip()
    if _looks_like_cs(stripped):
        return read_connection_string(stripped, now=now)
    return read_sas(stripped, account=account, now=now)


def _looks_like_cs(text: str) -> bool:
    head = text.partition("=")[0].strip().lower()
    return head in (
        "defaultendpointsprotocol", "accountname", "accountkey", "blobendpoint",
        "usedevelopmentstorage", "sharedaccesssignature", "endpointsuffix",
    )  # fmt: skip


def _short(text: str) -> str:
    """Pasted text, short enough for a message (and never a whole signature)."""
    text = text.split("sig=")[0]
    return text if len(text) <= 50 else text[:47] + "…"
