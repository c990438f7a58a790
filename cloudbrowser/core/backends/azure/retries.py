"""How long the Azure backend waits before it sends a request again.

Two kinds of failure want two different waits:

* The account could not be reached (connection refused, reset, timed out before an
  answer): a wait of a few seconds, so that an unreachable account is said to be one
  after ~8 s instead of the storage SDK's 43 s (15 + 3^n s each), which looked hung.
* The account answered that it is busy (503 ServerBusy, 500 OperationTimedOut,
  429): Azure asks clients to back off exponentially, and says for how long in a
  ``Retry-After`` header where it knows. Retrying within a few seconds only adds to the
  load that made it refuse, so these waits follow ``Retry-After`` (within a minute), else
  grow from 4 s (4, 8, 16… within 30 s), as botocore's retries do on throttling.
"""

from __future__ import annotations

import random
from typing import Any

from azure.storage.blob import ExponentialRetry

#: The spread of retry waits: a generator of its own, so that the engine's threads never
#: move the global ``random`` state under code that seeds it (tests, Hypothesis).
_JITTER = random.Random()
#: Answers that mean "busy, come back later" (not "your request is wrong").
_BUSY = frozenset({429, 500, 503})
#: The first wait after a busy answer without Retry-After, doubled at each retry.
_BUSY_FIRST = 4.0
_BUSY_LONGEST = 30.0
#: A Retry-After longer than this is not waited for in full: the user would rather see
#: the error and decide.
_RETRY_AFTER_LONGEST = 60.0


class AccountRetry(ExponentialRetry):
    """The storage SDK's exponential retry with the two waits above."""

    def __init__(self, attempts: int) -> None:
        # ~3 s, then ~5 s (1 + 2^n, ±1 s) after a failure to connect or to read.
        super().__init__(
            initial_backoff=1,
            increment_base=2,
            retry_total=max(0, attempts - 1),
            random_jitter_range=1,
        )

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        history = settings.get("history") or []
        reply = getattr(history[-1], "http_response", None) if history else None
        status = getattr(reply, "status_code", None)
        if status not in _BUSY:
            return float(super().get_backoff_time(settings))
        asked = retry_after(reply.headers.get("Retry-After", "") if reply is not None else "")
        if asked is not None:
            return min(asked, _RETRY_AFTER_LONGEST)
        # settings["count"] counts the retry about to be made (1 before the first).
        wait = min(_BUSY_FIRST * 2 ** max(0, settings.get("count", 1) - 1), _BUSY_LONGEST)
        return _JITTER.uniform(wait * 0.75, wait)  # spread: many clients were refused at once


def retry_after(value: str) -> float | None:
    """Seconds from a ``Retry-After`` header in seconds (``"7"``), or None. Azure Storage
    sends seconds; an HTTP date is taken as absent (the exponential wait applies)."""
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
