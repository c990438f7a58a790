"""Saved connections: plain data in ``connections.json`` in the config dir; secrets in the keyring.

A :class:`Profile` holds nothing secret, so the file may be read, copied and backed up
freely. The secret access key (and an optional session token) live in the OS keyring under
the profile's ``id``, which never changes: renaming a connection does not move its secret,
and two connections can never share one by accident. Deleting a profile deletes its secret.

The file is rewritten atomically (temporary file beside it, fsync, rename): a crash while
saving leaves the old file or the new one, never half of one. A file that cannot be read
is moved aside and reported, never overwritten nor deleted (see :meth:`ProfileStore.load`),
so a hand edit gone wrong neither stops the app nor costs a connection.
Methods that touch the keyring (noted in their docstrings) may block: call them on a worker.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cloudbrowser.core.backends.s3.presets import preset
from cloudbrowser.core.connection import (
    AddressingStyle,
    ConnectionSettings,
    Credentials,
    looks_like_email,
)
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.local_state import DamagedFile, move_aside, report
from cloudbrowser.core.paths import config_dir
from cloudbrowser.core.secrets import SecretStore

PROFILES_FILE = "connections.json"
FORMAT_VERSION = 1
_ADDRESSING: tuple[AddressingStyle, ...] = ("auto", "path", "virtual")
#: How a GCS connection signs in (``ConnectionSettings.auth``); the first is the default.
GCS_AUTH: tuple[str, ...] = ("adc", "service_account", "oauth", "anonymous")


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Profile:
    """A saved connection (never the secret)."""

    name: str
    preset: str = "other"
    endpoint_url: str = ""
    region: str = ""
    addressing_style: AddressingStyle = "path"
    access_key_id: str = ""
    #: Public buckets: unsigned requests, no key at all.
    anonymous: bool = False
    default_bucket: str = ""
    default_prefix: str = ""
    verify_tls: bool = True
    #: A CA bundle file to trust instead of the system's (used when ``verify_tls``).
    ca_bundle: str = ""
    #: Cloudflare R2's account id (the endpoint is built from it).
    account_id: str = ""
    #: The backend: "s3" (``preset`` says which service), "gcs" (Google Cloud Storage's own
    #: API) or "azure" (Azure Blob Storage); ``preset`` and the S3 fields are S3's only.
    kind: str = "s3"
    #: How requests are signed, per kind ("" = the kind's default; ``ConnectionSettings.auth``).
    #: For "gcs", ``access_key_id`` is the service account's email or the OAuth client id;
    #: for "azure" the public half is the account (:attr:`credential_id`).
    auth: str = ""
    #: The GCS project (listing and creating buckets); "" = the credentials' own.
    project: str = ""
    #: The Azure storage account name.
    account: str = ""
    #: GCS: "Sign links as", the service account's email (``ConnectionSettings.sign_links_as``).
    sign_links_as: str = ""
    #: Stable key of the secret in the keyring.
    id: str = field(default_factory=_new_id)

    def validate(self) -> None:
        """Raises ConfigError naming the first field that is wrong."""
        if not self.name.strip():
            raise ConfigError("The connection needs a name.")
        if self.kind == "gcs":
            self._validate_gcs()
        elif self.kind == "azure":
            self._validate_azure()
        elif self.kind == "s3":
            self._validate_s3()
        else:
            raise ConfigError(
                f"This version of cloudbrowser cannot save “{self.kind}” connections.",
                hint="The connection was saved by a newer version, or its file was edited.",
            )
        if self.default_prefix and not self.default_bucket:
            raise ConfigError("A default folder needs a default bucket.")

    def _validate_s3(self) -> None:
        p = preset(self.preset)
        if not self.endpoint_url and p.needs_endpoint:
            raise ConfigError(
                f"{p.label} needs the server's address.",
                hint="Type the endpoint URL, e.g. https://s3.example.com or http://host:9000.",
            )
        self._validate_endpoint_url()
        if self.addressing_style not in _ADDRESSING:
            raise ConfigError(f"Unknown addressing style “{self.addressing_style}”.")
        if not self.anonymous and not self.access_key_id.strip():
            raise ConfigError(
                "The connection needs an access key ID (or tick “Anonymous” for public buckets)."
            )

    def _validate_gcs(self) -> None:
        # No endpoint: Google's own is the default; one is typed only for an emulator.
        self._validate_endpoint_url()
        if self.auth not in ("", *GCS_AUTH):
            raise ConfigError(f"Unknown way to sign in to Google Cloud Storage: “{self.auth}”.")
        auth = self.gcs_auth()
        if auth == "service_account" and not self.access_key_id.strip():
            raise ConfigError(
                "The connection needs a service-account key.",
                hint="Choose the key's JSON file (Google Cloud console → IAM & Admin → "
                "Service accounts → Keys).",
            )
        if auth == "oauth" and not self.access_key_id.strip():
            raise ConfigError(
                "The connection needs your OAuth client ID and a browser sign-in.",
                hint="Create a desktop OAuth client (Google Cloud console → APIs & Services → "
                "Credentials), type its ID and secret, then sign in.",
            )
        email = self.sign_links_as.strip()
        if email and not looks_like_email(email):
            raise ConfigError(
                f"“{email}” is not a service account's email (to sign links as).",
                hint="Write it as NAME@PROJECT.iam.gserviceaccount.com, or leave it empty.",
            )

    def _validate_endpoint_url(self) -> None:
        if self.endpoint_url and not self.endpoint_url.startswith(("http://", "https://")):
            raise ConfigError(
                "The endpoint URL must start with http:// or https://.",
                hint="Write it like https://s3.example.com or http://127.0.0.1:9000.",
            )

    def gcs_auth(self) -> str:
        """A GCS connection's way of signing in, "" spelled out ("adc")."""
        return self.auth or GCS_AUTH[0]

    def _validate_azure(self) -> None:
        # Imported when an Azure connection needs it: S3's start-up does not pay for it.
        from cloudbrowser.core.backends.azure import addresses as azure

        auth = self.auth or "key"
        if auth not in azure.AUTHS:
            raise ConfigError(f"Unknown way to sign in to Azure “{self.auth}”.")
        if self.endpoint_url and not self.endpoint_url.startswith(("http://", "https://")):
            raise ConfigError(
                "The endpoint URL must start with http:// or https://.",
                hint="Write it like https://ACCOUNT.blob.core.windows.net or "
                "http://127.0.0.1:10000/devstoreaccount1.",
            )
        # A connection string names its account; a SAS or a public container may come with
        # an address alone (a custom domain); every other way needs the account's name.
        optional = auth == "connection_string" or (
            auth in ("sas", "anonymous") and bool(self.endpoint_url)
        )
        if self.account or not optional:
            azure.check_account_name(self.account)
        if self.default_bucket and not azure.is_container_name(self.default_bucket):
            raise ConfigError(
                f"“{self.default_bucket}” is not a container name.",
                hint="A container name is 3 to 63 lowercase letters, digits and single hyphens.",
            )
        if self.default_prefix and not self.default_bucket:
            raise ConfigError("A default folder needs a default container.")

    def check_secret(self, secret: str) -> tuple[str, ...]:
        """Checks a secret typed for this connection before it is stored; returns what the
        user should know (a SAS expiring soon, a SAS that cannot list). Raises ConfigError
        (not an account key, an expired SAS, a connection string without a key…)."""
        from cloudbrowser.core.backends.azure import addresses as azure

        if self.kind == "azure" and (self.auth or "key") in azure.SECRET_AUTHS:
            return azure.read_secret(self.auth or "key", secret).warnings
        return ()

    @property
    def needs_secret(self) -> bool:
        """Whether requests are signed with a secret kept in the keyring (a GCS connection
        on application default credentials, Azure's Entra ID or an anonymous connection
        has none of its own)."""
        if self.anonymous:
            return False
        if self.kind == "azure":
            from cloudbrowser.core.backends.azure import addresses as azure

            return (self.auth or "key") in azure.SECRET_AUTHS
        if self.kind == "gcs":
            return bool(self.access_key_id) and self.gcs_auth() in ("service_account", "oauth")
        return bool(self.access_key_id)

    @property
    def credential_id(self) -> str:
        """The public half of the credentials (``Credentials.access_key_id``): the access
        key id; for Azure the account name, "sas" for a shared access signature."""
        if self.kind == "azure":
            return "sas" if self.auth == "sas" else self.account
        return self.access_key_id

    def endpoint(self) -> str:
        """The endpoint to use: the one typed, else the preset's ("" is the provider's own)."""
        if self.endpoint_url:
            return self.endpoint_url
        if self.kind == "azure":
            from cloudbrowser.core.backends.azure import addresses as azure

            return azure.account_url(self.account) if self.account else ""
        if self.kind != "s3":
            return ""
        return preset(self.preset).endpoint(self.region, self.account_id)

    def settings(self) -> ConnectionSettings:
        """The ConnectionSettings this profile describes (its secret comes separately)."""
        if self.kind != "s3":
            return self._other_settings()
        p = preset(self.preset)
        prefix = self.default_prefix.strip("/")
        return ConnectionSettings(
            name=self.name,
            endpoint_url=self.endpoint() or None,
            region=self.region or p.region or None,
            addressing_style=self.addressing_style,
            anonymous=self.anonymous,
            verify_tls=self._verify(),
            provider=p.id,
            default_bucket=self.default_bucket.strip(),
            default_prefix=f"{prefix}/" if prefix else "",
            auth=self.auth,
            project=self.project.strip(),
            account=self.account.strip(),
        )

    def _other_settings(self) -> ConnectionSettings:
        """A connection of another API than S3's: no preset, region or addressing style."""
        prefix = self.default_prefix.strip("/")
        auth = self.gcs_auth() if self.kind == "gcs" else self.auth
        if self.kind == "azure":
            auth = auth or "key"
        return ConnectionSettings(
            name=self.name,
            kind=self.kind,
            endpoint_url=self.endpoint_url or None,
            anonymous=self.anonymous or auth == "anonymous",
            verify_tls=self._verify(),
            default_bucket=self.default_bucket.strip(),
            default_prefix=f"{prefix}/" if prefix else "",
            auth=auth,
            project=self.project.strip(),
            account=self.account.strip(),
            sign_links_as=self.sign_links_as.strip() if self.kind == "gcs" else "",
        )

    def _verify(self) -> bool | str:
        return (self.ca_bundle or True) if self.verify_tls else False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Profile:
        """Reads a stored profile; unknown keys (from a newer version) are ignored.
        Raises ValueError saying what is wrong (not an object, a field of the wrong type)."""
        if not isinstance(data, dict):
            raise ValueError(f"not a connection but {_shown(data)}")
        known = {f.name: f for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if not isinstance(values.get("name"), str) or not values["name"].strip():
            raise ValueError("a connection without a name")
        for name, value in values.items():
            # Every field is text or true/false: a hand edit of another type would only
            # fail later, far from here (``.strip()`` of a number).
            wanted = bool if isinstance(known[name].default, bool) else str
            if type(value) is not wanted:
                kind = "true or false" if wanted is bool else "text"
                raise ValueError(f"“{values['name']}”: {name} must be {kind}, not {_shown(value)}")
        if values.get("addressing_style", "path") not in _ADDRESSING:
            raise ValueError(f"“{values['name']}”: unknown addressing style")
        return cls(**values)


def _shown(value: object) -> str:
    """A value of a damaged file, short enough for a message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


class ProfileStore:
    """The saved connections of this user, and their secrets.

    ``path`` defaults to ``connections.json`` in the config dir.
    """

    def __init__(self, path: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.path = path or config_dir() / PROFILES_FILE
        self.secrets = secrets or SecretStore()
        # The GUI thread saves while a worker may remove or duplicate: one edit at a time,
        # so that no read-modify-write loses another's change.
        self._lock = threading.RLock()

    # ── the file ────────────────────────────────────────────────────────────────────────

    def load(self) -> list[Profile]:
        """Every saved profile, in the saved order.

        A damaged file never stops the app: a file that cannot be read at all is moved
        aside (``connections.json.damaged-<time>``) and no connection is loaded; entries
        that cannot be read are left out, the original file is moved aside and the good
        entries are saved again. Either way the original bytes survive and the user is
        told (:mod:`cloudbrowser.core.local_state`). Raises ConfigError when the file
        cannot be read or moved (permissions).
        """
        with self._lock:
            raw = self._read()
            if raw is None:
                return []
            profiles, problems = _parse(raw)
            if not problems:
                return profiles
            return self._recover()

    def _read(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the saved connections ({self.path}).", detail=str(exc)
            ) from None

    def _recover(self) -> list[Profile]:
        """Move the damaged file aside, keep what it holds that can be read."""
        try:
            moved = move_aside(self.path)
        except OSError as exc:
            raise ConfigError(
                f"The saved connections file is damaged and cannot be moved aside: {self.path}",
                hint="Fix or move the file away; it is left as it is until then.",
                detail=str(exc),
            ) from None
        if moved is None:  # another process moved it first (and saved the good ones)
            raw = self._read()
            return _parse(raw)[0] if raw is not None else []
        # Parse what was moved (not what was read before): exactly those bytes are kept.
        profiles, problems = _parse(moved.read_bytes())
        if profiles:
            self.save(profiles)
        _report_damage(self.path, moved, profiles, problems)
        return profiles

    def save(self, profiles: list[Profile]) -> None:
        """Write all profiles atomically. Raises ConfigError."""
        data = {"version": FORMAT_VERSION, "connections": [p.to_json() for p in profiles]}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".connections-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                Path(tmp).replace(self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise ConfigError(
                f"Cannot save the connections to {self.path}.", detail=str(exc)
            ) from None

    # ── editing ─────────────────────────────────────────────────────────────────────────

    def get(self, name: str) -> Profile:
        """The profile named ``name``. Raises ConfigError."""
        for p in self.load():
            if p.name == name:
                return p
        raise ConfigError(f"There is no saved connection named “{name}”.")

    def add(self, profile: Profile) -> Profile:
        """Save a new profile. Raises ConfigError (invalid, or the name is taken)."""
        profile.validate()
        with self._lock:
            return self._add(profile)

    def _add(self, profile: Profile) -> Profile:
        profiles = self.load()
        if any(p.name == profile.name for p in profiles):
            raise ConfigError(
                f"A connection named “{profile.name}” already exists.",
                hint="Choose another name.",
            )
        if any(p.id == profile.id for p in profiles):
            profile = replace(profile, id=_new_id())
        self.save([*profiles, profile])
        return profile

    def update(self, profile: Profile) -> Profile:
        """Replace the saved profile with the same ``id`` (a rename keeps the secret)."""
        profile.validate()
        with self._lock:
            return self._update(profile)

    def _update(self, profile: Profile) -> Profile:
        profiles = self.load()
        if not any(p.id == profile.id for p in profiles):
            raise ConfigError(f"The connection “{profile.name}” is no longer saved.")
        if any(p.name == profile.name and p.id != profile.id for p in profiles):
            raise ConfigError(
                f"A connection named “{profile.name}” already exists.",
                hint="Choose another name.",
            )
        self.save([profile if p.id == profile.id else p for p in profiles])
        return profile

    def duplicate(self, name: str) -> Profile:
        """A copy named “<name> (copy)”, with a copy of the secret. Touches the keyring."""
        with self._lock:
            original = self.get(name)
            taken = {p.name for p in self.load()}
            new_name, n = f"{name} (copy)", 2
            while new_name in taken:
                new_name, n = f"{name} (copy {n})", n + 1
            copy = self.add(replace(original, name=new_name, id=_new_id()))
        secret = self.credentials(original)
        if secret is not None:
            self.set_secret(copy, secret.secret_access_key, secret.session_token)
        return copy

    def remove(self, name: str) -> None:
        """Forget a profile and its secret. Touches the keyring (after the file is saved:
        an unusable keyring must not keep a connection the user deleted)."""
        with self._lock:
            profile = self.get(name)
            self.save([p for p in self.load() if p.id != profile.id])
        self.secrets.delete(_secret_key(profile))
        self.secrets.delete(_token_key(profile))

    # ── secrets (keyring: call on a worker) ─────────────────────────────────────────────

    def set_secret(self, profile: Profile, secret: str, session_token: str = "") -> None:
        """Store the profile's secret key (and session token). Raises KeyringUnavailable."""
        self.secrets.set(_secret_key(profile), secret)
        if session_token:
            self.secrets.set(_token_key(profile), session_token)
        else:
            self.secrets.delete(_token_key(profile))

    def credentials(self, profile: Profile) -> Credentials | None:
        """The profile's credentials from the keyring; None when it signs no requests
        (anonymous), has no secret of its own (GCS application default credentials, Azure's
        Entra ID) or no secret is stored. For GCS, the secret is the credentials' JSON text
        (a service-account key or an authorized-user record); Azure's: (account, key),
        (account or "", connection string), ("sas", token). Raises KeyringUnavailable."""
        if not profile.needs_secret:
            return None
        secret = self.secrets.get(_secret_key(profile))
        if secret is None:
            return None
        token = self.secrets.get(_token_key(profile)) or ""
        return Credentials(profile.credential_id, secret, token)


def _parse(raw: bytes) -> tuple[list[Profile], list[str]]:
    """The profiles in a file's bytes, and what could not be read. A file that cannot be
    read at all gives no profile and one problem, the first word of which is ``file``."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return [], ["file: not text (UTF-8)"]
    except ValueError as exc:
        return [], [f"file: not JSON ({exc})"]
    if not isinstance(data, dict) or not isinstance(data.get("connections"), list):
        return [], ["file: no list of “connections” in it"]
    profiles: list[Profile] = []
    problems: list[str] = []
    for n, item in enumerate(data["connections"], start=1):
        try:
            profiles.append(Profile.from_json(item))
        except ValueError as exc:
            problems.append(f"connection {n}: {exc}")
    return profiles, problems


def _report_damage(path: Path, moved: Path, kept: list[Profile], problems: list[str]) -> None:
    if problems[0].startswith("file:"):
        message = f"The saved connections file {path} could not be read ({problems[0][6:]})."
        what = "cloudbrowser goes on without saved connections."
    else:
        count = len(problems)
        message = (
            f"{count} saved connection{'s' if count != 1 else ''} in {path} could not be "
            f"read and {'were' if count != 1 else 'was'} left out."
        )
        others = len(kept)
        what = (
            f"The {others} other connection{'s are' if others != 1 else ' is'} kept."
            if kept
            else "No connection could be read."
        )
    report(
        DamagedFile(
            message,
            moved_to=[moved],
            hint=(
                f"{what} The original file is kept as {moved}: fix it and put it back as "
                f"{path.name} to get them back, or add the connections again."
            ),
            detail="\n".join(problems),
        )
    )


def _secret_key(profile: Profile) -> str:
    return f"profile:{profile.id}"


def _token_key(profile: Profile) -> str:
    return f"profile:{profile.id}:session-token"
