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
listing shows them) and keeps only the matches. Where the storage finds objects by their
tags (``features.tag_search``: Azure's blob index) the text may hold ``tag:NAME=VALUE``
terms (:func:`parse_search`): then the server finds the tagged objects, without listing
the bucket, and only those below the prefix whose name matches the rest of the text are
kept (:func:`search_tagged`).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import Cancelled, ConfigError, KeyNotFound
from cloudbrowser.core.keys import DELIMITER
from cloudbrowser.core.paging import PageGuard, iter_pages, stopping
from cloudbrowser.core.storage import TagCondition, tag_search_of

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
#: Objects stat-ed at once to make the rows of a tag search (the server's tag index
#: names the objects, nothing more).
TAG_ROW_WORKERS = 8


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
    # Imported here: concurrent.futures costs every command's start-up ~4 ms (the CLI's
    # ls imports this module for its tag search).
    from concurrent.futures import ThreadPoolExecutor

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


# ── search by tags ───────────────────────────────────────────────────────────────────────

#: A ``tag:`` term of the search text: up to the next space outside double quotes (an
#: unclosed quote runs to the end, and is then refused).
_TAG_TERM = re.compile(r'(?<!\S)tag:((?:"[^"]*(?:"|$)|[^\s"])*)', re.IGNORECASE)
TAG_SYNTAX_HINT = (
    "Write a tag filter as tag:NAME=VALUE (or >, >=, <, <=), e.g. tag:project=apollo "
    'tag:year>=2024; put a name or value with spaces in double quotes: tag:"cost center"=R1.'
)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What the user typed into a search, taken apart: the text a name is matched against
    (:class:`NameMatcher`; "" matches every name) and the tag conditions, all of which an
    object must meet."""

    text: str
    tags: tuple[TagCondition, ...] = ()


def parse_search(text: str, *, tag_search: bool) -> SearchQuery:
    """Take the ``tag:`` terms out of ``text`` where the storage can search by tags
    (``features.tag_search``); elsewhere the whole text is a name, as it always was.

    ``tag:project=apollo`` (also ``>``, ``>=``, ``<``, ``<=``: compared as text, as Azure
    compares) is one condition; terms are joined by AND. Double quotes keep spaces in a
    name or value and are not part of it. Raises ConfigError for a term that is not a
    condition (``tag:project``, ``tag:=x``, an unclosed quote).
    """
    if not tag_search:
        return SearchQuery(text.strip())
    conditions = tuple(_condition(m.group(0), m.group(1)) for m in _TAG_TERM.finditer(text))
    rest = _TAG_TERM.sub(" ", text) if conditions else text
    return SearchQuery(" ".join(rest.split()) if conditions else rest.strip(), conditions)


def parse_tag_condition(text: str, *, shown: str = "") -> TagCondition:
    """One condition written without its ``tag:`` (``project=apollo``, ``year>=2024``), as
    the command line's ``--tag`` takes it; ``shown`` names it in an error. Raises
    ConfigError as :func:`parse_search` does."""
    return _condition(shown or text, text)


def _condition(term: str, body: str) -> TagCondition:
    if body.count('"') % 2:
        raise ConfigError(f"A quote in “{term}” is not closed.", hint=TAG_SYNTAX_HINT)
    quoted = False
    for i, char in enumerate(body):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "<>=":
            op = body[i : i + 2] if char in "<>" and body[i + 1 : i + 2] == "=" else char
            name = body[:i].replace('"', "")
            value = body[i + len(op) :].replace('"', "")
            if not name:
                raise ConfigError(f"“{term}” names no tag.", hint=TAG_SYNTAX_HINT)
            return TagCondition(name, op, value)
    raise ConfigError(f"“{term}” compares the tag with nothing.", hint=TAG_SYNTAX_HINT)


def search_tagged(
    backend: Storage,
    bucket: str,
    prefix: str,
    query: SearchQuery,
    cancel: threading.Event | None = None,
    *,
    workers: int = TAG_ROW_WORKERS,
) -> Iterator[tuple[list[Entry], int]]:
    """The objects below ``prefix`` whose tags meet ``query.tags`` (found by the server,
    :class:`~cloudbrowser.core.storage.TagSearch`) and whose name matches ``query.text``,
    a page of the server's answer at a time: ``(matches sorted by key, objects the server
    found)``. The server names the objects only: each match is stat-ed (a few at once) for
    its row; one deleted in between is left out.

    Raises NotSupported where the storage has no tag search, Cancelled when ``cancel`` is
    set (checked before every page and every stat), and what
    :meth:`~cloudbrowser.core.storage.TagSearch.find_tagged_page` and ``head_object``
    raise.
    """
    finder = tag_search_of(backend)
    matcher = NameMatcher(query.text) if query.text else None
    start = len(prefix)
    guard = PageGuard(f"{bucket}/{prefix}")

    def row(key: str) -> Entry | None:
        if cancel is not None and cancel.is_set():
            return None
        try:
            info = backend.head_object(bucket, key)
        except KeyNotFound:
            return None  # deleted since the server found it
        return Entry(
            key,
            info.size,
            info.modified,
            info.etag,
            info.storage_class,
            md5=info.md5,
            crc32c=info.crc32c,
        )

    from concurrent.futures import ThreadPoolExecutor  # (as scan_prefix)

    token = ""
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="tag-rows") as pool:
        while True:
            if cancel is not None and cancel.is_set():
                raise Cancelled("Search cancelled.")
            page = stopping(guard, finder.find_tagged_page, bucket, query.tags, token)
            guard.page(len(page.keys), page.next_token or None)
            keys = sorted(
                k
                for k in page.keys
                if k.startswith(prefix)
                and not k.endswith(DELIMITER)
                and (matcher is None or matcher.matches(k[start:]))
            )
            rows = [e for e in pool.map(row, keys) if e is not None]
            if cancel is not None and cancel.is_set():
                raise Cancelled("Search cancelled.")
            yield rows, len(page.keys)
            if not page.next_token:
                return
            token = page.next_token
