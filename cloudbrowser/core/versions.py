"""Walks over object versions, written once against the :class:`~cloudbrowser.core.storage.Versions`
capability: every version below a prefix, one object's history, the deleted objects of a
folder, and bringing a deleted object back.

Where the backend has :class:`~cloudbrowser.core.storage.SoftDeletes` and the bucket keeps
what is deleted for a while (GCS's or Azure's soft delete), the walks take in those soft-deleted
versions too, listed apart and merged here: an object's history shows them (marked by
``Version.deleted_at``), a folder's deleted objects include keys that only soft delete
still keeps (versioning off: the only way back), and undelete restores the newest one.

A backend sends one request per :meth:`~cloudbrowser.core.storage.Versions.list_versions_page`;
the paging, the guard against listings that never end, what counts as "deleted" and which
delete marker to remove are decided here, the same for every provider. On demand only
(docs/architecture.md §3): nothing here runs for a normal listing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudbrowser.core.details import Version, VersionPage
from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.core.errors import AccessDenied, Cancelled, CloudBrowserError, KeyNotFound
from cloudbrowser.core.interrupt import stoppable
from cloudbrowser.core.paging import PageGuard, stopping
from cloudbrowser.core.storage import SoftDeletes, soft_deletes_of, versions_of

if TYPE_CHECKING:
    from cloudbrowser.core.storage import Storage

log = logging.getLogger(__name__)

#: An undelete removes at most this many delete markers stacked on one key.
MAX_MARKERS_ON_TOP = 100


def version_pages(
    storage: Storage,
    bucket: str,
    prefix: str = "",
    cancel: threading.Event | None = None,
    *,
    delimited: bool = False,
    limit: int = 0,
) -> Iterator[VersionPage]:
    """Pages of versions and delete markers below ``prefix`` (directly under it, folders as
    ``prefixes``, with ``delimited``), ``limit`` rows a page (0: the server's most), without
    what the server sent from outside ``prefix``.

    Checks ``cancel`` before every request. A listing that cannot be progressing is stopped
    with StorageError (code ``ListingStopped``).
    Raises: NotSupported (the backend keeps no versions), NoVersioning (the server keeps
    none), BucketNotFound, AccessDenied, InvalidCredentials, EndpointUnreachable, Cancelled,
    StorageError.
    """
    versions = versions_of(storage)
    guard = PageGuard(f"{bucket}/{prefix}", noun="version")
    key_marker = version_marker = ""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Listing versions cancelled.")
        page = stopping(
            guard,
            versions.list_versions_page,
            bucket,
            prefix,
            key_marker,
            version_marker,
            delimited=delimited,
            limit=limit,
        )
        sent = len(page.versions) + len(page.markers) + len(page.prefixes)
        kept = _below(page, prefix)
        rows = len(kept.versions) + len(kept.markers) + len(kept.prefixes)
        next_key = page.next_key_marker
        guard.page(rows, (next_key, page.next_version_marker) if next_key else None, sent=sent)
        yield kept
        if not next_key:
            return
        key_marker, version_marker = next_key, page.next_version_marker


def _below(page: VersionPage, prefix: str) -> VersionPage:
    """``page`` without rows outside ``prefix`` (nor the prefix itself as a folder)."""
    return VersionPage(
        versions=[v for v in page.versions if v.key.startswith(prefix)],
        markers=[m for m in page.markers if m.key.startswith(prefix)],
        prefixes=[p for p in page.prefixes if p != prefix and p.startswith(prefix)],
        next_key_marker=page.next_key_marker,
        next_version_marker=page.next_version_marker,
    )


def iter_versions(
    storage: Storage,
    bucket: str,
    prefix: str = "",
    cancel: threading.Event | None = None,
    *,
    soft_deleted: bool = False,
) -> Iterator[list[Version]]:
    """Versions and delete markers of every key below ``prefix``, a page at a time: per key
    the current version (or marker) first, then newest first. With ``soft_deleted``, then
    the soft-deleted versions the bucket keeps (last deleted first per key): only to be
    shown; they cannot be deleted (a walk that deletes versions never asks for them).

    Raises: as :func:`version_pages`.
    """
    for page in version_pages(storage, bucket, prefix, cancel):
        rows = page.versions + page.markers
        # The sort is stable: same-second versions keep the server's newest-first order.
        rows.sort(key=lambda v: (v.key, not v.is_latest, -v.modified))
        yield rows
    if soft_deleted and soft_delete_retention(storage, bucket):
        for soft in soft_deleted_pages(storage, bucket, prefix, cancel):
            yield sorted(soft.versions, key=lambda v: (v.key, -v.deleted_at, -v.modified))


def object_versions(
    storage: Storage,
    bucket: str,
    key: str,
    cancel: threading.Event | None = None,
    *,
    retention: int | None = None,
) -> list[Version]:
    """Every version and delete marker of exactly ``key``, and the soft-deleted versions
    the bucket keeps of it: the current one first, then newest first. ``retention`` is
    the bucket's :func:`soft_delete_retention` where the caller asked already.

    Lists by prefix with the delimiter (so ``key/...`` rolls up into one folder) and stops
    at the first page that reaches keys after ``key`` ("key2"...), which sort after it.
    Soft-deleted versions are listed the same way, to the end (their order across pages
    is the server's).

    Raises: as :func:`version_pages`.
    """
    found: list[Version] = []
    pages = version_pages(storage, bucket, key, cancel, delimited=True, limit=storage.page_size)
    for page in pages:
        rows = page.versions + page.markers
        found.extend(v for v in rows if v.key == key)
        if any(v.key != key for v in rows):
            break
    if retention is None:
        retention = soft_delete_retention(storage, bucket)
    if retention:
        for soft in soft_deleted_pages(storage, bucket, key, cancel, delimited=True):
            found.extend(v for v in soft.versions if v.key == key)
    found.sort(key=lambda v: (not v.is_latest, -v.modified))
    return found


def soft_delete_retention(storage: Storage, bucket: str) -> int:
    """How many seconds ``bucket`` keeps soft-deleted objects: 0 where it keeps none or
    the backend has no soft delete.

    Raises: BucketNotFound, InvalidCredentials, EndpointUnreachable, StorageError.
    """
    if not isinstance(storage, SoftDeletes):
        return 0
    try:
        return storage.soft_delete_retention(bucket)
    except AccessDenied as error:
        # Reading a bucket's policy takes a permission (GCS: storage.buckets.get) that
        # listing its objects does not: the versions are still listed, without what soft
        # delete keeps.
        log.warning("Soft-deleted objects of %s not listed: %s", bucket, error.message)
        return 0


@dataclass(frozen=True, slots=True)
class DeletedKept:
    """What ``bucket`` keeps of the objects deleted from it (:func:`deleted_kept`)."""

    #: Versioning is on: a delete leaves a marker that Undelete removes.
    versions: bool = False
    #: Seconds it keeps soft-deleted objects (GCS soft delete, Azure blob soft delete).
    soft_delete_seconds: int = 0

    @property
    def anything(self) -> bool:
        return self.versions or self.soft_delete_seconds > 0


def deleted_kept(storage: Storage, bucket: str) -> DeletedKept:
    """What ``bucket`` keeps of what is deleted from it, for the question before a delete
    ("this cannot be undone" is false where Undelete brings objects back). Never raises:
    a bucket whose settings cannot be read (no permission, no versioning at all, the
    server down) counts as keeping nothing, the careful answer."""
    versions = False
    try:
        versions = versions_of(storage).bucket_versioning(bucket) == "Enabled"
    except CloudBrowserError as error:
        log.debug("versioning of %s not known: %s", bucket, error.message)
    try:
        seconds = soft_delete_retention(storage, bucket)
    except CloudBrowserError as error:
        log.debug("soft delete of %s not known: %s", bucket, error.message)
        seconds = 0
    return DeletedKept(versions, seconds)


def soft_deleted_pages(
    storage: Storage,
    bucket: str,
    prefix: str = "",
    cancel: threading.Event | None = None,
    *,
    delimited: bool = False,
) -> Iterator[VersionPage]:
    """Pages of the soft-deleted versions below ``prefix`` (directly under it, folders as
    ``prefixes``, with ``delimited``), without what the server sent from outside it.

    Raises: NotSupported (the backend has no soft delete), Cancelled, StorageError
    (code ``ListingStopped``), and as :func:`version_pages`.
    """
    soft = soft_deletes_of(storage)
    guard = PageGuard(f"{bucket}/{prefix}", noun="soft-deleted version")
    token = ""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Listing soft-deleted versions cancelled.")
        page = stopping(
            guard, soft.list_soft_deleted_page, bucket, prefix, token, delimited=delimited
        )
        sent = len(page.versions) + len(page.prefixes)
        kept = _below(page, prefix)
        token = page.next_key_marker
        guard.page(len(kept.versions) + len(kept.prefixes), token or None, sent=sent)
        yield kept
        if not token:
            return


def restore(
    storage: Storage, bucket: str, version: Version, cancel: threading.Event | None = None
) -> str:
    """Make ``version`` the current version of its key again: a copy of an old version
    over the current one, or the restore of a soft-deleted one. Returns the new
    version's id. ``cancel``: a copy the server makes in rounds (GCS's rewrite) stops
    between them, with nothing written (:func:`~cloudbrowser.core.interrupt.stoppable`).

    Raises: KeyNotFound, NotSupported, AccessDenied, StorageError, Cancelled.
    """
    with _stopping_copies(cancel):
        if version.soft_deleted:
            return soft_deletes_of(storage).restore_soft_deleted(
                bucket, version.key, version.version_id
            )
        return versions_of(storage).restore_version(bucket, version.key, version.version_id)


def _stopping_copies(cancel: threading.Event | None) -> AbstractContextManager[None]:
    """Where a ``cancel`` is given, the server's copies inside the block stop between
    their rounds when it is set; the request in flight is never abandoned."""
    return contextlib.nullcontext() if cancel is None else stoppable(None, cancel)


def iter_deleted(
    storage: Storage, bucket: str, prefix: str = "", cancel: threading.Event | None = None
) -> Iterator[ListPage]:
    """The keys directly under ``prefix`` whose latest version is a delete marker, a page
    of versions (``storage.page_size`` rows) at a time.

    Each object's ``modified`` is when it was deleted, its ``size`` that of the version an
    undelete brings back. ``prefixes`` are every folder holding versions (the caller drops
    the ones a normal listing shows: the rest hold only deleted objects). A page may be
    empty.

    Where the bucket keeps soft-deleted objects, the keys that have only soft-deleted
    versions (no current one, no old one) follow, after the versions are walked: keys
    met there are left out, so the walk keeps the names of this folder's keys meanwhile.

    Raises: as :func:`version_pages`.
    """
    retention = soft_delete_retention(storage, bucket)
    #: Every key directly under ``prefix`` with a version or marker (soft delete only).
    met: set[str] | None = set() if retention else None
    #: Deleted keys whose older versions may still come on the next page: key → entry.
    waiting: dict[str, Entry] = {}
    pages = version_pages(storage, bucket, prefix, cancel, delimited=True, limit=storage.page_size)
    for page in pages:
        if met is not None:
            met.update(v.key for v in page.versions + page.markers)
        for m in page.markers:
            if m.is_latest and m.key != prefix:
                waiting[m.key] = Entry(key=m.key, modified=m.modified)
        done: list[Entry] = []
        for v in page.versions:  # newest first per key: the first seen is the one restored
            entry = waiting.pop(v.key, None)
            if entry is not None:
                done.append(entry._replace(size=v.size, etag=v.etag))
        last = max((v.key for v in page.versions + page.markers), default="")
        # Keys before the page's last key have had all their versions listed.
        done.extend(waiting.pop(k) for k in [k for k in waiting if k < last])
        done.sort(key=lambda e: e.key)
        folders = [Entry(key=p, is_prefix=True) for p in page.prefixes]
        yield ListPage(prefixes=folders, objects=done)
    if waiting:
        yield ListPage(objects=sorted(waiting.values(), key=lambda e: e.key))
    if met is None:
        return
    #: Keys only soft delete keeps → the version an undelete restores (the last deleted).
    newest: dict[str, Version] = {}
    for soft in soft_deleted_pages(storage, bucket, prefix, cancel, delimited=True):
        for v in soft.versions:
            if v.key in met or v.key == prefix:
                continue
            best = newest.get(v.key)
            if best is None or (v.deleted_at, v.modified) > (best.deleted_at, best.modified):
                newest[v.key] = v
        yield ListPage(prefixes=[Entry(key=p, is_prefix=True) for p in soft.prefixes])
    if newest:
        yield ListPage(
            objects=[
                Entry(key=v.key, size=v.size, modified=v.deleted_at, etag=v.etag)
                for v in sorted(newest.values(), key=lambda v: v.key)
            ]
        )


def undelete(storage: Storage, bucket: str, key: str, cancel: threading.Event | None = None) -> int:
    """Bring a deleted object back: remove the delete markers on top of its history
    (usually one), so that its newest real version is current again; where its history
    holds no real version but the bucket keeps soft-deleted ones, restore the one deleted
    last. Returns how many changes were made (markers removed, a restore; 0: it was not
    deleted).

    ``cancel``: as :func:`restore`'s (GCS brings a version back by a rewrite).

    Raises: KeyNotFound (only delete markers: nothing to bring back), NotSupported,
    NoVersioning, AccessDenied, InvalidCredentials, EndpointUnreachable, StorageError,
    Cancelled.
    """
    with _stopping_copies(cancel):
        return _undelete(storage, bucket, key)


def _undelete(storage: Storage, bucket: str, key: str) -> int:
    removed = 0
    retention = soft_delete_retention(storage, bucket)
    # The server's "latest" says what is on top (times of versions and markers stored in
    # the same second cannot order them); a marker under a marker is next.
    while removed < MAX_MARKERS_ON_TOP:
        history = object_versions(storage, bucket, key, retention=retention)
        latest = next((v for v in history if v.is_latest), None)
        if latest is not None and not latest.delete_marker:
            return removed
        real = [v for v in history if not v.delete_marker and not v.soft_deleted]
        if latest is not None and real:
            versions_of(storage).delete_version(bucket, key, latest.version_id)
            removed += 1
            continue
        soft = [v for v in history if v.soft_deleted]
        if soft:
            last = max(soft, key=lambda v: (v.deleted_at, v.modified))
            soft_deletes_of(storage).restore_soft_deleted(bucket, key, last.version_id)
            return removed + 1
        if latest is None:
            return removed
        raise KeyNotFound(
            f"“{bucket}/{key}” has no version to bring back, only delete markers.",
            hint="Nothing of it is kept in the bucket's version history.",
        )
    return removed
