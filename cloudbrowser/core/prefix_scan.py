"""Walking everything below a prefix: its total size ("folder size") and a name search.

Both use recursive listings (``ListObjectsV2`` without a delimiter, a page at a time); no
HEAD per object, and nothing but running totals (or the matches) is kept in memory.

**Folder size** fans out: the prefix's own level is listed with the delimiter, then every
sub-prefix is listed recursively on a small pool of threads, because a Python listing is
bound by one thread's CPU and the server's latency (docs/architecture.md §3, §7). Where a
level has a single sub-prefix (``bucket/data/…``) the fan-out descends a few levels first;
where a level has very many sub-prefixes (many tiny folders, where a request per folder would
cost more than the one recursive listing) the whole prefix is listed recursively instead.

**Search** lists the prefix recursively in key order (so matches arrive in the order a
listing shows them) and keeps only the matches.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.paging import iter_pages

if TYPE_CHECKING:  # a type only: a storage is always passed in
    from cloudbrowser.core.storage import Storage

#: Recursive listings in flight at once while sizing a prefix.
SCAN_WORKERS = 8
#: A level with more sub-prefixes than this (one full listing page of them) is listed as one
#: recursive listing instead of one (or more) request per sub-prefix.
FANOUT_LIMIT = 1000
#: How many levels the fan-out may descend while a level has fewer sub-prefixes than workers.
SPLIT_DEPTH = 3
#: How often (seconds) the caller's cancel event is checked while waiting for a page.
_POLL = 0.1


@dataclass(frozen=True, slots=True)
class PrefixTotals:
    """Objects and bytes counted below a prefix (every key, folder placeholders included).

    ``complete`` is False for a partial count (the scan was cancelled): the totals are then
    those of whole listing pages, never of half a page.
    """

    objects: int = 0
    bytes: int = 0
    complete: bool = True


def scan_prefix(
    backend: Storage,
    bucket: str,
    prefix: str,
    cancel: threading.Event | None = None,
    progress: Callable[[PrefixTotals], None] | None = None,
    *,
    workers: int = SCAN_WORKERS,
) -> PrefixTotals:
    """Count the objects and bytes of every key below ``prefix`` ("" = the whole bucket).

    ``progress(totals)`` is called on *this* thread after every listing page (the caller
    throttles what it shows). When ``cancel`` is set the scan stops within a page's time and
    returns the partial totals with ``complete=False``; listings still on the wire are
    abandoned to end on their own.

    Raises what :meth:`Storage.list_page` raises (BucketNotFound, AccessDenied, …) for
    the first listing that fails; the others are stopped.
    """
    stop = threading.Event()  # tells the pool's listings to stop at their next page
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="scan")
    running = 0
    objects = size = 0

    def recursive(where: str) -> None:
        for page in iter_pages(backend, bucket, where, stop, recursive=True):
            events.put(("page", (len(page.objects), sum(e.size for e in page.objects))))

    def level(where: str, depth: int) -> None:
        """One delimited level: its objects count at once, its sub-prefixes fan out."""
        subs: list[str] = []
        counted = [0, 0]
        for page in iter_pages(backend, bucket, where, stop):
            n, b = len(page.objects), sum(e.size for e in page.objects)
            counted[0] += n
            counted[1] += b
            events.put(("page", (n, b)))
            subs.extend(p.key for p in page.prefixes)
            if len(subs) > FANOUT_LIMIT:
                # Many small folders: one recursive listing beats a request per folder.
                # What this level counted so far is taken back, then counted again.
                events.put(("page", (-counted[0], -counted[1])))
                recursive(where)
                return
        split = depth + 1 < SPLIT_DEPTH and len(subs) < workers
        for sub in subs:
            events.put(("task", (sub, depth + 1) if split else (sub, -1)))

    def task(where: str, depth: int) -> None:
        try:
            if depth < 0:
                recursive(where)
            else:
                level(where, depth)
        except Cancelled:
            pass
        except BaseException as exc:  # handed to the caller's thread, raised there
            events.put(("error", exc))
        finally:
            events.put(("done", None))

    def submit(where: str, depth: int) -> None:
        nonlocal running
        running += 1
        pool.submit(task, where, depth)

    cancelled = False
    try:
        submit(prefix, 0)
        while running:
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            try:
                kind, value = events.get(timeout=_POLL)
            except queue.Empty:
                continue
            if kind == "page":
                objects += value[0]
                size += value[1]
                if progress is not None and (value[0] > 0 or value[1] > 0):
                    progress(PrefixTotals(objects, size, complete=False))
            elif kind == "task":
                submit(*value)
            elif kind == "done":
                running -= 1
            else:
                raise value
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
    return PrefixTotals(objects, size, complete=not cancelled)


# ── search ───────────────────────────────────────────────────────────────────────────────


class NameMatcher:
    """Does a key below a prefix match what the user typed?

    Case-insensitive. Without wildcards: the text is a substring of the file's name. With
    ``*`` (any run of characters) or ``?`` (one character) the whole name must match, as
    in a file manager's search (``*.jpg``, ``report-202?.pdf``). Text with a "/" is
    matched against the path below the searched prefix instead of the name
    (``2024/*.jpg``; there ``*`` also matches "/"). Other characters are literal.
    """

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        folded = self.text.casefold()
        self.on_path = DELIMITER in folded
        self._needle = folded
        self._regex: re.Pattern[str] | None = None
        if "*" in folded or "?" in folded:
            parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in folded)
            self._regex = re.compile("".join(parts), re.DOTALL)

    @property
    def has_wildcards(self) -> bool:
        return self._regex is not None

    def matches(self, relative_path: str) -> bool:
        """``relative_path`` is the key without the searched prefix."""
        target = relative_path if self.on_path else relative_path.rpartition(DELIMITER)[2]
        target = target.casefold()
        if self._regex is not None:
            return self._regex.fullmatch(target) is not None
        return self._needle in target


def search_prefix(
    backend: Storage,
    bucket: str,
    prefix: str,
    matcher: NameMatcher,
    cancel: threading.Event | None = None,
) -> Iterator[tuple[list[Entry], int]]:
    """The objects below ``prefix`` that ``matcher`` accepts, a listing page at a time, in
    key order: ``(matches, keys looked at)`` per page (pages without a match included, so
    a caller can show that the search goes on). Folder placeholders (keys ending in "/")
    are not results.

    Raises Cancelled when ``cancel`` is set (checked before every page), and what
    :meth:`Storage.list_page` raises.
    """
    start = len(prefix)
    for page in iter_pages(backend, bucket, prefix, cancel, recursive=True):
        matches = [
            e
            for e in page.objects
            if not e.key.endswith(DELIMITER) and matcher.matches(e.key[start:])
        ]
        yield matches, len(page.objects)
