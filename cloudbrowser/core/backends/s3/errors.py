"""botocore's and urllib3's exceptions as cloudbrowser's errors (core/errors.py): what a
user can act on, with a hint. S3's error codes map to errors by a table
(:data:`_BY_CODE`, then :data:`_BY_STATUS` for replies without a known code)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import botocore.exceptions as bx
from botocore.parsers import ResponseParserError

from cloudbrowser.core.errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    CloudBrowserError,
    ConfigError,
    EndpointUnreachable,
    IntegrityError,
    InvalidCredentials,
    KeyNotFound,
    NotFound,
    NotSupported,
    NoVersioning,
    ObjectChanged,
    RequestTimeout,
    StorageError,
    Throttled,
    TLSError,
    UploadNotFound,
)

T = TypeVar("T")


class UnreadableReply(Exception):
    """A complete 200 reply whose body is not S3's XML (garbage, an entity-expansion bomb,
    a proxy's HTML page). Raised from a botocore hook, so it is never retried: the same
    request would get the same body (a reply cut short is retried, see _cut_short)."""

    def __init__(self, operation: str, reason: str, body: bytes) -> None:
        super().__init__(f"{operation}: {reason}")
        self.operation = operation
        self.reason = reason
        self.start = body[:120]


def guard(call: Callable[[], T], *, bucket: str = "", key: str = "") -> T:
    """Run ``call`` and translate whatever botocore raises into our own errors."""
    try:
        return call()
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_error(exc, bucket=bucket, key=key) from exc


def versioned(call: Callable[[], T], *, bucket: str = "", key: str = "") -> T:
    """:func:`guard` for version calls: a server that keeps no versions says so plainly."""
    try:
        return guard(call, bucket=bucket, key=key)
    except StorageError as error:
        if error.code not in ("NotImplemented", "MethodNotAllowed"):
            raise
        raise NoVersioning(
            "This server does not keep object versions.",
            hint="Versions need a server (and a bucket) with versioning turned on.",
            detail=error.detail,
            code=error.code,
        ) from error


#: How a server says it has no such API (the codes, or only the status without a body).
UNSUPPORTED_CODES = frozenset({"NotImplemented", "MethodNotAllowed", "501", "405"})

_UNSUPPORTED = {
    "ListParts": (
        "This server cannot list the parts of an incomplete upload (no ListParts).",
        "An interrupted upload to it starts again from the beginning.",
    ),
    "ListMultipartUploads": (
        "This server does not support listing incomplete uploads (no ListMultipartUploads).",
        "They cannot be cleaned up from here; the server's own tools may do it.",
    ),
    "AbortMultipartUpload": (
        "This server does not support aborting incomplete uploads (no AbortMultipartUpload).",
        "Their parts stay until the server expires them; its own tools may remove them.",
    ),
}


def not_supported(api: str, error: StorageError | None = None) -> NotSupported:
    message, hint = _UNSUPPORTED.get(api, (f"This server does not support {api}.", ""))
    return NotSupported(
        message,
        hint=hint,
        detail=error.detail if error else f"{api}: not implemented (remembered)",
        code=error.code if error else "NotImplemented",
    )


@dataclass(frozen=True, slots=True)
class _Failure:
    """What an exception raised before any reply (the network, the sign-in) becomes."""

    error: type[StorageError]
    message: str
    hint: str
    code: str = ""


#: botocore exception classes → what they become, first match wins.
_BY_EXCEPTION: tuple[tuple[type[Exception] | tuple[type[Exception], ...], _Failure], ...] = (
    (
        bx.SSLError,
        _Failure(
            TLSError,
            "The secure (TLS) connection to the server failed.",
            "Check the endpoint URL (http vs https) and the server's certificate.",
        ),
    ),
    (
        bx.ConnectTimeoutError,
        _Failure(
            EndpointUnreachable,
            "The server did not accept a connection in time.",
            "Check the endpoint URL and your network connection.",
        ),
    ),
    (
        bx.ReadTimeoutError,
        _Failure(
            RequestTimeout,
            "The server accepted the request but did not answer in time.",
            "Try again; if it keeps happening, the server may be overloaded.",
        ),
    ),
    (
        (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.HTTPClientError),
        _Failure(
            EndpointUnreachable,
            # Not "Cannot connect…": the title says that; this says what was seen.
            "Nothing answered at the server's address.",
            "Check the endpoint URL, that the server is running, and your network.",
        ),
    ),
    (
        # The server closed the connection in the middle of a body (it died or restarted).
        bx.IncompleteReadError,
        _Failure(
            EndpointUnreachable,
            "The connection to the server broke off in the middle of a reply.",
            "Check that the server is running and your network, then retry.",
        ),
    ),
    (
        (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError),
        _Failure(
            InvalidCredentials,
            "The IAM Identity Center (SSO) sign-in is missing or has expired.",
            "Connect to this AWS profile again to sign in (or run “aws sso login”).",
            code="SSOLoginRequired",
        ),
    ),
    (
        bx.RefreshWithMFAUnsupportedError,
        _Failure(
            InvalidCredentials,
            "The role's temporary credentials need a new MFA code.",
            "Close the connection and open it again to enter a fresh code.",
        ),
    ),
    (
        (bx.CredentialRetrievalError, bx.InvalidConfigError),
        _Failure(
            InvalidCredentials,
            "The AWS profile's credentials could not be obtained.",
            "Check its credential_process, role or source_profile in ~/.aws/config.",
        ),
    ),
    (
        (bx.NoCredentialsError, bx.PartialCredentialsError),
        _Failure(
            InvalidCredentials,
            "No credentials were found for this connection.",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose an AWS profile.",
        ),
    ),
)


def translate_error(exc: BaseException, *, bucket: str = "", key: str = "") -> CloudBrowserError:
    """Map a botocore/urllib3 exception to the cloudbrowser error a user can act on."""
    where = f"“{bucket}/{key}”" if key else (f"bucket “{bucket}”" if bucket else "the server")
    if isinstance(exc, UnreadableReply | ResponseParserError):
        operation = exc.operation if isinstance(exc, UnreadableReply) else "the request"
        detail = (
            f"{exc.reason}; the reply began with {exc.start!r}"
            if isinstance(exc, UnreadableReply)
            else str(exc)
        )
        return StorageError(
            f"The server's reply to {operation} for {where} could not be read.",
            hint="The server (or a proxy in front of it) sent something other than S3's XML. "
            "Check the endpoint URL; if it is right, the server is at fault: report it to "
            "its operator.",
            detail=detail,
            code="UnreadableReply",
        )
    if isinstance(exc, bx.ClientError):
        return _translate_client_error(exc, bucket=bucket, key=key, where=where)
    for kinds, rule in _BY_EXCEPTION:
        if isinstance(exc, kinds):
            return rule.error(rule.message, hint=rule.hint, detail=str(exc), code=rule.code)
    if isinstance(exc, bx.ProfileNotFound):
        return ConfigError(
            f"The AWS profile was not found: {exc.kwargs.get('profile', '')}.",
            hint="Check the profile name in ~/.aws/config.",
        )
    if isinstance(exc, bx.NoRegionError):
        return ConfigError("No region is set for this connection.", hint="Choose a region.")
    if (
        isinstance(exc, bx.InvalidEndpointConfigurationError | ValueError)
        and "endpoint" in str(exc).lower()
    ):
        return ConfigError(
            "The endpoint URL is not valid.",
            hint="Write it like https://s3.example.com or http://127.0.0.1:9000.",
            detail=str(exc),
        )
    if isinstance(exc, bx.BotoCoreError):
        return StorageError(f"Request to {where} failed.", detail=str(exc))
    return StorageError(f"Request to {where} failed unexpectedly.", detail=repr(exc))


def error_code(exc: bx.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True, slots=True)
class _Rule:
    """What one S3 error code (or HTTP status) becomes: ``error(message, hint=hint)``;
    ``message`` and ``hint`` may name ``{where}`` and ``{bucket}``."""

    error: type[StorageError]
    message: str
    hint: str = ""
    #: A setting of the connection is wrong (ConfigError, which carries no code).
    config_error: bool = False


_CHANGED = _Rule(
    ObjectChanged,
    "{where} changed on the server since the transfer began.",
    "Retry to transfer the current version from the start.",
)
_CORRUPTED = _Rule(
    IntegrityError,
    "The server received different bytes than were sent for {where}.",
    "The file may have changed while it was read, or the network corrupted it; retry.",
)
_NO_BUCKET = _Rule(
    BucketNotFound,
    "The bucket “{bucket}” does not exist (it may have been deleted).",
    "Check the name, and list the buckets again to see which there are.",
)
_NO_KEY = _Rule(
    KeyNotFound,
    "{where} does not exist (it may have been deleted or moved).",
    "Check the name, and list its folder again to see what is there now.",
)
_DENIED = _Rule(
    AccessDenied,
    "Access to {where} is denied.",
    "These credentials lack permission; ask the bucket's owner for access.",
)
_BUSY = _Rule(Throttled, "The server is busy and asked to slow down.", "Try again in a moment.")
#: A 5xx the server says is its own passing fault (AWS: "InternalError … Please try again"):
#: waited out like a busy server, never shown as a failure of the user's.
_SERVER_FAULT = _Rule(
    Throttled, "The server had an internal error.", "Try again in a moment; it usually passes."
)
_EXISTS = _Rule(
    AlreadyExists,
    "The bucket “{bucket}” already exists.",
    "Bucket names are global: choose another name.",
)
_ELSEWHERE = _Rule(
    StorageError,
    "The {where} is in another region than this connection.",
    "Set the connection's region to the bucket's region.",
    config_error=True,
)


def _credentials(message: str, hint: str) -> _Rule:
    return _Rule(InvalidCredentials, message, hint)


#: S3 error code → what it becomes.
_BY_CODE: dict[str, _Rule] = {
    "InvalidAccessKeyId": _credentials(
        "The server does not know this access key ID.",
        "Check the access key ID of this connection.",
    ),
    "SignatureDoesNotMatch": _credentials(
        "The secret key does not match the access key ID.",
        "Check the secret access key of this connection.",
    ),
    "ExpiredToken": _credentials(
        "The session token has expired.", "Sign in again or renew the temporary credentials."
    ),
    "InvalidToken": _credentials(
        "The session token is not valid.", "Check or renew the session token."
    ),
    "TokenRefreshRequired": _credentials("The session token must be renewed.", "Sign in again."),
    "RequestTimeTooSkewed": _credentials(
        "Your computer's clock differs too much from the server's.",
        "Set the system clock to the correct time (enable network time).",
    ),
    "InvalidClientTokenId": _credentials(
        "The server does not know these credentials.", "Check the access key ID."
    ),
    "NoSuchUpload": _Rule(
        UploadNotFound,
        "The multipart upload of {where} no longer exists on the server.",
        "It was aborted or expired; the file is uploaded again from the start.",
    ),
    "PreconditionFailed": _CHANGED,
    "BadDigest": _CORRUPTED,
    "InvalidDigest": _CORRUPTED,
    "NoSuchBucket": _NO_BUCKET,
    "NoSuchKey": _NO_KEY,
    # A HEAD's 404 has no body: botocore makes its code up from the status.
    "404": _NO_KEY,
    "NotFound": _NO_KEY,
    "AccessDenied": _DENIED,
    "AllAccessDisabled": _DENIED,
    "403": _DENIED,
    "Forbidden": _DENIED,
    "SlowDown": _BUSY,
    "Throttling": _BUSY,
    "ThrottlingException": _BUSY,
    "TooManyRequests": _BUSY,
    "ServiceUnavailable": _BUSY,
    "InternalError": _SERVER_FAULT,
    # AWS: two conditional writes of one key at once; "you can retry the request". A
    # create-only retry then says whether the other writer made the object.
    "ConditionalRequestConflict": _Rule(
        Throttled,
        "Another write to {where} was under way at the same moment.",
        "Try again in a moment.",
    ),
    "BucketAlreadyExists": _EXISTS,
    "BucketAlreadyOwnedByYou": _EXISTS,
    "RequestTimeout": _Rule(RequestTimeout, "The request timed out on the server."),
    "PermanentRedirect": _ELSEWHERE,
    "InvalidObjectState": _Rule(
        StorageError,
        "{where} is archived (Glacier Flexible Retrieval or Deep Archive): its bytes cannot "
        "be read or copied until it is restored.",
        "Select it and choose Edit › Restore… (or run “cloudbrowser restore”), then retry "
        "once the restore is done (minutes to 48 hours).",
    ),
}
#: HTTP status → what a reply without a known code becomes.
_BY_STATUS: dict[int, _Rule] = {
    412: _CHANGED,
    404: _NO_KEY,
    403: _DENIED,
    429: _BUSY,
    500: _SERVER_FAULT,
    502: _SERVER_FAULT,
    503: _BUSY,
    504: _SERVER_FAULT,
    301: _ELSEWHERE,
}


def _translate_client_error(
    exc: bx.ClientError, *, bucket: str, key: str, where: str
) -> CloudBrowserError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    meta = exc.response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode", 0) or 0)
    detail = f"{code or status}: {error.get('Message', '')}"
    if meta.get("RequestId"):  # some servers (rclone serve s3) send an empty one
        detail += f" (request id {meta['RequestId']})"
    rule = _BY_CODE.get(code) or _BY_STATUS.get(status)
    if rule is _NO_KEY and not key:
        # A 404 without a key is the bucket's; NoSuchKey without one names nothing better.
        if code in ("404", "NotFound"):
            rule = _NO_BUCKET
        else:
            return NotFound(f"{where} was not found.", detail=detail, code=code)
    if rule is None:
        message = str(error.get("Message") or code or f"HTTP {status}")
        return StorageError(
            f"The server refused the request for {where}: {message}", detail=detail, code=code
        )
    text = rule.message.format(where=where, bucket=bucket)
    hint = rule.hint.format(where=where, bucket=bucket)
    if rule.config_error:
        return ConfigError(text, hint=hint, detail=detail)
    return rule.error(text, hint=hint, detail=detail, code=code)


def refused_keys(
    refused: list[tuple[str, str, str]], bucket: str
) -> list[tuple[str, CloudBrowserError]]:
    """The keys a DeleteObjects reply refused (``(key, code, message)``), each with the
    error its code means."""
    return [
        (
            key,
            translate_error(
                bx.ClientError({"Error": {"Code": code, "Message": message}}, "DeleteObjects"),
                bucket=bucket,
                key=key,
            ),
        )
        for key, code, message in refused
    ]
