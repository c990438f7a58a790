"""One guard for every paging loop: a listing that would never end is stopped with a reason.

A server (or a proxy in front of it) we do not control decides when a listing ends: it may
send the same continuation token forever, or fresh tokens with empty pages forever, and a
client that trusts it loops without end while its memory grows (issue 13). Every loop over
a paged listing (objects, versions, multipart uploads, parts) feeds each page to a
:class:`PageGuard`, which raises StorageError as soon as the listing cannot be progressing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable

from cloudbrowser.core.errors import StorageError

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
