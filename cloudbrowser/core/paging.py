"""One guard for every paging loop: a listing that would never end is stopped with a reason.

A server (or a proxy in front of it) we do not control decides when a listing ends: it may
send the same continuation token forever, or fresh tokens with empty pages forever, and a
client that trusts it loops without end while its memory grows (issue 13). Every loop over
a paged listing (objects, versions, multipart uploads, parts) feeds each page to a
:class:`PageGuard`, which raises StorageError as soon as the listing cannot be progressing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cloudbrowser.core.errors import Cancelled, StorageError
from cloudbrowser.core.give_way import give_way
from cloudbrowser.core.loggers import logger

if TYPE_CHECKING:
    from cloudbrowser.core.entries import ListPage
    from cloudbrowser.core.storage import Storage

T = TypeVar("T")


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=_Keyed)
log = logger(__name__)

#: Consecutive pages with no row after which a listing is stopped. Real servers do send
#: empty pages that are not the last (S3 may, while it skips keys a listing cannot show;
#: Ceph while it skips delete markers), but each such page still moves past up to 1,000
#: hidden entries, so 100 in a row is 100,000 hidden entries without one row to show.
#: Stopping costs 100 quick requests: seconds, even against a distant server.
MAX_EMPTY_PAGES = 100
#: Rows one page may hold: ten times the most S3 sends (1,000). A server may ignore a
#: smaller MaxKeys, but a page far beyond S3's own limit is not a real listing.
MAX_PAGE_ROWS = 10_000

_HINT = (
    "The server (or a proxy in front of it) is misbehaving. Try again later, or tell "
    "whoever runs the server."
)


class PageGuard:
    """Watches one listing of ``where`` (``bucket/prefix``) of ``noun`` rows (singular),
    a page at a time.

    Call :meth:`page` after each page, before handing it on, with how many rows it held
    and the marker the next request will send (``None`` after the last page): a page that
    stops the listing is not handed on. Markers are remembered as 16-byte digests: a
    listing of a million keys remembers a thousand of them.
    """

    def __init__(self, where: str, *, noun: str = "object") -> None:
        self.where = where
        self.noun = noun
        #: Rows seen so far in this listing.
        self.rows = 0
        self._empty = 0
        self._seen: set[bytes] = set()

    def page(self, rows: int, marker: Hashable | None, *, sent: int | None = None) -> None:
        """Account for one page of ``rows`` kept rows (``sent``: as the server sent it,
        before rows outside the listing were dropped); raises StorageError when the listing
        must stop."""
        sent = rows if sent is None else sent
        if sent > MAX_PAGE_ROWS:
            raise self.stopped(
                f"The server sent a page of {sent:,} rows for “{self.where}” (S3 sends at "
                f"most 1,000)"
            )
        if marker is not None:
            # Here, not at the top: hashlib loads OpenSSL (~2 ms), which the window's start
            # (it imports this module) does not need before the first listing.
            import hashlib

            digest = hashlib.blake2b(repr(marker).encode("utf-8", "surrogatepass"), digest_size=16)
            if digest.digest() in self._seen:
                raise self.stopped(f"The server keeps returning the same page of “{self.where}”")
            self._seen.add(digest.digest())
            self._empty = self._empty + 1 if rows == 0 else 0
            if self._empty >= MAX_EMPTY_PAGES:
                raise self.stopped(
                    f"The server keeps returning empty pages of “{self.where}” "
                    f"({MAX_EMPTY_PAGES} in a row)"
                )
        self.rows += rows  # only a page that is let through counts

    def stopped(self, what: str, *, detail: str = "") -> StorageError:
        """The error that ends this listing: ``what`` happened, and how far it got."""
        noun = self.noun if self.rows == 1 else f"{self.noun}s"
        return StorageError(
            f"{what}: the listing was stopped after {self.rows:,} {noun}.",
            hint=_HINT,
            detail=detail,
            code="ListingStopped",
        )


class PageTooLarge(StorageError):
    """One reply of a listing is larger than any real page (a backend bounds what it reads
    of a listing reply and raises this past the bound)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what}: the listing was stopped.",
            hint="The server (or a proxy in front of it) is misbehaving.",
            code="ListingStopped",
        )
        self.what = what


def stopping(guard: PageGuard, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` for one page of ``guard``'s listing; a page too large
    stops the listing with where it was and how far it got."""
    try:
        return call(*args, **kwargs)
    except PageTooLarge as error:
        raise guard.stopped(f"{error.what} for “{guard.where}”") from error


def iter_pages(
    storage: Storage,
    bucket: str,
    prefix: str = "",
    cancel: threading.Event | None = None,
    *,
    recursive: bool = False,
    ahead: bool = True,
) -> Iterator[ListPage]:
    """All pages of ``storage`` under ``prefix``, in order. With ``ahead`` each page's
    request is sent as the page before it arrives, where the backend can
    (``Storage.list_page(ahead=True)``): the server makes it while the caller works.

    Checks ``cancel`` before every request and raises Cancelled when it is set. A listing
    that cannot be progressing (a token seen before, too many empty pages, a page too
    large) is stopped with StorageError (code ``ListingStopped``).
    Raises what :meth:`~cloudbrowser.core.storage.Storage.list_page` raises.
    """
    guard = PageGuard(f"{bucket}/{prefix}")
    token = ""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Listing cancelled.")
        give_way()  # between pages: parsing one holds the GIL the window's paint needs
        page = stopping(
            guard, storage.list_page, bucket, prefix, token, recursive=recursive, ahead=ahead
        )
        guard.page(len(page.objects) + len(page.prefixes), page.next_token or None)
        if page.refused:
            # Left out of the page; a download or sync names them to the user.
            log.warning(
                "The server listed %d key(s) outside %s/%s, left out: %s",
                len(page.refused),
                bucket,
                prefix,
                ", ".join(repr(k) for k in page.refused[:10]),
            )
        yield page
        if page.is_last:
            return
        token = page.next_token


def pages_below(
    guard: PageGuard,
    call: Callable[[str, str], tuple[list[K], str, str]],
    prefix: str,
    cancel: threading.Event | None = None,
) -> Iterator[list[K]]:
    """The pages of a listing paged by two markers (a key and a version or upload id):
    ``call(key_marker, second_marker)`` gives a page's rows and the next markers ("" after
    the last page), raising only CloudBrowserError. Rows the server sent from outside
    ``prefix`` are dropped; ``guard`` stops a listing that would never end. Checks
    ``cancel`` before every request (Cancelled)."""
    key_marker = second_marker = ""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Listing cancelled.")
        rows, key_marker, second_marker = stopping(guard, call, key_marker, second_marker)
        kept = [row for row in rows if row.key.startswith(prefix)]  # nothing outside it
        guard.page(len(kept), (key_marker, second_marker) if key_marker else None, sent=len(rows))
        yield kept
        if not key_marker:
            return
