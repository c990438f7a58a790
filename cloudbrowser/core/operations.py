"""Bulk operations on the server: copy, move (rename) and delete of objects and whole prefixes.

Shared by the window (rename, paste, drag inside the app, delete) and the command line
(``cp``, ``mv``, ``rm``). An :class:`Operation` is given *items*, each an object key or a
prefix (ending in "/") with, for copy and move, where it goes; a prefix stands for every
key below it, found by a recursive listing that feeds the work while it goes on, so a
50,000-object folder starts moving after its first page.

- **Copy** on one connection is done by the server (CopyObject; above 5 GiB UploadPartCopy in
  parts): no bytes pass through this machine. Between two connections the bytes stream
  through memory (GET → PUT, or a multipart upload), never through the disk.
- **Move** is copy-then-delete *per key*: a source is deleted only after its copy was made
  and checked, in DeleteObjects batches of 1,000 fed while the copies go on. An interruption
  (cancel, a failure, a kill) never loses an object; at worst it exists in both places.
- **Delete** is DeleteObjects in 1,000-key batches, a few in flight (``core/deletes.py``).

Nothing fails silently: the result names every key that failed and why, and a cancelled
operation says so (a partial result never looks like success). Progress is read by polling
:meth:`Operation.progress` (the GUI does so at 10 Hz, like the transfer queue).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from cloudbrowser.core.checksums import content_md5, etag_md5, md5_of
from cloudbrowser.core.errors import (
    Cancelled,
    CloudBrowserError,
    ConfigError,
    CreatedMeanwhile,
    IntegrityError,
    NotFound,
    NotSupported,
    created_meanwhile,
)
from cloudbrowser.core.give_way import give_way
from cloudbrowser.core.interrupt import Abandoned, interruptible, late_failure, stoppable
from cloudbrowser.core.journal import State
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.prefix_scan import PrefixTotals, scan_prefix
from cloudbrowser.core.storage import (
    MD5,
    chunked_uploads_of,
    server_copy_of,
    storage_classes_of,
    versions_of,
)
from cloudbrowser.core.transfers import MiB, choose_part_size, part_count
from cloudbrowser.core.versions import iter_versions

if TYPE_CHECKING:  # types only
    from cloudbrowser.core.entries import ObjectInfo
    from cloudbrowser.core.storage import ObjectReader, Storage

#: Part size for server-side copies of large objects (no bytes move here: big parts are fine).
COPY_PART_SIZE = 512 * MiB
#: Part size for copies between connections: the bytes of each part in flight are in memory.
STREAM_PART_SIZE = 16 * MiB
#: Copies in flight at once. Each is one round trip with the server doing the work.
COPIES_AT_ONCE = 16
#: Objects listed ahead of the work: the listing runs ahead so that the count (and so the
#: progress) is known early, at a bounded cost in memory (~100 bytes per object).
LIST_AHEAD = 200_000

_ids = itertools.count(1)
T = TypeVar("T")
P = ParamSpec("P")


class OpKind(StrEnum):
    COPY = "copy"
    MOVE = "move"
    DELETE = "delete"
    #: Give every object a storage class (``Operation.storage_class``).
    STORAGE_CLASS = "storage-class"
    #: Ask for every archived object to be restored (``Operation.restore``); the others
    #: are passed over (``OperationResult.passed``).
    RESTORE = "restore"


@dataclass(frozen=True, slots=True)
class RestoreRequest:
    """How a restore is asked for (``StorageClasses.restore_archived``)."""

    days: int = 0
    priority: str = ""
    target: str = ""


@dataclass(frozen=True, slots=True)
class OpItem:
    """One thing to work on: a key, or a prefix (ending in "/"; "" is the whole bucket).

    ``target`` is where it goes (copy/move), of the same shape: a prefix's keys keep their
    path below it. ``size``/``etag``/``md5`` may be given for a key when already known
    (from a listing); else the key is looked up first (copy/move only).
    """

    source: str
    target: str = ""
    size: int = -1
    etag: str = ""
    #: The object's MD5 as its provider reports it ("" when unknown or none).
    md5: str = ""
    #: Copy/move only to a name found free (a "keep both" name, a rename, a name nothing
    #: had): an object someone creates there meanwhile is never written over, and the
    #: item fails with CreatedMeanwhile instead. For a prefix, every key below its target.
    create_only: bool = False
    #: Its last-modified time (POSIX seconds) when already known; 0.0 when not.
    modified: float = 0.0

    @property
    def is_prefix(self) -> bool:
        return self.source == "" or self.source.endswith("/")


@dataclass(frozen=True, slots=True)
class SourceObject:
    """One object to work on, and for copy/move the key it goes to."""

    key: str
    size: int
    etag: str
    target: str = ""
    #: The object's MD5 as its provider reports it ("" when unknown or none).
    md5: str = ""
    #: Its item's ``create_only``.
    create_only: bool = False
    #: Last-modified time (POSIX seconds); 0.0 when its item did not say and it was not
    #: looked up.
    modified: float = 0.0


@dataclass(frozen=True, slots=True)
class OpProgress:
    """A snapshot of where an operation is."""

    #: Objects (and their bytes) found so far; final once ``counted`` is True.
    found: int
    found_bytes: int
    counted: bool
    #: Objects finished (copied, moved or deleted) and their bytes.
    done: int
    done_bytes: int
    failed: int


@dataclass(slots=True)
class OperationResult:
    """How an operation ended. ``done`` counts objects fully handled (for a move: copied and
    its source deleted); every other object found is in ``failed`` or was not reached
    because of a cancel."""

    done: int = 0
    failed: list[tuple[str, CloudBrowserError]] = field(default_factory=list)
    cancelled: bool = False
    #: Objects a restore passed over: not archived (counted in ``done`` too).
    passed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled


class CopyLeftRunning(Cancelled):
    """A copy's making request that a cancel stopped waiting for (a plain copy's, never
    a move's): the server may still make the copy, or its thread still fail; ``left``
    says when, and what it ended with (:meth:`Operation.wait_settled`, ``on_late``)."""

    def __init__(self, left: Abandoned) -> None:
        super().__init__("Cancelled while the copy was under way.")
        self.left = left


@dataclass(frozen=True, slots=True)
class Tally:
    """Objects and bytes below a set of items (what a confirmation shows)."""

    objects: int
    bytes: int


def iter_sources(
    backend: Storage,
    bucket: str,
    items: list[OpItem],
    cancel: threading.Event | None = None,
    *,
    look_up: bool = False,
) -> Iterator[SourceObject]:
    """Every object the items stand for, in listing order, a page at a time.

    A prefix is listed recursively (its folder marker, if any, included); a key is taken as
    given, or looked up with HEAD when ``look_up`` and its size is unknown. Raises Cancelled
    between pages when ``cancel`` is set, and what listing raises.
    """
    for item in items:
        if not item.is_prefix:
            size, etag, md5, modified = item.size, item.etag, item.md5, item.modified
            if look_up and size < 0:
                info = backend.head_object(bucket, item.source)
                size, etag, md5, modified = info.size, info.etag, info.md5, info.modified
            yield SourceObject(
                item.source, max(size, 0), etag, item.target, md5, item.create_only, modified
            )
            continue
        start = len(item.source)
        for page in iter_pages(backend, bucket, item.source, cancel, recursive=True):
            for e in page.objects:
                target = item.target + e.key[start:]
                yield SourceObject(
                    e.key, e.size, e.etag, target, e.md5, item.create_only, e.modified
                )


def tally(
    backend: Storage,
    bucket: str,
    items: list[OpItem],
    cancel: threading.Event | None = None,
    progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """Count the objects and bytes the items stand for (before asking to delete them).

    Prefixes are counted by :func:`~cloudbrowser.core.prefix_scan.scan_prefix` (their
    sub-prefixes listed in parallel). ``progress`` gets the running count after each page.
    Raises Cancelled, and what listing raises.
    """
    objects = size = 0
    for item in items:
        if not item.is_prefix:
            objects += 1
            size += max(item.size, 0)
            continue
        before = Tally(objects, size)

        def report(t: PrefixTotals, before: Tally = before) -> None:
            if progress is not None:
                progress(Tally(before.objects + t.objects, before.bytes + t.bytes))

        totals = scan_prefix(backend, bucket, item.source, cancel, report)
        if not totals.complete:
            raise Cancelled("Counting was cancelled.")
        objects += totals.objects
        size += totals.bytes
    return Tally(objects, size)


def check_items(kind: OpKind, bucket: str, items: list[OpItem], dest_bucket: str) -> None:
    """Refuse what cannot work, before anything is sent: a folder copied or moved into
    itself would meet its own copies while it is listed.

    Raises: ConfigError.
    """
    if kind not in (OpKind.COPY, OpKind.MOVE):
        return
    for item in items:
        if item.is_prefix and bucket == dest_bucket and item.target.startswith(item.source):
            if item.target == item.source and kind is OpKind.MOVE:
                continue  # moving onto itself: nothing to do
            name = item.source or bucket
            raise ConfigError(
                f"“{name}” cannot be {'moved' if kind is OpKind.MOVE else 'copied'} into itself.",
                hint="Choose a destination outside that folder.",
            )


class Operation:
    """One bulk copy, move or delete, run by :meth:`run` on the calling thread (with its
    own pool of request threads); :meth:`cancel` and :meth:`progress` may be called from
    any thread.

    ``dest_backend`` is the destination connection when it is another one (the bytes then
    stream through); ``dest_bucket`` defaults to ``bucket``.
    """

    def __init__(
        self,
        backend: Storage,
        kind: OpKind,
        bucket: str,
        items: list[OpItem],
        *,
        dest_backend: Storage | None = None,
        dest_bucket: str = "",
        title: str = "",
        workers: int = COPIES_AT_ONCE,
        max_copy: int = 0,
        on_copied: Callable[[SourceObject], None] | None = None,
        on_late: Callable[[SourceObject, CloudBrowserError | None], None] | None = None,
        cancel: threading.Event | None = None,
        all_versions: bool = False,
        expected: Tally | None = None,
        storage_class: str = "",
        restore: RestoreRequest | None = None,
    ) -> None:
        self.id = next(_ids)
        self.kind = kind
        self.backend = backend
        self.bucket = bucket
        self.items = list(items)
        self.dest_backend = dest_backend or backend
        self.dest_bucket = dest_bucket or bucket
        self.title = title or f"{kind.value} {len(items)} item(s)"
        # Copies and a move's delete batches share the connection pool: fit both in it.
        pool = backend.settings.max_pool_connections
        self.workers = max(1, min(workers, pool - 4))
        #: Objects above this are copied in chunks (default: the storage's one-request
        #: server-copy limit, S3's CopyObject 5 GiB).
        self.max_copy = max_copy or backend.features.limits.max_server_copy
        #: What the items were counted to hold just before (a delete's confirmation): the
        #: progress is of that total until the operation's own listing has counted.
        self.expected = expected
        #: A delete removes every version and delete marker below the items for good
        #: (emptying a versioned bucket), not just the current objects.
        self.all_versions = all_versions
        #: The class a STORAGE_CLASS operation gives, how a RESTORE asks.
        self.storage_class = storage_class
        self.restore = restore or RestoreRequest()
        #: Called (on a request thread) as each copy is made, for a per-object report.
        self.on_copied = on_copied
        #: Called (on a request thread) with how a copy left running by a cancel ended,
        #: where it ended after :meth:`run` returned (before, it is in the result): None
        #: where the copy was made (``on_copied`` is called too), else the error. A copy
        #: that stopped with nothing written is not told: the cancel said so.
        self.on_late = on_late
        #: Copies a cancel left running whose end is not known yet (CopyLeftRunning).
        self._left_running = 0
        #: Set once run() has ended and every copy it left running has been accounted.
        self._settled = threading.Event()
        self._ran = False
        #: QUEUED until run, RUNNING, then DONE, FAILED (some keys failed) or CANCELLED.
        self.state = State.QUEUED
        self.result = OperationResult()
        #: Set to stop (a worker's own cancel event may be passed in).
        self._cancel = cancel or threading.Event()
        self._lock = threading.Lock()
        self._found = self._found_bytes = self._done = self._done_bytes = 0
        self._counted = False
        #: Whether the destination's server refuses a create-only write by itself
        #: (``features.conditional_puts``); False once it answered that it does not
        #: implement the condition on a copy (it is then looked at before each).
        self._checks_names = self.dest_backend.features.conditional_puts

    # ── any thread ──────────────────────────────────────────────────────────────────────

    @property
    def streams(self) -> bool:
        """The bytes pass through this machine (a copy between two connections)."""
        return self.dest_backend is not self.backend

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_event(self) -> threading.Event:
        """The event :meth:`cancel` sets (share it with a worker, so that cancelling
        either stops both)."""
        return self._cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def left_running(self) -> int:
        """Copies a cancel stopped waiting for whose end is not known yet."""
        with self._lock:
            return self._left_running

    def wait_settled(self, timeout: float | None = None) -> bool:
        """Wait until :meth:`run` has ended and every copy it left running (a cancel
        stopped waiting for: a plain copy's request, which the server completes anyway)
        has ended and been told (``on_late``); False where ``timeout`` came first."""
        return self._settled.wait(timeout)

    def progress(self) -> OpProgress:
        with self._lock:
            found, found_bytes = self._found, self._found_bytes
            if self.expected is not None and not self._counted:
                found = max(found, self.expected.objects)
                found_bytes = max(found_bytes, self.expected.bytes)
            return OpProgress(
                found=found,
                found_bytes=found_bytes,
                counted=self._counted or self.expected is not None,
                done=self._done,
                done_bytes=self._done_bytes,
                failed=len(self.result.failed),
            )

    # ── running ─────────────────────────────────────────────────────────────────────────

    def run(self) -> OperationResult:
        """Do it; returns (and keeps in ``result``) how it ended. Raises only ConfigError
        for items that cannot work (see :func:`check_items`); every other failure is in
        the result."""
        try:
            if not self.streams:  # between two connections, one bucket name is two buckets
                check_items(self.kind, self.bucket, self.items, self.dest_bucket)
            self.state = State.RUNNING
            try:
                if self.kind is OpKind.DELETE:
                    self._delete()
                elif self.kind in (OpKind.STORAGE_CLASS, OpKind.RESTORE):
                    self._each_object()
                else:
                    self._copy_or_move()
            except Cancelled:
                self.result.cancelled = True
            if self._cancel.is_set():
                self.result.cancelled = True
            if self.result.cancelled:
                self.state = State.CANCELLED
            elif self.result.failed:
                self.state = State.FAILED
            else:
                self.state = State.DONE
            return self.result
        finally:
            with self._lock:
                self._ran = True
                settled = self._left_running == 0
            if settled:
                self._settled.set()

    def _found_one(self, source: SourceObject) -> SourceObject:
        with self._lock:
            self._found += 1
            self._found_bytes += source.size
        return source

    def _sources(self, *, look_up: bool) -> Iterator[SourceObject]:
        """The objects to work on; a listing that fails is reported once, as its item."""
        for item in self.items:
            try:
                for source in iter_sources(
                    self.backend, self.bucket, [item], self._cancel, look_up=look_up
                ):
                    yield self._found_one(source)
            except Cancelled:
                raise
            except CloudBrowserError as error:
                with self._lock:
                    self.result.failed.append((item.source, error))
        with self._lock:
            self._counted = True

    def _prefetched(self, sources: Iterator[SourceObject]) -> Iterator[SourceObject]:
        """``sources``, listed on a thread of its own up to LIST_AHEAD objects ahead of the
        consumer. Raises Cancelled (in the consumer) once cancelled."""
        ahead: queue.Queue[SourceObject | None] = queue.Queue(LIST_AHEAD)
        #: The consumer is gone (ended, failed or cancelled): the lister stops too.
        gone = threading.Event()

        def put(item: SourceObject | None) -> bool:
            while not (gone.is_set() or self._cancel.is_set()):
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        #: What ended the listing other than its end or a cancel (a bug): raised to the
        #: consumer, so that a listing cut short never looks like a finished one.
        crashed: list[BaseException] = []

        def produce() -> None:
            try:
                for source in sources:
                    if not put(source):
                        return
            except Cancelled:
                pass
            except BaseException as exc:  # handed over, raised in the consumer below
                crashed.append(exc)
            finally:
                put(None)

        lister = threading.Thread(target=produce, name="operation-list", daemon=True)
        lister.start()
        try:
            while True:
                if self._cancel.is_set():
                    raise Cancelled("Cancelled.")
                try:
                    item = ahead.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is None:
                    if crashed:
                        raise crashed[0]
                    return
                yield item
        finally:
            gone.set()
            # A listing request in flight ends within the read timeout; don't wait for it.
            lister.join(timeout=1.0)

    def _delete(self) -> None:
        if self.all_versions:
            self._delete_versions()
            return
        sizes: dict[str, int] = {}

        def keys() -> Iterator[str]:
            for source in self._prefetched(self._sources(look_up=False)):
                sizes[source.key] = source.size
                yield source.key

        def deleted(n: int) -> None:
            with self._lock:
                self._done += n

        from cloudbrowser.core.deletes import delete_keys  # loads boto3: see the imports

        multi = self.backend.features.batch_delete
        outcome = delete_keys(
            self.backend, self.bucket, keys(), multi_delete=multi, cancel=self._cancel,
            progress=deleted,
        )  # fmt: skip
        with self._lock:
            self.result.failed.extend(outcome.failed)
            self.result.cancelled = outcome.cancelled
            self.result.done = outcome.deleted
            self._done = outcome.deleted
            if not outcome.cancelled:  # (which keys a cancel left is not tracked by size)
                failed_bytes = sum(sizes.get(k, 0) for k, _ in outcome.failed)
                self._done_bytes = sum(sizes.values()) - failed_bytes

    def _delete_versions(self) -> None:
        """Every version and delete marker below the prefixes, a listing page (at most
        1,000) per DeleteObjects request."""
        for item in self.items:
            try:
                for page in iter_versions(self.backend, self.bucket, item.source):
                    if self._cancel.is_set():
                        raise Cancelled("Cancelled.")
                    with self._lock:
                        self._found += len(page)
                        self._found_bytes += sum(v.size for v in page)
                    failed = versions_of(self.backend).delete_versions(
                        self.bucket, [(v.key, v.version_id) for v in page]
                    )
                    with self._lock:
                        self.result.failed.extend(failed)
                        self._done += len(page) - len(failed)
                        self.result.done = self._done
            except Cancelled:
                raise
            except CloudBrowserError as error:
                with self._lock:
                    self.result.failed.append((item.source, error))
        with self._lock:
            self._counted = True

    def _each_object(self) -> None:
        """One request per object (a class change, a restore), several at once, fed by the
        listing as it goes; a cancel lets the requests already sent finish."""
        classes = storage_classes_of(self.backend)
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.kind.value)
        running: dict[Future[bool], SourceObject] = {}

        def one(source: SourceObject) -> bool:
            if self._cancel.is_set():
                raise Cancelled("Cancelled.")
            if self.kind is OpKind.STORAGE_CLASS:
                # A class change the server makes in rounds (GCS's rewrite onto itself)
                # stops between them: the object keeps its class.
                with stoppable(None, self._cancel):
                    classes.set_storage_class(self.bucket, source.key, self.storage_class)
                return True
            r = self.restore
            return classes.restore_archived(
                self.bucket, source.key, days=r.days, priority=r.priority, target=r.target
            )

        def settle(futures: set[Future[bool]]) -> None:
            for future in futures:
                source = running.pop(future)
                try:
                    acted = future.result()
                except Cancelled:
                    continue
                except CloudBrowserError as error:
                    with self._lock:
                        self.result.failed.append((source.key, error))
                    continue
                with self._lock:
                    self._done += 1
                    self._done_bytes += source.size
                    self.result.done += 1
                    self.result.passed += not acted

        try:
            for source in self._prefetched(self._sources(look_up=False)):
                if self._cancel.is_set():
                    raise Cancelled("Cancelled.")
                while len(running) >= self.workers * 2:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    settle(done)
                running[pool.submit(one, source)] = source
        except Cancelled:
            self.result.cancelled = True
        finally:
            if running:
                settle(set(running))
            pool.shutdown(wait=True)

    def _copy_or_move(self) -> None:
        moving = self.kind is OpKind.MOVE
        #: Sources whose copy was made, waiting to be deleted (a move); None ends it.
        copied: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        deleter: threading.Thread | None = None
        delete_outcome: list[tuple[int, list[tuple[str, CloudBrowserError]]]] = []
        if moving:
            deleter = threading.Thread(
                target=self._delete_copied, args=(copied, delete_outcome), name="move-delete"
            )
            deleter.start()
        copies_ok = 0
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="copy")
        running: dict[Future[None], SourceObject] = {}

        def settle(futures: set[Future[None]]) -> None:
            nonlocal copies_ok
            for future in futures:
                source = running.pop(future)
                try:
                    future.result()
                except Cancelled:
                    continue  # stopped by the cancel: not a failure (the result says cancelled)
                except CloudBrowserError as error:
                    with self._lock:
                        self.result.failed.append((source.key, error))
                    continue
                copies_ok += 1
                if moving:
                    copied.put(source.key)
                if self.on_copied is not None:
                    self.on_copied(source)
                with self._lock:
                    self._done += 1
                    self._done_bytes += source.size

        try:
            for source in self._prefetched(self._sources(look_up=True)):
                if self._cancel.is_set():
                    raise Cancelled("Cancelled.")
                same_place = (self.dest_bucket, source.target) == (self.bucket, source.key)
                if same_place and moving and not self.streams:
                    # Moving onto itself: it is already where it should be.
                    with self._lock:
                        self._done += 1
                        self._done_bytes += source.size
                    continue
                while len(running) >= self.workers * 2:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    settle(done)
                running[pool.submit(self._copy_one, source)] = source
        except Cancelled:
            self.result.cancelled = True
        finally:
            # Copies already sent are let finish, so their sources are deleted (a move:
            # _making waits for them) and nothing is left half-done; then the deletes
            # still queued are sent. A plain copy's request a cancel stopped waiting for
            # is accounted when it ends (_await_late), maybe after run() returns.
            if running:
                settle(set(running))
            pool.shutdown(wait=True)
            if deleter is not None:
                copied.put(None)
                deleter.join()
        if moving:
            deleted, failed = delete_outcome[0] if delete_outcome else (0, [])
            for key, error in failed:
                error.message = f"Copied, but the original could not be deleted: {error.message}"
                self.result.failed.append((key, error))
            self.result.done = deleted + (self._done - copies_ok)
            with self._lock:
                self._done = self.result.done
        else:
            with self._lock:  # with the copies a cancel left running that ended already
                self.result.done += copies_ok

    def _delete_copied(
        self,
        copied: queue.SimpleQueue[str | None],
        outcome: list[tuple[int, list[tuple[str, CloudBrowserError]]]],
    ) -> None:
        """The delete half of a move: deletes sources as their copies are made."""

        def keys() -> Iterator[str]:
            while (key := copied.get()) is not None:
                yield key

        from cloudbrowser.core.deletes import delete_keys  # loads boto3: see the imports

        multi = self.backend.features.batch_delete
        # Not cancellable: every source copied must be deleted, or it would exist twice.
        result = delete_keys(self.backend, self.bucket, keys(), multi_delete=multi)
        outcome.append((result.deleted, result.failed))

    # ── one object ──────────────────────────────────────────────────────────────────────

    def _copy_one(self, source: SourceObject) -> None:
        if self._cancel.is_set():
            raise Cancelled("Cancelled.")
        give_way()  # (core/give_way.py) on a pool thread, no lock held
        if self.streams:
            self._stream_copy(source)
        elif source.size > self.max_copy:
            self._copy_in_parts(source)
        else:
            try:
                etag = self._server_copy(source)
            except CreatedMeanwhile:
                if self._holds_copy(source):
                    return  # a copy whose answer was lost, sent again: it was made
                raise
            except CopyLeftRunning as left:
                self._await_late(source, left, functools.partial(self._check_copy, source))
                raise
            self._check_copy(source, etag)

    def _check_copy(self, source: SourceObject, etag: object) -> None:
        """The copy has the source's MD5: checked where the copy's answer tells its MD5
        (S3's ETag of a single-request object, GCS's revision). Raises IntegrityError."""
        copied = etag_md5(str(etag), self.backend.features.checksums)
        if source.md5 and copied and copied != source.md5.lower():
            raise IntegrityError(f"The copy of “{source.key}” does not match the original.")

    def _await_late(
        self, source: SourceObject, left: CopyLeftRunning, check: Callable[[object], None]
    ) -> None:
        """Account for ``source``'s copy when the request a cancel left running ends
        (:meth:`_late`); ``check`` is given what it returned (raises where the copy is
        not right)."""
        with self._lock:
            self._left_running += 1

        def ended(value: object, error: BaseException | None) -> None:
            if error is None:
                try:
                    check(value)
                except CloudBrowserError as wrong:
                    error = wrong
            elif isinstance(error, CreatedMeanwhile) and self._holds_copy(source, now=True):
                error = None  # a copy whose answer was lost, sent again: it was made
            self._late(source, error)

        left.left.when_ended(ended)

    def _late(self, source: SourceObject, error: BaseException | None) -> None:
        """How a copy left running by a cancel ended: made (``on_copied``), stopped with
        nothing written (Cancelled: as the cancel said), or failed (an aborted pending
        Copy Blob that emptied the blob it wrote over…). Before :meth:`run` returns it
        is part of the result (done, or ``failed``); after, the result stays as it was
        returned and ``on_late`` says it instead: never both, never neither. The
        operation is settled once it was the last."""
        failure = None
        if not isinstance(error, Cancelled):
            failure = late_failure(error, f"The copy of “{source.key}”")
        made = error is None
        with self._lock:
            told = self._ran
            if made:
                self._done += 1
                self._done_bytes += source.size
            if not told:
                if made:
                    self.result.done += 1
                if failure is not None:
                    self.result.failed.append((source.key, failure))
        if made and self.on_copied is not None:
            self.on_copied(source)
        if told and (made or failure is not None) and self.on_late is not None:
            self.on_late(source, failure)
        with self._lock:
            self._left_running -= 1
            settled = self._ran and self._left_running == 0
        if settled:
            self._settled.set()

    def _server_copy(self, source: SourceObject) -> str:
        """One server-side copy; a create-only one carries the condition where the server
        checks it, else the name is looked at right before."""
        copy = self._copy_object
        args = (self.bucket, source.key, self.dest_bucket, source.target)
        if source.create_only and self._checks_names:
            try:
                return self._making(copy, *args, create_only=True)
            except NotSupported:
                # A server that takes the condition on a write but not on a copy (it
                # answered 501): looked at before each copy from now on, as where it
                # takes none.
                self._checks_names = False
        return self._making(copy, *args, create_only=self._create_only(source))

    def _copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool
    ) -> str:
        """``ServerCopy.copy_object``, told of the cancel on whichever thread it runs: a
        copy the server makes in rounds (GCS's rewrite) stops between them, where nothing
        is written yet; the round in flight is not abandoned (core/interrupt.py)."""
        with stoppable(None, self._cancel):
            return server_copy_of(self.backend).copy_object(
                src_bucket, src_key, bucket, key, create_only=create_only
            )

    def _create_only(self, source: SourceObject) -> bool:
        """The ``create_only`` to give the write that makes ``source``'s copy: True where
        the server checks it; where it does not, the name is looked at now (the gap
        left is as narrow as it can be, as for uploads: core/uploads.py).
        Raises CreatedMeanwhile where an object has the name."""
        if not source.create_only:
            return False
        if self._checks_names:
            return True
        self._still_free(source)
        return False

    def _still_free(self, source: SourceObject) -> None:
        info = self._at_target(source)
        if info is not None:
            raise created_meanwhile(self.dest_bucket, source.target, f"it has {info.etag}")

    def _at_target(self, source: SourceObject, *, now: bool = False) -> ObjectInfo | None:
        """What the destination holds at ``source``'s target now (None: nothing);
        ``now``: asked even after a cancel (for a copy it left running)."""
        head = self.dest_backend.head_object
        try:
            if now:
                return head(self.dest_bucket, source.target)
            return self._request(head, self.dest_bucket, source.target)
        except NotFound:
            return None

    def _holds_copy(self, source: SourceObject, *, now: bool = False) -> bool:
        """After a create-only copy was refused: whether the object at its name already
        holds the source's bytes (the same MD5), as after a copy whose answer was lost
        and that the SDK sent again. Nothing then needs doing. ``now``: as
        :meth:`_at_target`'s (a look that fails says no)."""
        if not source.md5:
            return False
        try:
            info = self._at_target(source, now=now)
        except CloudBrowserError:
            if not now:
                raise
            return False
        return info is not None and bool(info.md5) and info.md5.lower() == source.md5.lower()

    def _copy_in_parts(self, source: SourceObject) -> None:
        """UploadPartCopy for objects above CopyObject's 5 GiB; the parts are copied by the
        server, one after the other (many objects run at once already)."""
        info = self.backend.head_object(self.bucket, source.key)
        create_only = self._create_only(source)
        session = chunked_uploads_of(self.dest_backend).begin_upload(
            self.dest_bucket, source.target, content_type=info.content_type, create_only=create_only
        )
        try:
            part = choose_part_size(
                info.size, COPY_PART_SIZE, limits=self.dest_backend.features.limits
            )
            parts: list[tuple[int, str]] = []
            for n in range(part_count(info.size, part)):
                if self._cancel.is_set():
                    raise Cancelled("Cancelled.")
                first = n * part
                last = min(info.size, first + part) - 1
                token = self._request(
                    server_copy_of(self.dest_backend).copy_chunk,
                    self.bucket,
                    source.key,
                    self.dest_bucket,
                    source.target,
                    session,
                    n + 1,
                    first,
                    last,
                    if_match=info.etag,
                )
                parts.append((n + 1, token))
            # Where the commit stores the object's MD5 (Azure: the service computes none
            # for a blob of blocks) the copy keeps the source's, as a one-request copy
            # does: its bytes are the source's revision's (every chunk pinned by if_match).
            keeps_md5 = self.dest_backend.features.md5_on_commit and bool(info.md5)
            if source.create_only:
                create_only = self._create_only(source)  # the parts took a while
            chunked_uploads_of(self.dest_backend).commit_upload(
                self.dest_bucket,
                source.target,
                session,
                parts,
                content_md5=content_md5(bytes.fromhex(info.md5)) if keeps_md5 else "",
                create_only=create_only,
            )
        except BaseException:
            self._abort(session, source.target)
            raise
        # The parts' ETags are of bytes the server copied, not known here: check the size.
        copy = self.dest_backend.head_object(self.dest_bucket, source.target)
        if copy.size != info.size:
            raise IntegrityError(
                f"The copy of “{source.key}” has {copy.size} bytes instead of {info.size}."
            )

    def _stream_copy(self, source: SourceObject) -> None:
        """GET from one connection, PUT to the other, part by part through memory; checked
        against the source's MD5 where its provider keeps one."""
        opened = interruptible(
            functools.partial(
                self.backend.get_object, self.bucket, source.key, if_match=source.etag
            ),
            self._cancel,
            discard=_close,  # a body opened after the cancel: nobody reads it
        )
        with opened as reader:
            whole = md5_of(b"")
            size = reader.size
            part = choose_part_size(
                size, STREAM_PART_SIZE, limits=self.dest_backend.features.limits
            )
            if size <= part:
                data = self._read_exactly(reader, size)
                whole.update(data)
                self._check_stream(source, reader, whole.hexdigest())
                try:
                    self._making(
                        self.dest_backend.put_object,
                        self.dest_bucket,
                        source.target,
                        data,
                        content_md5=content_md5(md5_of(data).digest()),
                        content_type=reader.content_type,
                        create_only=self._create_only(source),
                    )
                except CreatedMeanwhile:
                    if not self._holds_copy(source):
                        raise
                except CopyLeftRunning as left:
                    # Its bytes were checked before they were sent: made is copied.
                    self._await_late(source, left, lambda _etag: None)
                    raise
                return
            create_only = self._create_only(source)
            session = chunked_uploads_of(self.dest_backend).begin_upload(
                self.dest_bucket,
                source.target,
                content_type=reader.content_type,
                create_only=create_only,
            )
            try:
                parts: list[tuple[int, str]] = []
                for n in range(part_count(size, part)):
                    if self._cancel.is_set():
                        raise Cancelled("Cancelled.")
                    data = self._read_exactly(reader, min(part, size - n * part))
                    whole.update(data)
                    token = self._request(
                        chunked_uploads_of(self.dest_backend).upload_chunk,
                        self.dest_bucket,
                        source.target,
                        session,
                        n + 1,
                        data,
                        content_md5=content_md5(md5_of(data).digest()),
                        offset=n * part,
                    )
                    parts.append((n + 1, token))
                self._check_stream(source, reader, whole.hexdigest())
                if source.create_only:
                    create_only = self._create_only(source)  # the parts took a while
                chunked_uploads_of(self.dest_backend).commit_upload(
                    self.dest_bucket,
                    source.target,
                    session,
                    parts,
                    content_md5=content_md5(whole.digest()),
                    create_only=create_only,
                )
            except BaseException:
                self._abort(session, source.target)
                raise

    def _making(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The one request that makes a copy (a server copy, a small object's PUT): a
        move's is waited for to its end even after a cancel, since the server completes
        it anyway and its source must then be deleted, or the object would be in both
        places (as a chunked copy's commit is). A copy's is a :meth:`_request`, which a
        cancel stops waiting for at once (a CopyObject whose reply trickles for
        minutes); the request goes on, and how it ends is still the copy's outcome:
        CopyLeftRunning, which the caller hands to :meth:`_await_late`."""
        if self.kind is OpKind.MOVE:
            return call(*args, **kwargs)
        try:
            return self._request(call, *args, **kwargs)
        except Abandoned as left:
            raise CopyLeftRunning(left) from None

    def _request(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)``, one request that a cancel stops waiting for at once
        (Cancelled), however slowly the server answers (see ``core/interrupt.py``)."""
        return interruptible(functools.partial(call, *args, **kwargs), self._cancel)

    def _read_exactly(self, reader: ObjectReader, size: int) -> bytes:
        """``size`` bytes of the body; a cancel breaks off a read the server trickles."""
        stopping = threading.Event()

        def watch() -> None:  # wakes once the read ends (stopping) or the cancel comes
            while not stopping.wait(0.05):
                if self._cancel.is_set():
                    reader.abort()
                    return

        watcher = threading.Thread(target=watch, name="copy-read-watch", daemon=True)
        watcher.start()
        try:
            return _read_exactly(reader, size)
        finally:
            stopping.set()

    def _check_stream(self, source: SourceObject, reader: ObjectReader, md5_hex: str) -> None:
        expected = (reader.md5 or source.md5).lower()
        if MD5 in self.backend.features.checksums and expected and md5_hex != expected:
            raise IntegrityError(
                f"The bytes read of “{source.key}” do not match its checksum.",
                hint="The object may have changed while it was copied: try again.",
            )

    def _abort(self, session: str, key: str) -> None:
        # The failure being raised is the one to report; "Clean up incomplete uploads"
        # lists an upload whose abort failed too.
        with contextlib.suppress(CloudBrowserError):
            chunked_uploads_of(self.dest_backend).abort_upload(self.dest_bucket, key, session)


def _close(reader: ObjectReader) -> None:
    reader.close()


def _read_exactly(reader: ObjectReader, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = reader.read(min(left, 1 * MiB))
        if not chunk:
            raise IntegrityError("The server sent fewer bytes than the object holds.")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
