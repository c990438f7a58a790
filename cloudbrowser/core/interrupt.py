"""Stopping a request that blocks: a pause or cancel takes effect at once, not after the
read timeout.

A thread blocked in a socket read never sees a ``threading.Event``. Two remedies, for the
two kinds of request:

* a response body being read (a GET): its socket is shut down from the stopping thread
  (:meth:`~cloudbrowser.core.storage.ObjectReader.abort`), registered in :class:`Interrupts`;
* a request whose reply is one short document (PUT, UploadPart, CopyObject…): it runs on
  another thread (:func:`interruptible`), and the caller stops waiting for it. The SDK
  offers no way to break it off, so it ends in the background, within the read timeout;
  the transfer's journal never records what it might still do (a part it sends is not
  kept, so a resume sends it again). It raises :class:`Abandoned`, whose ``ended`` says
  when the request has ended: a whole object's PUT may be stored all the same, and the
  upload looks (core/uploads.py).

The other threads are kept and reused (:class:`_Runners`): starting a thread per request
cost a small-file download a quarter of its time (the new thread's start handshake waits
for the interpreter lock behind every busy worker).

A backend that can break off its own wait for a reply (``Features.stoppable_reads``) opens
a GET on the caller's thread instead, which saves the hand-over to a runner (two thread
switches and the interpreter lock passed back and forth per small file): the engine runs
the open inside :func:`stoppable`, and the backend registers how to break off what it
waits in with :func:`breaking_off` (S3: shut down the socket the reply is awaited on), or
sends what it cannot break off through :func:`elsewhere` (a runner, as before). A small
file's PUT is sent the same way where ``Features.stoppable_puts`` says so (measured on S3:
713–856 → 805–898 files/s for 2,000 × 4 KiB), and a retry's backoff is a :func:`pause`.

A request that must not be abandoned (the one that makes a move's copy: the server
completes it anyway, docs/architecture.md §2) runs inside ``stoppable(None, stop)``: nothing
is broken off, handed away or cut short, but a backend that makes it of several requests
whose last one alone writes (GCS's rewrite rounds) stops between them at
:func:`stop_point`, where nothing has been written yet.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from cloudbrowser.core import cpu_turns
from cloudbrowser.core.errors import Cancelled, CloudBrowserError, StorageError
from cloudbrowser.core.loggers import logger

if TYPE_CHECKING:
    import queue

T = TypeVar("T")

log = logger(__name__)

#: How often a caller waiting for a request looks at its stop event.
POLL_SECONDS = 0.05
#: How long a runner thread waits for another request before it ends.
IDLE_SECONDS = 30.0


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


#: What a runner does: the request, then the hand-over of its outcome.
_Job = tuple[Callable[[], None], Callable[[], None]]


class _Runners:
    """Daemon threads that run requests, reused: a request is handed to an idle one, and
    a new one is started only when none is idle. Daemon threads, not an executor's: an
    abandoned request must not hold up the process's exit (an executor joins its threads).
    """

    def __init__(self) -> None:
        import queue  # here: made at the first request handed over, not at every start

        self._jobs: queue.SimpleQueue[_Job]
        self._jobs = queue.SimpleQueue()
        self._lock = threading.Lock()
        #: Idle runners not yet promised a job. Each job put while it is > 0 takes one.
        self._idle = 0

    def run(self, work: Callable[[], None], then: Callable[[], None]) -> None:
        """Run ``work``, then ``then`` (neither may raise) on a runner thread. The runner
        counts as idle before ``then`` runs, so that a caller woken by ``then`` and
        sending its next request at once finds it free."""
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        self._jobs.put((work, then))
        if start:
            threading.Thread(target=self._serve, name="request", daemon=True).start()

    def _serve(self) -> None:
        job: _Job | None = self._jobs.get()
        while job is not None:
            work, then = job
            work()
            with self._lock:
                self._idle += 1
            then()
            job = self._next_job()

    def _next_job(self) -> _Job | None:
        """The next job, or None when none came for IDLE_SECONDS (the runner ends)."""
        import queue

        while True:
            try:
                return self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # more idle runners than promised jobs: one may go
                        self._idle -= 1
                        return None
                # A job was promised just as the wait ended: it is on its way.


@functools.cache
def _runners() -> _Runners:
    """The process's runners, made at the first request handed over to one."""
    return _Runners()


#: Told what a request left running ended with: its return value and None, or None and
#: what it raised.
Ending = Callable[[object, BaseException | None], None]


class Abandoned(Cancelled):
    """Stopped while the request went on: it ends in the background, and ``ended`` is set
    once it has (its outcome is then known to the server, e.g. a PUT that was stored all
    the same: core/uploads.py looks). :meth:`when_ended` hands on what it ended with, for
    a caller that must still report it (a copy the server made all the same:
    core/operations.py)."""

    def __init__(self, ended: threading.Event) -> None:
        super().__init__("Stopped.")
        self.ended = ended
        self._lock = threading.Lock()
        self._outcome: tuple[object, BaseException | None] | None = None
        self._told: list[Ending] = []

    def when_ended(self, tell: Ending) -> None:
        """Have ``tell(value, error)`` called with what the request returned or raised,
        on the thread that ends it (before ``ended`` is set), or at once on this one
        where it has ended. ``tell`` must not raise (what it raises is logged)."""
        with self._lock:
            outcome = self._outcome
            if outcome is None:
                self._told.append(tell)
                return
        _tell(tell, *outcome)

    def _end(self, value: object, error: BaseException | None) -> None:
        with self._lock:
            self._outcome = (value, error)
            told, self._told = self._told, []
        for tell in told:
            _tell(tell, value, error)


#: Told how a request left running ended, as the user is to hear it: its return value and
#: None where it did what it was sent for, else None and the failure.
Outcome = Callable[[object, CloudBrowserError | None], None]


def late_failure(error: BaseException | None, what: str) -> CloudBrowserError | None:
    """``error``, what a request left running ended with (None: it did what it was sent
    for), as the failure to report: a CloudBrowserError as it is; a bug is logged and
    becomes a StorageError saying ``what`` ("The copy of “a.txt”") failed unexpectedly,
    never lost on a thread nobody waits for."""
    if error is None or isinstance(error, CloudBrowserError):
        return error
    log.error("%s, left running by a cancel, failed", what, exc_info=error)
    return StorageError(
        f"{what} failed unexpectedly after the cancel.",
        detail=f"{type(error).__name__}: {error}",
    )


def report_late(left: Abandoned, tell: Outcome, what: str) -> None:
    """Have ``tell`` called (on the thread the request ends on) with how the request
    ``left`` running ended: done, or failed (:func:`late_failure`). One that stopped
    with nothing done (Cancelled) is not told: the cancel said so."""

    def ended(value: object, error: BaseException | None) -> None:
        if not isinstance(error, Cancelled):
            tell(value, late_failure(error, what))

    left.when_ended(ended)


def interruptible_late(call: Callable[[], T], stop: threading.Event, tell: Outcome, what: str) -> T:
    """``call()`` as :func:`interruptible`, for a caller that delivers nothing once
    ``stop`` is set (a window's job, whose result is dropped after its cancel): how the
    request ends after the stop is told instead, done or failed, whether it was left
    running (:func:`report_late`) or ended just as the stop came, and Cancelled raised.
    Raises what ``call`` raises before the stop."""
    try:
        value = interruptible(call, stop)
    except Abandoned as left:
        report_late(left, tell, what)
        raise
    except Cancelled:
        raise
    except Exception as error:
        if not stop.is_set():
            raise
        tell(None, late_failure(error, what))
        raise Cancelled("Stopped.") from error
    if stop.is_set():
        tell(value, None)
        raise Cancelled("Stopped.")
    return value


def _tell(tell: Ending, value: object, error: BaseException | None) -> None:
    try:
        tell(value, error)
    except Exception:  # on a runner, which must live on
        log.exception("reporting the end of a request left running failed")


def interruptible(
    call: Callable[[], T],
    stop: threading.Event,
    *,
    discard: Callable[[T], object] | None = None,
    within: float | None = None,
) -> T:
    """``call()``, on a runner thread, unless ``stop`` is set first: then Cancelled is
    raised at once, or Abandoned where the call had begun, which is left to end in the
    background (``discard`` is given its result if it brings one, e.g. to close a response
    nobody will read). ``within``: the caller stops waiting after that many seconds too,
    as at a stop.

    Raises what ``call`` raises, or Cancelled (Abandoned).
    """
    if stop.is_set():
        raise Cancelled("Stopped.")
    deadline = None if within is None else time.monotonic() + within
    done = threading.Event()
    lock = threading.Lock()
    outcome: list[tuple[bool, object]] = []
    #: Raised where the caller gave up (stopped) before the outcome was handed over.
    abandoned: Abandoned | None = None
    handed = False  # the outcome was handed over: the caller takes it

    def run() -> None:
        try:
            result: tuple[bool, object] = (True, call())
        except BaseException as exc:  # handed to the caller, never lost
            result = (False, exc)
        outcome.append(result)

    def hand_over() -> None:
        nonlocal handed
        with lock:
            result = outcome[0]
            late = abandoned
            handed = True
        if late is not None:  # told first: ``ended`` says it has been
            ok, value = result
            if ok and discard is not None:
                try:
                    discard(value)  # type: ignore[arg-type]
                except Exception:  # the runner must live on: it already counts as idle
                    log.debug("discarding a late reply failed", exc_info=True)
            if ok:
                late._end(value, None)
            else:
                assert isinstance(value, BaseException)
                late._end(None, value)
        done.set()

    _runners().run(run, hand_over)
    with cpu_turns.waiting():  # for the runner: a transfer worker's turn is free meanwhile
        while not done.wait(POLL_SECONDS):
            if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                with lock:
                    if not handed:
                        abandoned = Abandoned(done)
                        raise abandoned
                break
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


#: The stop of the request this thread is running inside :func:`stoppable`, if any; its
#: interrupts are None where nothing may be broken off (only :func:`stop_point` stops).
_STOPPABLE: contextvars.ContextVar[tuple[Interrupts | None, threading.Event] | None]
_STOPPABLE = contextvars.ContextVar("cloudbrowser_stoppable", default=None)


@contextmanager
def stoppable(interrupts: Interrupts | None, stop: threading.Event) -> Iterator[None]:
    """Run a request on this thread, broken off when ``stop`` is set (``interrupts``
    fired): only for a backend whose ``Features.stoppable_reads`` says it registers what
    it waits in (:func:`breaking_off`) or hands it to a runner (:func:`elsewhere`).
    ``interrupts`` None: a request never broken off nor abandoned, which only stops at
    its :func:`stop_point` (a move's copy). Raises Cancelled at once when already
    stopped."""
    if stop.is_set():
        raise Cancelled("Stopped.")
    token = _STOPPABLE.set((interrupts, stop))
    try:
        yield
    finally:
        _STOPPABLE.reset(token)


class Watch:
    """One registration of :func:`breaking_off`: ``fired`` says the stop broke it off."""

    def __init__(self, call: Callable[[], None]) -> None:
        self._call = call
        self._lock = threading.Lock()
        self._active = True
        self.fired = False

    def break_off(self) -> None:
        with self._lock:
            if not self._active:
                return  # the wait ended first: what it used may serve another request now
            self.fired = True
            try:
                self._call()
            except Exception as exc:  # ended meanwhile (closed): nothing is waiting
                log.debug("breaking off a request: %r", exc)

    def end(self) -> None:
        with self._lock:
            self._active = False


@contextmanager
def breaking_off(call: Callable[[], None]) -> Iterator[Watch]:
    """Inside :func:`stoppable`: a stop calls ``call`` (from the stopping thread) to break
    off the wait this block is in, e.g. by shutting down its socket; ``call`` is never made
    after the block ends. Outside it: nothing to break off, ``call`` is never made. Either
    way the block is a wait for a server: a transfer worker's turn is free meanwhile
    (core/cpu_turns.py)."""
    watch = Watch(call)
    current = _STOPPABLE.get()
    interrupts = None if current is None else current[0]
    token = None if interrupts is None else interrupts.add(watch.break_off)
    try:
        with cpu_turns.waiting():
            yield watch
    finally:
        if interrupts is not None and token is not None:
            watch.end()
            interrupts.remove(token)


def pause(seconds: float) -> None:
    """Sleep ``seconds`` (a retry's backoff); inside :func:`stoppable` a stop ends the
    sleep at once and raises Cancelled."""
    current = _STOPPABLE.get()
    if current is None or current[0] is None:
        time.sleep(seconds)
    elif current[1].wait(seconds):
        raise Cancelled("Stopped.")


def elsewhere(call: Callable[[], T], *, discard: Callable[[T], object] | None = None) -> T:
    """``call()``: on a runner (:func:`interruptible`) inside :func:`stoppable`, for a
    request whose wait cannot be broken off; outside it, on this thread."""
    current = _STOPPABLE.get()
    if current is None or current[0] is None:
        return call()
    return interruptible(call, current[1], discard=discard)


def stop_point(wait: float = 0.0) -> None:
    """Between two requests of one that is made of several (GCS's rewrite rounds, the
    polls of Azure's Copy Blob), where stopping leaves nothing written or what is
    written can be taken back: inside :func:`stoppable` (either form), raises Cancelled
    once the stop is set; outside it, nothing. ``wait``: seconds to wait first (a poll's
    interval), ended at once by the stop."""
    current = _STOPPABLE.get()
    if current is None:
        if wait > 0:
            time.sleep(wait)
        return
    stopped = current[1].wait(wait) if wait > 0 else current[1].is_set()
    if stopped:
        raise Cancelled("Stopped.")
