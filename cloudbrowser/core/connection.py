"""What cloudbrowser needs to know to talk to one S3 endpoint. Plain data, no I/O.

``ConnectionSettings`` holds nothing secret and may be written to disk. ``Credentials``
holds the secret and never shows it: its ``repr`` masks it, so it cannot leak into logs or
tracebacks by accident, and it registers the secret with the log redactor (``core/redaction.py``)
so that no log line can carry it, whatever path it took there.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from cloudbrowser.core.redaction import register_secret

AddressingStyle = Literal["auto", "path", "virtual"]


class _CredentialsFields(NamedTuple):
    access_key_id: str
    secret_access_key: str
    session_token: str


class Credentials(_CredentialsFields):
    """A key and its secret (and a session's token): the secret registered with the log
    redactor when it is made, and never in the ``repr``.

    NamedTuples here, not dataclasses: both are made at every command's start, where a
    dataclass costs ~1 ms to build and ``dataclasses`` (with ``inspect``) ~10 ms to import.
    """

    __slots__ = ()

    def __new__(
        cls, access_key_id: str, secret_access_key: str, session_token: str = ""
    ) -> Credentials:
        register_secret(secret_access_key)
        register_secret(session_token)
        return super().__new__(cls, access_key_id, secret_access_key, session_token)

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r})"

    def _replace(self, **changes: str) -> Credentials:
        """A copy with ``changes``, its secrets registered as a new one's are."""
        return Credentials(**{**self._asdict(), **changes})


class ConnectionSettings(NamedTuple):
    """A connection: where the server is and how to sign requests (never the secret).

    When ``credentials`` is not given to the backend, botocore's own chain finds them:
    ``aws_profile`` from the AWS shared config (``~/.aws/config``, SSO, credential_process,
    assume-role), else the environment (``AWS_ACCESS_KEY_ID``...).
    """

    name: str = "default"
    #: The backend that talks to it (``core/backends``: "s3"; "memory" in tests).
    kind: str = "s3"
    #: ``None`` means AWS S3 itself.
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: AddressingStyle = "auto"
    aws_profile: str | None = None
    #: Public buckets: send unsigned requests.
    anonymous: bool = False
    #: ``False`` disables certificate checks; a string is a CA bundle path.
    verify_tls: bool | str = True
    #: Seconds to wait for a TCP connection, then for each response.
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: Attempts per request including the first (botocore "standard" retry mode).
    max_attempts: int = 3
    #: HTTP connections kept in the pool; at least the number of worker threads (32
    #: small files at once: fewer kept would open a new connection, a TLS handshake and
    #: its round trips, for every file beyond them).
    max_pool_connections: int = 40
    #: Provider preset id (``core/backends/s3/presets.py``) whose capability flags apply;
    #: "" unknown.
    provider: str = ""
    #: For keys that may not call ListAllMyBuckets: the bucket shown instead of the bucket
    #: list (no ListBuckets request is sent), and where to open it.
    default_bucket: str = ""
    default_prefix: str = ""
    #: How requests are signed, per kind ("" = the kind's default). GCS: "adc",
    #: "service_account", "oauth", "anonymous". Azure: "key", "connection_string", "sas",
    #: "azure_cli", "entra_default", "entra_device", "entra_browser", "anonymous".
    auth: str = ""
    #: The Google Cloud project (listing and creating GCS buckets).
    project: str = ""
    #: The Azure storage account name.
    account: str = ""
    #: GCS: the service account whose email signs share links through IAM's signBlob where
    #: the credentials have no key of their own (a user's sign-in); "" = the credentials'
    #: own account (an impersonated one's, a metadata server's). A key signs as itself.
    sign_links_as: str = ""

    @property
    def display_endpoint(self) -> str:
        return self.endpoint_url or "Amazon S3"


def looks_like_email(text: str) -> bool:
    """NAME@DOMAIN, one "@", no spaces: a service account's email, roughly (Google's IAM
    says the rest)."""
    name, at, domain = text.partition("@")
    return bool(name and at and domain) and "@" not in domain and not any(c.isspace() for c in text)
