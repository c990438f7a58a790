"""Stopping a request that blocks: a pause or cancel takes effect at once, not after the
read timeout.

A thread blocked in a socket read never sees a ``threading.Event``. Two remedies, for the
two kinds of request:

* a response body being read (a GET): its socket is shut down from the stopping thread
  (:meth:`~cloudbrowser.core.s3.ObjectReader.abort`), registered in :class:`Interrupts`;
* a request whose reply is one short document (PUT, UploadPart, CopyObject…): it runs on a
  thread of its own (:func:`interruptible`), and the caller stops waiting for it. The SDK
  offers no way to break it off, so it ends in the background, within the read timeout;
  the transfer's journal never records what it might still do (a part it sends is not
  kept, so a resume sends it again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from cloudbrowser.core.errors import Cancelled

T = TypeVar("T")

#: How often a caller waiting for a request looks at its stop event.
POLL_SECONDS = 0.05


class Interrupts:
    """Callbacks that break off what a transfer is blocked in; :meth:`fire` calls them all.

    One added after the fire is called at once: a stop that came first is not missed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[int, Callable[[], None]] = {}
        self._next = 0
        self._fired = False

    def add(self, call: Callable[[], None]) -> int:
        with self._lock:
            self._next += 1
            self._calls[self._next] = call
            fired = self._fired
        if fired:
            call()
        return self._next

    def remove(self, token: int) -> None:
        with self._lock:
            self._calls.pop(token, None)

    def fire(self) -> None:
        with self._lock:
            self._fired = True
            calls = list(self._calls.values())
        for call in calls:
            call()

    def reset(self) -> None:
        """Before the transfer runs again."""
        with self._lock:
            self._fired = False


def interruptible(
    call: Callable[[], T],
    stop: threading.Event,
    *,
    discard: Callable[[T], object] | None = None,
) -> T:
    """``call()``, on a thread of its own, unless ``stop`` is set first: then Cancelled is
    raised at once and the call is left to end in the background (``discard`` is given its
    result if it brings one, e.g. to close a response nobody will read).

    Raises what ``call`` raises, or Cancelled.
    """
    if stop.is_set():
        raise Cancelled("Stopped.")
    done = threading.Event()
    lock = threading.Lock()
    outcome: list[tuple[bool, object]] = []
    abandoned = False

    def run() -> None:
        try:
            result: tuple[bool, object] = (True, call())
        except BaseException as exc:  # handed to the caller, never lost
            result = (False, exc)
        with lock:
            outcome.append(result)
            late = abandoned
        done.set()
        if late and result[0] and discard is not None:
            discard(result[1])  # type: ignore[arg-type]

    # A daemon thread: an abandoned request must not hold up the process's exit.
    threading.Thread(target=run, name="request", daemon=True).start()
    while not done.wait(POLL_SECONDS):
        if stop.is_set():
            with lock:
                if not outcome:
                    abandoned = True
                    raise Cancelled("Stopped.")
            break
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
