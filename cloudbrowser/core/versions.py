"""Walks over object versions, written once against the :class:`~cloudbrowser.core.storage.Versions`
capability: every version below a prefix, one object's history, the deleted objects of a
folder, and bringing a deleted object back.

A backend sends one request per :meth:`~cloudbrowser.core.storage.Versions.list_versions_page`;
the paging, the guard against listings that never end, what counts as "deleted" and which
delete marker to remove are decided here, the same for every provider. On demand only
(docs/architecture.md §3): nothing here runs for a normal listing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cloudbrowser.core.details import Version, VersionPage
from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.core.errors import Cancelled, KeyNotFound
from cloudbrowser.core.paging import PageGuard, stopping
from cloudbrowser.core.storage import versions_of

if TYPE_CHECKING:
    from cloudbrowser.core.storage import Storage

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
    storage: Storage, bucket: str, prefix: str = "", cancel: threading.Event | None = None
) -> Iterator[list[Version]]:
    """Versions and delete markers of every key below ``prefix``, a page at a time: per key
    the current version (or marker) first, then newest first.

    Raises: as :func:`version_pages`.
    """
    for page in version_pages(storage, bucket, prefix, cancel):
        rows = page.versions + page.markers
        # The sort is stable: same-second versions keep the server's newest-first order.
        rows.sort(key=lambda v: (v.key, not v.is_latest, -v.modified))
        yield rows


def object_versions(
    storage: Storage, bucket: str, key: str, cancel: threading.Event | None = None
) -> list[Version]:
    """Every version and delete marker of exactly ``key``: the current one first, then
    newest first.

    Lists by prefix with the delimiter (so ``key/...`` rolls up into one folder) and stops
    at the first page that reaches keys after ``key`` ("key2"...), which sort after it.

    Raises: as :func:`version_pages`.
    """
    found: list[Version] = []
    pages = version_pages(storage, bucket, key, cancel, delimited=True, limit=storage.page_size)
    for page in pages:
        rows = page.versions + page.markers
        found.extend(v for v in rows if v.key == key)
        if any(v.key != key for v in rows):
            break
    found.sort(key=lambda v: (not v.is_latest, -v.modified))
    return found


def iter_deleted(
    storage: Storage, bucket: str, prefix: str = "", cancel: threading.Event | None = None
) -> Iterator[ListPage]:
    """The keys directly under ``prefix`` whose latest version is a delete marker, a page
    of versions (``storage.page_size`` rows) at a time.

    Each object's ``modified`` is when it was deleted, its ``size`` that of the version an
    undelete brings back. ``prefixes`` are every folder holding versions (the caller drops
    the ones a normal listing shows: the rest hold only deleted objects). A page may be
    empty.

    Raises: as :func:`version_pages`.
    """
    #: Deleted keys whose older versions may still come on the next page: key → entry.
    waiting: dict[str, Entry] = {}
    pages = version_pages(storage, bucket, prefix, cancel, delimited=True, limit=storage.page_size)
    for page in pages:
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


def undelete(storage: Storage, bucket: str, key: str) -> int:
    """Bring a deleted object back: remove the delete markers on top of its history
    (usually one), so that its newest real version is current again. Returns how many
    markers were removed (0: it was not deleted).

    Raises: KeyNotFound (only delete markers: nothing to bring back), NotSupported,
    NoVersioning, AccessDenied, InvalidCredentials, EndpointUnreachable, StorageError.
    """
    removed = 0
    # The server's "latest" says what is on top (times of versions and markers stored in
    # the same second cannot order them); a marker under a marker is next.
    while removed < MAX_MARKERS_ON_TOP:
        history = object_versions(storage, bucket, key)
        latest = next((v for v in history if v.is_latest), None)
        if latest is None or not latest.delete_marker:
            return removed
        if all(v.delete_marker for v in history):
            raise KeyNotFound(
                f"“{bucket}/{key}” has no version to bring back, only delete markers.",
                hint="Nothing of it is kept in the bucket's version history.",
            )
        versions_of(storage).delete_version(bucket, key, latest.version_id)
        removed += 1
    return removed
