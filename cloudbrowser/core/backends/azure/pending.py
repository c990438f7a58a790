"""The wait for a pending Copy Blob: how often it is asked about, and when it is given up.

Azure answers a Copy Blob it does not finish at once (across accounts, or a large blob)
with ``x-ms-copy-status: pending``, and copies on its own; the copy's destination is then
polled (Get Blob Properties) until the status changes, each reply saying how far it got
(``x-ms-copy-progress: COPIED/TOTAL``). A server (or a proxy in front of it) we do not
control may answer "pending" forever, and the poll would never end (as a GCS rewrite's
rounds may: ``backends/gcs/rewrite.py``): :class:`CopyWatch` gives up a copy whose
progress has not moved for :data:`STALLED_SECONDS`. A real copy across accounts moves
every few seconds; one that stops for that long is better aborted and retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: The first wait between two polls of a pending copy (seconds); each next one is longer
#: by :data:`POLL_GROWTH`, up to :data:`LONGEST_POLL`: a short copy is seen done soon, a
#: long one costs a request every few seconds.
FIRST_POLL = 0.2
POLL_GROWTH = 1.5
LONGEST_POLL = 5.0
#: A pending copy whose progress stays put this long (seconds) is given up.
STALLED_SECONDS = 600.0


def next_poll(wait: float) -> float:
    """The wait after one of ``wait`` seconds."""
    return min(wait * POLL_GROWTH, LONGEST_POLL)


def duration(seconds: float) -> str:
    """``seconds`` as the message says it: minutes, or seconds below two."""
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.0f} minutes"


def progress_of(text: str) -> tuple[int, int] | None:
    """``x-ms-copy-progress`` ("COPIED/TOTAL") as numbers; None where it is missing or
    says nothing sensible (more copied than there is, negative counts)."""
    copied, slash, total = text.strip().partition("/")
    try:
        done, whole = int(copied), int(total)
    except ValueError:
        return None
    if not slash or done < 0 or whole < 0 or done > whole:
        return None
    return done, whole


class CopyWatch:
    """Watches the polls of one pending copy to ``what`` ("“k” in “c”")."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.polls = 0
        self._clock = clock
        self._copied = -1
        self._moved_at = clock()
        self.last = ""

    def moved(self, progress: str) -> bool:
        """Account for one poll that still says pending, with its ``progress``; False
        once the copy has got no further for :data:`STALLED_SECONDS` (give it up)."""
        self.polls += 1
        self.last = progress
        now = self._clock()
        numbers = progress_of(progress)
        if numbers is not None and numbers[0] > self._copied:
            self._copied = numbers[0]
            self._moved_at = now
        return now - self._moved_at < STALLED_SECONDS

    @property
    def stalled_for(self) -> float:
        return self._clock() - self._moved_at
