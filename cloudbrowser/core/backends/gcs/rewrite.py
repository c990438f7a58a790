"""The guard of a rewrite's token loop: a copy that would never end is stopped with a
reason.

GCS answers a rewrite that takes more than one call (a large object, another location or
storage class) with ``done: false``, a ``rewriteToken`` to send back, and how far it got
(``totalBytesRewritten`` of ``objectSize``). A server (or a proxy in front of it) we do
not control may send one token forever, or fresh tokens without getting any further, and
the loop would never end (as a listing's may: core/paging.py's PageGuard). Real GCS moves
on in every round; :class:`RewriteGuard` gives up after ``MAX_STALLED_ROUNDS`` rounds in a
row that did not. Nothing was written at the destination then: GCS writes it only in the
round that says done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudbrowser.core.errors import StorageError

#: Rounds in a row that got no further (a token sent before, no more bytes rewritten, or
#: bytes beyond the object's size) after which a rewrite is given up. GCS rewrites bytes
#: in every round it does not finish; a few rounds of grace cover a round that reports
#: none while it starts, and giving up costs that many quick requests.
MAX_STALLED_ROUNDS = 20


class RewriteGuard:
    """Watches the rounds of one rewrite of ``what`` ("“a/b” to “c/d”")."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.rounds = 0
        self._stalled = 0
        self._done_bytes = -1
        self._tokens: set[str] = set()

    def round(self, reply: Mapping[str, Any], token: str) -> None:
        """Account for one unfinished round (its ``reply``, the ``token`` to send back);
        raises StorageError (code ``RewriteStopped``) when the rewrite must stop."""
        self.rounds += 1
        done_bytes = _count(reply.get("totalBytesRewritten"))
        size = _count(reply.get("objectSize"))
        further = (
            token not in self._tokens
            and done_bytes > self._done_bytes
            and (size < 0 or done_bytes <= size)
        )
        self._tokens.add(token)
        self._done_bytes = max(self._done_bytes, done_bytes)
        self._stalled = 0 if further else self._stalled + 1
        if self._stalled >= MAX_STALLED_ROUNDS:
            raise StorageError(
                f"The server did not finish copying {self.what}: {self._stalled} rounds in a "
                "row got no further. Nothing was written at the destination.",
                hint="The server (or a proxy in front of it) is misbehaving. Try again later, "
                "or tell whoever runs the server.",
                detail=f"{self.rounds} rounds; the last said {_said(reply)}",
                code="RewriteStopped",
            )


def _count(value: object) -> int:
    """A byte count of the reply (GCS sends them as strings); -1 where there is none."""
    try:
        return int(str(value)) if value is not None else -1
    except ValueError:
        return -1


def _said(reply: Mapping[str, Any]) -> str:
    return (
        f"{reply.get('totalBytesRewritten', '?')} of {reply.get('objectSize', '?')} bytes "
        f"rewritten, token {str(reply.get('rewriteToken', ''))[:40]!r}"
    )
