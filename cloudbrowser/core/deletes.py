"""Deleting many objects: DeleteObjects in batches of 1,000, or single deletes where the
server has no multi-object delete (Google Cloud Storage's XML API; see ``providers.py``).

Shared by the command line (``rm``) and the window's delete. Keys may arrive as a stream
(a recursive listing): a batch is sent as soon as it is full, while the listing goes on, and
a few batches run at once. Nothing fails silently: every key the server refused comes back
with its error.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from cloudbrowser.core.errors import Cancelled, CloudBrowserError, StorageError
from cloudbrowser.core.interrupt import interruptible
from cloudbrowser.core.storage import BatchDelete, Storage

#: DeleteObjects requests in flight at once: enough to hide the round trip, few enough not
#: to make a server throttle.
BATCHES_AT_ONCE = 4
#: Single DeleteObject requests in flight at once when there is no multi-object delete.
SINGLES_AT_ONCE = 16
#: Codes with which a server says it has no DeleteObjects at all.
_NO_MULTI_DELETE = frozenset({"NotImplemented", "MethodNotAllowed"})


@dataclass(slots=True)
class DeleteResult:
    """How a delete ended."""

    deleted: int = 0
    failed: list[tuple[str, CloudBrowserError]] = field(default_factory=list)
    #: The server turned out to have no DeleteObjects (remember it for this connection).
    multi_delete_unsupported: bool = False
    #: Stopped by ``cancel`` (or a cancelled key stream): keys not reached are not deleted.
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed


def delete_keys(
    backend: Storage,
    bucket: str,
    keys: Iterable[str],
    *,
    multi_delete: bool = True,
    cancel: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
) -> DeleteResult:
    """Delete ``keys`` from ``bucket``; ``progress(n)`` is called (on this thread) as each
    batch of ``n`` keys is done.

    With ``multi_delete`` (the provider's capability flag) keys go 1,000 per DeleteObjects
    request; if the server answers that it has none, the rest fall back to single deletes
    and the result says so. A request that fails as a whole (access denied, server gone)
    marks each of its keys failed with that error. When ``cancel`` is set (or ``keys``
    raises Cancelled) no more requests are sent, those in flight are waited for and counted,
    and the result says ``cancelled``.
    """
    result = DeleteResult()
    batches = backend if isinstance(backend, BatchDelete) else None
    use_batches = multi_delete and batches is not None
    batch_size = backend.features.limits.max_delete_batch
    # Requests in flight are bounded by ``submit``; single deletes fan out in _singles.
    pool = ThreadPoolExecutor(BATCHES_AT_ONCE, thread_name_prefix="delete")
    running: dict[Future[list[tuple[str, CloudBrowserError]]], list[str]] = {}

    def settle(futures: Iterable[Future[list[tuple[str, CloudBrowserError]]]]) -> None:
        nonlocal use_batches
        for future in futures:
            batch = running.pop(future)
            try:
                failed = future.result()
            except Cancelled:
                # Stopped waiting for it (a cancel while the server answers slowly): its
                # keys are neither counted as deleted nor as failed; the result says so.
                result.cancelled = True
                continue
            except StorageError as error:
                if error.code in _NO_MULTI_DELETE and use_batches:
                    use_batches = False
                    result.multi_delete_unsupported = True
                    failed = _singles(backend, bucket, batch)
                else:
                    failed = [(key, error) for key in batch]
            except CloudBrowserError as error:
                failed = [(key, error) for key in batch]
            result.failed.extend(failed)
            result.deleted += len(batch) - len(failed)
            if progress is not None:
                progress(len(batch))

    def submit(batch: list[str]) -> None:
        limit = BATCHES_AT_ONCE if use_batches else 1
        while len(running) >= limit:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            settle(done)
        if use_batches and batches is not None:
            call = functools.partial(batches.delete_objects, bucket, batch)
        else:
            call = functools.partial(_singles, backend, bucket, batch, cancel)
        if cancel is not None:  # a cancel stops waiting for a slow answer at once
            call = functools.partial(interruptible, call, cancel)
        running[pool.submit(call)] = batch

    try:
        batch: list[str] = []
        try:
            for key in keys:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("Deleting was cancelled.")
                batch.append(key)
                if len(batch) >= (batch_size if use_batches else SINGLES_AT_ONCE * 4):
                    submit(batch)
                    batch = []
            if batch:
                submit(batch)
        except Cancelled:
            result.cancelled = True
        # What was sent is counted, cancelled or not: the report must match the bucket.
        settle(list(running))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return result


def _singles(
    backend: Storage,
    bucket: str,
    keys: list[str],
    cancel: threading.Event | None = None,
) -> list[tuple[str, CloudBrowserError]]:
    """DeleteObject per key, ``SINGLES_AT_ONCE`` at a time; returns the keys that failed.
    Raises Cancelled when ``cancel`` stopped it."""

    def one(key: str) -> tuple[str, CloudBrowserError] | None:
        try:
            if cancel is None:
                backend.delete_object(bucket, key)
            else:
                interruptible(functools.partial(backend.delete_object, bucket, key), cancel)
        except Cancelled:
            raise
        except CloudBrowserError as error:
            return key, error
        return None

    with ThreadPoolExecutor(min(SINGLES_AT_ONCE, max(1, len(keys)))) as singles:
        return [r for r in singles.map(one, keys) if r is not None]
