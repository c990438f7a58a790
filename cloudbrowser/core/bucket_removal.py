"""Deleting a bucket without trusting the server to refuse a non-empty one.

S3 answers DeleteBucket on a bucket with objects, versions or unfinished uploads with
``BucketNotEmpty``; some S3-compatible servers delete everything instead, by default. So
the window and ``rb`` look first: :func:`what_remains` (three cheap requests) says whether
anything is left, :func:`count_bucket` counts it for the confirmation, :func:`empty_bucket`
deletes it (every version and delete marker where there are any, and aborts unfinished
multipart uploads), and :func:`remove_bucket` deletes the bucket only when it is empty.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudbrowser.core.details import UnfinishedUpload, Version
from cloudbrowser.core.errors import (
    Cancelled,
    CloudBrowserError,
    NoVersioning,
    StorageError,
)
from cloudbrowser.core.operations import (
    Operation,
    OperationResult,
    OpItem,
    OpKind,
    Tally,
    tally,
)
from cloudbrowser.core.storage import chunked_uploads_of, versions_of
from cloudbrowser.core.versions import iter_versions

if TYPE_CHECKING:  # types only
    from cloudbrowser.core.storage import Storage

#: What a server that lacks an API answers (it then has none of what the API lists).
_UNSUPPORTED = ("NotImplemented", "MethodNotAllowed")

OBJECTS = "objects"
VERSIONS = "old versions or delete markers"
UPLOADS = "unfinished multipart uploads"


@dataclass(frozen=True)
class BucketCount:
    """What a bucket holds: its objects (and bytes), the versions and delete markers
    beside them, and the multipart uploads never completed."""

    objects: int
    bytes: int
    #: Non-current versions and delete markers (0 where the server keeps no versions).
    versions: int
    uploads: int
    #: Versioning is (or was) on: deleting an object would leave a delete marker.
    versioned: bool = False

    @property
    def empty(self) -> bool:
        return not (self.objects or self.versions or self.uploads)


def what_remains(backend: Storage, bucket: str) -> list[str]:
    """Which of :data:`OBJECTS`, :data:`VERSIONS`, :data:`UPLOADS` the bucket still holds
    ([] when it is empty), from the first page of each listing.

    Raises: BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable,
    StorageError.
    """
    found: list[str] = []
    page = backend.list_page(bucket, recursive=True)
    if page.objects or page.prefixes or not page.is_last:  # more pages: not empty either
        found.append(OBJECTS)
    if any(_is_old(v) for v in _first_versions(backend, bucket)):
        found.append(VERSIONS)
    if unfinished_uploads(backend, bucket):
        found.append(UPLOADS)
    return found


def count_bucket(
    backend: Storage,
    bucket: str,
    cancel: threading.Event | None = None,
    progress: Callable[[Tally], None] | None = None,
) -> BucketCount:
    """Count everything in ``bucket`` (objects as the window's folder size does).

    Raises Cancelled, and what :func:`what_remains` raises.
    """
    counted = tally(backend, bucket, [OpItem("")], cancel, progress)
    versions = 0
    try:
        for page in iter_versions(backend, bucket):
            if cancel is not None and cancel.is_set():
                raise Cancelled("Counting was cancelled.")
            versions += sum(1 for v in page if _is_old(v))
    except StorageError as error:
        if not _unsupported(error):
            raise
    try:
        versioned = bool(versions_of(backend).bucket_versioning(bucket))
    except NoVersioning:
        versioned = False
    uploads = len(unfinished_uploads(backend, bucket))
    return BucketCount(counted.objects, counted.bytes, versions, uploads, versioned)


def empty_bucket(
    backend: Storage,
    bucket: str,
    count: BucketCount,
    cancel: threading.Event | None = None,
    title: str = "",
) -> tuple[Operation, list[tuple[str, CloudBrowserError]]]:
    """Delete everything :func:`count_bucket` found: objects (every version and delete
    marker where there are old versions), then abort the unfinished uploads.

    Returns the delete operation (its ``result``) and the uploads that could not be
    aborted, each with its error.
    """
    operation = Operation(
        backend,
        OpKind.DELETE,
        bucket,
        [OpItem("")],
        title=title or f"Empty the {backend.features.bucket_word} {bucket}",
        # Where versions are kept, a plain delete would only stack delete markers.
        all_versions=count.versioned or count.versions > 0,
        expected=None if count.versioned or count.versions else Tally(count.objects, count.bytes),
        cancel=cancel,
    )
    result: OperationResult = operation.run()
    if result.cancelled:
        return operation, []
    return operation, abort_uploads(backend, bucket)


def abort_uploads(backend: Storage, bucket: str) -> list[tuple[str, CloudBrowserError]]:
    """Abort every unfinished multipart upload in ``bucket``; returns those that could not
    be aborted, each with its error."""
    failed: list[tuple[str, CloudBrowserError]] = []
    for upload in unfinished_uploads(backend, bucket):
        try:
            chunked_uploads_of(backend).abort_upload(bucket, upload.key, upload.session)
        except CloudBrowserError as error:
            failed.append((upload.key, error))
    return failed


def remove_bucket(backend: Storage, bucket: str) -> None:
    """Delete ``bucket`` if it is empty; refuse (StorageError ``BucketNotEmpty``) naming
    what it still holds, without asking the server to decide.

    Raises: BucketNotEmpty as StorageError, and what :func:`what_remains` raises.
    """
    remains = what_remains(backend, bucket)
    if remains:
        raise not_empty(bucket, remains, word=backend.features.bucket_word)
    backend.delete_bucket(bucket)


def not_empty(bucket: str, remains: list[str], *, word: str = "bucket") -> StorageError:
    """``word``: what the provider calls a bucket (``features.bucket_word``)."""
    return StorageError(
        f"The {word} “{bucket}” is not empty: it holds {_and(remains)}.",
        hint=f"Delete them with the {word} (rb --force, or Delete bucket… in the window), "
        "or empty it first.",
        code="BucketNotEmpty",
    )


def describe(count: BucketCount, size: Callable[[int], str]) -> str:
    """``12 objects (1.5 MiB), 3 old versions or delete markers and 1 unfinished upload``."""
    parts = [f"{count.objects:,} object{_s(count.objects)} ({size(count.bytes)})"]
    if count.versions:
        parts.append(f"{count.versions:,} old version{_s(count.versions)} or delete markers")
    if count.uploads:
        parts.append(f"{count.uploads:,} unfinished upload{_s(count.uploads)}")
    return _and(parts)


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _is_old(version: Version) -> bool:
    """A version that is not a current object: an older version, or a delete marker."""
    return version.delete_marker or not version.is_latest


def _first_versions(backend: Storage, bucket: str) -> list[Version]:
    try:
        return list(next(iter(iter_versions(backend, bucket)), []))
    except StorageError as error:
        if not _unsupported(error):
            raise
        return []  # a server that keeps no versions has none left over


def unfinished_uploads(backend: Storage, bucket: str) -> list[UnfinishedUpload]:
    """The bucket's unfinished multipart uploads ([] where the server cannot list them)."""
    try:
        return chunked_uploads_of(backend).list_unfinished_uploads(bucket)
    except StorageError as error:
        if not _unsupported(error):
            raise
        return []  # a server without multipart listing has nothing it could list


def _unsupported(error: StorageError) -> bool:
    return isinstance(error, NoVersioning) or error.code in _UNSUPPORTED
