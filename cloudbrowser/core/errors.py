"""The errors cloudbrowser raises, so that every layer speaks one small language.

Each error carries a short ``message`` a user can read and a ``hint`` that says what to do
next. Neither ever holds a secret: they are shown in the window, written to logs and printed
by the CLI. Each backend translates its SDK's exceptions into these
(``core/backends/s3/errors.py``); nothing above the core ever sees an SDK's exception.

Hierarchy::

    CloudBrowserError
    ├── Cancelled                 the user (or shutdown) stopped the operation
    ├── ConfigError               bad arguments or settings, detected before any request
    │   └── NoProject             listing or creating buckets needs a project none names (GCS)
    ├── UnsafeKey                 a key that cannot be mapped safely to a local path
    ├── LocalFileError            a local file could not be read or written (disk full...)
    └── StorageError              the storage service said no, or could not be reached
        ├── NotFound
        │   ├── BucketNotFound
        │   ├── KeyNotFound
        │   └── UploadNotFound    a journalled upload session is gone from the server
        ├── AccessDenied
        ├── InvalidCredentials
        ├── EndpointUnreachable
        ├── RequestTimeout
        ├── TLSError
        ├── AlreadyExists
        │   └── CreatedMeanwhile  a create-only write found an object of its name
        ├── ObjectChanged         the object is not the version a transfer began with
        ├── IntegrityError        bytes do not match their checksum
        ├── NotSupported          the server lacks this API (NotImplemented, MethodNotAllowed)
        ├── WrongReply            the reply is not the object that was listed (size, range)
        └── Throttled            (retryable)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class CloudBrowserError(Exception):
    """Base of every error cloudbrowser raises on purpose.

    ``message`` is one sentence about what went wrong; ``hint`` is one sentence about what
    the user can do about it (may be empty). ``detail`` is technical text for the "details"
    part of an error dialog or ``--verbose`` output (service error code, request id).
    """

    #: Retrying the same call later may succeed.
    retryable: bool = False
    #: Title used by the GUI and the CLI for this kind of failure.
    title: str = "Error"

    def __init__(self, message: str, *, hint: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Cancelled(CloudBrowserError):
    """The operation was cancelled; never shown to the user as a failure."""

    title = "Cancelled"


class ConfigError(CloudBrowserError):
    """Arguments or settings are wrong; found before any request was sent."""

    title = "Configuration problem"


class NoProject(ConfigError):
    """Listing or creating buckets needs a project, and neither the connection nor its
    credentials name one (GCS). Its own class because what to do differs: the window's
    connection has a project field, the CLI has --project."""


class UnsafeKey(CloudBrowserError):
    """A key that would escape the target folder or cannot exist on this file system."""

    title = "Unsafe object name"


class StorageError(CloudBrowserError):
    """The storage service refused the request or could not be reached."""

    title = "Storage error"

    def __init__(self, message: str, *, hint: str = "", detail: str = "", code: str = "") -> None:
        super().__init__(message, hint=hint, detail=detail)
        #: The service's error code (``NoSuchBucket``...), or "" for transport errors.
        self.code = code


class NotFound(StorageError):
    title = "Not found"


class BucketNotFound(NotFound):
    title = "Bucket not found"


class KeyNotFound(NotFound):
    title = "Object not found"


class AccessDenied(StorageError):
    title = "Access denied"


class InvalidCredentials(StorageError):
    title = "Invalid credentials"


class EndpointUnreachable(StorageError):
    title = "Cannot reach the server"
    retryable = True


class RequestTimeout(StorageError):
    title = "The server did not answer in time"
    retryable = True


class TLSError(StorageError):
    title = "Secure connection failed"


class AlreadyExists(StorageError):
    title = "Already exists"


class CreatedMeanwhile(AlreadyExists):
    """A **create-only** write (``create_only``: S3's and Azure's ``If-None-Match: *``,
    GCS's ``ifGenerationMatch=0``) was refused: an object of its name exists, made by
    someone else after the name was found free. Nothing was overwritten."""

    title = "Created by someone else meanwhile"


def created_meanwhile(bucket: str, key: str, detail: str = "") -> CreatedMeanwhile:
    """The refusal of a create-only write, as every backend says it."""
    return CreatedMeanwhile(
        f"“{bucket}/{key}” was created on the server by someone else meanwhile: this "
        "write may only create it, so nothing was overwritten.",
        hint="Look at the object on the server, then choose again what to do with the name.",
        detail=detail,
        code="PreconditionFailed",
    )


@contextlib.contextmanager
def refused_as_created(create_only: bool, bucket: str, key: str) -> Iterator[None]:
    """A backend's create-only write: the server's refusal (412 PreconditionFailed,
    ConditionNotMet; 409 BlobAlreadyExists and the like) raised as CreatedMeanwhile."""
    try:
        yield
    except (ObjectChanged, AlreadyExists) as error:
        if not create_only or isinstance(error, CreatedMeanwhile):
            raise
        raise created_meanwhile(bucket, key, error.detail or error.message) from error
    except StorageError as error:
        if not create_only or error.code not in _EXISTS_CODES:
            raise
        raise created_meanwhile(bucket, key, error.detail or error.message) from error


#: Codes a server answers a create-only write with where the object exists, when they
#: are not translated to ObjectChanged or AlreadyExists already (Azure's 409).
_EXISTS_CODES = frozenset({"BlobAlreadyExists"})


class Throttled(StorageError):
    title = "The server is busy"
    retryable = True


class UploadNotFound(NotFound):
    """An upload session the journal remembers is gone (aborted, expired, server restarted)."""

    title = "Upload no longer on the server"


class ObjectChanged(StorageError):
    """The object is not the version a transfer began with (If-Match failed)."""

    title = "Object changed"


class IntegrityError(StorageError):
    """Bytes stored or received do not match their checksum: never reported as done."""

    title = "Verification failed"


class WrongReply(StorageError):
    """The server's reply is not the object the listing described (size, range, error
    document): nothing of it may be kept or continued from. Defined here, not beside the
    download code, so that a transfer restored from the journal fails with the same kind."""

    title = "Unexpected reply from the server"


class NoVersioning(StorageError):
    """The server keeps no object versions (ListObjectVersions and friends not implemented)."""

    title = "No versions on this server"


class NotSupported(StorageError):
    """The server does not implement this request (it answered NotImplemented or
    MethodNotAllowed); the backend remembers it and asks no more on this connection."""

    title = "Not supported by this server"


class LocalFileError(CloudBrowserError):
    """A local file or folder could not be read or written (full disk, permissions...)."""

    title = "Local file problem"
