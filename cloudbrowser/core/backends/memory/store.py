"""The data of in-memory "servers": buckets, key histories, unfinished uploads.

A :class:`MemoryStore` is one server. Stores live for the life of the process and are
shared by address (:func:`store_for`): every connection opened with the same
``endpoint_url`` (or, without one, the same connection ``name``) sees the same buckets, as
two connections to one real server would. :func:`forget_store` drops one (tests give each
test its own address instead).

Everything in a store is guarded by its one lock (``MemoryStore.lock``); object bodies are
immutable ``bytes``, so a reader may keep one after the lock is released.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import CloudBrowserError

#: The version id S3 gives what is written while versioning is off or suspended.
NULL_VERSION = "null"
#: Versioning states (S3's GetBucketVersioning): never turned on, on, suspended.
UNVERSIONED, ENABLED, SUSPENDED = "", "Enabled", "Suspended"


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version of a key, or a delete marker (``delete_marker`` set, no body)."""

    version_id: str
    modified: float
    data: bytes = b""
    etag: str = ""
    delete_marker: bool = False
    content_type: str = ""
    cache_control: str = ""
    content_disposition: str = ""
    content_encoding: str = ""
    content_language: str = ""
    expires: str = ""
    website_redirect: str = ""
    storage_class: str = "STANDARD"
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: When a restore of this archived version was asked for (the store's clock); 0.0:
    #: never. It is readable from ``restore_asked + MemoryStore.restore_seconds`` for
    #: ``restore_days`` days (S3's Glacier restore).
    restore_asked: float = 0.0
    restore_days: int = 0

    def but(self, **changes: object) -> StoredVersion:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class Upload:
    """An unfinished chunked upload: its chunks by number, each ``(bytes, token)``."""

    session: str
    key: str
    initiated: float
    content_type: str = ""
    chunks: dict[int, tuple[bytes, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SoftKept:
    """A version gone from a key's history that the bucket keeps (soft delete)."""

    #: Its own id among the soft-deleted ones (versions of an unversioned bucket are all
    #: "null").
    soft_id: str
    version: StoredVersion
    deleted_at: float


_SOFT_IDS = itertools.count(1)


@dataclass
class StoredBucket:
    name: str
    created: float
    region: str = ""
    versioning: str = UNVERSIONED
    #: Seconds what leaves a history is kept soft-deleted (GCS's soft delete); 0: never.
    soft_delete_seconds: int = 0
    #: Key → its soft-deleted versions, oldest deletion first.
    soft: dict[str, list[SoftKept]] = field(default_factory=dict)
    #: The server's clock (set with the store's, for soft-deleted versions' times).
    now: Callable[[], float] = time.time
    #: Key → its history, newest last. A key is here while any version or marker is.
    histories: dict[str, list[StoredVersion]] = field(default_factory=dict)
    #: The keys of ``histories`` as UTF-8, sorted: S3's listing order.
    index: list[bytes] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    #: (key, version id) of a version removed for good → the ids older than it then: a
    #: version listing whose marker is that version goes on with them, as a walk that
    #: deletes each page's versions before asking for the next needs.
    removed: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def current(self, key: str) -> StoredVersion | None:
        """The key's current version (None: no such key, or deleted)."""
        history = self.histories.get(key)
        if not history or history[-1].delete_marker:
            return None
        return history[-1]

    def add(self, key: str, version: StoredVersion) -> None:
        """Make ``version`` the key's newest, as the bucket's versioning state says: kept
        beside the others (on), or in place of the "null" one (off, suspended)."""
        history = self.histories.get(key)
        if history is None:
            history = self.histories[key] = []
            bisect.insort(self.index, key.encode())
        if self.versioning == UNVERSIONED:
            self.keep(key, history)
            history.clear()
        elif version.version_id == NULL_VERSION:
            self.keep(key, [v for v in history if v.version_id == NULL_VERSION])
            history[:] = [v for v in history if v.version_id != NULL_VERSION]
        history.append(version)

    def keep(self, key: str, gone: list[StoredVersion]) -> None:
        """Keep versions leaving ``key``'s history as soft-deleted, where the bucket does
        (delete markers are not kept)."""
        if not self.soft_delete_seconds:
            return
        now = self.now()
        kept = [SoftKept(f"s{next(_SOFT_IDS):08d}", v, now) for v in gone if not v.delete_marker]
        if kept:
            self.soft.setdefault(key, []).extend(kept)

    def soft_kept(self, key: str) -> list[SoftKept]:
        """The key's soft-deleted versions still kept (older ones are forgotten here)."""
        now = self.now()
        kept = [k for k in self.soft.get(key, []) if k.deleted_at + self.soft_delete_seconds > now]
        if kept:
            self.soft[key] = kept
        else:
            self.soft.pop(key, None)
        return kept

    def remove(self, key: str, version_id: str) -> bool:
        """Remove one version or marker for good; whether it was there."""
        history = self.histories.get(key, [])
        kept = [v for v in history if v.version_id != version_id]
        if len(kept) == len(history):
            return False
        ids = [v.version_id for v in history]
        self.removed[(key, version_id)] = frozenset(ids[: ids.index(version_id)])
        self.keep(key, [v for v in history if v.version_id == version_id])
        history[:] = kept
        if not kept:
            self.drop(key)
        return True

    def drop(self, key: str) -> None:
        """Forget the key and its whole history (kept soft-deleted where the bucket
        keeps what is deleted)."""
        history = self.histories.pop(key, None)
        if history is not None:
            self.keep(key, history)
            raw = key.encode()
            del self.index[bisect.bisect_left(self.index, raw)]

    def next_key(self, raw_prefix: bytes, after: bytes = b"") -> bytes | None:
        """The first key below ``raw_prefix`` (UTF-8) after ``after`` (b"": the first of
        all), in listing order; None when there is none."""
        i = bisect.bisect_left(self.index, raw_prefix)
        if after:
            i = max(i, bisect.bisect_right(self.index, after))
        if i < len(self.index) and self.index[i].startswith(raw_prefix):
            return self.index[i]
        return None

    def keys_from(self, raw_prefix: bytes, after: bytes = b"") -> Iterator[bytes]:
        """Every key below ``raw_prefix`` after ``after``, in listing order. The caller
        holds the store's lock (the index must not change meanwhile)."""
        raw = self.next_key(raw_prefix, after)
        while raw is not None:
            yield raw
            raw = self.next_key(raw_prefix, raw)


class MemoryStore:
    """One in-memory server: its buckets, under one lock."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.lock = threading.RLock()
        self.buckets: dict[str, StoredBucket] = {}
        #: The clock of the server (versions' times, share links' expiry): tests may set
        #: it to make time pass without waiting.
        self.clock: Callable[[], float] = time.time
        #: What a batch delete refuses (tests: a key under a legal hold, a denied one):
        #: called with (bucket, key) per key, an error refuses that key.
        self.refuse_delete: Callable[[str, str], CloudBrowserError | None] | None = None
        #: How long a restore from an archive class takes on this server (tests move the
        #: clock past it, as Glacier's Standard retrieval takes hours).
        self.restore_seconds = 4 * 3600.0
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        """A fresh version id or upload session, unique in this store (opaque to callers)."""
        return f"{next(self._ids):08d}{time.monotonic_ns() % 10**8:08d}"

    def set_soft_delete(self, bucket: str, seconds: int) -> None:
        """Keep what is deleted from ``bucket`` for ``seconds`` (0: no longer), as GCS's
        soft delete policy: the server-side switch (tests use it). Raises KeyError for a
        bucket that does not exist."""
        with self.lock:
            b = self.buckets[bucket]
            b.soft_delete_seconds = max(0, int(seconds))
            b.now = lambda: self.clock()

    def set_versioning(self, bucket: str, state: str) -> None:
        """Turn a bucket's versioning on (``"Enabled"``) or suspend it (``"Suspended"``):
        the server-side switch that the storage interface does not offer (tests use it).
        Raises KeyError for a bucket that does not exist."""
        if state not in (ENABLED, SUSPENDED):
            raise ValueError(f"versioning can be {ENABLED} or {SUSPENDED}, not {state!r}")
        with self.lock:
            self.buckets[bucket].versioning = state


_STORES: dict[str, MemoryStore] = {}
_STORES_LOCK = threading.Lock()


def address_of(settings: ConnectionSettings) -> str:
    """Which in-memory server a connection talks to: its endpoint URL, else its name."""
    return settings.endpoint_url or settings.name


def store_for(settings: ConnectionSettings) -> MemoryStore:
    """The store behind ``settings``, made empty on first use."""
    address = address_of(settings)
    with _STORES_LOCK:
        store = _STORES.get(address)
        if store is None:
            store = _STORES[address] = MemoryStore(address)
        return store


def forget_store(settings: ConnectionSettings) -> None:
    """Drop the store behind ``settings``: the next open starts from an empty server.
    Connections already open keep the old one."""
    with _STORES_LOCK:
        _STORES.pop(address_of(settings), None)
