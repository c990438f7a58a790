"""Google Cloud Storage's replies and google-auth's and requests' exceptions as
cloudbrowser's errors (core/errors.py): what a user can act on, with a hint.

A JSON API error is ``{"error": {"code": 404, "message": …, "errors": [{"reason": …}]}}``;
the reason picks the rule (:data:`_BY_REASON`), else the HTTP status (:data:`_BY_STATUS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
import urllib3.exceptions
from google.auth import exceptions as gauth

from cloudbrowser.core.backends import http_pool
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
    ObjectChanged,
    RequestTimeout,
    StorageError,
    Throttled,
    TLSError,
    UploadNotFound,
)


@dataclass(frozen=True, slots=True)
class _Rule:
    """What one reason or status becomes; ``message`` and ``hint`` may name ``{where}`` and
    ``{bucket}``. ``code`` is the S3-style code the engine knows (BucketNotEmpty…)."""

    error: type[StorageError]
    message: str
    hint: str = ""
    code: str = ""


_CREDENTIALS = _Rule(
    InvalidCredentials,
    "Google refused these credentials: they are not valid, expired or revoked.",
    "Sign in again (gcloud auth application-default login) or choose a current "
    "service-account key file.",
)
_DENIED = _Rule(
    AccessDenied,
    "Access to {where} is denied.",
    "These credentials lack permission; ask the bucket's owner for access "
    "(storage.objects.* roles).",
)
_NO_BUCKET = _Rule(
    BucketNotFound,
    "The bucket “{bucket}” does not exist (it may have been deleted).",
    "Check the name, and list the buckets again to see which there are.",
    "NoSuchBucket",
)
_NO_KEY = _Rule(
    KeyNotFound,
    "{where} does not exist (it may have been deleted or moved).",
    "Check the name, and list its folder again to see what is there now.",
    "NoSuchKey",
)
_CHANGED = _Rule(
    ObjectChanged,
    "{where} changed on the server since the transfer began.",
    "Retry to transfer the current version from the start.",
    "PreconditionFailed",
)
_BUSY = _Rule(Throttled, "The server is busy and asked to slow down.", "Try again in a moment.")
_EXISTS = _Rule(
    AlreadyExists,
    "The bucket “{bucket}” already exists.",
    "Bucket names are global: choose another name.",
    "BucketAlreadyExists",
)
_NOT_EMPTY = _Rule(
    StorageError,
    "The server says the bucket “{bucket}” is not empty.",
    "Delete what it holds first (rb --force does), then the bucket.",
    "BucketNotEmpty",
)
_CORRUPTED = _Rule(
    IntegrityError,
    "The server received different bytes than were sent for {where}.",
    "The file may have changed while it was read, or the network corrupted it; retry.",
    "BadDigest",
)

#: The ``reason`` of a JSON API error → what it becomes.
_BY_REASON: dict[str, _Rule] = {
    "authError": _CREDENTIALS,
    "unauthorized": _CREDENTIALS,
    "invalid_grant": _CREDENTIALS,
    "forbidden": _DENIED,
    "accessDenied": _DENIED,
    "insufficientPermissions": _DENIED,
    "conditionNotMet": _CHANGED,
    "rateLimitExceeded": _BUSY,
    "userRateLimitExceeded": _BUSY,
    "backendError": _BUSY,
    "conflict": _EXISTS,
}
#: HTTP status → what a reply without a known reason becomes.
_BY_STATUS: dict[int, _Rule] = {
    401: _CREDENTIALS,
    403: _DENIED,
    404: _NO_KEY,
    409: _EXISTS,
    412: _CHANGED,
    429: _BUSY,
    500: _BUSY,
    502: _BUSY,
    503: _BUSY,
    504: _BUSY,
}


def reply_error(
    reply: requests.Response, *, bucket: str = "", key: str = "", listing_buckets: bool = False
) -> StorageError:
    """The error of a reply that is not a success."""
    where = f"“{bucket}/{key}”" if key else (f"bucket “{bucket}”" if bucket else "the server")
    status = reply.status_code
    reason, message = _reason_of(reply)
    detail = f"HTTP {status} {reason}: {message}".strip()
    if listing_buckets and status == 403:
        return AccessDenied(
            "These credentials may not list the buckets of this project.",
            hint="Set the connection's default bucket to a bucket you may read, or choose a "
            "project where you may list buckets (storage.buckets.list).",
            detail=detail,
            code="AccessDenied",
        )
    lowered = message.lower()
    if status == 401 and "anonymous caller" in lowered:
        # No credentials were sent (an anonymous connection): none to renew or revoke.
        what = "a project's buckets" if listing_buckets else f"{where}: it is not public"
        return AccessDenied(
            f"Requests without credentials may not read {what}.",
            hint="Name a public bucket, or use a connection that signs in (application "
            "default credentials or a service-account key).",
            detail=detail,
            code="AnonymousDenied",
        )
    rule = _BY_REASON.get(reason) or _BY_STATUS.get(status)
    if status == 404 and (not key or ("bucket" in lowered and "object" not in lowered)):
        rule = _NO_BUCKET
    if status == 409 and key:
        rule = None
    if status == 400 and "md5" in lowered and "match" in lowered:
        rule = _CORRUPTED
    if status == 409 and "not empty" in lowered:
        rule = _NOT_EMPTY
    if rule is None:
        return StorageError(
            f"The server refused the request for {where}: {message or f'HTTP {status}'}",
            detail=detail,
            code=reason or str(status),
        )
    return rule.error(
        rule.message.format(where=where, bucket=bucket),
        hint=rule.hint.format(where=where, bucket=bucket),
        detail=detail,
        code=rule.code or reason or str(status),
    )


def _reason_of(reply: requests.Response) -> tuple[str, str]:
    """(reason, message) of an error reply: JSON API's, or the body's text."""
    text = reply.text[:500] if reply.content else ""
    try:
        body = json.loads(text) if text.startswith("{") else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        errors = error.get("errors") or [{}]
        reason = str(errors[0].get("reason", "")) if isinstance(errors[0], dict) else ""
        return reason, str(error.get("message", ""))
    if (
        isinstance(body, dict) and "error" in body
    ):  # OAuth token endpoint: {"error": "invalid_grant"}
        return str(body.get("error")), str(body.get("error_description", ""))
    return "", text.strip()


def session_gone(bucket: str, key: str, detail: str) -> UploadNotFound:
    return UploadNotFound(
        f"The resumable upload of “{bucket}/{key}” no longer exists on the server.",
        hint="It was cancelled, finished or expired; the file is uploaded again from the start.",
        detail=detail,
        code="NoSuchUpload",
    )


def translate_exception(
    exc: BaseException, *, bucket: str = "", key: str = "", renew_hint: str = ""
) -> CloudBrowserError:
    """An exception raised before any reply (network, sign-in) as our error.
    ``renew_hint``: what renews the connection's credentials (auth.Identity's), said where
    Google refuses to renew its token."""
    where = f"“{bucket}/{key}”" if key else (f"bucket “{bucket}”" if bucket else "the server")
    if isinstance(exc, CloudBrowserError):
        return exc
    if isinstance(exc, gauth.RefreshError) and exc.retryable:
        # The token endpoint answered 5xx (google-auth tried again already): passing.
        return Throttled(
            "Google's sign-in service did not renew the access token: it is busy or down.",
            hint="Try again in a moment.",
            detail=str(exc),
            code="RefreshUnavailable",
        )
    if isinstance(exc, gauth.RefreshError):
        return InvalidCredentials(
            "Google refused to renew the sign-in: the credentials are expired or revoked.",
            hint=renew_hint
            or "Sign in again (gcloud auth application-default login) or choose a current "
            "service-account key file.",
            detail=str(exc),
            code="RefreshError",
        )
    if isinstance(exc, gauth.DefaultCredentialsError):
        return InvalidCredentials(
            "No Google credentials were found (application default credentials).",
            hint="Run “gcloud auth application-default login”, set "
            "GOOGLE_APPLICATION_CREDENTIALS, or choose a service-account key file.",
            detail=str(exc),
            code="NoCredentials",
        )
    if isinstance(exc, gauth.TransportError):
        # The key is fine so far: the request for an access token found nobody.
        return EndpointUnreachable(
            "Google's sign-in service could not be reached to get an access token for "
            "these credentials.",
            hint="Check your network connection (and a proxy or firewall: the key's "
            "token_uri, usually oauth2.googleapis.com, must be reachable), then try again.",
            detail=str(exc),
            code="TokenEndpointUnreachable",
        )
    if isinstance(exc, gauth.GoogleAuthError):
        return InvalidCredentials(
            "The Google credentials could not be used.",
            hint="Check the key file or sign in again.",
            detail=str(exc),
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSError(
            "The secure (TLS) connection to the server failed.",
            hint="Check the endpoint URL (http vs https) and the server's certificate.",
            detail=str(exc),
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return EndpointUnreachable(
            "The server did not accept a connection in time.",
            hint="Check the endpoint URL and your network connection.",
            detail=str(exc),
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return RequestTimeout(
            "The server accepted the request but did not answer in time.",
            hint="Try again; if it keeps happening, the server may be overloaded.",
            detail=str(exc),
        )
    if isinstance(
        exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
    ):
        return EndpointUnreachable(
            "Nothing answered at the server's address, or the connection broke off.",
            hint="Check the endpoint URL, that the server is running, and your network.",
            detail=str(exc),
        )
    # A body's read that broke off: fast.py's replies raise http_pool's errors, a reply of
    # ``requests`` read as it came (``Response.raw``) urllib3's. Passing failures both, so
    # the transfer is tried again by itself rather than failed as "unexpected".
    if isinstance(exc, http_pool.TLSFailed):
        return TLSError(
            "The secure (TLS) connection to the server failed.",
            hint="Check the endpoint URL (http vs https) and the server's certificate.",
            detail=str(exc),
        )
    if isinstance(exc, http_pool.ReadTimedOut | urllib3.exceptions.ReadTimeoutError):
        return RequestTimeout(
            "The server stopped sending in the middle of a reply.",
            hint="Try again; if it keeps happening, the server may be overloaded.",
            detail=str(exc),
        )
    if isinstance(exc, http_pool.HTTPError | urllib3.exceptions.HTTPError):
        return EndpointUnreachable(
            "The connection to the server broke off.",
            hint="Check that the server is running, and your network.",
            detail=str(exc),
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return ConfigError(
            "The endpoint URL is not valid.",
            hint="Write it like https://storage.googleapis.com or http://127.0.0.1:4443.",
            detail=str(exc),
        )
    return StorageError(f"Request to {where} failed unexpectedly.", detail=repr(exc))


def no_bucket(bucket: str, error: StorageError) -> BucketNotFound:
    """A 404 to a request on a bucket's objects collection (an upload): the bucket's."""
    return BucketNotFound(
        _NO_BUCKET.message.format(bucket=bucket, where=bucket),
        hint=_NO_BUCKET.hint,
        detail=error.detail,
        code="NoSuchBucket",
    )


def denied(bucket: str, key: str, error: StorageError) -> AccessDenied:
    """A refusal found to be about ``bucket/key`` (a rewrite's destination), where the
    reply named another place."""
    where = f"“{bucket}/{key}”"
    return AccessDenied(
        _DENIED.message.format(where=where, bucket=bucket),
        hint=_DENIED.hint,
        detail=error.detail,
        code=error.code,
    )
